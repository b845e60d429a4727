"""NT v1 / AgroNT against transformers' EsmForMaskedLM, NT v2 against the eager reference of the
original code, and the bad input the issue names."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import nt_reference as ref
import numpy as np
import pytest
import torch
from dnallm_zoo_nucleotide_transformer.checkpoint import EXECUTED_MARKER, original_config, write_checkpoint
from dnallm_zoo_nucleotide_transformer.encoder import NTEncoder

import dnallm_zoo
from dnallm_zoo import CheckpointError, EncoderOutput, SequenceTooLongError
from dnallm_zoo.kit import read_state_dict

SEQS = ["ACGTAGCATCGGATCTATCTATCGACACTTGGACGTTT", "TTGACAGGCAN", "ACGTNNACGTGGCCATTAGGCATTACGATCGANNGT"]
ATOL = 1e-5


def _batch(enc: NTEncoder, seqs: list[str], mask_at: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    out = enc.tokenizer(seqs, padding=True, return_tensors="pt")
    ids = out["input_ids"]
    if mask_at is not None:  # a <mask> token: ESM's mask-dropout rescaling (v1's token_dropout) counts it
        ids[0, mask_at] = enc.tokenizer.mask_token_id
    return ids, out["attention_mask"]


def _real(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return x[mask.bool()]


@pytest.mark.parametrize("version", [1, 3], ids=["v1", "agront"])
def test_v1_hidden_states_and_logits_equal_transformers_esm(version: int, tiny: Callable[..., Path]) -> None:
    from transformers import EsmForMaskedLM

    path = tiny(version)
    enc = dnallm_zoo.load(path)
    assert isinstance(enc, NTEncoder) and not enc.native
    original, info = EsmForMaskedLM.from_pretrained(str(path), output_loading_info=True)
    assert not info["missing_keys"] and not info["mismatched_keys"]
    original.eval()
    ids, mask = _batch(enc, SEQS, mask_at=3)
    with torch.no_grad():
        want = original(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        got = enc.forward(ids, mask, output_hidden_states=True, with_logits=True)
    assert got.hidden_states is not None and len(got.hidden_states) == len(want.hidden_states) == 3
    for a, b in zip(got.hidden_states, want.hidden_states, strict=True):
        torch.testing.assert_close(_real(a, mask), _real(b, mask), atol=ATOL, rtol=0)
    torch.testing.assert_close(_real(got.last_hidden_state, mask), _real(want.hidden_states[-1], mask),
                               atol=ATOL, rtol=0)
    assert got.logits is not None
    torch.testing.assert_close(_real(got.logits, mask), _real(want.logits, mask), atol=ATOL, rtol=0)


def test_v1_masked_batches_equal_lone_runs(tiny: Callable[..., Path]) -> None:
    """token_dropout counts the real tokens of each row, not the padded length."""
    enc = dnallm_zoo.load(tiny(1))
    ids, mask = _batch(enc, SEQS, mask_at=2)
    with torch.no_grad():
        batch = enc.forward(ids, mask).last_hidden_state
        n = int(mask[0].sum())
        alone = enc.forward(ids[:1, :n], mask[:1, :n]).last_hidden_state
    torch.testing.assert_close(batch[0, :n], alone[0], atol=ATOL, rtol=0)


def test_v2_equals_the_reference_of_the_original_code(tiny: Callable[..., Path]) -> None:
    path = tiny(2)
    enc = dnallm_zoo.load(path)
    assert enc.native
    sd = read_state_dict(path / "model.safetensors")
    config = json.loads((path / "config.json").read_text())
    ids, mask = _batch(enc, SEQS)
    want = ref.reference_v2(sd, config, ids, mask)
    with torch.no_grad():
        got = enc.forward(ids, mask, output_hidden_states=True, with_logits=True)
        atts = enc.module.esm(ids, mask, output_attentions=True).attentions
    assert got.hidden_states is not None and len(got.hidden_states) == len(want["hidden"])
    for a, b in zip(got.hidden_states, want["hidden"], strict=True):
        torch.testing.assert_close(_real(a, mask), _real(b, mask), atol=ATOL, rtol=0)
    torch.testing.assert_close(_real(got.last_hidden_state, mask), _real(want["last"], mask),
                               atol=ATOL, rtol=0)
    assert got.logits is not None
    torch.testing.assert_close(_real(got.logits, mask), _real(want["logits"], mask), atol=ATOL, rtol=0)
    for a, b in zip(atts, want["attentions"], strict=True):
        rows = mask.bool()[:, None, :, None] & mask.bool()[:, None, None, :]
        torch.testing.assert_close(a * rows, b * rows, atol=ATOL, rtol=0)
    assert torch.count_nonzero(got.last_hidden_state[~mask.bool()]) == 0  # padding exactly 0


def test_attentions_through_the_encoder_contract(tiny: Callable[..., Path]) -> None:
    if "attentions" not in EncoderOutput.__dataclass_fields__:
        pytest.skip("this dnallm-zoo's EncoderOutput has no attentions field yet")
    from transformers import EsmForMaskedLM

    for version in (1, 2):
        enc = dnallm_zoo.load(tiny(version))
        ids, mask = _batch(enc, SEQS)
        with torch.no_grad():
            got = enc.forward(ids, mask, output_attentions=True).attentions
        assert got is not None and len(got) == 2 and got[0].shape == (3, 4, ids.shape[1], ids.shape[1])
        if version == 1:
            original = EsmForMaskedLM.from_pretrained(str(tiny(1)), attn_implementation="eager").eval()
            with torch.no_grad():
                want = original(input_ids=ids, attention_mask=mask, output_attentions=True).attentions
        else:
            sd = read_state_dict(tiny(2) / "model.safetensors")
            config = json.loads((tiny(2) / "config.json").read_text())
            want = ref.reference_v2(sd, config, ids, mask)["attentions"]
        rows = mask.bool()[:, None, :, None]
        for a, b in zip(got, want, strict=True):
            torch.testing.assert_close(a * rows, b * rows, atol=ATOL, rtol=0)


def test_agront_reads_its_pytorch_model_bin_without_pickle(tiny: Callable[..., Path]) -> None:
    path = tiny(3, weights="bin")
    assert (path / "pytorch_model.bin").is_file() and not (path / "model.safetensors").exists()
    enc = dnallm_zoo.load(path)
    assert enc.spec.id == "agront-1b" and enc.max_length == 1024
    assert enc.embed(SEQS).shape == (3, 32)


def test_the_network_is_built_on_the_meta_device() -> None:
    spec = dnallm_zoo.get_spec("nt-v2-50m-multi-species")
    for version in (1, 2):
        module = NTEncoder.build_module(spec, original_config(version))
        assert all(p.is_meta for p in module.parameters())


def test_a_planted_py_file_is_never_run(tiny: Callable[..., Path], tmp_path: Path) -> None:
    path = shutil.copytree(tiny(2), tmp_path / "v2")
    for name in ("configuration_esm.py", "__init__.py"):
        (path / name).write_text((path / "modeling_esm.py").read_text())
    enc = dnallm_zoo.load(path)
    enc.embed(SEQS[:1])
    enc.save_pretrained(tmp_path / "saved")
    assert not list(path.glob(EXECUTED_MARKER)) and not (tmp_path / "saved" / EXECUTED_MARKER).exists()


def test_a_fused_feed_forward_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    path = write_checkpoint(tmp_path / "v2", 2)
    sd = read_state_dict(path / "model.safetensors")
    key = "esm.encoder.layer.1.intermediate.dense.weight"
    sd[key] = sd[key][:48]  # the value half only, as transformers' own ESM would shape it
    (path / "model.safetensors").unlink()
    from dnallm_zoo.kit import write_weights

    write_weights(path, sd)
    with pytest.raises(CheckpointError, match=rf"model\.safetensors.*wrong shape 1: {key}: checkpoint "
                                              r"\(48, 32\), model \(96, 32\)"):
        dnallm_zoo.load(path)


def test_an_unknown_position_embedding_type_is_refused(tmp_path: Path) -> None:
    path = write_checkpoint(tmp_path / "v2", 2)
    config = json.loads((path / "config.json").read_text())
    config["position_embedding_type"] = "alibi"
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"config\.json: position_embedding_type 'alibi'"):
        NTEncoder.from_pretrained(path, dnallm_zoo.get_spec("nt-v2-50m-multi-species"))


def test_a_vocab_that_is_not_nt_is_refused(tmp_path: Path) -> None:
    path = write_checkpoint(tmp_path / "v1", 1)
    tokens = (path / "vocab.txt").read_text().split("\n")
    (path / "vocab.txt").write_text("\n".join(tokens[:4] + [t.lower() for t in tokens[4:]]))
    with pytest.raises(CheckpointError, match=r"v1/vocab\.txt: not a Nucleotide Transformer vocabulary"):
        NTEncoder.from_pretrained(path, dnallm_zoo.get_spec("nt-v1-500m-human-ref"))


def test_too_long_is_refused_or_chunked_on_the_6mer_grid(tiny: Callable[..., Path]) -> None:
    enc = dnallm_zoo.load(tiny(1))
    seq = "ACGTTG" * 1500  # 9,000 bases: 1,501 tokens for 1,000 positions
    with pytest.raises(SequenceTooLongError):
        enc.embed([seq], long="error")
    ids = enc.tokenizer([seq], return_tensors="pt")
    with pytest.raises(SequenceTooLongError):
        enc.check_length(ids["input_ids"].shape[1])
    caps = enc.spec.capabilities
    assert caps.max_bases % 6 == 0 and caps.chunk_overlap % 6 == 0
    segments = list(enc.embed_segments([seq], segment_bases=caps.max_bases, overlap=caps.chunk_overlap))
    assert len(segments) == 2 and all(s.start % 6 == 0 for s in segments)
    whole = enc.embed([seq])
    assert whole.shape == (1, 32) and np.isfinite(whole).all()


def test_chunks_split_again_for_ns_stay_on_the_6mer_grid(tiny: Callable[..., Path]) -> None:
    enc = dnallm_zoo.load(tiny(1))
    seq = "ACGTTGCA" * 300 + "N" * 1500 + "GGCATT" * 500  # the Ns give a token each: over 1,000
    caps = enc.spec.capabilities
    segments = list(enc.embed_segments([seq], segment_bases=caps.max_bases, overlap=caps.chunk_overlap))
    assert len(segments) > 2 and all(s.start % 6 == 0 for s in segments)
    assert segments[-1].end == len(seq)
