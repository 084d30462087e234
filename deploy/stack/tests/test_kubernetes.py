from pathlib import Path

import pytest
import yaml

from portal_stack import kubernetes
from portal_stack.__main__ import main
from portal_stack.kafka import TopicSpec


def test_a_topic_becomes_a_strimzi_kafka_topic_with_its_configs() -> None:
    spec = TopicSpec("billing.invoice-issued.v1", 6, 1, "compact", -1)

    [resource] = yaml.safe_load_all(kubernetes.topics_manifest([spec]))

    assert resource["kind"] == "KafkaTopic"
    assert resource["metadata"]["labels"]["strimzi.io/cluster"] == kubernetes.STRIMZI_CLUSTER
    assert resource["spec"] == {
        "topicName": "billing.invoice-issued.v1",
        "partitions": 6,
        "replicas": kubernetes.CLUSTER_REPLICAS,
        "config": {"cleanup.policy": "compact", "retention.ms": "-1"},
    }


def test_the_gateway_template_survives_the_config_map_unchanged() -> None:
    template = 'http {\n    location = /healthz {\n        return 200 \'{"status":"ok"}\';\n    }\n}\n'

    text = kubernetes.gateway_manifest(template)

    [config_map] = yaml.safe_load_all(text)
    assert config_map["data"][kubernetes.GATEWAY_TEMPLATE_KEY] == template
    assert f"{kubernetes.GATEWAY_TEMPLATE_KEY}: |" in text  # readable in review, not one escaped line


def test_check_reports_a_stale_file_and_generate_rewrites_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(kubernetes, "generated_dir", lambda: tmp_path)

    assert main(["k8s-generate", "--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert main(["k8s-generate"]) == 0
    assert main(["k8s-generate", "--check"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gateway-nginx.yaml", "kafka-topics.yaml"]


def test_the_committed_files_are_current() -> None:
    assert kubernetes.stale_files() == [], "run `uv run portal-stack k8s-generate`"
