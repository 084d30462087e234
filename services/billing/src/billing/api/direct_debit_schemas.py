"""Bodies of POST /v1/admin/direct-debits/returns: debits the bank gave back."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from billing.api.payments_schemas import EARLIEST_DAY
from billing.domain.direct_debit import REASON_CODE
from billing.use_cases.direct_debit import DebitReturn


class DebitReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    end_to_end_id: str = Field(
        min_length=1,
        max_length=35,
        description="As in the pain.008 file: the invoice number",
        examples=["F2026-000001"],
    )
    reason_code: str = Field(
        pattern=REASON_CODE.pattern,
        description="ISO 20022 return reason, e.g. AM04 (insufficient funds), MD06 (refund requested "
        "by the debtor), MS02 (refused by the debtor), AC04 (account closed)",
        examples=["AM04"],
    )
    returned_on: dt.date = Field(
        ge=EARLIEST_DAY, description="The day the bank returned the debit (not after today)"
    )

    def to_return(self) -> DebitReturn:
        return DebitReturn(self.end_to_end_id, self.reason_code, self.returned_on)


# The body: one entry per returned debit, as a bank's return file lists them.
ReturnsIn = TypeAdapter(list[DebitReturnIn])


class DebitReturnsOut(BaseModel):
    returned: list[str] = Field(description="End-to-end ids returned now: their invoices are open again")
    already_returned: list[str] = Field(description="Returned before: nothing changed")
    unknown: list[str] = Field(description="No collected debit has this end-to-end id")
