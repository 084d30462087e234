"""The notifications service: every email of the portal, localised, sent once."""

from __future__ import annotations

from fastapi import FastAPI

from notifications.consumers import event_handlers
from notifications.delivery.sender import DeliverySender
from notifications.delivery.templates import EmailTemplates
from notifications.settings import NotificationsSettings
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.app import build_service
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.sealing import Sealer


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    sealer = Sealer(settings.event_sealing_key.get_secret_value())
    sender = DeliverySender(settings, sealer)
    room = MailRoom(settings, sealer, EmailTemplates(), wake_sender=sender.wake)

    async def start_sender(runtime: ServiceRuntime) -> None:
        sender.start(runtime.new_uow)

    async def stop_sender(runtime: ServiceRuntime) -> None:
        await sender.stop()

    app = build_service(
        settings,
        title="Notifications",
        description=(
            "Turns domain events into emails (password reset, account locked, reading "
            "confirmation, new document) in the customer's language and sends each exactly once over SMTP."
        ),
        handlers=event_handlers(room),
        on_startup=[start_sender],
        on_shutdown=[stop_sender],
    )
    app.state.sender = sender
    return app
