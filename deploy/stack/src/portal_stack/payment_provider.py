"""The card payment provider of the local stack: billing's provider simulator, started beside
the mail catcher (`python -m billing provider-simulator`), and the settings that point billing
at it. The webhook goes through the gateway, as a real provider's would reach the portal."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from portal_stack.ports import LOOPBACK
from portal_stack.processes import ManagedProcess
from portal_stack.services import http_ready

DEFAULT_PORT = 8190


def provider_port(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    return int(env.get("PAYMENT_PROVIDER_PORT", DEFAULT_PORT))


def payment_environment(*, provider_port: int, gateway_port: int, secret: str) -> dict[str, str]:
    """Billing's payment settings; the simulator reads the same ones."""
    public = f"http://{LOOPBACK}:{gateway_port}"
    return {
        "BILLING_PAYMENT_PROVIDER_URL": f"http://{LOOPBACK}:{provider_port}",
        "BILLING_PAYMENT_WEBHOOK_URL": f"{public}/billing/v1/payment-provider/webhook",
        "BILLING_PAYMENT_RETURN_URL": f"{public}/payments/return",
        "BILLING_PAYMENT_WEBHOOK_SECRET": secret,
    }


def provider_process(
    *, python: str, port: int, environment: Mapping[str, str], log_dir: Path
) -> ManagedProcess:
    return ManagedProcess(
        "payment-provider",
        [python, "-m", "billing", "provider-simulator", "--host", LOOPBACK, "--port", str(port)],
        log_file=log_dir / "payment-provider.log",
        env={**os.environ, **environment, "PYTHONUNBUFFERED": "1"},
        ready=lambda: http_ready(f"http://{LOOPBACK}:{port}/openapi.json"),
        ready_timeout=30.0,
    )
