"""The contracts API against its own OpenAPI document (schemathesis, in-process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.app import create_app
from contracts.db.tables import Base
from contracts.settings import DEFAULT_CATALOGUE, ContractsSettings
from portal_chassis.api_fuzzing import fuzz_openapi
from portal_chassis.sealing import Sealer
from portal_chassis.testing import TokenFactory


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_api_answers_no_5xx_and_as_documented(tmp_path: Path) -> None:
    """Valid and invalid requests (25 of each per operation), as a signed-in customer: never
    a server error, and every answer matches the response schema the document declares."""
    settings = ContractsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/contracts.sqlite3",
        catalogue_file=DEFAULT_CATALOGUE,
        event_sealing_key=Sealer.new_key(),
    )
    app = create_app(settings)
    tokens = TokenFactory()
    tokens.install(app)
    operations, failures = fuzz_openapi(app, Base.metadata, headers=tokens.headers("100200300"))
    assert operations >= 15  # the document was read, every route is there
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
