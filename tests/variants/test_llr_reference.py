"""llr against an independent computation: transformers' tokenizers and BertForMaskedLM on the same
weights and window, both strands, for a k-mer, a single-base, a 6-mer (with fallback) and a BPE model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from variant_support import snvs

_COMP = str.maketrans("ACGT", "TGCA")


def rc(s: str) -> str:
    return s.translate(_COMP)[::-1]


def window(p0: int, length: int, width: int) -> tuple[int, int]:
    """The issue's rule, written out again: start p0 - W//2, shifted into the contig."""
    if length <= width:
        return 0, length
    start = p0 - width // 2
    start = max(0, min(start, length - width))
    return start, start + width


def ids_and_masked(model_id: str, path: Path, seq: str, offset: int, alt: str
                   ) -> tuple[list[int], list[int], list[int]] | None:
    """Ref ids, alt ids and the masked positions by the issue's per-kind rule; None if re-segmented."""
    alt_seq = seq[:offset] + alt + seq[offset + 1:]
    if model_id.startswith("dnabert-"):
        k = int(model_id.split("-")[1])
        vocab = {t: i for i, t in enumerate((path / "vocab.txt").read_text().split("\n")[:-1])}

        def enc(s: str) -> list[int]:
            return [vocab["[CLS]"], *(vocab[s[i:i + k]] for i in range(len(s) - k + 1)), vocab["[SEP]"]]

        r, a = enc(seq), enc(alt_seq)
        # every k-mer covering the variant: starts offset - k + 1 .. offset, within the sequence
        masked = [1 + s for s in range(max(0, offset - k + 1), min(offset, len(seq) - k) + 1)]
        return r, a, masked
    if model_id == "plant-dnabert-bpe":
        from transformers import PreTrainedTokenizerFast

        tok = PreTrainedTokenizerFast(tokenizer_file=str(path / "tokenizer.json"))
    else:
        from transformers import EsmTokenizer

        tok = EsmTokenizer.from_pretrained(str(path))
    r, a = tok(seq)["input_ids"], tok(alt_seq)["input_ids"]
    if len(r) != len(a):
        return None
    differ = [i for i, (x, y) in enumerate(zip(r, a, strict=True)) if x != y]
    if len(differ) != 1:
        return None
    return r, a, differ


def reference_llr(model_id: str, path: Path, seq: str, offset: int, alt: str) -> float | None:
    from transformers import BertForMaskedLM

    got = ids_and_masked(model_id, path, seq, offset, alt)
    if got is None:
        return None
    r, a, masked = got
    model = BertForMaskedLM.from_pretrained(str(path)).eval()
    if model_id == "plant-dnabert-bpe":
        import json

        vocab = json.loads((path / "tokenizer.json").read_text())["model"]["vocab"]
    else:
        vocab = {t: i for i, t in enumerate((path / "vocab.txt").read_text().split("\n")[:-1])}
    mask_id = next(vocab[n] for n in ("[MASK]", "<mask>") if n in vocab)
    ids = torch.tensor([r])
    ids[0, masked] = mask_id
    with torch.no_grad():
        lp = torch.log_softmax(model(input_ids=ids).logits[0].double(), -1)
    return float(sum(lp[i, a[i]] - lp[i, r[i]] for i in masked))


MODELS = ["dnabert-3", "dnabert-6", "plant-dnabert-singlebase", "plant-dnabert-6mer", "plant-dnabert-bpe"]


@pytest.mark.parametrize("model_id", MODELS)
@pytest.mark.parametrize("width", [None, 61])
def test_llr_equals_an_independent_masked_lm_computation(tiny, genome, model_id: str,
                                                          width: int | None) -> None:
    enc, path = tiny(model_id)
    positions = [("chr1", 1), ("chr1", 2), ("chr1", 350), ("chr1", 699), ("chr1", 700), ("chr2", 20)]
    variants = snvs(genome, positions)
    rows = enc.score_variants(variants, genome, window=width, embedding=False)
    W = width or enc.max_bases
    scored = 0
    for row, (chrom, pos, _, alt, _) in zip(rows, variants, strict=True):
        start, end = window(pos - 1, len(genome[chrom]), W)
        assert (row["window_start"], row["window_end"]) == (start, end)
        seq = genome[chrom][start:end]
        o = pos - 1 - start
        fwd = reference_llr(model_id, path, seq, o, alt)
        rev = reference_llr(model_id, path, rc(seq), len(seq) - 1 - o, alt.translate(_COMP))
        for got, want in ((row["llr_forward"], fwd), (row["llr_reverse"], rev)):
            if want is None:
                assert got is None and "re-segmented" in row["status"]
            else:
                assert got == pytest.approx(want, abs=1e-4)
                scored += 1
        if fwd is not None and rev is not None:
            assert row["llr"] == pytest.approx((fwd + rev) / 2, abs=1e-4)
            assert row["status"] == "ok"
    assert scored >= 6


def test_forward_strand_only(tiny, genome) -> None:
    enc, _ = tiny("dnabert-3")
    variants = snvs(genome, [("chr1", 100)])
    both = enc.score_variants(variants, genome, embedding=False)[0]
    fwd = enc.score_variants(variants, genome, embedding=False, strand="forward")[0]
    assert fwd["llr_reverse"] is None
    assert fwd["llr"] == fwd["llr_forward"] == pytest.approx(both["llr_forward"], abs=1e-6)
    assert np.isfinite(both["llr_reverse"])
