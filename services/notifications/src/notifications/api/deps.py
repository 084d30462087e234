"""Notifications' route dependencies, in one place for the routers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from notifications.delivery.sender import DeliverySender


def get_now() -> datetime:
    """The current moment; tests override this dependency to act at a chosen time."""
    return datetime.now(UTC)


def get_wake_sender(request: Request) -> Callable[[], None]:
    """Wakes the app's sender, so a resend goes out at once rather than at its next poll."""
    sender: DeliverySender = request.app.state.sender
    return sender.wake


NowDep = Annotated[datetime, Depends(get_now)]
WakeSenderDep = Annotated[Callable[[], None], Depends(get_wake_sender)]
