"""Variant llr of the LCA models (k-mers every `shift` bases) against the eager reference
(tests/reference.py): the k-mers covering the variant masked, their alt and ref k-mers read, both strands."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import torch
from safetensors.torch import load_file

import dnallm_zoo

_COMP = str.maketrans("ACGT", "TGCA")


def reference_llr(reference: ModuleType, path: Path, seq: str, offset: int, alt: str, k: int,
                  shift: int) -> float:
    vocab = {t: i for i, t in enumerate((path / "vocab.txt").read_text().split("\n")[:-1])}
    alt_seq = seq[:offset] + alt + seq[offset + 1:]
    starts = range(0, len(seq) - k + 1, shift)
    ref_ids = [vocab["[CLS]"], *(vocab[seq[s:s + k]] for s in starts), vocab["[SEP]"]]
    alt_ids = [vocab["[CLS]"], *(vocab[alt_seq[s:s + k]] for s in starts), vocab["[SEP]"]]
    masked = [1 + j for j, s in enumerate(starts) if s <= offset < s + k]
    ids = torch.tensor([ref_ids])
    ids[0, masked] = vocab["[MASK]"]
    config = json.loads((path / "config.json").read_text())
    sd = {n: v.double() for n, v in load_file(str(path / "model.safetensors")).items()}
    _, _, logits = reference.reference_forward(sd, config, ids)
    lp = torch.log_softmax(logits[0], -1)
    return float(sum(lp[i, alt_ids[i]] - lp[i, ref_ids[i]] for i in masked))


@pytest.mark.parametrize("model_id", ["prokbert-mini", "prokbert-mini-long", "prokbert-mini-c"])
def test_llr_matches_the_eager_reference(registered: None, prokbert_dir: Callable[..., Path],
                                         reference: ModuleType, model_id: str) -> None:
    path = prokbert_dir(model_id)
    enc = dnallm_zoo.load(path, device="cpu", dtype="float32")
    k, shift = enc.spec.tokenizer.k, enc.spec.tokenizer.stride
    assert k is not None
    rng = random.Random(5)
    seq = "".join(rng.choice("ACGT") for _ in range(300))
    width = 41
    positions = [1, 2, 150, 299, 300]
    variants = [("c", p, seq[p - 1], "ACGT"[("ACGT".index(seq[p - 1]) + 2) % 4]) for p in positions]
    rows = enc.score_variants(variants, {"c": seq}, window=width, embedding=False)
    scored = 0
    for row, (_, pos, _, alt) in zip(rows, variants, strict=True):
        s = row["window_start"]
        w = seq[s:row["window_end"]]
        o = pos - 1 - s
        covered = any(t <= o < t + k for t in range(0, len(w) - k + 1, shift))
        if not covered:  # the last bases of a window with shift > 1 may lie in no k-mer
            assert row["llr"] is None and "not covered" in row["status"]
            continue
        fwd = reference_llr(reference, path, w, o, alt, k, shift)
        assert row["llr_forward"] == pytest.approx(fwd, abs=1e-4)
        rc = w.translate(_COMP)[::-1]
        ro = len(w) - 1 - o
        if any(t <= ro < t + k for t in range(0, len(rc) - k + 1, shift)):
            rev = reference_llr(reference, path, rc, ro, alt.translate(_COMP), k, shift)
            assert row["llr_reverse"] == pytest.approx(rev, abs=1e-4)
            scored += 1
    assert scored >= 2
