"""``portal-schemas export DIR``: write the JSON Schema of the envelope and every event payload.

The output is committed under shared/schemas/jsonschema/ and a test fails when it is stale,
so a change to an event contract always shows up in review as a schema diff.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from portal_schemas.envelope import Envelope
from portal_schemas.registry import REGISTRY

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "jsonschema"


def schemas() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {"Envelope.json": Envelope.model_json_schema()}
    for spec in REGISTRY.values():
        schema = spec.model.model_json_schema(mode="serialization")
        schema["x-topic"] = spec.topic
        schema["x-event-type"] = spec.event_type
        schema["x-schema-version"] = spec.version
        out[f"{spec.event_type}.v{spec.version}.json"] = schema
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="portal-schemas", description=__doc__)
    parser.add_argument("command", choices=["export"])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    args.directory.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas().items():
        (args.directory / name).write_text(render(schema))
    print(f"wrote {len(schemas())} schemas to {args.directory}")
