"""The JSON documents dnallm-zoo prints for other tools, and the JSON Schemas shipped for them (no torch).

``dnallm-zoo list --json`` prints ``{"schema_version": 1, "models": [spec, ...]}``, each spec as
``ModelSpec.model_dump(mode="json")``; ``list.schema.json`` beside this file describes it. Within one
schema version fields are only added (and enumerations may grow), never removed, renamed or given another
meaning, so the schema lets unknown keys through (a reader of version 1 keeps working when a later release
adds a field). Regenerate the file after a spec change with ``python -m dnallm_zoo.schemas``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._spec import ModelSpec

__all__ = ["LIST_SCHEMA_FILE", "SCHEMA_VERSION", "list_document", "list_schema", "render_list_schema"]

#: bumped when a field of the listing is removed, renamed, or changes type or meaning
SCHEMA_VERSION = 1
LIST_SCHEMA_FILE = Path(__file__).with_name("list.schema.json")


def list_document(specs: Iterable[ModelSpec]) -> dict[str, Any]:
    """What ``dnallm-zoo list --json`` prints for these specs."""
    return {"schema_version": SCHEMA_VERSION, "models": [s.model_dump(mode="json") for s in specs]}


def _tolerant(node: Any) -> Any:
    """The schema without ``additionalProperties: false``: readers must ignore keys they do not know."""
    if isinstance(node, dict):
        return {k: _tolerant(v) for k, v in node.items() if not (k == "additionalProperties" and v is False)}
    if isinstance(node, list):
        return [_tolerant(v) for v in node]
    return node


def list_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``list_document``'s output, built from the ModelSpec schema."""
    spec = ModelSpec.model_json_schema(mode="serialization")
    defs = spec.pop("$defs")
    defs["ModelSpec"] = spec
    return _tolerant({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"dnallm-zoo list --json, schema version {SCHEMA_VERSION}",
        "description": "The installed models of the zoo, one ModelSpec each, naturally sorted by id.",
        "type": "object",
        "required": ["schema_version", "models"],
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "models": {"type": "array", "items": {"$ref": "#/$defs/ModelSpec"}},
        },
        "$defs": dict(sorted(defs.items())),
    })


def render_list_schema() -> str:
    """``list_schema()`` as the text of ``list.schema.json``."""
    return json.dumps(list_schema(), indent=2) + "\n"
