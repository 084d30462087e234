"""Locking an account after repeated failed log-ins: the rule and the answer it gives."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal_chassis.problems import ProblemError


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int  # the failure that reaches this count locks the account
    duration: timedelta

    def is_locked(self, locked_until: datetime | None, now: datetime) -> bool:
        return locked_until is not None and now < locked_until


class AccountLockedError(ProblemError):
    """423 with ``locked_until`` in the body and a ``Retry-After`` header."""

    def __init__(self, locked_until: datetime, now: datetime) -> None:
        retry_after = max(1, math.ceil((locked_until - now).total_seconds()))
        super().__init__(
            423,
            "account-locked",
            "Log-in is blocked for this account after too many failed attempts. Try again after "
            "locked_until, or reset the password to unblock it right away.",
            headers={"Retry-After": str(retry_after)},
            locked_until=locked_until.isoformat(),
        )
        self.locked_until = locked_until
