"""Notifications' route dependencies and their documented errors, in one place for the routers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from notifications.delivery.sender import DeliverySender
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.problems import MEDIA_TYPE


def get_now() -> datetime:
    """The current moment; tests override this dependency to act at a chosen time."""
    return datetime.now(UTC)


def get_wake_sender(request: Request) -> Callable[[], None]:
    """Wakes the app's sender, so a resend goes out at once rather than at its next poll."""
    sender: DeliverySender = request.app.state.sender
    return sender.wake


def get_mail_room(request: Request) -> MailRoom:
    room: MailRoom = request.app.state.mail_room
    return room


NowDep = Annotated[datetime, Depends(get_now)]
WakeSenderDep = Annotated[Callable[[], None], Depends(get_wake_sender)]
MailRoomDep = Annotated[MailRoom, Depends(get_mail_room)]


def problem(description: str) -> dict[str, Any]:
    """An error answer in the OpenAPI document: a problem document (RFC 9457)."""
    return {"description": description, "content": {MEDIA_TYPE: {}}}
