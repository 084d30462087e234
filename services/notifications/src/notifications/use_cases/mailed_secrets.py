"""What the mails that carry a secret (a link's token, a 6-digit code) share: only the newest
request's mail is worth sending, and the secrets must open.

Identity encrypts each secret to notifications' public key for its purpose
(portal_chassis.mail_secrets); ``open_secret`` is the one place they are opened.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from notifications.db.repositories import Deliveries
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.dead_letter import PermanentError
from portal_chassis.mail_secrets import MailSecretsError, SecretPurpose, is_jwe
from portal_chassis.sealing import SealingError

_CODE = re.compile(r"[0-9]{6}")


async def stale_reason(
    deliveries: Deliveries,
    *,
    account_id: str,
    kind: EmailKind,
    occurred_at: datetime,
    event_id: str,
    expires_at: datetime,
) -> SkipReason | None:
    """Why this request's mail should not go out, or None when it should."""
    if await deliveries.newer_for_account(account_id, kind, occurred_at, event_id):
        return SkipReason.SUPERSEDED  # its link and code were replaced by the newer request
    if datetime.now(UTC) >= expires_at:
        return SkipReason.EXPIRED  # arrived too late: a dead link and code help nobody
    return None


def open_secret(room: MailRoom, sealed: str, purpose: SecretPurpose) -> str:
    try:
        if is_jwe(sealed):
            return room.mail_secrets.decrypt(sealed, purpose)
        # Written before identity encrypted for notifications alone: Fernet with the suite-wide
        # key. Only events still within the topic's retention (3 days) can be like this: the
        # branch can go once every such event has aged out.
        return room.sealer.open(sealed)
    except (MailSecretsError, SealingError) as exc:
        # A key mismatch or a secret of another purpose, not this message's bad luck: retrying
        # cannot help.
        raise PermanentError(f"{purpose} cannot be opened with this service's key") from exc


def open_link_and_code(
    room: MailRoom, sealed_token: str, sealed_code: str, *, link: SecretPurpose, code: SecretPurpose
) -> tuple[str, str]:
    token, opened_code = open_secret(room, sealed_token, link), open_secret(room, sealed_code, code)
    if not _CODE.fullmatch(opened_code):
        raise PermanentError(f"{code} is not six digits")
    return token, opened_code
