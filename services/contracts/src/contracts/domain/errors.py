"""Domain errors, each with the HTTP status and stable problem slug it answers with."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class ContractNotActive(DomainError):
    status = 409
    slug = "contract-not-active"


class InvalidEndDate(DomainError):
    status = 422
    slug = "invalid-end-date"


class InvalidContractTerms(DomainError):
    status = 422
    slug = "invalid-contract-terms"


class InvalidPostcode(InvalidContractTerms):
    slug = "invalid-postcode"


class InvalidAddress(DomainError):
    status = 422
    slug = "invalid-address"


class InvalidPaymentDetails(DomainError):
    status = 422
    slug = "invalid-payment-details"


class InvalidConnection(DomainError):
    status = 422
    slug = "invalid-connection"


class LargeConnection(DomainError):
    """Above the small-consumer limits: the product conditions do not apply."""

    status = 422
    slug = "large-consumer-connection"


class InvalidStartDate(DomainError):
    status = 422
    slug = "invalid-start-date"


class InvalidMove(DomainError):
    status = 422
    slug = "invalid-move"


class WithdrawalPeriodOver(DomainError):
    status = 409
    slug = "withdrawal-period-over"
