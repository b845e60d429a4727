"""Zero-shot variant effects and in-silico mutagenesis from any zoo model's masked-LM head.

`score_variants(encoder, variants, reference)` (also `encoder.score_variants(...)`) gives one row per
alternative allele: the masked-marginal log-likelihood ratio `llr` on both strands, the embedding
distances of the ref and alt windows, the window and a status. `mutagenesis(encoder, reference,
regions)` scores every other base at every position. Definitions: docs/variant-effects.md; the
per-kind token rule: `_rules`. VCF and indexed FASTA are read with pysam (`dnallm-zoo[variants]`);
tables and in-memory sequences need nothing more.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._batching import DEFAULT_TOKEN_BUDGET
from .._validation import BadRecordsError, Problem
from ._ism import Region, parse_region, substitutions
from ._records import Variant, as_variants, check_alleles, read_variants
from ._reference import Reference, check_against, open_reference
from ._rules import RULES, Site, resolve_rule, snv_site
from ._scoring import COLUMNS, ScoreStats, score_iter
from ._windows import centred, reverse_complement

if TYPE_CHECKING:
    from ._model import ScoringModel

__all__ = [
    "COLUMNS",
    "ISM_COLUMNS",
    "RULES",
    "Reference",
    "Region",
    "ScoreStats",
    "Site",
    "Variant",
    "centred",
    "mutagenesis",
    "mutagenesis_iter",
    "open_reference",
    "parse_region",
    "regions_of",
    "resolve_rule",
    "reverse_complement",
    "score_variants",
    "score_variants_iter",
    "screen_variants",
    "snv_site",
    "substitutions",
]

log = logging.getLogger(__name__)
ISM_COLUMNS = tuple(c for c in COLUMNS if c not in ("id", "embed_l2", "embed_cosine"))
VariantsLike = str | Path | Iterable[Any]
ReferenceLike = Reference | str | Path | Mapping[str, str]


def screen_variants(variants: VariantsLike, reference: Reference) -> tuple[list[Variant], list[Problem]]:
    """Read the variants and check every one (alleles, contig, position, REF against the genome):
    the good ones in input order, and every problem found."""
    if isinstance(variants, (str, Path)):
        found, problems = read_variants(variants)
    else:
        found, problems = [], []
        for v in as_variants(variants):
            p = check_alleles(v)
            if p is None:
                found.append(v)
            else:
                problems.append(p)
    against = list(dict.fromkeys(check_against(found, reference)))  # one per line, not per ALT
    if against:
        bad = {(p.source, p.n, p.id) for p in against}
        found = [v for v in found if (v.source, v.line, v.id) not in bad]
        problems = sorted([*problems, *against], key=lambda p: (p.source, p.n))
    return found, problems


def score_variants_iter(
    encoder: ScoringModel,
    variants: VariantsLike,
    reference: ReferenceLike,
    *,
    window: int | None = None,
    strand: str = "both",
    marginal: str = "masked",
    embedding: bool = True,
    skip_invalid: bool = False,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    stats: ScoreStats | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream one row (`COLUMNS`) per alternative allele, in input order.

    `variants`: a VCF or CSV/TSV/Parquet path, or `Variant`s / (chrom, pos, ref, alt[, id]) tuples.
    Every bad variant is named in one `BadRecordsError` before any model work (`skip_invalid`:
    logged and left out). `window`: bases (default the most the model takes in one pass);
    `strand`: 'both' or 'forward'; `marginal`: 'masked' or 'wildtype'.
    """
    ref = open_reference(reference)
    good, problems = screen_variants(variants, ref)
    if problems:
        if not skip_invalid:
            raise BadRecordsError(problems, hint="; nothing was scored")
        log.warning("%d bad variants left out: %s", len(problems), "; ".join(map(str, problems[:5])))
    yield from score_iter(encoder, good, ref, window=window, strand=strand, marginal=marginal,
                          embedding=embedding, token_budget=token_budget, stats=stats)


def score_variants(encoder: ScoringModel, variants: VariantsLike, reference: ReferenceLike,
                   **options: Any) -> list[dict[str, Any]]:
    """`score_variants_iter`'s rows as a list."""
    return list(score_variants_iter(encoder, variants, reference, **options))


def mutagenesis_iter(
    encoder: ScoringModel,
    reference: ReferenceLike,
    regions: Sequence[Region | str] | None = None,
    *,
    window: int | None = None,
    strand: str = "both",
    marginal: str = "masked",
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    stats: ScoreStats | None = None,
) -> Iterator[dict[str, Any]]:
    """The three substitutions of every A/C/G/T position of each region (default: every contig
    whole), as rows of `ISM_COLUMNS`; positions that are N in the reference give no rows."""
    ref = open_reference(reference)
    subs = itertools.chain.from_iterable(substitutions(region, ref) for region in regions_of(ref, regions))
    for row in score_iter(encoder, subs, ref, window=window, strand=strand,
                          marginal=marginal, embedding=False, token_budget=token_budget, stats=stats):
        yield {c: row[c] for c in ISM_COLUMNS}


def regions_of(reference: Reference, regions: Sequence[Region | str] | None) -> list[Region]:
    """The regions as `Region`s; None: every contig of the reference whole."""
    if regions is None:
        return [Region(c, 0, n) for c, n in reference.lengths.items()]
    return [r if isinstance(r, Region) else parse_region(r, reference) for r in regions]


def mutagenesis(encoder: ScoringModel, reference: ReferenceLike,
                regions: Sequence[Region | str] | None = None, **options: Any) -> list[dict[str, Any]]:
    """`mutagenesis_iter`'s rows as a list."""
    return list(mutagenesis_iter(encoder, reference, regions, **options))
