"""PasswordChanged → "your password was changed on …", with the way out if it was not them.

Always sent, however late it arrives: unlike a reset link or a lock, the warning stays true.
"""

from __future__ import annotations

from notifications.db.repositories import Recipients
from notifications.domain.delivery import EmailKind
from notifications.domain.links import forgot_password_link
from notifications.domain.locale import format_datetime, pick_language
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PasswordChanged

KIND = EmailKind.PASSWORD_CHANGED


async def queue_password_changed_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: PasswordChanged
) -> None:
    language = pick_language(data.language)
    known = await Recipients(uow.session).for_account(data.account_id)
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=Addressee(str(data.email), language, known.customer_number if known is not None else None),
        values={
            "changed_at": format_datetime(data.changed_at, room.settings.zone, language),
            # Phrased by the language's labels; an unknown reason fails to render, never blank.
            "reason": data.reason,
            "link": forgot_password_link(room.settings.public_url),
        },
    )
