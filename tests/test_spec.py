"""The pydantic specs: what they accept, what they refuse, and why."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dnallm_zoo._spec import (
    ArchitectureSpec,
    Capabilities,
    ModelSpec,
    NormalizationPolicy,
    TokenizerSpec,
    WeightsSource,
)

BASE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "minimal_spec.json").read_text(encoding="utf-8")
)
SHA = "ab" * 32


def spec_data(**over: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(over)
    return data


def refused(model: type, data: dict[str, Any], *needles: str) -> str:
    """Validate `data`, expect a ValidationError whose text holds every needle."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    text = str(info.value)
    for needle in needles:
        assert needle in text, text
    return text


def test_minimal_spec_is_valid() -> None:
    s = ModelSpec.model_validate(BASE)
    assert s.id == "tiny-3"
    assert s.names == ("tiny-3", "Org/Tiny-3")
    assert s.task == "embedding"
    assert s.plugin is None
    assert s.tokenizer.normalization == NormalizationPolicy()


# ---- id -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("good", ["dnabert-6", "dnabert2-117m", "nt.v2_50m", "0abc"])
def test_id_shape_accepted(good: str) -> None:
    assert ModelSpec.model_validate(spec_data(id=good)).id == good


@pytest.mark.parametrize(
    "bad", ["DNABERT-6", "-dnabert", ".x", "dna bert", "dna/bert", "dna:bert", "", "dnabert-6\n", "é"]
)
def test_id_shape_refused(bad: str) -> None:
    refused(ModelSpec, spec_data(id=bad), "model id")


@pytest.mark.parametrize("bad", ["", "   ", " org/x", "org/x\n"])
def test_blank_or_padded_alias_refused(bad: str) -> None:
    refused(ModelSpec, spec_data(aliases=["org/Tiny-3", bad]), "alias")


def test_aliases_may_be_names() -> None:
    s = ModelSpec.model_validate(spec_data(aliases=["zhihan1996/DNA_bert_6", "Plant DNABERT BPE"]))
    assert s.names == ("tiny-3", "zhihan1996/DNA_bert_6", "Plant DNABERT BPE")


# ---- license --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "good", ["MIT", "Apache-2.0", "CC-BY-NC-SA-4.0", "GPL-3.0+", "MIT OR Apache-2.0",
             "GPL-2.0-only WITH Classpath-exception-2.0"],
)
def test_spdx_accepted(good: str) -> None:
    assert ModelSpec.model_validate(spec_data(license=good)).license == good


@pytest.mark.parametrize("bad", ["", "MIT license", "Apache 2.0", "MIT OR", "(MIT)", "MIT\n", " MIT"])
def test_spdx_refused(bad: str) -> None:
    refused(ModelSpec, spec_data(license=bad), "SPDX")


# ---- citation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "good",
    [
        "@article{ji2021dnabert, title={DNABERT}, year={2021}}",
        "\n  @inproceedings{zhou2024,\n  title = {{DNABERT-2}: efficient},\n  year = 2024,\n}\n",
        "@misc{key:2023-x, note = \"a {nested} brace\"}",
    ],
)
def test_bibtex_accepted(good: str) -> None:
    assert ModelSpec.model_validate(spec_data(citation=good)).citation == good


@pytest.mark.parametrize(
    "bad",
    [
        "Ji et al. 2021, Bioinformatics",
        "https://doi.org/10.1093/bioinformatics/btab083",
        "@article",
        "@article{",  # truncated
        "@article{ji2021, title={DNABERT}",  # unbalanced: the closing brace is missing
        "@article{ji2021, title={DNABERT}}}",  # one brace too many
        "@article{title={DNABERT}}",  # no citation key
    ],
)
def test_bibtex_refused(bad: str) -> None:
    refused(ModelSpec, spec_data(citation=bad), "BibTeX")


# ---- task and labels ------------------------------------------------------------------------------


def test_classification_needs_labels_and_problem_type() -> None:
    ok = ModelSpec.model_validate(
        spec_data(task="sequence-classification", labels=["neg", "pos"], problem_type="single-label")
    )
    assert ok.labels == ("neg", "pos")
    refused(ModelSpec, spec_data(task="sequence-classification", problem_type="single-label"), "labels")
    refused(ModelSpec, spec_data(task="sequence-classification", labels=[], problem_type="single-label"),
            "labels")
    refused(ModelSpec, spec_data(task="sequence-classification", labels=["a", "b"]), "problem_type")


