"""The notifications API against its own OpenAPI document (schemathesis, in-process)."""

from __future__ import annotations

import pytest

from notifications.app import create_app
from notifications.db.tables import Base
from notifications.settings import NotificationsSettings
from portal_chassis.api_fuzzing import fuzz_openapi
from portal_chassis.testing import TokenFactory

CUSTOMER = "100200300"


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_customer_requests_answer_no_5xx_and_as_documented(settings: NotificationsSettings) -> None:
    """Valid and invalid requests per operation as a signed-in customer: never a server error,
    every answer as the document declares (their messages; the admin endpoints refuse them)."""
    app = create_app(settings)
    tokens = TokenFactory()
    tokens.install(app)
    operations, failures = fuzz_openapi(app, Base.metadata, headers=tokens.headers(CUSTOMER))
    assert operations >= 6
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_operator_requests_answer_no_5xx_and_as_documented(settings: NotificationsSettings) -> None:
    """The same with an operator's token, which reaches the delivery log: filters, one
    delivery, resend."""
    app = create_app(settings)
    tokens = TokenFactory()
    tokens.install(app)
    operations, failures = fuzz_openapi(app, Base.metadata, headers=tokens.operator_headers())
    assert operations >= 6
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
