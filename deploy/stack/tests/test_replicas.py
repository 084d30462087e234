"""Several instances of a service: configuration, ports, log files, the gateway's upstreams and
what `portal-stack status` shows."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from portal_stack import up
from portal_stack.gateway import Gateway, check_config, render_config
from portal_stack.ports import free_port
from portal_stack.processes import ProcessError
from portal_stack.services import SERVICE_NAMES, ServiceProcess, parse_replicas
from portal_stack.stack import Stack, StackConfig

UPSTREAMS = {name: f"127.0.0.1:{8101 + i}" for i, name in enumerate(SERVICE_NAMES)}


def test_replicas_from_the_environment_variable() -> None:
    assert parse_replicas("") == {}
    assert parse_replicas("metering=2, billing=3,") == {"metering": 2, "billing": 3}
    for bad in ("metering", "metering=0", "metering=two", "payments=2", "billing=-1", "billing=²"):
        with pytest.raises(ValueError, match=r"PORTAL_REPLICAS: .* is not like 'metering=2'"):
            parse_replicas(bad)


def test_make_up_puts_each_further_instance_ten_ports_above(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_REPLICAS", "metering=2,billing=3")
    monkeypatch.setenv("BILLING_PORT", "9104")

    config = StackConfig.from_env(tmp_path)

    assert config.instance_ports("metering") == [8103, 8113]
    assert config.instance_ports("billing") == [9104, 9114, 9124]
    assert config.instance_ports("identity") == [8101]


def test_instances_on_the_same_port_are_refused_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_REPLICAS", "metering=2")
    monkeypatch.setenv("BILLING_PORT", "8113")

    with pytest.raises(
        ProcessError, match="the same port 8113 for metering service instance 2 and billing service"
    ):
        Stack(StackConfig.from_env(tmp_path))._check_ports_free()


def test_ephemeral_instances_get_distinct_free_ports(tmp_path: Path) -> None:
    config = StackConfig.ephemeral(tmp_path, replicas={"metering": 2, "billing": 2, "identity": 1})

    assert config.replicas == {"metering": 2, "billing": 2}
    every = [port for name in SERVICE_NAMES for port in config.instance_ports(name)]
    every += [config.gateway_port, config.kafka_port, config.smtp_port, config.mail_http_port]
    every.append(config.provider_port)
    assert len(every) == len(set(every)) == 5 + 5 + 2
    assert len(config.instance_ports("metering")) == 2
    assert StackConfig.ephemeral(tmp_path).replicas == {}


def test_a_config_refuses_nonsense_replicas(tmp_path: Path) -> None:
    base = StackConfig.ephemeral(tmp_path)
    fields = {**base.__dict__}
    with pytest.raises(ValueError, match="replicas: billing=0"):
        StackConfig(**{**fields, "replicas": {"billing": 0}})
    with pytest.raises(ValueError, match="replica_ports: billing needs one port per instance"):
        StackConfig(**{**fields, "replicas": {"billing": 3}, "replica_ports": {"billing": (1,)}})


def test_further_instances_have_their_own_name_and_log_file(tmp_path: Path) -> None:
    first = ServiceProcess("billing", port=8104, env={}, log_dir=tmp_path)
    second = ServiceProcess("billing", port=8114, env={}, log_dir=tmp_path, instance=2)

    assert (first.name, first.log_file.name) == ("billing", "billing.log")
    assert (second.name, second.log_file.name, second.service) == ("billing-2", "billing-2.log", "billing")
    assert second.argv[-4:] == ["--host", "127.0.0.1", "--port", "8114"]


def test_the_upstream_lists_every_instance(tmp_path: Path) -> None:
    text = render_config(
        listen="127.0.0.1:18080",
        upstreams={**UPSTREAMS, "metering": ["127.0.0.1:8103", "127.0.0.1:8113"]},
    )

    assert "upstream metering { server 127.0.0.1:8103; server 127.0.0.1:8113; keepalive 16; }" in text
    assert "upstream billing { server 127.0.0.1:8104; keepalive 16; }" in text
    with pytest.raises(ValueError, match="at least one address"):
        render_config(listen="8080", upstreams={**UPSTREAMS, "billing": []})

    ports: dict[str, int | list[int]] = {name: 8101 + i for i, name in enumerate(SERVICE_NAMES)}
    ports["billing"] = [8104, 8114]
    Gateway(tmp_path, ports).write_config()
    check_config(tmp_path)  # nginx -t


class _WhoAmI(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = str(self.server.server_address[1]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def two_instances() -> Iterator[list[ThreadingHTTPServer]]:
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _WhoAmI) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def test_the_gateway_takes_turns_and_skips_an_instance_that_is_down(
    tmp_path: Path, two_instances: list[ThreadingHTTPServer]
) -> None:
    instance_ports = [server.server_address[1] for server in two_instances]
    ports: dict[str, int | list[int]] = {name: free_port() for name in SERVICE_NAMES}
    ports["metering"] = instance_ports
    gateway = Gateway(tmp_path / "gw", ports, port=free_port())
    gateway.start_and_wait()
    try:
        with httpx.Client(base_url=gateway.url) as client:
            answered = [int(client.get("/metering/who").text) for _ in range(6)]
            assert set(answered) == set(instance_ports)

            two_instances[0].shutdown()
            two_instances[0].server_close()
            after = [client.get("/metering/who") for _ in range(6)]
            assert {(r.status_code, int(r.text)) for r in after} == {(200, instance_ports[1])}
    finally:
        gateway.stop()


def test_status_shows_every_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = {
        "pid": 1,
        "phase": "ready",
        "updated_at": "2026-01-01T00:00:00+00:00",
        "gateway": "http://127.0.0.1:1",
        "kafka": "127.0.0.1:1",
        "mail": {"smtp": "127.0.0.1:1", "http": "http://127.0.0.1:1"},
        "services": {
            "identity": {"port": 8101, "log": "identity.log"},  # as an `up` before replicas wrote it
            "metering": {
                "port": 8103,
                "log": "metering.log",
                "instances": [
                    {"name": "metering", "port": 8103, "log": "metering.log"},
                    {"name": "metering-2", "port": 8113, "log": "metering-2.log"},
                ],
            },
        },
    }
    (tmp_path / "stack.json").write_text(json.dumps(state))
    monkeypatch.setattr(up, "_running_up", lambda run_dir: 1)
    monkeypatch.setattr(up, "http_ready", lambda url: url == "http://127.0.0.1:8113/ready")

    assert up.status(tmp_path) == 0

    lines = capsys.readouterr().out.splitlines()
    [identity] = [line for line in lines if "identity.log" in line]
    assert identity.split()[:3] == ["identity", "http://127.0.0.1:1/identity/", "NOT"]
    [first] = [line for line in lines if line.strip().startswith("metering ")]
    [second] = [line for line in lines if line.strip().startswith("metering-2 ")]
    assert "NOT ANSWERING" in first and "metering.log" in first
    assert "(same path)   ok   log metering-2.log" in second


def test_make_up_refuses_a_malformed_replicas_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTAL_REPLICAS", "billing=many")

    assert up.up(tmp_path) == 2

    assert "PORTAL_REPLICAS: 'billing=many' is not like 'metering=2'" in capsys.readouterr().out
    assert not (tmp_path / "stack.json").exists()
