from portal_chassis.migrations import run_env

from identity.db.tables import Base

run_env(Base.metadata)
