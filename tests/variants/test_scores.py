"""Mutagenesis, the wild-type marginal, embedding scores, indels and shared passes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnallm_zoo.variants import ScoreStats, Variant, mutagenesis, resolve_rule, score_variants
from dnallm_zoo.variants._windows import centred, tiled


@pytest.mark.parametrize("model_id", ["dnabert-3", "plant-dnabert-singlebase", "plant-dnabert-bpe"])
def test_ism_rows_equal_the_per_variant_scores_with_one_masked_pass_per_position(tiny, genome,
                                                                                  model_id) -> None:
    enc, _ = tiny(model_id)
    stats = ScoreStats()
    rows = mutagenesis(enc, genome, ["chr1:300-311"], window=80, stats=stats)
    assert [(r["pos"], r["alt"]) for r in rows[:3]] == [(300, a) for a in "ACGT" if a != genome["chr1"][299]]
    assert len(rows) == 12 * 3
    assert stats.llr_passes <= 12 * 2  # one masked pass per position and strand, for all three bases
    variants = [(r["chrom"], r["pos"], r["ref"], r["alt"]) for r in rows]
    single = score_variants(enc, variants, genome, window=80, embedding=False)
    for a, b in zip(rows, single, strict=True):
        for col in ("llr", "llr_forward", "llr_reverse", "window_start", "window_end", "status"):
            assert a[col] == (pytest.approx(b[col], abs=1e-6) if isinstance(b[col], float) else b[col])


def test_ism_of_a_sequence_file_and_the_default_regions(tiny) -> None:
    enc, _ = tiny("dnabert-3")
    rows = mutagenesis(enc, {"s1": "ACGTNACGTA"}, window=10)
    assert {r["pos"] for r in rows} == {1, 2, 3, 4, 6, 7, 8, 9, 10}  # N gives no rows
    assert all(r["chrom"] == "s1" for r in rows)


def _unmasked_read(enc, seq: str, offset: int, alt: str) -> float:
    """One unmasked forward of the window, read at the tokens covering the variant."""
    from dnallm_zoo.tokenize.offsets import token_spans

    tok = enc.tokenizer
    ids = tok.encode(seq)
    alt_ids = tok.encode(seq[:offset] + alt + seq[offset + 1:])
    spans = token_spans(tok, seq)
    at = [i for i, (s, e) in enumerate(spans.tolist()) if s <= offset < e and e > s]
    with torch.no_grad():
        logits = enc.forward(torch.from_numpy(ids)[None], torch.ones(1, len(ids), dtype=torch.long),
                             with_logits=True).logits[0]
    lp = torch.log_softmax(logits.float(), -1)
    return float(sum(lp[i, alt_ids[i]] - lp[i, ids[i]] for i in at))


@pytest.mark.parametrize("model_id", ["dnabert-3", "plant-dnabert-singlebase"])
def test_wildtype_marginal_is_one_unmasked_forward_read_at_the_variant_tokens(tiny, genome, model_id) -> None:
    enc, _ = tiny(model_id)
    variants = [("chr1", p, genome["chr1"][p - 1], "T" if genome["chr1"][p - 1] != "T" else "A")
                for p in (5, 200, 201, 650)]
    stats = ScoreStats()
    rows = score_variants(enc, variants, genome, window=64, marginal="wildtype", strand="forward",
                          embedding=False, stats=stats)
    for row, (chrom, pos, _, alt) in zip(rows, variants, strict=True):
        seq = genome[chrom][row["window_start"]:row["window_end"]]
        want = _unmasked_read(enc, seq, pos - 1 - row["window_start"], alt)
        assert row["llr"] == pytest.approx(want, abs=1e-4)
    # mutagenesis reads every position of a tiled window from one pass
    stats = ScoreStats()
    rows = mutagenesis(enc, genome, ["chr1:101-164"], window=64, marginal="wildtype", strand="forward",
                       stats=stats)
    assert len(rows) == 64 * 3 and stats.llr_passes <= 3
    for row in rows[::17]:
        seq = genome["chr1"][row["window_start"]:row["window_end"]]
        assert row["llr"] == pytest.approx(_unmasked_read(enc, seq, row["pos"] - 1 - row["window_start"],
                                                          row["alt"]), abs=1e-4)


def test_tiled_windows_hold_their_positions_with_context() -> None:
    fn = tiled(100)
    for p0 in range(100, 400):
        s, e = fn(p0, 10_000, 64)
        assert e - s == 64 and s + 16 <= p0 < e - 16
    assert fn(3, 50, 64) == (0, 50)
    assert centred(0, 1000, 64) == (0, 64) and centred(999, 1000, 64) == (936, 1000)
    assert centred(500, 1000, 64) == (468, 532)


def test_embedding_scores_are_distances_of_embed_vectors(tiny, genome) -> None:
    enc, _ = tiny("dnabert-3")
    chrom = genome["chr1"]
    variants = [("chr1", 100, chrom[99], "A" if chrom[99] != "A" else "C", "snv"),
                ("chr1", 300, chrom[299:302], chrom[299], "deletion"),
                ("chr1", 400, chrom[399], chrom[399] + "GGT", "insertion"),
                ("chr1", 500, chrom[499:501], "".join("T" if b != "T" else "A" for b in chrom[499:501]),
                 "mnv")]
    rows = score_variants(enc, variants, genome, window=100)
    for row, (_, pos, ref, alt, _) in zip(rows, variants, strict=True):
        s, e = row["window_start"], row["window_end"]
        o = pos - 1 - s
        ref_w = chrom[s:e]
        alt_w = ref_w[:o] + alt + ref_w[o + len(ref):]
        a, b = enc.embed([ref_w, alt_w], pooling="mean").astype(np.float64)
        assert row["embed_l2"] == pytest.approx(np.linalg.norm(a - b), rel=1e-5, abs=1e-7)
        cos = 1 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        assert row["embed_cosine"] == pytest.approx(cos, rel=1e-4, abs=1e-7)
    assert rows[0]["status"] == "ok" and rows[0]["llr"] is not None
    assert [r["status"] for r in rows[1:]] == ["indel", "indel", "mnv"]
    assert all(r["llr"] is None and r["llr_forward"] is None for r in rows[1:])


def test_multiallelic_alleles_share_the_masked_pass(tiny, genome) -> None:
    enc, _ = tiny("dnabert-3")
    ref = genome["chr1"][249]
    variants = [Variant("chr1", 250, ref, alt) for alt in "ACGT" if alt != ref]
    stats = ScoreStats()
    rows = score_variants(enc, variants, genome, window=50, embedding=False, stats=stats)
    assert stats.llr_passes == 2 and len(rows) == 3  # one per strand
    assert len({r["llr"] for r in rows}) == 3


def test_rules_by_tokenizer_kind(tiny) -> None:
    assert resolve_rule(tiny("dnabert-3")[0]) == "overlapping_kmer"
    assert resolve_rule(tiny("plant-dnabert-singlebase")[0]) == "single_base"
    assert resolve_rule(tiny("plant-dnabert-bpe")[0]) == "bpe"
    assert resolve_rule(tiny("plant-dnabert-6mer")[0]) == "nonoverlapping_kmer"


def test_bpe_resegmentation_is_a_status(tiny) -> None:
    enc, _ = tiny("plant-dnabert-bpe")
    seq = "ACGTACGTAACCGGTTAAAATTTTCCCCGGGGACGT" * 2
    rows = mutagenesis(enc, {"s": seq})
    statuses = {r["status"] for r in rows}
    assert "ok" in statuses
    for r in rows:
        assert (r["llr"] is None) == (r["status"] != "ok")


@pytest.mark.parametrize("model_id", ["dnabert-3", "plant-dnabert-bpe"])
def test_the_head_at_the_read_tokens_equals_every_token_logits(tiny, genome, model_id, monkeypatch) -> None:
    enc, _ = tiny(model_id)
    assert enc.masked_lm_head() is not None
    variants = [("chr1", p, genome["chr1"][p - 1], "N" if p % 2 else "ACGT"[p % 4])
                for p in range(40, 700, 37)]
    variants = [v for v in variants if v[2] != v[3]]
    fast = score_variants(enc, variants, genome, window=90, embedding=False)
    monkeypatch.setattr(type(enc), "masked_lm_head", lambda self: None)
    full = score_variants(enc, variants, genome, window=90, embedding=False)
    assert [r["status"] for r in fast] == [r["status"] for r in full]
    for a, b in zip(fast, full, strict=True):
        if b["llr"] is not None:
            assert a["llr"] == pytest.approx(b["llr"], abs=1e-5)


def _one_per_family() -> list[str]:
    import dnallm_zoo

    chosen: dict[str, str] = {}
    for spec in dnallm_zoo.list_models():
        if spec.task == "masked-lm":
            chosen.setdefault(f"{spec.family}/{spec.tokenizer.kind}", spec.id)
    return sorted(chosen.values())


@pytest.mark.parametrize("model_id", _one_per_family())
def test_every_installed_family_scores_snvs_from_its_head(tiny, genome, model_id, monkeypatch) -> None:
    """Each family's rule, finite scores, and the head at the read tokens equal to every token's logits."""
    enc, _ = tiny(model_id)
    assert resolve_rule(enc) in ("single_base", "overlapping_kmer", "nonoverlapping_kmer", "bpe")
    chrom = genome["chr1"]
    variants = [("chr1", p, chrom[p - 1], "ACGT"[("ACGT".index(chrom[p - 1]) + 1) % 4])
                for p in (3, 120, 333, 698)]
    rows = score_variants(enc, variants, genome, window=100)
    ok = [r for r in rows if r["status"] == "ok"]
    assert ok, [r["status"] for r in rows]
    assert all(np.isfinite(r["llr"]) and np.isfinite(r["embed_l2"]) for r in ok)
    monkeypatch.setattr(type(enc), "masked_lm_head", lambda self: None)
    full = score_variants(enc, variants, genome, window=100, embedding=False)
    for a, b in zip(rows, full, strict=True):
        assert a["status"] == b["status"]
        if b["llr"] is not None:
            assert a["llr"] == pytest.approx(b["llr"], abs=1e-4)


def test_the_substitutions_table_holds_what_the_reader_gives(genome) -> None:
    """Mutagenesis ships its substitutions to Ray actors as columns built per region, not per row."""
    from dnallm_zoo.variants import Reference
    from dnallm_zoo.variants._command import SubstitutionReader

    g = {**genome, "chr3": "ACNNGTAC"}
    reader = SubstitutionReader("g.fa", Reference(g), ("chr1:5-40", "chr3", "chr2:1-3"))
    reader.check_files()
    table = reader.to_arrow()
    want = list(reader.all())
    assert [reader.decode(row) for row in table.to_pylist()] == want
    assert [v.n for v in want] == list(reader.expected_ids)
