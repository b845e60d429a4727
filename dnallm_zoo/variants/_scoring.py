"""Variant scores from the masked-LM head: masked or wild-type marginals on both strands, embedding
distances; forward passes shared, batched under a token budget, rows in input order.

Variants are taken a group at a time (a few token budgets of forward passes). Each group's passes
are keyed by their token ids: variants that need the same input share one pass (the alt alleles of
a multi-allelic site, the three substitutions of a position in mutagenesis, every SNV of a window
under the wild-type marginal). Log-softmax is taken in fp32 at the tokens read only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .._batching import DEFAULT_TOKEN_BUDGET, plan_batches
from .._pipeline import embed_iter
from ..errors import InputError
from ._records import Variant
from ._reference import Reference
from ._rules import OK, Site, resolve_rule, snv_site
from ._windows import WindowFn, centred, reverse_complement, tiled

if TYPE_CHECKING:
    from .._spec import ModelSpec
    from ._model import ScoringModel

__all__ = ["COLUMNS", "ScoreStats", "score_iter", "scoring_window"]

#: the columns of a scored row, in order
COLUMNS = ("chrom", "pos", "id", "ref", "alt", "llr", "llr_forward", "llr_reverse", "embed_l2",
           "embed_cosine", "window_start", "window_end", "status")
STRANDS = ("forward", "both")
MARGINALS = ("masked", "wildtype")
_COMPLEMENT = bytes.maketrans(b"ACGTN", b"TGCAN")


@dataclass
class ScoreStats:
    """What a scoring run did: forward passes and their tokens, by kind."""

    llr_passes: int = 0
    llr_tokens: int = 0
    embed_windows: int = 0
    variants: int = 0


@dataclass
class _Job:
    variant: Variant
    start: int
    end: int
    reads: list[tuple[int, Site] | str] = field(default_factory=list)  # per strand: (pass, site) or status
    embed: tuple[int, int] | str | None = None  # (ref window, alt window) indices or a status


class _Group:
    """One group's distinct forward passes and embedding windows."""

    def __init__(self) -> None:
        self.passes: list[np.ndarray] = []
        self.read_at: list[set[int]] = []
        self.keys: dict[bytes, int] = {}
        self.windows: list[str] = []
        self.window_keys: dict[str, int] = {}
        self.tokens = 0

    def add_pass(self, ids: np.ndarray, positions: np.ndarray) -> int:
        key = ids.tobytes()
        i = self.keys.get(key)
        if i is None:
            i = self.keys[key] = len(self.passes)
            self.passes.append(ids)
            self.read_at.append(set())
            self.tokens += len(ids)
        self.read_at[i].update(positions.tolist())
        return i

    def add_window(self, seq: str) -> int:
        i = self.window_keys.get(seq)
        if i is None:
            i = self.window_keys[seq] = len(self.windows)
            self.windows.append(seq)
            self.tokens += len(seq)  # an estimate, for sizing groups
        return i


def scoring_window(spec: ModelSpec, window: int | None) -> int:
    """The window in bases (None: the most the model takes in one pass); a model that cannot score
    variants (no masked-LM head) or cannot take the window is refused."""
    if spec.task not in ("masked-lm", "embedding"):
        raise InputError(f"{spec.id} is a {spec.task} model; variant scores need a masked-LM model "
                         "(`dnallm-zoo list --task masked-lm`)")
    most = spec.capabilities.max_bases
    width = most if window is None else window
    if width < 1:
        raise InputError(f"window={window}: a window holds at least one base")
    if width > most and not spec.capabilities.any_length:
        raise InputError(f"window={width} bases: {spec.id} takes at most {most} bases in one pass")
    return width


