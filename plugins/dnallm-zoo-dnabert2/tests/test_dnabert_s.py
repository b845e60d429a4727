"""DNABERT-S: one spec entry in the DNABERT-2 family, its bare `BertModel` checkpoint layout, any length."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import dnabert2_reference as ref
import numpy as np
import pytest
import torch
from dnallm_zoo_dnabert2 import make_test_checkpoint, match_checkpoint
from dnallm_zoo_dnabert2.checkpoint import original_config, write_checkpoint
from dnallm_zoo_dnabert2.encoder import DNABERT2Encoder
from dnallm_zoo_dnabert2.modeling import DNABERT2Config, MosaicBertModel, build_model
from dnallm_zoo_dnabert2.specs import DNABERT_S, SPEC, SPECS

from dnallm_zoo.kit import read_state_dict

ATOL = 1e-5
POOLER = {"pooler.dense.weight", "pooler.dense.bias"}
SEQS = ["ACGTAGCATCGGATCTATCTATCGACACTTGGTTATCGATCTACGAGCATCTCGTTAGC", "TTGACA", "ACGTNNACGTRYGGCCA", "G"]


@pytest.fixture(scope="module")
def s_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin's own tiny DNABERT-S checkpoint (the make_test_checkpoint hook); read-only."""
    path = tmp_path_factory.mktemp("dnabert-s") / "ckpt"
    assert make_test_checkpoint(spec=DNABERT_S, path=path) is True
    return path


@pytest.fixture(scope="module")
def enc(zoo: Any, s_dir: Path) -> DNABERT2Encoder:
    loaded = zoo.load(s_dir)
    assert isinstance(loaded, DNABERT2Encoder)
    return loaded


def reference(path: Path, ids: torch.Tensor, mask: torch.Tensor | None) -> list[torch.Tensor]:
    """The fp64 eager reference on the directory's own config.json and weights (bare layout)."""
    config = json.loads((path / "config.json").read_text())
    states, logits = ref.reference_forward(config, read_state_dict(path / "pytorch_model.bin"), ids, mask)
    assert logits is None  # the reference read the layout as bare: no bert., no cls.
    return states


def test_one_spec_entry(zoo: Any) -> None:
    """DNABERT-S is DNABERT-2's tokenizer, architecture and encoder class; what differs is its own."""
    assert [s.id for s in SPECS] == ["dnabert2-117m", "dnabert-s"]
    spec = zoo.get_spec("zhihan1996/DNABERT-S")
    assert spec.id == "dnabert-s" and spec.plugin == "dnabert2" and spec.family == SPEC.family
    assert spec.task == "embedding" and spec.license == "Apache-2.0"
    assert spec.citation.startswith("@misc{zhou2024dnaberts,") and "2402.08777" in spec.citation
    assert spec.paper_url == "https://arxiv.org/abs/2402.08777"
    assert spec.tokenizer == SPEC.tokenizer and spec.capabilities == SPEC.capabilities
    assert spec.capabilities.any_length and SPEC.capabilities.any_length
    assert spec.architecture.model_copy(update={"parameters": None}) == SPEC.architecture.model_copy(
        update={"parameters": None})
    w = spec.weights
    assert (w.repo_id, w.revision) == ("zhihan1996/DNABERT-S", None)  # unpinned: no revision was readable
    assert "pytorch_model.bin" in w.files and not [f for f in w.files if f.endswith(".py")]
    from dnallm_zoo._registry import get_registry

    entries = [get_registry().resolve(n) for n in ("dnabert-s", "dnabert2-117m")]
    assert entries[0].encoder == entries[1].encoder == "dnallm_zoo_dnabert2.encoder:DNABERT2Encoder"


def test_parameter_count_is_the_bare_encoder() -> None:
    cfg = original_config(vocab_size=4096, hidden=768, layers=12, heads=12, intermediate=3072, bare=True)
    model = build_model(DNABERT2Config.from_dict(cfg), device="meta")
    assert sum(p.numel() for p in model.parameters()) == DNABERT_S.architecture.parameters


def test_test_checkpoint_is_the_original_layout(s_dir: Path) -> None:
    """config.json says BertModel; keys have no bert. prefix, no cls.* head, and the untrained pooler."""
    config = json.loads((s_dir / "config.json").read_text())
    assert config["architectures"] == ["BertModel"] and config["model_type"] == "bert"
    assert config["pad_token_id"] == 0 and config["auto_map"]["AutoModel"] == "bert_layers.BertModel"
    sd = read_state_dict(s_dir / "pytorch_model.bin")
    want = ref.original_key_shapes(config, bare=True)
    assert set(sd) == set(want) | POOLER
    assert {k: tuple(sd[k].shape) for k in want} == want
    assert not (s_dir / "model.safetensors").exists()
    assert match_checkpoint(path=s_dir, config=config) == "dnabert-s"


def test_load_dir(enc: DNABERT2Encoder) -> None:
    """load(dir) picks dnabert-s and builds the bare encoder; the pooler is not part of it."""
    assert enc.spec.id == "dnabert-s" and isinstance(enc.module, MosaicBertModel)
    assert not any(k.startswith(("bert.", "cls.", "pooler.")) for k in enc.module.state_dict())
    assert enc.tokenizer.pad_token_id == 3  # the tokenizer's [PAD], not config.json's pad_token_id 0


