"""Local infrastructure of the portal: Kafka, PostgreSQL, nginx gateway, mail catcher, services.

`make up` runs `portal-stack up`; the integration tests use the same classes, mainly Stack.
"""

from portal_stack.docker import describe, infrastructure_mode
from portal_stack.gateway import Gateway, render_config
from portal_stack.kafka import (
    LocalKafka,
    TopicSpec,
    create_topics,
    create_topics_async,
    kafka_cli,
    load_topics,
)
from portal_stack.mailcatcher import Mail, MailCatcher, MailCatcherClient
from portal_stack.postgres import PostgresCluster
from portal_stack.processes import ManagedProcess, ProcessError
from portal_stack.services import DEFAULT_PORTS, SERVICE_NAMES, ServiceProcess
from portal_stack.stack import Stack, StackConfig

__all__ = [
    "DEFAULT_PORTS",
    "SERVICE_NAMES",
    "Gateway",
    "LocalKafka",
    "Mail",
    "MailCatcher",
    "MailCatcherClient",
    "ManagedProcess",
    "PostgresCluster",
    "ProcessError",
    "ServiceProcess",
    "Stack",
    "StackConfig",
    "TopicSpec",
    "create_topics",
    "create_topics_async",
    "describe",
    "infrastructure_mode",
    "kafka_cli",
    "load_topics",
    "render_config",
]
