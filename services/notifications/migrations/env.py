from notifications.db.tables import Base
from portal_chassis.migrations import run_env

run_env(Base.metadata)
