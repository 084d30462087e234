"""Where the stack keeps its files: the repository, a download cache and a per-checkout run dir."""

from __future__ import annotations

import os
from pathlib import Path

# A file only this repository has, so the root is found whether the package is installed
# editable (from deploy/stack/src) or the command runs from somewhere inside the checkout.
_MARKER = Path("deploy") / "kafka" / "topics.toml"


def repo_root() -> Path:
    """The checkout this stack belongs to (`PORTAL_REPO_ROOT` overrides)."""
    override = os.environ.get("PORTAL_REPO_ROOT")
    if override:
        return Path(override).resolve()
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for candidate in (start, *start.parents):
            if (candidate / _MARKER).is_file():
                return candidate
    raise FileNotFoundError(
        f"cannot find the repository root (no {_MARKER} above {Path(__file__).parent} or the "
        "current directory); set PORTAL_REPO_ROOT"
    )


def cache_dir() -> Path:
    """Downloads kept between checkouts (the Kafka jars): `PORTAL_CACHE_DIR` overrides."""
    override = os.environ.get("PORTAL_CACHE_DIR")
    if override:
        return Path(override)
    return Path.home() / ".cache" / "energy-portal"


def run_dir() -> Path:
    """Logs, data and secrets of `portal-stack up`: `<repo>/.run/` (gitignored)."""
    override = os.environ.get("PORTAL_RUN_DIR")
    return Path(override) if override else repo_root() / ".run"


def topics_file() -> Path:
    return repo_root() / _MARKER


def ensure_dir(path: Path, mode: int = 0o755) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    return path
