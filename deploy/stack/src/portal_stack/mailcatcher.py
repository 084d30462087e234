"""The local mail catcher: an SMTP sink that keeps every message, and an HTTP view of them.

Every message is stored atomically as `<UTC time>-<uuid>.eml` in one folder, so names sort by
arrival and stay unique across restarts. The envelope (MAIL FROM / RCPT TO, which include Bcc
recipients) is kept as `X-Envelope-From` / `X-Envelope-To` headers at the top of the file.

HTTP API (also used by MailCatcherClient):
    GET    /                          HTML list, newest first
    GET    /api/messages              JSON list, oldest first: id, received_at, from, to, subject
    GET    /api/messages/<id>         JSON: the above plus headers, text, html, attachments
    GET    /api/messages/<id>/raw     the .eml file (message/rfc822)
    DELETE /api/messages              delete all messages
    DELETE /api/messages/<id>         delete one message

Run it: python -m portal_stack.mailcatcher --smtp-port 1025 --http-port 1080 --dir .run/mail
"""

from __future__ import annotations

import argparse
import asyncio
import builtins
import email
import email.policy
import html
import json
import os
import re
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from portal_stack.ports import LOOPBACK, free_port

_ID = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{32}$")
_TIME_FORMAT = "%Y%m%dT%H%M%S.%fZ"


# --- storage ------------------------------------------------------------------------------