def score_iter(
    encoder: ScoringModel,
    variants: Iterable[Variant],
    reference: Reference,
    *,
    window: int | None = None,
    strand: str = "both",
    marginal: str = "masked",
    embedding: bool = True,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    progress: Callable[[int, int], None] | None = None,
    stats: ScoreStats | None = None,
) -> Iterator[dict[str, Any]]:
    """One row (`COLUMNS`) per variant, in input order; the variants are checked already.

    A variant's window is centred on it (`_windows.centred`); under the wild-type marginal, one with a
    `tile` (mutagenesis) is read from the grid of windows starting there (`_windows.tiled`)."""
    if strand not in STRANDS:
        raise InputError(f"strand={strand!r}: use one of {', '.join(STRANDS)}")
    if marginal not in MARGINALS:
        raise InputError(f"marginal={marginal!r}: use one of {', '.join(MARGINALS)}")
    width = scoring_window(encoder.spec, window)
    mask_id = encoder.tokenizer.mask_token_id
    if mask_id is None:
        raise InputError(f"{encoder.spec.id}: its tokenizer has no mask token")
    rule = resolve_rule(encoder)
    scorer = _Scorer(encoder, reference, width, strand, marginal, embedding, rule, mask_id)
    stats = stats if stats is not None else ScoreStats()
    jobs: list[_Job] = []
    group = _Group()
    for v in variants:
        last = jobs[-1].variant if jobs else v
        if group.tokens >= 4 * token_budget and (v.chrom, v.pos) != (last.chrom, last.pos):
            # a full group is run, but never between the alleles of one site: they share their passes
            yield from scorer.run(jobs, group, token_budget, stats, progress)
            jobs, group = [], _Group()
        jobs.append(scorer.prepare(v, group))
    if jobs:
        yield from scorer.run(jobs, group, token_budget, stats, progress)


