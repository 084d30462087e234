import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from portal_stack.gateway import Gateway, check_config, render_config
from portal_stack.ports import free_port
from portal_stack.services import SERVICE_NAMES

UPSTREAMS = {name: f"127.0.0.1:{8101 + i}" for i, name in enumerate(SERVICE_NAMES)}


def test_rendering_fills_every_placeholder_and_keeps_nginx_variables() -> None:
    text = render_config(listen="127.0.0.1:18080", upstreams=UPSTREAMS)

    assert "listen 127.0.0.1:18080;" in text
    assert "upstream billing { server 127.0.0.1:8104;" in text
    assert "location /notifications/ {" in text
    assert "proxy_pass http://notifications/;" in text
    assert "${" not in text
    assert "$request_id" in text and "$http_x_request_id" in text
    assert "client_max_body_size 1m;" in text
    assert "limit_req_status 429;" in text


def test_rendering_refuses_a_missing_upstream_or_a_bad_rate() -> None:
    with pytest.raises(ValueError, match="no upstream"):
        render_config(listen="8080", upstreams={"identity": "x:1"})
    with pytest.raises(ValueError, match="rate limit"):
        render_config(listen="8080", upstreams=UPSTREAMS, rate_limit="fast")


def test_rendering_refuses_unknown_template_names() -> None:
    with pytest.raises(ValueError, match="UNKNOWN_THING"):
        render_config(listen="8080", upstreams=UPSTREAMS, template="listen ${UNKNOWN_THING};")


def test_nginx_accepts_the_rendered_config(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, {name: 8101 + i for i, name in enumerate(SERVICE_NAMES)})

    gateway.write_config()
    check_config(tmp_path)  # raises with nginx's message when the config is wrong


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._reply()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._reply()

    def _reply(self) -> None:
        body = (
            f"{self.path}|{self.headers.get('X-Request-ID')}|{self.headers.get('X-Forwarded-Prefix')}"
            f"|{self.headers.get('X-Real-IP')}"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    ports = {name: free_port() for name in SERVICE_NAMES}  # nothing listens: 502
    ports["identity"] = upstream.server_address[1]
    handle = Gateway(tmp_path / "gw", ports, port=free_port(), rate_limit="5r/s", rate_burst=3)
    handle.start_and_wait()
    yield handle
    handle.stop()
    upstream.shutdown()


def test_gateway_routes_strips_the_prefix_and_carries_the_request_id(gateway: Gateway) -> None:
    response = httpx.get(f"{gateway.url}/identity/v1/x?a=1", headers={"X-Request-ID": "req-1"})

    assert response.status_code == 200
    assert response.text == "/v1/x?a=1|req-1|/identity|127.0.0.1"
    assert response.headers["X-Request-ID"] == "req-1"


def test_gateway_takes_the_client_from_a_trusted_balancers_forwarded_for(gateway: Gateway) -> None:
    # Locally the balancer is this machine (127.0.0.1 is trusted): its X-Forwarded-For names
    # the client, which the services' per-client limits then count.
    forwarded = httpx.get(
        f"{gateway.url}/identity/", headers={"X-Forwarded-For": "198.51.100.20, 203.0.113.7"}
    )
    assert forwarded.text.split("|")[3] == "203.0.113.7"


def test_gateway_replaces_an_unsafe_request_id(gateway: Gateway) -> None:
    response = httpx.get(f"{gateway.url}/identity/", headers={"X-Request-ID": 'a"b'})

    generated = response.headers["X-Request-ID"]
    assert generated != 'a"b' and len(generated) == 32
    assert response.text.split("|")[1] == generated


def test_gateway_answers_its_own_errors_as_problem_json(gateway: Gateway) -> None:
    with httpx.Client(base_url=gateway.url) as client:
        unknown = client.get("/elsewhere")
        down = client.get("/billing/ready")
        too_large = client.post("/identity/upload", content=b"x" * (1024 * 1024 + 1))
        limited = [client.get("/identity/").status_code for _ in range(15)]
        last = client.get("/identity/")

    for response, status in ((unknown, 404), (down, 502), (too_large, 413), (last, 429)):
        assert response.status_code == status
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == status
        assert response.json()["request_id"] == response.headers["X-Request-ID"]
    assert 429 in limited and limited[0] == 200
