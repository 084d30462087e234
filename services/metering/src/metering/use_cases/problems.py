"""Problems the use cases answer with, where more than one use case needs them."""

from __future__ import annotations

from portal_chassis.problems import ProblemError


def contract_not_found() -> ProblemError:
    # The same answer for an unknown contract and another customer's: ids cannot be probed.
    return ProblemError(404, "contract-not-found", "No such contract for this customer.")
