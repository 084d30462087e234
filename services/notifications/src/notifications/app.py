"""The notifications service: every email of the portal, localised, sent once."""

from __future__ import annotations

from fastapi import FastAPI

from notifications.api import deliveries, messages, newsletters
from notifications.consumers import event_handlers
from notifications.delivery.sender import DeliverySender
from notifications.delivery.templates import EmailTemplates
from notifications.settings import NotificationsSettings
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.app import build_service
from portal_chassis.mail_secrets import MailSecretsDecrypter
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.sealing import Sealer


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    sealer = Sealer(settings.event_sealing_key.get_secret_value())
    sender = DeliverySender(settings, sealer)
    mail_secrets = MailSecretsDecrypter(settings.mail_secrets_private_key.get_secret_value())
    room = MailRoom(settings, sealer, EmailTemplates(), wake_sender=sender.wake, mail_secrets=mail_secrets)

    async def start_sender(runtime: ServiceRuntime) -> None:
        sender.start(runtime.new_uow)

    async def stop_sender(runtime: ServiceRuntime) -> None:
        await sender.stop()

    app = build_service(
        settings,
        title="Notifications",
        description=(
            "Turns domain events into emails (password reset, account locked, reading "
            "confirmation, new document) in the customer's language and sends each exactly once over SMTP. "
            "Customers list the emails sent to them; operations read the delivery log and resend, and "
            "send newsletters to the accounts opted in, each with a one-click unsubscribe."
        ),
        routers=[messages.router, deliveries.router, newsletters.admin, newsletters.router],
        handlers=event_handlers(room),
        produces=["MarketingUnsubscribed"],
        on_startup=[start_sender],
        on_shutdown=[stop_sender],
    )
    app.state.sender = sender
    app.state.mail_room = room
    return app
