"""Tiny DNA BPE tokenizer.json files for test checkpoints, and reading one's vocabulary as data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from ._vocab import BERT_SPECIALS, kmers

__all__ = ["bpe_vocab", "dna_merges", "tiny_bpe_tokenizer_json"]


def dna_merges(lengths: Sequence[int] = (2, 4, 3), alphabet: str = "ACGT") -> list[tuple[str, str]]:
    """Merges making the 2-mers (base + base), 3-mers (2-mer + base), 4-mers (2-mer + 2-mer), by `lengths`."""
    two = kmers(2, alphabet)
    made = {
        2: [(ab[0], ab[1]) for ab in two],
        3: [(ab, c) for ab in two for c in alphabet],
        4: [(ab, cd) for ab in two for cd in two],
    }
    return [m for n in lengths for m in made[n]]


def tiny_bpe_tokenizer_json(
    *,
    specials: Sequence[str] = BERT_SPECIALS,
    specials_first: bool = True,
    bases: str = "ACGT",
    merges: Sequence[tuple[str, str]] | None = None,
    unk: str = "[UNK]",
    cls: str = "[CLS]",
    sep: str = "[SEP]",
    pre_tokenizer: Literal["whitespace"] | None = None,
    post_processor: Literal["template", "bert"] = "template",
    fuse_unk: bool | None = None,
) -> str:
    """A small DNA BPE tokenizer.json: `specials` (first or last), `bases`, then the pieces `merges` make.

    `post_processor` wraps a sequence as ``cls $A sep`` (TemplateProcessing, or BertProcessing).
    """
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers, processors

    steps = dna_merges() if merges is None else list(merges)
    pieces = [*bases, *(a + b for a, b in steps)]
    order = [*specials, *pieces] if specials_first else [*pieces, *specials]
    vocab = {tok: i for i, tok in enumerate(order)}
    model = models.BPE(vocab=vocab, merges=steps, unk_token=unk) if fuse_unk is None else \
        models.BPE(vocab=vocab, merges=steps, unk_token=unk, fuse_unk=fuse_unk)
    tok = Tokenizer(model)
    if pre_tokenizer == "whitespace":
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    if post_processor == "template":
        tok.post_processor = processors.TemplateProcessing(
            single=f"{cls} $A {sep}", pair=f"{cls} $A {sep} $B:1 {sep}:1",
            special_tokens=[(cls, vocab[cls]), (sep, vocab[sep])],
        )
    elif post_processor == "bert":
        tok.post_processor = processors.BertProcessing((sep, vocab[sep]), (cls, vocab[cls]))
    else:
        raise ValueError(f"post_processor must be 'template' or 'bert', not {post_processor!r}")
    return tok.to_str(pretty=True)


def bpe_vocab(path: str | Path, file: str = "tokenizer.json") -> dict[str, int] | None:
    """Token -> id of a BPE `path`/`file` (model vocabulary and added tokens), or None when it is not one."""
    f = Path(path) / file
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    model = data.get("model") if isinstance(data, dict) else None
    if not isinstance(model, dict) or model.get("type") != "BPE" or not isinstance(model.get("vocab"), dict):
        return None
    out = {str(t): int(i) for t, i in model["vocab"].items()}
    for added in data.get("added_tokens") or []:
        if isinstance(added, dict) and "content" in added and "id" in added:
            out[str(added["content"])] = int(added["id"])
    return out
