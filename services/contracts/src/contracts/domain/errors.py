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
