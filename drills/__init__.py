"""Failure drills: the suite kept running while parts of it fail (`uv run python -m drills`)."""
