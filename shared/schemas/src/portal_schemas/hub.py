"""Messages from the grid operators' switching hub (C-AR), as the hub's adapter publishes them.

The hub is not one of the suite's services: an adapter turns its messages into these events
on the ``hub.*`` topics, and the services consume them like any other event.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field, model_validator

from portal_schemas.envelope import EventData


class SwitchNoticeReceived(EventData):
    """Another supplier will supply a connection from ``intended_switch_date``: our supply to
    it ends the day before. The connection is named by its EAN or by our contract number."""

    event_type: ClassVar[str] = "SwitchNoticeReceived"
    domain: ClassVar[str] = "hub"
    summary: ClassVar[str] = "A new supplier announced it takes over a connection on a date."

    notice_id: str = Field(min_length=1, max_length=64)  # the hub's message id
    ean: str | None = Field(default=None, pattern=r"^[0-9]{18}$")
    contract_number: str | None = Field(default=None, pattern=r"^[0-9]{9}$")
    new_supplier: str = Field(min_length=1, max_length=100)  # the new supplier's name or EAN code
    intended_switch_date: dt.date  # first day of supply by the new supplier

    @model_validator(mode="after")
    def _names_the_connection(self) -> SwitchNoticeReceived:
        if self.ean is None and self.contract_number is None:
            raise ValueError("a switch notice names the EAN or the contract number")
        return self
