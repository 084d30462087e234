"""What the mails that carry a link and a 6-digit code (activation, email change) share: only
the newest request's mail is worth sending, and the sealed secrets must open."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from notifications.db.repositories import Deliveries
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.dead_letter import PermanentError
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


def open_link_and_code(room: MailRoom, sealed_token: str, sealed_code: str, what: str) -> tuple[str, str]:
    try:
        token = room.sealer.open(sealed_token)
        code = room.sealer.open(sealed_code)
    except SealingError as exc:
        # A key mismatch, not this message's bad luck: retrying cannot help.
        raise PermanentError(f"{what} token or code cannot be opened with this service's key") from exc
    if not _CODE.fullmatch(code):
        raise PermanentError(f"{what} code is not six digits")
    return token, code