@pytest.mark.parametrize(
    "lengths", [[5], [600, 1], [2100, 1006, 600]], ids=["5", "600-padded", "2100-padded"]
)
def test_forward_matches_original_at_any_length(
    enc: DNABERT2Encoder, s_dir: Path, lengths: list[int]
) -> None:
    """Every hidden state within 1e-5 of the fp64 original, past alibi_starting_size (512); no logits."""
    g = torch.Generator().manual_seed(sum(lengths))
    ids = torch.randint(0, enc.tokenizer.vocab_size, (len(lengths), max(lengths)), generator=g)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        mask[row, :n] = 1
    with torch.inference_mode():
        out = enc.forward(ids, mask, output_hidden_states=True, with_logits=True)
    assert out.logits is None and out.hidden_states is not None
    for got, want in zip(out.hidden_states, reference(s_dir, ids, mask), strict=True):
        assert float((got.double() - want).abs().max()) < ATOL
        assert bool((got[mask == 0] == 0.0).all())


def test_embed_is_the_dnabert_s_mean(enc: DNABERT2Encoder, s_dir: Path) -> None:
    """embed() = DNABERT-S's recipe: the masked mean of the last hidden states, [CLS] and [SEP] included."""
    batch = enc.tokenizer(SEQS, padding=True, return_tensors="pt")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    last = reference(s_dir, ids, mask)[-1]
    m = mask[:, :, None].double()
    np.testing.assert_allclose(enc.embed(SEQS), ((last * m).sum(1) / m.sum(1)).numpy(), atol=ATOL, rtol=0)


def test_dnallm_snippet_at_3kb(s_dir: Path) -> None:
    """`model(**tokenizer(seq, return_tensors="pt")).last_hidden_state` on 3 kb: one pass, as the original."""
    from dnallm_zoo.compat import load_model_and_tokenizer

    seq = "".join(np.random.default_rng(3).choice(list("ACGT"), size=3000))
    model, tokenizer = load_model_and_tokenizer(model_name_or_path=str(s_dir))
    inputs = tokenizer(seq, return_tensors="pt")
    assert inputs["input_ids"].shape[1] > 512
    with torch.no_grad():
        hidden = model(**inputs).last_hidden_state
    want = reference(s_dir, inputs["input_ids"], inputs["attention_mask"])[-1]
    assert float((hidden.double() - want).abs().max()) < ATOL


def test_pooler_absent_loads_the_same(zoo: Any, enc: DNABERT2Encoder, tmp_path: Path) -> None:
    """Whether the file holds BertModel's pooler or not, the same encoder loads."""
    path = write_checkpoint(tmp_path / "no-pooler", bare=True, pooler=False)
    assert not POOLER & set(read_state_dict(path / "pytorch_model.bin"))
    other = zoo.load(path)
    assert other.spec.id == "dnabert-s"
    for (k, a), b in zip(enc.module.state_dict().items(), other.module.state_dict().values(), strict=True):
        assert torch.equal(a, b), k


def _rewrite(src: Path, dst: Path, sd: dict[str, torch.Tensor]) -> Path:
    shutil.copytree(src, dst)
    torch.save(sd, dst / "pytorch_model.bin")
    return dst


def test_strict_loading(zoo: Any, s_dir: Path, tmp_path: Path) -> None:
    """A missing encoder key, a head key, or the other layout's file under either spec is an error."""
    sd = read_state_dict(s_dir / "pytorch_model.bin")
    lacking = {k: v for k, v in sd.items() if k != "encoder.layer.1.mlp.wo.bias"}
    missing = _rewrite(s_dir, tmp_path / "missing", lacking)
    with pytest.raises(zoo.CheckpointError, match=r"missing 1: encoder\.layer\.1\.mlp\.wo\.bias"):
        zoo.load(missing)
    head = _rewrite(s_dir, tmp_path / "head", sd | {"cls.predictions.transform.dense.bias": torch.zeros(32)})
    with pytest.raises(zoo.CheckpointError, match=r"unexpected 1: cls\.predictions\.transform\.dense\.bias"):
        zoo.load(head)
    mlm = write_checkpoint(tmp_path / "dnabert2")
    with pytest.raises(zoo.CheckpointError, match=r"missing .*encoder\.layer\.0.* \| unexpected .*bert\."):
        DNABERT2Encoder.from_pretrained(mlm, DNABERT_S)
    with pytest.raises(zoo.CheckpointError, match=r"missing .*bert\.encoder.* \| unexpected \d+: embeddings"):
        DNABERT2Encoder.from_pretrained(s_dir, SPEC)


def test_save_round_trip(zoo: Any, enc: DNABERT2Encoder, s_dir: Path, tmp_path: Path) -> None:
    """save_pretrained keeps the bare layout (the untrained pooler left out) and loads back as dnabert-s."""
    out = tmp_path / "saved"
    enc.save_pretrained(out)
    assert json.loads((out / "config.json").read_text()) == json.loads((s_dir / "config.json").read_text())
    saved = read_state_dict(out / "model.safetensors")
    assert set(saved) == set(ref.original_key_shapes(enc.config, bare=True))
    back = zoo.load(out)
    assert back.spec.id == "dnabert-s"
    np.testing.assert_array_equal(back.embed(SEQS), enc.embed(SEQS))


def test_no_masked_lm_head(s_dir: Path) -> None:
    """DNALLM's mask task asks for a head DNABERT-S does not have: a clear error."""
    from dnallm_zoo import ZooError
    from dnallm_zoo.compat import load_model_and_tokenizer

    with pytest.raises(ZooError, match="no masked-LM head"):
        load_model_and_tokenizer(model_name_or_path=str(s_dir), task_config={"task_type": "mask"})