def test_token_classification_is_a_single_label_head() -> None:
    ok = ModelSpec.model_validate(
        spec_data(task="token-classification", labels=["exon", "intron"], problem_type="single-label")
    )
    assert ok.task == "token-classification" and ok.labels == ("exon", "intron")
    refused(ModelSpec, spec_data(task="token-classification", problem_type="single-label"), "labels")
    refused(ModelSpec, spec_data(task="token-classification", labels=["a", "b"], problem_type="multi-label"),
            "single-label")


def test_regression_takes_one_target_and_single_label_two_classes() -> None:
    ok = ModelSpec.model_validate(
        spec_data(task="sequence-classification", labels=["strength"], problem_type="regression")
    )
    assert ok.labels == ("strength",)
    refused(ModelSpec, spec_data(task="sequence-classification", labels=["a"], problem_type="single-label"),
            "at least 2 labels")


@pytest.mark.parametrize("task", ["embedding", "masked-lm"])
def test_labels_refused_without_classification(task: str) -> None:
    refused(ModelSpec, spec_data(task=task, labels=["a", "b"]), "labels given")


def test_problem_type_refused_without_classification() -> None:
    refused(ModelSpec, spec_data(task="embedding", problem_type="regression"), "problem_type")


def test_duplicate_labels_refused() -> None:
    refused(
        ModelSpec,
        spec_data(task="sequence-classification", labels=["a", "b", "a"], problem_type="single-label"),
        "duplicate",
    )


def test_unknown_task_refused() -> None:
    refused(ModelSpec, spec_data(task="generation"), "task")


# ---- weights source -------------------------------------------------------------------------------


def test_weights_exactly_one_place() -> None:
    assert WeightsSource(repo_id="org/x").describe() == "hub org/x @ main (unpinned)"
    assert WeightsSource(repo_id="org/x", revision="abc").describe() == "hub org/x @ abc"
    assert WeightsSource(path="/data/x").describe() == "local directory /data/x"
    refused(WeightsSource, {}, "exactly one of repo_id or path")
    refused(WeightsSource, {"repo_id": "org/x", "path": "/data/x"}, "exactly one of repo_id or path")


@pytest.mark.parametrize("field", ["repo_id", "path"])
def test_weights_empty_place_refused(field: str) -> None:
    refused(WeightsSource, {field: ""}, field)


def test_sha256_shape() -> None:
    ok = WeightsSource(repo_id="org/x", sha256={"model.safetensors": SHA})
    assert ok.sha256 == {"model.safetensors": SHA}
    for bad in ["AB" * 32, "ab" * 31, "ab" * 33, "zz" * 32, SHA + "\n", ""]:
        refused(WeightsSource, {"repo_id": "org/x", "sha256": {"model.safetensors": bad}},
                "'model.safetensors'", "64 lower-case hex")


# ---- tokenizer and architecture --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["kmer", "lca", "greedy-kmer"])
def test_kmer_kinds_need_k(kind: str) -> None:
    refused(TokenizerSpec, {"kind": kind, "max_tokens": 10}, "needs k")
    assert TokenizerSpec(kind=kind, k=6, max_tokens=10).k == 6


@pytest.mark.parametrize("kind", ["char", "bpe"])
def test_other_kinds_need_no_k(kind: str) -> None:
    assert TokenizerSpec(kind=kind, max_tokens=10).k is None


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "kmer", "k": 0, "max_tokens": 10},
        {"kind": "kmer", "k": 13, "max_tokens": 10},
        {"kind": "kmer", "k": 3, "stride": 0, "max_tokens": 10},
        {"kind": "kmer", "k": 3, "max_tokens": 2},
        {"kind": "Word Piece", "max_tokens": 10},
        {"kind": "", "max_tokens": 10},
    ],
)
def test_tokenizer_bounds(data: dict[str, Any]) -> None:
    refused(TokenizerSpec, data)


def test_tokenizer_kind_is_open_to_plugins() -> None:
    """A kind the core does not build is a plugin's own (its encoder builds it)."""
    assert TokenizerSpec(kind="wordpiece", max_tokens=10).kind == "wordpiece"


def test_token_limit_must_fit_the_positions() -> None:
    data = copy.deepcopy(BASE)
    data["tokenizer"]["max_tokens"] = 65
    refused(ModelSpec, data, "exceeds the 64 positions")
    data["capabilities"]["any_length"] = True  # ALiBi: the network takes any length
    assert ModelSpec.model_validate(data).tokenizer.max_tokens == 65


def test_kmer_chunk_size_must_fit_the_token_limit() -> None:
    data = copy.deepcopy(BASE)
    data["capabilities"]["max_bases"] = 64 - 3 + 3  # 62 3-mers + [CLS] + [SEP] = 64 tokens
    assert ModelSpec.model_validate(data).capabilities.max_bases == 64
    data["capabilities"]["max_bases"] = 65
    refused(ModelSpec, data, "gives 65 tokens")


