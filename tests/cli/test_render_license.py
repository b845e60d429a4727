"""`dnallm-zoo info` says in words what SPDX's NONE and NOASSERTION mean; a real license shows as it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dnallm_zoo import ModelSpec
from dnallm_zoo.cli._render import describe_spec

MINIMAL = Path(__file__).resolve().parents[1] / "fixtures" / "minimal_spec.json"


def license_line(license: str) -> str:
    data = json.loads(MINIMAL.read_text())
    data["license"] = license
    text = describe_spec(ModelSpec.model_validate(data), "hub x @ y", "p")
    (line,) = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("license ")]
    return line


@pytest.mark.parametrize(("license", "words"), [("NONE", "declare no license"),
                                                 ("NOASSERTION", "not determined")])
def test_special_values_are_explained(license: str, words: str) -> None:
    line = license_line(license)
    assert line.split()[1] == license and words in line


@pytest.mark.parametrize("license", ["Apache-2.0", "LicenseRef-GROVER", "MIT OR Apache-2.0"])
def test_real_licenses_show_unchanged(license: str) -> None:
    assert license_line(license) == f"license       {license}"
