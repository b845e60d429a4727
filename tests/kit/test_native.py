"""`StockFamily(architecture=...)`: a native family from a spec table equals transformers' classes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import native_family as demo
import pytest
import torch

from dnallm_zoo.kit import ARCHITECTURES, NativeEncoder, StockFamily, architecture, read_state_dict

SEQS = ["ACGTTGCAGGTACCAGGATTACAACGT" * 4, "GATTACA", "TTGACCAGTACGGA" * 2]
CASES = [(kind, spec.id) for kind, fam in demo.FAMILIES.items() for spec in fam.specs]


@pytest.fixture
def zoo(zoo_isolated: Any, zoo_plugin: Callable[..., str]) -> Any:
    import dnallm_zoo

    for kind, fam in demo.FAMILIES.items():
        zoo_plugin(fam, name=f"native-{kind}")
    return dnallm_zoo


def _reference(path: Path, arch_name: str, cls_name: str) -> Any:
    import transformers

    ref, info = getattr(transformers, cls_name).from_pretrained(path, output_loading_info=True,
                                                                attn_implementation="eager")
    return ref.eval(), info


@pytest.mark.parametrize(("kind", "model_id"), CASES)
def test_hidden_states_logits_and_attentions_equal_transformers(
    zoo: Any, tmp_path: Path, kind: str, model_id: str
) -> None:
    from dnallm_zoo.testing import make_test_checkpoint

    d = make_test_checkpoint(model_id, tmp_path / model_id)
    enc = zoo.load(d, device="cpu")
    assert isinstance(enc, NativeEncoder) and enc.spec.id == model_id
    config = json.loads((d / "config.json").read_text())
    (cls_name,) = config["architectures"]
    assert cls_name == ARCHITECTURES[kind].heads[enc.spec.task]
    ref, info = _reference(d, kind, cls_name)
    # the original class loads the tiny file with nothing missing or unexpected
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    assert set(read_state_dict(d / "model.safetensors")) == set(enc.state_dict_for_save())
    batch = enc.tokenizer(SEQS, padding=True, return_tensors="pt")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    assert ids.shape[1] > 28  # BigBird's block-sparse path runs, not its full-attention fallback
    with torch.no_grad():
        out = enc.forward(ids, mask, output_hidden_states=True, with_logits=True, output_attentions=True)
        want = ref(input_ids=ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)
    real = mask.bool()
    torch.testing.assert_close(out.hidden_states[-1][real], want.hidden_states[-1][real],
                               atol=1e-5, rtol=1e-5)
    assert len(out.hidden_states) == len(want.hidden_states) == 3
    if enc.spec.task == "sequence-classification":
        torch.testing.assert_close(out.logits, want.logits, atol=1e-5, rtol=1e-5)
    else:
        torch.testing.assert_close(out.logits[real], want.logits[real], atol=1e-5, rtol=1e-5)
    assert len(out.attentions) == 2
    t = ids.shape[1]  # BigBird's block-sparse weights come padded to a multiple of the block
    for got, exp in zip(out.attentions, want.attentions, strict=True):
        torch.testing.assert_close(got, exp[..., :t, :t], atol=1e-5, rtol=1e-5)
    again = enc.forward(ids, mask)  # eager for the weights only; SDPA otherwise, same function
    torch.testing.assert_close(again.last_hidden_state[real], out.last_hidden_state[real],
                               atol=1e-5, rtol=1e-5)


def test_a_short_batch_leaves_bigbird_block_sparse(zoo: Any, tmp_path: Path) -> None:
    from dnallm_zoo.testing import make_test_checkpoint

    d = make_test_checkpoint("native-bigbird", tmp_path / "bb")
    enc = zoo.load(d, device="cpu")
    enc.embed(["ACGT"])  # transformers switches the model to full attention for a short batch
    assert enc.base.attention_type == "original_full"
    ref, _ = _reference(d, "big_bird", "BigBirdForMaskedLM")
    batch = enc.tokenizer(SEQS[:1], return_tensors="pt")
    with torch.no_grad():
        got = enc.forward(batch["input_ids"], batch["attention_mask"]).last_hidden_state
        want = ref.bert(**batch).last_hidden_state
    assert enc.base.attention_type == "block_sparse"
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_a_short_bigbird_batch_gives_the_full_attention_weights(zoo: Any, tmp_path: Path) -> None:
    """transformers drops them (its hooks sit on the block-sparse modules it replaced); the zoo keeps them."""
    from dnallm_zoo.testing import make_test_checkpoint

    d = make_test_checkpoint("native-bigbird", tmp_path / "bb")
    enc = zoo.load(d, device="cpu")
    ref, _ = _reference(d, "big_bird", "BigBirdForMaskedLM")
    ref.bert.set_attention_type("original_full")  # what a short batch runs; fresh modules, hooks on them
    batch = enc.tokenizer(["ACGTTGCAAGGCTTAACGGA"], return_tensors="pt")
    assert batch["input_ids"].shape[1] <= 28  # below BigBird's block-sparse minimum: full attention
    with torch.no_grad():
        got = enc.forward(batch["input_ids"], batch["attention_mask"], output_attentions=True).attentions
        want = ref.bert(**batch, output_attentions=True).attentions
    assert got is not None and len(got) == len(want) == 2
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, atol=1e-6, rtol=0)


def test_architecture_named_by_the_spec_table_or_refused() -> None:
    assert {f.architecture for f in demo.FAMILIES.values()} == set(demo.KINDS)
    assert all(f.encoder.endswith("Encoder") for f in demo.FAMILIES.values())
    with pytest.raises(ValueError, match=r"'gpt2' is not one the kit builds.*big_bird"):
        StockFamily("x", demo.specs("esm"), architecture="gpt2")
    assert architecture("esm").prefix == "esm"


def test_the_family_claims_only_its_architecture(zoo: Any, tmp_path: Path) -> None:
    from dnallm_zoo.testing import make_test_checkpoint

    d = make_test_checkpoint("native-roberta", tmp_path / "r")
    config = json.loads((d / "config.json").read_text())
    assert demo.FAMILIES["roberta"].match(d, config) == "native-roberta"
    assert demo.FAMILIES["esm"].match(d, config) is None
    assert zoo.load(d).spec.id == "native-roberta"


@pytest.mark.parametrize("kind", demo.KINDS)
def test_conformance(zoo: Any, kind: str) -> None:
    from dnallm_zoo.testing import run_checks

    for spec in demo.FAMILIES[kind].specs:
        bad = [r for r in run_checks(spec.id) if not r.ok]
        assert not bad, (spec.id, bad)
