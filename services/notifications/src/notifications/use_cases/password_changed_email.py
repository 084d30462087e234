"""PasswordChanged → "your password was changed on …", with the way out if it was not them.

Always sent, however late it arrives: unlike a reset link or a lock, the warning stays true.
"""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import forgot_password_link
from notifications.domain.locale import format_datetime, pick_language
from notifications.use_cases.addressees import account_addressee
from notifications.use_cases.queue_email import MailRoom, queue_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PasswordChanged

KIND = EmailKind.PASSWORD_CHANGED


async def queue_password_changed_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: PasswordChanged
) -> None:
    language = pick_language(data.language)
    to = await account_addressee(
        uow, room, account_id=data.account_id, email=str(data.email), language=language
    )
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=to,
        values={
            "changed_at": format_datetime(data.changed_at, room.zone(to), language),
            # Phrased by the language's labels; an unknown reason fails to render, never blank.
            "reason": data.reason,
            "link": forgot_password_link(room.settings.public_url),
        },
    )
