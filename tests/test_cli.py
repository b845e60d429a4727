"""The `dnallm-zoo` command line, on a tiny in-process toy plugin (tests/toy_plugin.py)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import dnallm_zoo
from dnallm_zoo import hookimpl, load
from dnallm_zoo._discovery import PluginInfo, get_manager
from dnallm_zoo._registry import reset_plugins, reset_registry
from dnallm_zoo.cli import cli, main

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # tests/ is no package (pytest's importlib mode)
    sys.path.insert(0, str(HERE))

import toy_plugin  # noqa: E402

LONG = "ACGTTGCA" * 5  # 40 bases: more than the 16 a toy forward pass takes
RECORDS = [("seq1", "ACGTACGTAC"), ("seq2", "TTGACCA"), ("long", LONG)]


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy")
    plugin = toy_plugin.ToyPlugin(root)
    for model_id, path in plugin.dirs.items():
        spec = dnallm_zoo.ModelSpec.model_validate(
            toy_plugin.toy_spec(model_id, path, classifier=model_id == "toy-classifier")
        )
        assert plugin.make_test_checkpoint(spec=spec, path=path)
    return root


@pytest.fixture
def toy(toy_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[toy_plugin.ToyPlugin]:
    """Only the toy plugin: no installed entry points, a fresh manager and registry."""
    monkeypatch.setenv("DNALLM_ZOO_PLUGINS", "")
    monkeypatch.delenv("DNALLM_ZOO_BLOCK_PLUGINS", raising=False)
    monkeypatch.delenv("DNALLM_ZOO_STRICT_PLUGINS", raising=False)
    reset_plugins()
    plugin = toy_plugin.ToyPlugin(toy_root)
    get_manager().register(plugin, name="toy", distribution="toy-dist", version="9.9")
    reset_registry()
    yield plugin
    reset_plugins()


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def fasta(path: Path, records: list[tuple[str, str]] = RECORDS, *, wrap: int = 7) -> Path:
    text = "".join(
        f">{rid} some description\n" + "".join(seq[i:i + wrap] + "\n" for i in range(0, len(seq), wrap))
        for rid, seq in records
    )
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


# ----------------------------------------------------------------------------------------- list
def test_list_table_names_every_model_with_its_columns(toy: Any) -> None:
    result = run("list", env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "family", "task", "license", "max", "bases", "plugin"]
    assert lines[1].split() == ["toy-3", "toy", "embedding", "MIT", "16", "toy"]
    assert lines[2].split() == ["toy-classifier", "toy", "sequence-classification", "MIT", "16", "toy"]


def test_list_table_fits_a_narrow_terminal_without_cutting_ids(toy: Any) -> None:
    result = run("list", env={"COLUMNS": "40"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 40 for line in lines), lines
    assert [line.split()[0] for line in lines[1:]] == ["toy-3", "toy-classifier"]


def test_list_json_is_the_specs(toy: Any) -> None:
    result = run("list", "--json")
    assert result.exit_code == 0
    specs = json.loads(result.stdout)["models"]
    assert [s["id"] for s in specs] == ["toy-3", "toy-classifier"]
    assert specs[1]["labels"] == ["neg", "pos"] and specs[0]["plugin"] == "toy"
    dnallm_zoo.ModelSpec.model_validate(specs[0])


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        (["classifier"], ["toy-classifier"]),  # plain text matches within
        (["toy-?"], ["toy-3"]),
        (["--task", "sequence-classification"], ["toy-classifier"]),
        (["--family", "toy", "--license", "mit"], ["toy-3", "toy-classifier"]),
        (["--license", "Apache-*"], []),
        (["--device", "cuda"], []),
    ],
)
def test_list_filters(toy: Any, args: list[str], ids: list[str]) -> None:
    result = run("list", "--json", *args)
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in json.loads(result.stdout)["models"]] == ids


def test_list_with_no_match_says_so_on_stderr(toy: Any) -> None:
    result = run("list", "nothing-like-it")
    assert result.exit_code == 0 and result.stdout == ""
    assert "no installed model matches" in result.stderr


class Rival:
    """Another plugin claiming `toy-3`, and a broken one."""

    def __init__(self, spec: dict[str, Any] | None = None, raises: bool = False) -> None:
        self.spec, self.raises = spec, raises

    @hookimpl
    def register_models(self, register: Any) -> None:
        if self.raises:
            raise RuntimeError("kaputt")
        register(self.spec, toy_plugin.ToyEncoder)


def test_list_reports_conflicts_and_failed_plugins_on_stderr(toy: Any, toy_root: Path) -> None:
    get_manager().register(Rival(toy_plugin.toy_spec("toy-3", toy_root / "toy-3")), name="zrival")
    get_manager().register(Rival(raises=True), name="broken")
    reset_registry()
    result = run("list", "--json")
    assert result.exit_code == 0
    assert [s["id"] for s in json.loads(result.stdout)["models"]] == ["toy-3", "toy-classifier"]
    errs = result.stderr.strip().splitlines()
    assert len(errs) == 2
    assert "'toy-3'" in errs[0] and "'toy'" in errs[0] and "'zrival:toy-3'" in errs[0]
    assert "plugin 'broken' failed" in errs[1] and "kaputt" in errs[1]


# ----------------------------------------------------------------------------------------- info
def test_info_describes_the_model(toy: Any, toy_root: Path) -> None:
    result = run("info", "toy-classifier")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("toy-classifier: A toy 3-mer model")
    for text in ("toy (toy-dist 9.9)", "license       MIT", f"local directory {toy_root / 'toy-classifier'}",
                 "labels        neg, pos (single-label)", "kmer, k=3", "cpu (float32)",
                 "16 tokens / 16 bases", "@misc{toy, title = {Toy}}"):
        assert text in out, text


def test_info_json(toy: Any, toy_root: Path) -> None:
    result = run("info", "toy:toy-3", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["spec"]["id"] == "toy-3" and data["qualified_name"] == "toy:toy-3"
    assert data["weights_from"] == f"local directory {toy_root / 'toy-3'}"


def test_info_of_a_checkpoint_directory(toy: Any, toy_root: Path) -> None:
    result = run("info", toy_root / "toy-classifier", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["spec"]["id"] == "toy-classifier"


def test_info_unknown_model_is_one_line_with_suggestions(toy: Any) -> None:
    line = one_line_error(run("info", "toy-4"))
    assert "unknown model 'toy-4'; did you mean 'toy-3'" in line


def test_unknown_model_names_plugins_that_failed(toy: Any) -> None:
    get_manager().register(Rival(raises=True), name="broken")
    reset_registry()
    line = one_line_error(run("info", "from-broken"))
    assert "plugins that failed to load: broken" in line


# ----------------------------------------------------------------------------------------- plugins
def test_plugins_lists_origin_models_failures_and_blocked(toy: Any) -> None:
    get_manager().register(Rival(raises=True), name="broken", distribution="broken-dist", version="0.1")
    get_manager().info["gone"] = PluginInfo(name="gone", distribution="gone-dist", blocked=True)
    reset_registry()
    result = run("plugins")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    by_name = {line.split()[0]: line for line in lines if not line.startswith(" ")}
    assert by_name["toy"].split()[1:] == ["toy-dist", "9.9", "2", "models:", "toy-3,", "toy-classifier"]
    assert "FAILED" in by_name["broken"] and "broken-dist 0.1" in by_name["broken"]
    assert "blocked" in by_name["gone"]
    assert "    error: register_models: RuntimeError: kaputt" in lines
    assert "Traceback" not in result.stdout
    assert "Traceback (most recent call last)" in run("plugins", "--traceback").stdout


def test_plugins_json(toy: Any) -> None:
    get_manager().register(Rival(raises=True), name="broken")
    reset_registry()
    data = {p["name"]: p for p in json.loads(run("plugins", "--json", "--traceback").stdout)}
    assert data["toy"]["models"] == ["toy-3", "toy-classifier"] and data["toy"]["ok"]
    assert data["toy"]["version"] == "9.9" and data["toy"]["errors"] == []
    assert not data["broken"]["ok"] and "kaputt" in data["broken"]["errors"][0]
    assert "Traceback" in data["broken"]["tracebacks"][0]


# ----------------------------------------------------------------------------------------- schema
def test_schema_is_the_model_spec_json_schema(toy: Any) -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == dnallm_zoo.ModelSpec.model_json_schema()
    assert {"id", "license", "citation", "weights"} <= set(schema["properties"])


# ----------------------------------------------------------------------------------------- no torch
NO_TORCH = """
import json, sys
from click.testing import CliRunner
from dnallm_zoo import list_models
from dnallm_zoo.cli import cli
ids = [s.id for s in list_models()]
codes = {}
for args in (["list"], ["list", "--json"], ["plugins", "--json"], ["schema"],
             ["info", ids[0] if ids else "no-model-installed"]):
    codes[" ".join(args[:1])] = CliRunner().invoke(cli, args).exit_code
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print(json.dumps({"codes": codes, "heavy": heavy, "models": len(ids)}))
"""


def test_listing_commands_import_neither_torch_nor_transformers() -> None:
    """With whatever plugins are installed, in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNALLM_ZOO_")}
    proc = subprocess.run([sys.executable, "-c", NO_TORCH], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["heavy"] == [], report
    assert report["codes"]["list"] == 0 and report["codes"]["plugins"] == 0
    assert report["codes"]["schema"] == 0
    assert report["codes"]["info"] == (0 if report["models"] else 1)


def test_python_dash_m_and_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "dnallm_zoo", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"dnallm-zoo, version {dnallm_zoo.__version__}"


def test_usage_errors_exit_with_2(toy: Any) -> None:
    assert run("list", "--bogus").exit_code == 2
    assert run("embed").exit_code == 2
    assert run("list", "--task", "nonsense").exit_code == 2


def test_debug_traces_hook_calls_to_stderr(toy: Any) -> None:
    result = run("--debug", "list", "--json")
    assert result.exit_code == 0
    assert "register_models [toy]" in result.stderr
    json.loads(result.stdout)
    assert "register_models" not in run("list", "--json").stderr  # tracing ends with the command


# ----------------------------------------------------------------------------------------- embed
def read_table(path: Path) -> tuple[list[str], dict[str, list[int]], np.ndarray, dict[str, str]]:
    table = pq.read_table(path)
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    vec = table.schema.names[-1]
    width = table.schema.field(vec).type.list_size
    matrix = np.array(table[vec].to_pylist(), np.float32).reshape(len(table), width)
    ints = {c: table[c].to_pylist() for c in table.schema.names[1:-1]}
    return table["id"].to_pylist(), ints, matrix, meta


def read_matrix(path: Path) -> np.ndarray:
    if path.suffix == ".parquet":
        return read_table(path)[2]
    if path.suffix == ".npy":
        return np.load(path)
    if path.suffix == ".npz":
        with np.load(path) as z:
            assert z["ids"].tolist() == [r for r, _ in RECORDS]
            assert z["lengths"].tolist() == [len(s) for _, s in RECORDS]
            return z["embeddings"]
    from safetensors import safe_open

    with safe_open(str(path), "np") as f:
        assert json.loads(f.metadata()["ids"]) == [r for r, _ in RECORDS]
        return f.get_tensor("embeddings")


@pytest.mark.parametrize(("fa", "out"), [("in.fa", "e.parquet"), ("in.fa.gz", "e.npy"),
                                         ("in.fa", "e.npz"), ("in.fa.gz", "e.safetensors")])
def test_embed_writes_what_the_encoder_computes(toy: Any, tmp_path: Path, fa: str, out: str) -> None:
    result = run("embed", fasta(tmp_path / fa), "--model", "toy-3", "-o", tmp_path / out)
    assert result.exit_code == 0, result.output
    expected = load("toy-3").embed([s for _, s in RECORDS])
    np.testing.assert_allclose(read_matrix(tmp_path / out), expected, rtol=1e-6, atol=1e-7)
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("embedded 3 sequences, 57 bases in ")
    assert summary.endswith(f"-> {tmp_path / out}")
    assert sorted(os.listdir(tmp_path)) == sorted({fa, out})  # no temp file left


def test_embed_reads_standard_input(toy: Any, tmp_path: Path) -> None:
    data = gzip.compress(fasta(tmp_path / "in.fa").read_bytes())
    result = CliRunner().invoke(cli, ["embed", "-", "-m", "toy-3", "-o", str(tmp_path / "e.npz")],
                                input=data)
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(read_matrix(tmp_path / "e.npz"),
                               load("toy-3").embed([s for _, s in RECORDS]), rtol=1e-6)


def test_embed_parquet_rows_and_metadata(toy: Any, tmp_path: Path) -> None:
    out = tmp_path / "e.parquet"
    result = run("embed", fasta(tmp_path / "in.fa"), "-m", "toy-3", "-o", out,
                 "--pooling", "max", "--layer", "0", "--token-budget", "20")
    assert result.exit_code == 0, result.output
    ids, ints, matrix, meta = read_table(out)
    assert ids == ["seq1", "seq2", "long"] and ints == {"length": [10, 7, 40]}
    assert meta["model"] == "toy-3" and meta["pooling"] == "max" and meta["layer"] == "0"
    assert meta["dnallm_zoo_version"] == dnallm_zoo.__version__
    expected = load("toy-3").embed([s for _, s in RECORDS], pooling="max", layer=0)
    np.testing.assert_allclose(matrix, expected, rtol=1e-6)


def test_embed_with_a_checkpoint_directory_and_normalisation_options(
    toy: Any, tmp_path: Path, toy_root: Path
) -> None:
    records = [("low", "acgtacgtac"), ("amb", "ACGTRYACGT")]
    out = tmp_path / "e.npz"
    result = run("embed", fasta(tmp_path / "in.fa", records), "-m", toy_root / "toy-3", "-o", out,
                 "--no-uppercase")
    assert result.exit_code == 0, result.output
    with np.load(out) as z:
        assert json.loads(str(z["metadata"]))["model"] == "toy-3"
        got = z["embeddings"]
    enc = load(toy_root / "toy-3", normalization={"uppercase": False})
    np.testing.assert_allclose(got, enc.embed([s for _, s in records]), rtol=1e-6)
    assert not np.allclose(got[0], load("toy-3").embed(["ACGTACGTAC"])[0])  # lower case stayed UNK
    line = one_line_error(run("embed", tmp_path / "in.fa", "-m", "toy-3", "-o", tmp_path / "x.npy",
                              "--iupac", "error"))
    assert "'R' at position 5 in record 'amb'" in line


def test_embed_no_u_to_t_keeps_u_unknown(toy: Any, tmp_path: Path) -> None:
    records = [("rna", "ACGUACGUACGU")]
    outs = {}
    for flag in ((), ("--no-u-to-t",)):
        out = tmp_path / f"e{len(flag)}.npy"
        result = run("embed", fasta(tmp_path / "in.fa", records), "-m", "toy-3", "-o", out, *flag)
        assert result.exit_code == 0, result.output
        outs[flag] = np.load(out)
    np.testing.assert_allclose(outs[()], load("toy-3").embed(["ACGTACGTACGT"]), rtol=1e-6)
    kept = load("toy-3", normalization={"u_to_t": False}).embed(["ACGUACGUACGU"])
    np.testing.assert_allclose(outs[("--no-u-to-t",)], kept, rtol=1e-6)
    assert not np.allclose(outs[()], outs[("--no-u-to-t",)])


def test_embed_segments(toy: Any, tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    result = run("embed", fasta(tmp_path / "in.fa"), "-m", "toy-3", "-o", out, "--segment-output",
                 "--segment-size", "12", "--overlap", "2")
    assert result.exit_code == 0, result.output
    ids, ints, matrix, meta = read_table(out)
    segs = list(load("toy-3").embed_segments(RECORDS, segment_bases=12, overlap=2))
    assert ids == [s.record for s in segs]
    assert ints == {"start": [s.start for s in segs], "end": [s.end for s in segs]}
    assert ints["start"][:2] == [0, 0] and ids.count("long") == 4
    np.testing.assert_allclose(matrix, np.stack([s.vector for s in segs]), rtol=1e-6)
    assert meta["segment_size"] == "12" and meta["overlap"] == "2"
    assert f"({len(segs)} segments)" in result.stderr


@pytest.mark.parametrize(
    ("records", "extra", "message"),
    [
        ([("a", "ACGT"), ("b", "ACGTAC"), ("a", "ACG")], [], "duplicate record id 'a' (records 1 and 3)"),
        ([("a", "ACGT"), ("hollow", "")], [], "empty sequence (record 'hollow')"),
        ([("a", "ACGT"), ("bad", "ACGXT")], [], "invalid character 'X' at position 4 in record 'bad'"),
        ([("a", "ACGT"), ("long", LONG)], ["--long", "error"], "record 'long': 40 bases"),
        ([("a", "AC")], [], "record 'a': 2 bases give no tokens"),
    ],
)
def test_bad_records_are_one_line_errors_naming_the_record(
    toy: Any, tmp_path: Path, records: list[tuple[str, str]], extra: list[str], message: str
) -> None:
    line = one_line_error(run("embed", fasta(tmp_path / "in.fa", records), "-m", "toy-3",
                              "-o", tmp_path / "out.parquet", *extra))
    assert message in line
    assert sorted(os.listdir(tmp_path)) == ["in.fa"]  # no output, no temp file


def test_a_failed_run_keeps_the_previous_output(toy: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.npz"
    assert run("embed", fasta(tmp_path / "ok.fa"), "-m", "toy-3", "-o", out).exit_code == 0
    before = out.read_bytes()
    bad = fasta(tmp_path / "bad.fa", [*RECORDS, ("z", "ACGT!")])
    one_line_error(run("embed", bad, "-m", "toy-3", "-o", out))
    assert out.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["bad.fa", "ok.fa", "out.npz"]


KILLED = """
import os, signal, sys
import numpy as np
from dnallm_zoo.cli._app import _on_sigterm
from dnallm_zoo._writers import RowLayout, open_writer
signal.signal(signal.SIGTERM, _on_sigterm)  # as main() does
with open_writer(sys.argv[1], layout=RowLayout.sequences(4)) as w:
    for i in range(3):
        w.write(f"r{i}", (4,), np.ones(4, np.float32))
        if i == 1:
            os.kill(os.getpid(), getattr(signal, sys.argv[2]))
"""


@pytest.mark.parametrize(("out", "sig", "code"), [("out.parquet", "SIGTERM", 128 + 15),
                                                  ("out.parquet", "SIGKILL", -9),
                                                  ("out.safetensors", "SIGKILL", -9)])
def test_a_killed_run_leaves_no_output(tmp_path: Path, out: str, sig: str, code: int) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLED, str(tmp_path / out), sig],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    left = os.listdir(tmp_path)
    assert out not in left
    if sig == "SIGTERM":  # unwound like an error: the temporary file is gone too
        assert left == []


def test_main_turns_sigterm_into_an_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    installed: dict[int, Any] = {}
    monkeypatch.setattr(signal, "signal", lambda sig, handler: installed.setdefault(sig, handler))
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    with pytest.raises(SystemExit) as exc:
        installed[signal.SIGTERM](signal.SIGTERM, None)
    assert exc.value.code == 128 + signal.SIGTERM


def test_output_and_input_are_checked_before_the_model(toy: Any, tmp_path: Path) -> None:
    fa = fasta(tmp_path / "in.fa")
    line = one_line_error(run("embed", fa, "-m", "no-such-model", "-o", tmp_path / "out.csv"))
    assert "unknown output format .csv; supported: .parquet, .npy, .npz, .safetensors" in line
    line = one_line_error(run("embed", tmp_path / "absent.fa", "-m", "no-such-model",
                              "-o", tmp_path / "o.npy"))
    assert "absent.fa: no such file" in line
    line = one_line_error(run("embed", fa, "-m", "no-such-model", "-o", tmp_path / "no" / "o.npy"))
    assert "does not exist" in line


def test_embed_option_errors(toy: Any, tmp_path: Path) -> None:
    fa = fasta(tmp_path / "in.fa")
    result = run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--segment-size", "8")
    assert result.exit_code == 2 and "--segment-size needs --segment-output" in result.output
    line = one_line_error(run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--overlap", "16"))
    assert "--overlap 16 must be smaller than the window of 16 bases" in line
    line = one_line_error(run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--layer", "5"))
    assert "layer 5 out of range" in line
    line = one_line_error(run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--device", "cuda"))
    assert "toy-3" in line and "cuda" in line
    assert run("embed", fa, "-m", "toy-3", "-o", tmp_path / "o.npy", "--device", "gpu").exit_code == 2


# ----------------------------------------------------------------------------------------- predict
def test_predict_writes_label_probabilities(toy: Any, tmp_path: Path) -> None:
    out = tmp_path / "p.parquet"
    short = RECORDS[:2]
    result = run("predict", fasta(tmp_path / "in.fa", short), "-m", "toy-classifier", "-o", out)
    assert result.exit_code == 0, result.output
    ids, ints, probs, meta = read_table(out)
    assert pq.read_schema(out).names == ["id", "length", "probabilities"]
    assert ids == ["seq1", "seq2"] and ints == {"length": [10, 7]}
    assert json.loads(meta["labels"]) == ["neg", "pos"] and meta["problem_type"] == "single-label"
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(probs, load("toy-classifier").predict([s for _, s in short]), rtol=1e-6)
    assert result.stderr.strip().splitlines()[-1].startswith("scored 2 sequences, 17 bases in ")


def test_predict_long_sequences_follow_the_long_option(toy: Any, tmp_path: Path) -> None:
    fa = fasta(tmp_path / "in.fa")
    line = one_line_error(run("predict", fa, "-m", "toy-classifier", "-o", tmp_path / "p.npy"))
    assert "record 'long'" in line
    result = run("predict", fa, "-m", "toy-classifier", "-o", tmp_path / "p.npy", "--long", "chunk")
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "p.npy").shape == (3, 2)


def test_predict_needs_a_classifier(toy: Any, tmp_path: Path) -> None:
    line = one_line_error(run("predict", fasta(tmp_path / "in.fa"), "-m", "toy-3", "-o", tmp_path / "p.npz"))
    assert "toy-3 is a embedding model; predict needs a sequence-classification model" in line
    assert not (tmp_path / "p.npz").exists()


# ----------------------------------------------------------------------------------------- check
@dataclass
class FakeResult:
    name: str
    ok: bool
    skipped: bool = False
    detail: str = ""


def fake_checks(results: list[FakeResult], seen: list[tuple[str, Path | None]]) -> Any:
    def run_checks(model: str, *, weights: Path | None = None) -> list[FakeResult]:
        seen.append((model, weights))
        return results

    return run_checks


def test_check_prints_one_line_per_check_and_fails_on_a_failure(
    toy: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dnallm_zoo.testing

    seen: list[tuple[str, Path | None]] = []
    results = [FakeResult("shapes", True), FakeResult("device", False, True, "no cuda"),
               FakeResult("determinism", False, detail="runs differ\nby 1e-3")]
    monkeypatch.setattr(dnallm_zoo.testing, "run_checks", fake_checks(results, seen), raising=False)
    result = run("check", "toy-3", "--weights", tmp_path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["ok    shapes", "SKIP  device: no cuda",
                                          "FAIL  determinism: runs differ by 1e-3"]
    assert "1 passed, 1 failed, 1 skipped" in result.stderr
    assert seen == [("toy-3", tmp_path)]

    data = json.loads(run("check", "toy-3", "--json").stdout)
    assert data[2] == {"name": "determinism", "ok": False, "skipped": False,
                       "detail": "runs differ\nby 1e-3"}
    assert seen[-1] == ("toy-3", None)


def test_check_passes_when_nothing_failed(toy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import dnallm_zoo.testing

    results = [FakeResult("shapes", True), FakeResult("device", False, True, "no cuda")]
    monkeypatch.setattr(dnallm_zoo.testing, "run_checks", fake_checks(results, []), raising=False)
    result = run("check", "toy-3")
    assert result.exit_code == 0, result.output


def test_check_runs_the_real_conformance_suite_on_the_toy_model(toy: Any) -> None:
    result = run("check", "toy-3")
    assert result.exit_code == 0, result.output
    names = [line.split()[1].rstrip(":") for line in result.stdout.splitlines()]
    assert {"strict_load", "batch_invariance", "save_round_trip"} <= set(names)
    assert all(line.startswith(("ok ", "SKIP ")) for line in result.stdout.splitlines())
