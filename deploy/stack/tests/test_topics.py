from pathlib import Path

import pytest

from portal_stack.kafka import load_topics, server_properties

TOML_HEAD = """
[defaults]
partitions = 3
replication_factor = 1
cleanup_policy = "delete"
retention_ms = 1000
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topics.toml"
    path.write_text(TOML_HEAD + text)
    return path


def test_the_repository_topics_file_parses_with_defaults_and_overrides() -> None:
    topics = {spec.name: spec for spec in load_topics()}

    assert len(topics) >= 11
    account = topics["identity.account-activated.v1"]
    assert account.cleanup_policy == "compact"
    assert account.partitions == 3
    assert topics["metering.meter-reading-received.v1"].partitions == 6
    for secret_bearing in (  # a mail's link and code inside: kept 3 days only
        "identity.password-reset-requested.v1",
        "identity.activation-requested.v1",
        "identity.email-change-requested.v1",
        "identity.portal-access-approved.v1",
    ):
        assert topics[secret_bearing].retention_ms == 259_200_000, secret_bearing
    assert topics["billing.dead-letter.v1"].partitions == 1
    assert account.configs() == {"cleanup.policy": "compact", "retention.ms": "-1"}


def test_every_service_has_a_dead_letter_topic() -> None:
    names = {spec.name for spec in load_topics()}
    for service in ("identity", "contracts", "metering", "billing", "notifications"):
        assert f"{service}.dead-letter.v1" in names


def test_entry_values_override_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, '[[topic]]\nname = "a.b.v1"\npartitions = 6\nretention_ms = -1\n')

    [spec] = load_topics(path)

    assert (spec.partitions, spec.replication_factor, spec.retention_ms) == (6, 1, -1)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('name = "a.v1"\npartitons = 2', "unknown keys"),
        ('name = "a.v1"\npartitions = 0', "partitions"),
        ('name = "a.v1"\ncleanup_policy = "compacted"', "cleanup_policy"),
        ("partitions = 2", "missing"),
    ],
)
def test_mistakes_fail_loudly(tmp_path: Path, entry: str, message: str) -> None:
    path = write(tmp_path, f"[[topic]]\n{entry}\n")

    with pytest.raises(ValueError, match=message):
        load_topics(path)


def test_a_topic_listed_twice_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[[topic]]\nname = "a.v1"\n[[topic]]\nname = "a.v1"\n')

    with pytest.raises(ValueError, match="twice"):
        load_topics(path)


def test_broker_properties_disable_auto_creation_and_shorten_the_session(tmp_path: Path) -> None:
    text = server_properties(data_dir=tmp_path, port=19092, controller_port=19093)
    props = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    assert props["auto.create.topics.enable"] == "false"
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["broker.session.timeout.ms"] == "2000"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["log.dirs"] == str(tmp_path)