class MailStore:
    """The folder of .eml files; safe to use from several threads and processes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def save(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
        """Store one message atomically (temp file, then rename); returns its id."""
        message_id = f"{datetime.now(UTC).strftime(_TIME_FORMAT)}-{uuid.uuid4().hex}"
        envelope = (
            f"X-Envelope-From: {_one_line(mail_from)}\r\nX-Envelope-To: {_one_line(', '.join(rcpt_tos))}\r\n"
        ).encode()
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".incoming-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(envelope + raw)
            # Readers list *.eml only, so they never see a half-written message.
            os.replace(temp, self.directory / f"{message_id}.eml")
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return message_id

    def ids(self) -> list[str]:
        return sorted(path.stem for path in self.directory.glob("*.eml") if _ID.match(path.stem))

    def path(self, message_id: str) -> Path:
        if not _ID.match(message_id):
            raise KeyError(message_id)
        path = self.directory / f"{message_id}.eml"
        if not path.is_file():
            raise KeyError(message_id)
        return path

    def raw(self, message_id: str) -> bytes:
        return self.path(message_id).read_bytes()

    def summary(self, message_id: str) -> dict[str, Any]:
        return _summary(message_id, _parse(self.raw(message_id)))

    def details(self, message_id: str) -> dict[str, Any]:
        message = _parse(self.raw(message_id))
        text = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        headers: dict[str, str] = {}
        for name, value in message.items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else str(value)
        return {
            **_summary(message_id, message),
            "headers": headers,
            "text": text.get_content() if isinstance(text, EmailMessage) else None,
            "html": html_part.get_content() if isinstance(html_part, EmailMessage) else None,
            "attachments": [
                {
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "size": len(part.get_payload(decode=True) or b""),
                }
                for part in message.iter_attachments()
            ],
        }

    def delete(self, message_id: str) -> None:
        self.path(message_id).unlink(missing_ok=True)

    def clear(self) -> int:
        ids = self.ids()
        for message_id in ids:
            (self.directory / f"{message_id}.eml").unlink(missing_ok=True)
        return len(ids)


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _received_at(message_id: str) -> str:
    stamp = datetime.strptime(message_id.split("-", 1)[0], _TIME_FORMAT).replace(tzinfo=UTC)
    return stamp.isoformat()


def _summary(message_id: str, message: EmailMessage) -> dict[str, Any]:
    to = [addr.strip() for addr in str(message.get("X-Envelope-To", "")).split(",")]
    return {
        "id": message_id,
        "received_at": _received_at(message_id),
        "from": str(message.get("From") or message.get("X-Envelope-From") or ""),
        "to": [addr for addr in to if addr],
        "subject": str(message.get("Subject", "")),
    }


# --- SMTP ---------------------------------------------------------------------------------


class _StoringHandler:
    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        await asyncio.to_thread(self.store.save, raw, str(envelope.mail_from or ""), list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


# --- HTTP ---------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    store: MailStore  # set on the per-server subclass
    server_version = "portal-mailcatcher"

    def do_GET(self) -> None:
        parts = self._parts()
        try:
            if parts == []:
                self._send(HTTPStatus.OK, _html_list(self.store), "text/html; charset=utf-8")
            elif parts == ["api", "messages"]:
                self._json([self.store.summary(i) for i in self.store.ids()])
            elif len(parts) == 3 and parts[:2] == ["api", "messages"]:
                self._json(self.store.details(parts[2]))
            elif len(parts) == 4 and parts[:2] == ["api", "messages"] and parts[3] == "raw":
                self._send(HTTPStatus.OK, self.store.raw(parts[2]), "message/rfc822")
            else:
                self._json({"title": "Not Found", "status": 404}, HTTPStatus.NOT_FOUND)
        except KeyError:
            self._json({"title": "No such message", "status": 404}, HTTPStatus.NOT_FOUND)

    def do_DELETE(self) -> None:
        parts = self._parts()
        try:
            if parts == ["api", "messages"]:
                self._json({"deleted": self.store.clear()})
            elif len(parts) == 3 and parts[:2] == ["api", "messages"]:
                self.store.delete(parts[2])
                self._json({"deleted": 1})
            else:
                self._json({"title": "Not Found", "status": 404}, HTTPStatus.NOT_FOUND)
        except KeyError:
            self._json({"title": "No such message", "status": 404}, HTTPStatus.NOT_FOUND)

    def _parts(self) -> list[str]:
        path = self.path.split("?", 1)[0]
        return [unquote(part) for part in path.split("/") if part]

    def _json(self, value: object, status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(value, indent=1).encode(), "application/json")

    def _send(self, status: HTTPStatus, body: bytes | str, content_type: str) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests poll this API many times a second; access logs would drown the SMTP log


def _html_list(store: MailStore) -> str:
    rows = []
    for message_id in reversed(store.ids()):
        try:
            summary = store.summary(message_id)
        except KeyError:
            continue  # deleted meanwhile
        cells = [summary["received_at"], summary["from"], ", ".join(summary["to"])]
        rows.append(
            "<tr>"
            + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells)
            + f'<td><a href="/api/messages/{message_id}">{html.escape(summary["subject"])}</a>'
            + f'</td><td><a href="/api/messages/{message_id}/raw">.eml</a></td></tr>'
        )
    body = "\n".join(rows) or '<tr><td colspan="5">No messages yet.</td></tr>'
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Mail catcher</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}</style>"
        "</head><body><h1>Mail catcher</h1>"
        f"<p>{len(rows)} message(s), newest first. JSON: <a href='/api/messages'>/api/messages</a>"
        "</p><table><tr><th>Received (UTC)</th><th>From</th><th>To</th><th>Subject</th>"
        f"<th>Raw</th></tr>\n{body}\n</table></body></html>"
    )


# --- the catcher --------------------------------------------------------------------------


class MailCatcher:
    """SMTP sink plus HTTP reader in this process (threads); for tests and the CLI below."""

    def __init__(
        self,
        directory: Path,
        *,
        smtp_port: int | None = None,
        http_port: int | None = None,
        host: str = LOOPBACK,
    ) -> None:
        self.store = MailStore(directory)
        self.host = host
        self.smtp_port = smtp_port or free_port(host)
        self.http_port = http_port or free_port(host)
        self._controller: Controller | None = None
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def client(self) -> MailCatcherClient:
        return MailCatcherClient(self.url)

    def start(self) -> None:
        self._controller = Controller(
            _StoringHandler(self.store),
            hostname=self.host,
            port=self.smtp_port,
            enable_SMTPUTF8=True,  # customers' addresses may hold non-ASCII characters
        )
        self._controller.start()  # returns once the server answers
        handler = type("Handler", (_Handler,), {"store": self.store})
        self._http = ThreadingHTTPServer((self.host, self.http_port), handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, name="mailcatcher-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


# --- client -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """One caught message, as the HTTP API returns it."""

    id: str
    received_at: str
    sender: str
    to: list[str]
    subject: str
    text: str | None = None
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mail:
        return cls(
            id=data["id"],
            received_at=data["received_at"],
            sender=data["from"],
            to=list(data["to"]),
            subject=data["subject"],
            text=data.get("text"),
            html=data.get("html"),
            headers=dict(data.get("headers", {})),
            attachments=list(data.get("attachments", [])),
        )


class MailCatcherClient:
    """Reads the mail catcher over HTTP: `client.wait_for(lambda m: addr in m.to)`."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def list(self) -> builtins.list[Mail]:
        """Summaries (no bodies), oldest first."""
        response = self._http.get("/api/messages")
        response.raise_for_status()
        return [Mail.from_json(item) for item in response.json()]

    def get(self, message_id: str) -> Mail:
        response = self._http.get(f"/api/messages/{message_id}")
        response.raise_for_status()
        return Mail.from_json(response.json())

    def raw(self, message_id: str) -> bytes:
        response = self._http.get(f"/api/messages/{message_id}/raw")
        response.raise_for_status()
        return response.content

    def delete(self, message_id: str) -> None:
        response = self._http.delete(f"/api/messages/{message_id}")
        response.raise_for_status()

    def clear(self) -> int:
        response = self._http.delete("/api/messages")
        response.raise_for_status()
        return int(response.json()["deleted"])

    def wait_for(
        self,
        predicate: Callable[[Mail], bool] = lambda mail: True,
        timeout: float = 10.0,
        interval: float = 0.1,
    ) -> Mail:
        """The first message (oldest first, with bodies) that matches; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        checked: dict[str, Mail] = {}
        while True:
            for summary in self.list():
                if summary.id not in checked:
                    try:
                        checked[summary.id] = self.get(summary.id)
                    except httpx.HTTPStatusError:
                        continue  # deleted between list and get
                    if predicate(checked[summary.id]):
                        return checked[summary.id]
            if time.monotonic() > deadline:
                seen = "; ".join(f"{m.to} {m.subject!r}" for m in checked.values()) or "none"
                raise TimeoutError(f"no matching mail within {timeout:.1f}s (seen: {seen})")
            time.sleep(interval)


# --- command line -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portal_stack.mailcatcher", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=1080)
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--dir", type=Path, required=True, help="folder for the .eml files")
    args = parser.parse_args(argv)
    # Block the stop signals first, so that sigwait() below receives them and no handler (or
    # default action) fires in a helper thread.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    catcher = MailCatcher(args.dir, smtp_port=args.smtp_port, http_port=args.http_port, host=args.host)
    catcher.start()
    print(
        f"mail catcher: SMTP {args.host}:{catcher.smtp_port}, web UI and API {catcher.url}, "
        f"messages in {args.dir}",
        flush=True,
    )
    received = signal.sigwait({signal.SIGINT, signal.SIGTERM})
    print(f"mail catcher: {signal.Signals(received).name}, stopping", flush=True)
    catcher.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