def test_normalization_policy_values() -> None:
    assert NormalizationPolicy(iupac="error").iupac == "error"
    refused(NormalizationPolicy, {"iupac": "drop"}, "iupac")


def test_architecture_positive() -> None:
    base = {"kind": "bert", "hidden_size": 8, "num_layers": 2, "num_heads": 2, "max_tokens": 64}
    assert ArchitectureSpec(**base).intermediate_size is None
    for key in ("hidden_size", "num_layers", "num_heads", "max_tokens"):
        refused(ArchitectureSpec, {**base, key: 0}, key)


# ---- capabilities ---------------------------------------------------------------------------------

CAPS: dict[str, Any] = {"max_bases": 64}


def test_capabilities_defaults() -> None:
    c = Capabilities(**CAPS)
    assert c.devices == ("cpu", "cuda", "mps")
    assert c.dtypes["cpu"] == ("float32",)
    assert set(c.dtypes) == set(c.devices)


def test_dtypes_for_unlisted_device_refused() -> None:
    refused(Capabilities, {**CAPS, "devices": ["cpu"]}, "'cuda'", "not in devices")
    ok = Capabilities(**CAPS, devices=("cpu",), dtypes={"cpu": ("float32",)})
    assert ok.devices == ("cpu",)


@pytest.mark.parametrize(
    "dtypes", [{"cpu": ("float32",)}, {"cpu": ("float32",), "cuda": ()}], ids=["absent", "empty"]
)
def test_device_without_dtype_refused(dtypes: dict[str, Any]) -> None:
    refused(Capabilities, {**CAPS, "devices": ["cpu", "cuda"], "dtypes": dtypes}, "'cuda'", "dtype")


def test_unknown_device_and_dtype_refused() -> None:
    refused(Capabilities, {**CAPS, "devices": ["cpu", "tpu"]}, "devices")
    refused(Capabilities, {**CAPS, "devices": ["cpu"], "dtypes": {"cpu": ["float64"]}}, "dtypes")
    refused(Capabilities, {**CAPS, "default_dtype": "int8"}, "default_dtype")
    refused(Capabilities, {**CAPS, "poolings": ["mean", "sum"]}, "poolings")


def test_chunk_overlap_below_max_bases() -> None:
    assert Capabilities(**{**CAPS, "chunk_overlap": 63}).chunk_overlap == 63
    refused(Capabilities, {**CAPS, "chunk_overlap": 64}, "chunk_overlap")
    refused(Capabilities, {**CAPS, "chunk_overlap": -1}, "chunk_overlap")


# ---- frozen, extra keys, schema -------------------------------------------------------------------


def test_frozen() -> None:
    s = ModelSpec.model_validate(BASE)
    with pytest.raises(ValidationError, match="frozen"):
        s.id = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        s.capabilities.max_bases = 16  # type: ignore[misc]
    # a copy with changes is the way to vary a spec
    assert s.model_copy(update={"id": "other"}).id == "other"
    assert s.id == "tiny-3"


@pytest.mark.parametrize(
    "where",
    [(), ("tokenizer",), ("tokenizer", "normalization"), ("architecture",), ("weights",),
     ("capabilities",)],
)
def test_extra_keys_refused(where: tuple[str, ...]) -> None:
    data = spec_data()
    node = data
    for key in where:
        node = node.setdefault(key, {})
    node["hidden_sise"] = 8  # a typo must not pass silently
    refused(ModelSpec, data, "hidden_sise", "Extra inputs are not permitted")


def test_round_trip_json() -> None:
    s = ModelSpec.model_validate(BASE)
    again = ModelSpec.model_validate_json(s.model_dump_json())
    assert again == s


def test_json_schema() -> None:
    schema = ModelSpec.model_json_schema()
    json.dumps(schema)  # serialisable
    assert schema["additionalProperties"] is False
    assert {"id", "license", "citation", "tokenizer", "architecture", "weights", "capabilities"} <= set(
        schema["required"]
    )
    defs = schema["$defs"]
    assert {"TokenizerSpec", "ArchitectureSpec", "WeightsSource", "Capabilities",
            "NormalizationPolicy"} <= set(defs)
    assert all(d.get("additionalProperties") is False for d in defs.values())
    assert defs["Capabilities"]["properties"]["devices"]["items"]["enum"] == ["cpu", "cuda", "mps"]
    assert "SPDX" in schema["properties"]["license"]["description"]
