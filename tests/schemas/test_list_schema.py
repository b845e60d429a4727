"""`dnallm-zoo list --json`: a versioned document the shipped JSON Schema describes, made without torch."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

import dnallm_zoo
from dnallm_zoo.cli import cli
from dnallm_zoo.schemas import LIST_SCHEMA_FILE, SCHEMA_VERSION, list_document, render_list_schema


def shipped() -> dict[str, Any]:
    return json.loads(LIST_SCHEMA_FILE.read_text(encoding="utf-8"))


def validate(doc: Any) -> None:
    schema = shipped()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_shipped_schema_is_the_one_the_spec_generates() -> None:
    assert LIST_SCHEMA_FILE.read_text(encoding="utf-8") == render_list_schema(), (
        "dnallm_zoo/schemas/list.schema.json is stale: run `python -m dnallm_zoo.schemas`; if a field was "
        "removed, renamed or changed type or meaning, bump SCHEMA_VERSION too"
    )


# what a downstream tool runs: the console's own entry, in a fresh interpreter, with the installed plugins
LISTING = """
import contextlib, io, json, sys
from dnallm_zoo.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main(["list", "--json"])
    except SystemExit as exc:
        assert not exc.code, exc.code
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
from dnallm_zoo import list_models
api = [s.model_dump(mode="json") for s in list_models()]
print(json.dumps({"doc": json.loads(out.getvalue()), "heavy": heavy, "api": api}))
"""


@pytest.fixture(scope="module")
def installed_listing() -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNALLM_ZOO_")}
    proc = subprocess.run([sys.executable, "-c", LISTING], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_real_listing_validates_against_the_shipped_schema(installed_listing: dict[str, Any]) -> None:
    doc = installed_listing["doc"]
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    validate(doc)
    for model in doc["models"]:  # every listed model is a spec the core accepts back
        dnallm_zoo.ModelSpec.model_validate(model)


def test_listing_imports_neither_torch_nor_transformers(installed_listing: dict[str, Any]) -> None:
    assert installed_listing["heavy"] == []


def test_python_api_and_cli_list_the_same_models(installed_listing: dict[str, Any]) -> None:
    assert installed_listing["api"] == installed_listing["doc"]["models"]


def test_toy_listing_validates(zoo_toy: Any) -> None:
    result = CliRunner().invoke(cli, ["list", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [m["id"] for m in doc["models"]] == [s.id for s in dnallm_zoo.list_models()]
    assert doc["models"], "the toy family registers models"
    validate(doc)
    assert list_document([]) == {"schema_version": SCHEMA_VERSION, "models": []}
    validate(list_document([]))


def _one_model(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc["models"][0])


@pytest.mark.parametrize(
    "breakage",
    ["no version", "version 2", "models not a list", "no id", "id not a string", "bad task",
     "max_bases a string", "devices unknown"],
)
def test_schema_refuses_what_a_reader_could_not_rely_on(zoo_toy: Any, breakage: str) -> None:
    doc = list_document(dnallm_zoo.list_models())
    model = _one_model(doc)
    if breakage == "no version":
        del doc["schema_version"]
    elif breakage == "version 2":
        doc["schema_version"] = 2
    elif breakage == "models not a list":
        doc["models"] = {"x": model}
    else:
        if breakage == "no id":
            del model["id"]
        elif breakage == "id not a string":
            model["id"] = 3
        elif breakage == "bad task":
            model["task"] = "dancing"
        elif breakage == "max_bases a string":
            model["capabilities"]["max_bases"] = "many"
        elif breakage == "devices unknown":
            model["capabilities"]["devices"] = ["abacus"]
        doc["models"] = [model]
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_schema_lets_fields_a_later_release_adds_through(zoo_toy: Any) -> None:
    doc = list_document(dnallm_zoo.list_models())
    doc["generated_by"] = "a later release"
    doc["models"][0]["new_field"] = {"anything": 1}
    doc["models"][0]["tokenizer"]["new_knob"] = True
    validate(doc)
