"""The GROVER example plugin: at most 50 lines of package code; it works installed beside the core alone."""

from __future__ import annotations

import io
import json
import re
import sys
import tokenize
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # tests/ is no package (pytest's importlib mode)
    sys.path.insert(0, str(TESTS))

from core_only_env import ROOT, copy_project, make_core_only_env, run  # noqa: E402

# the conformance checks the kit runs on every model (dnallm_zoo.testing.checks.CHECKS, without torch)
CHECKS = ("strict_load", "tokenizer", "shapes", "batch_invariance", "attentions", "determinism",
          "save_round_trip", "long_input", "device")
EXAMPLE = ROOT / "examples" / "third-party-plugin"
PACKAGE = EXAMPLE / "dnallm_zoo_grover"
LIMIT = 50
_NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
             tokenize.ENCODING, tokenize.ENDMARKER}


def code_lines(text: str) -> int:
    """Lines holding code (docstrings included), not counting comments and blank lines."""
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type not in _NOT_CODE:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    source = text.splitlines()
    return sum(1 for n in lines if source[n - 1].strip())


def test_code_lines_counts_what_it_should() -> None:
    text = '"""Doc\n\nstring."""\n\n# a comment\nx = (1,\n     2)  # trailing\n\nif x:\n    pass\n'
    assert code_lines(text) == 6  # two docstring lines (not its blank one), x = ( two lines, if, pass


def test_package_code_is_at_most_50_lines() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    counts = {str(f.relative_to(EXAMPLE)): code_lines(f.read_text(encoding="utf-8")) for f in files}
    total = sum(counts.values())
    print(f"\nexamples/third-party-plugin package code: {total} lines (limit {LIMIT}): {counts}")
    assert files, f"no package code under {PACKAGE}"
    assert total <= LIMIT, f"{total} lines of package code, more than {LIMIT}: {counts}"


USE = """
import json, sys, tempfile
import dnallm_zoo
from dnallm_zoo.testing import make_test_checkpoint
path = make_test_checkpoint("grover", tempfile.mkdtemp() + "/grover")
enc = dnallm_zoo.load(path)
x = enc.embed(["ACGTTGCAAC" * 80, "GATTACA"])
print(json.dumps({"id": enc.spec.id, "shape": list(x.shape), "finite": bool((x == x).all()),
                  "files": sorted(p.name for p in path.iterdir()), "grover": dnallm_zoo_grover.__file__}))
"""


@pytest.mark.slow
def test_installs_beside_the_core_only_lists_loads_embeds_and_checks(tmp_path: Path) -> None:
    env = make_core_only_env(tmp_path)
    project = copy_project(EXAMPLE, tmp_path / "third-party-plugin")
    env.pip_install(project)
    dists = [line.split()[0] for line in env.zoo_distributions() if line]
    assert sorted(dists) == ["dnallm-zoo", "dnallm-zoo-grover"], dists

    listing = run([str(env.script("dnallm-zoo")), "list", "--json"], cwd=tmp_path)
    doc = json.loads(listing.stdout)
    assert [(m["id"], m["plugin"], m["license"]) for m in doc["models"]] == [("grover", "grover", "NONE")]
    assert listing.stderr == ""  # no plugin failed, no clash
    table = run([str(env.script("dnallm-zoo")), "list"], cwd=tmp_path).stdout
    assert "grover" in table and "NONE" in table, table

    used = json.loads(run([str(env.python), "-c", "import dnallm_zoo_grover\n" + USE], cwd=tmp_path
                          ).stdout.strip().splitlines()[-1])
    assert used["id"] == "grover" and used["shape"][0] == 2 and used["finite"], used
    assert "pytorch_model.bin" in used["files"] and "tokenizer.json" in used["files"], used
    assert used["grover"].startswith(str(env.root)), used  # the installed copy, not the checkout

    check = run([str(env.script("dnallm-zoo")), "check", "grover"], cwd=tmp_path, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "FAIL" not in check.stdout and "0 failed" in check.stderr, check.stdout + check.stderr

    tests = run([str(env.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project / "tests")],
                cwd=project, check=False)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    summary = tests.stdout.strip().splitlines()[-1]
    print(f"\nthe example's own tests, installed: {summary}")
    passed = int(re.search(r"(\d+) passed", summary).group(1))  # type: ignore[union-attr]
    assert passed >= len(CHECKS) + 3 and "failed" not in summary, summary  # every check ran, and ours