class _Scorer:
    def __init__(self, encoder: ScoringModel, reference: Reference, width: int, strand: str, marginal: str,
                 embedding: bool, rule: str, mask_id: int) -> None:
        self.encoder, self.reference, self.width = encoder, reference, width
        self.strands = (False, True) if strand == "both" else (False,)
        self.masked = marginal == "masked"
        self.embedding, self.rule, self.mask_id = embedding, rule, mask_id
        self._tiles: dict[int, WindowFn] = {}
        self.head = encoder.masked_lm_head()
        self._window: tuple[tuple[str, int, int], bytes | str] | None = None
        self._tokens: dict[bytes, tuple[np.ndarray, np.ndarray | None]] = {}

    def _fetch(self, chrom: str, start: int, end: int) -> bytes | str:
        """The normalised window (bytes), or why it cannot be normalised; the last one is kept."""
        key = (chrom, start, end)
        if self._window is None or self._window[0] != key:
            try:
                seq: bytes | str = self.encoder.tokenizer.normalize(
                    self.reference.fetch(chrom, start, end), record=f"{chrom}:{start + 1}-{end}")
            except InputError as exc:
                seq = f"window: {' '.join(str(exc).split())}"
            self._window = (key, seq)
            self._tokens.clear()
        return self._window[1]

    def _ids(self, seq: bytes) -> tuple[np.ndarray, np.ndarray | None]:
        """A window's ids and body spans (None for k-mer tokenizers: `snv_site` computes theirs)."""
        hit = self._tokens.get(seq)
        if hit is None:
            from ..tokenize.kmer_tokenizer import KmerTokenizer
            from ..tokenize.offsets import body_spans

            tok = self.encoder.tokenizer
            ids = tok.encode_normalized(seq)
            spans = None if isinstance(tok, KmerTokenizer) else body_spans(
                tok, seq, ids[len(tok.prefix_ids) : len(ids) - len(tok.suffix_ids)])
            hit = self._tokens[seq] = (ids, spans)
        return hit

    def _window_fn(self, v: Variant) -> WindowFn:
        if self.masked or v.tile is None:
            return centred
        fn = self._tiles.get(v.tile)
        if fn is None:
            fn = self._tiles[v.tile] = tiled(v.tile)
        return fn

    def prepare(self, v: Variant, group: _Group) -> _Job:
        length = self.reference.lengths[v.chrom]
        p0 = v.pos - 1
        start, end = self._window_fn(v)(p0, length, self.width)
        job = _Job(v, start, end)
        seq = self._fetch(v.chrom, start, end)
        if isinstance(seq, str):
            job.reads = [seq]
            job.embed = seq if self.embedding else None
            return job
        offset = p0 - start
        if self.embedding:
            alt_seq = seq[:offset] + v.alt.encode() + seq[offset + len(v.ref) :]
            job.embed = (group.add_window(seq.decode()), group.add_window(alt_seq.decode()))
        if not v.is_snv:
            job.reads = ["indel" if len(v.ref) != len(v.alt) else "mnv"]
            return job
        tok = self.encoder.tokenizer
        for reverse in self.strands:
            w, o, alt = seq, offset, v.alt.encode()
            if reverse:
                w, o, alt = reverse_complement(seq), len(seq) - 1 - offset, alt.translate(_COMPLEMENT)
            ids, spans = self._ids(w)
            site = snv_site(tok, self.rule, w, o, alt, ids, spans)
            if isinstance(site, str):
                job.reads.append(site)
                continue
            inputs = ids
            if self.masked:
                inputs = ids.copy()
                inputs[site.positions] = self.mask_id
            job.reads.append((group.add_pass(inputs, site.positions), site))
        return job

    @torch.inference_mode()
    def _log_probs(self, group: _Group, token_budget: int, stats: ScoreStats) -> list[dict[int, np.ndarray]]:
        """Per pass: position -> fp32 log-softmax over the vocabulary there."""
        enc = self.encoder
        out: list[dict[int, np.ndarray]] = [{} for _ in group.passes]
        for batch in plan_batches([len(p) for p in group.passes], token_budget):
            for i in batch:
                enc.check_length(len(group.passes[i]))
            ids, mask = enc.tokenizer.pad([group.passes[i] for i in batch])
            input_ids = torch.from_numpy(ids).to(enc.device)
            attn = torch.from_numpy(mask).to(enc.device)
            rows, cols = [], []
            for r, i in enumerate(batch):
                at = sorted(group.read_at[i])
                rows += [r] * len(at)
                cols += at
            where = (torch.tensor(rows, device=enc.device), torch.tensor(cols, device=enc.device))
            if self.head is not None:  # the head at the tokens read only
                picked = self.head(enc.forward(input_ids, attn).last_hidden_state[where])
            else:
                res = enc.forward(input_ids, attn, with_logits=True)
                if res.logits is None or res.logits.dim() != 3:
                    raise InputError(f"{enc.spec.id}: this checkpoint has no masked-LM head (its forward "
                                     "gives no per-token logits)")
                picked = res.logits[where]
            lp = torch.log_softmax(picked.float(), dim=-1).cpu().numpy()
            k = 0
            for i in batch:
                for pos in sorted(group.read_at[i]):
                    out[i][pos] = lp[k]
                    k += 1
            stats.llr_passes += len(batch)
            stats.llr_tokens += int(mask.sum())
        return out

    def run(self, jobs: list[_Job], group: _Group, token_budget: int, stats: ScoreStats,
            progress: Callable[[int, int], None] | None) -> Iterator[dict[str, Any]]:
        lps = self._log_probs(group, token_budget, stats) if group.passes else []
        vectors: list[np.ndarray] = []
        if group.windows:
            vectors = [np.asarray(row) for row in
                       embed_iter(self.encoder, group.windows, pooling="mean", token_budget=token_budget)]
            stats.embed_windows += len(group.windows)
        for job in jobs:
            stats.variants += 1
            yield self._row(job, lps, vectors)
            if progress is not None:
                progress(1, 1)

    def _row(self, job: _Job, lps: list[dict[int, np.ndarray]], vectors: list[np.ndarray]) -> dict[str, Any]:
        v = job.variant
        scores: list[float | None] = []
        statuses: list[tuple[str, str]] = []
        for strand, read in zip(("forward", "reverse"), job.reads, strict=False):
            if isinstance(read, str):
                scores.append(None)
                statuses.append((read, strand))
                continue
            i, site = read
            total = 0.0
            for pos, r, a in zip(site.positions.tolist(), site.ref_ids.tolist(), site.alt_ids.tolist(),
                                 strict=True):
                row = lps[i][pos]
                total += float(row[a]) - float(row[r])
            scores.append(total)
        fwd = scores[0] if scores else None
        rev = scores[1] if len(scores) > 1 else None
        done = [s for s in scores if s is not None]
        llr = sum(done) / len(done) if done and len(done) == len(scores) else None
        l2 = cos = None
        if isinstance(job.embed, tuple):
            a, b = vectors[job.embed[0]].astype(np.float64), vectors[job.embed[1]].astype(np.float64)
            l2 = float(np.linalg.norm(a - b))
            denom = float(np.linalg.norm(a) * np.linalg.norm(b))
            cos = float(1.0 - (a @ b) / denom) if denom > 0 else None
        return {
            "chrom": v.chrom, "pos": v.pos, "id": v.id, "ref": v.ref, "alt": v.alt,
            "llr": llr, "llr_forward": fwd, "llr_reverse": rev, "embed_l2": l2, "embed_cosine": cos,
            "window_start": job.start, "window_end": job.end,
            "status": _status(statuses, len(job.reads)),
        }


def _status(failed: list[tuple[str, str]], strands: int) -> str:
    """'ok'; one reason when every strand failed for it; else each reason with its strand."""
    if not failed:
        return OK
    reasons = {r for r, _ in failed}
    if len(failed) == strands and len(reasons) == 1:
        return failed[0][0]
    return "; ".join(f"{r} ({strand})" for r, strand in failed)
