"""The service chassis: what every portal service needs and does the same way.

settings.py   configuration from the environment      logging.py   structlog JSON lines
tracing.py    OpenTelemetry for HTTP, SQL and Kafka     context.py   correlation and causation ids
db.py         async engine and sessions                 tables.py    outbox and inbox tables
uow.py        one transaction: state + outbox + inbox   outbox.py    the relay that publishes after commit
consumers.py  typed, idempotent event handlers          dead_letter.py  retries and the dead-letter topic
batch_consumers.py  many records per transaction (feeds)
broker.py     the Kafka broker of a service             http.py      problem details, pagination
health.py     /health and /ready                        app.py       build_service(): one lifespan
sealing.py    secrets carried inside events             cli.py       serve / migrate / asyncapi, one-off work
columns.py    exact decimals, aware UTC times           calendar.py  customers' calendar days (pure)
deps.py       route dependencies, settings per service  migrations.py  Alembic; frozen outbox/inbox DDL
"""
