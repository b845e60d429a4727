"""BPE tokenization from an original `tokenizer.json`, through the `tokenizers` library."""

from __future__ import annotations

import json
import shutil
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .._spec import NormalizationPolicy
from .base import DNATokenizer

__all__ = ["BPETokenizer"]

_SPECIAL_NAMES = {
    "pad": ("[PAD]", "<pad>"),
    "unk": ("[UNK]", "<unk>"),
    "cls": ("[CLS]", "<cls>", "<s>"),
    "sep": ("[SEP]", "<sep>", "</s>", "<eos>"),
    "mask": ("[MASK]", "<mask>"),
}


def _template(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Special tokens before and after `$A` in the file's single-sequence template."""
    post = data.get("post_processor") or {}
    if post.get("type") == "TemplateProcessing":
        before: list[str] = []
        after: list[str] = []
        seen = False
        for piece in post.get("single", []):
            if "Sequence" in piece:
                seen = True
            elif "SpecialToken" in piece:
                (after if seen else before).append(piece["SpecialToken"]["id"])
        return before, after
    if post.get("type") == "BertProcessing":
        return [post["cls"][0]], [post["sep"][0]]
    return [], []


class BPETokenizer(DNATokenizer):
    """The original tokenizer.json's BPE; special ids and the template come from the file."""

    def __init__(
        self,
        path: str | Path,
        *,
        max_length: int,
        normalization: NormalizationPolicy | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        p = Path(path)
        self.file = p / "tokenizer.json" if p.is_dir() else p
        text = self.file.read_text(encoding="utf-8")
        data = json.loads(text)
        self.backend = Tokenizer.from_str(text)
        self.backend.no_padding()
        self.backend.no_truncation()
        vocab = self.backend.get_vocab(with_added_tokens=True)
        names = {
            role: next((c for c in cands if c in vocab), None)
            for role, cands in _SPECIAL_NAMES.items()
        }
        if names["pad"] is None or names["unk"] is None:
            raise ValueError(f"{self.file}: no pad or unk token among {sorted(vocab)[:10]}...")
        prefix, suffix = _template(data)
        super().__init__(
            vocab, max_length=max_length, normalization=normalization,
            pad_token=names["pad"], unk_token=names["unk"], cls_token=names["cls"],
            sep_token=names["sep"], mask_token=names["mask"], prefix=prefix, suffix=suffix,
        )

    @cached_property
    def _longest_piece(self) -> int:
        specials = {self.pad_token, self.unk_token, self.cls_token, self.sep_token, self.mask_token}
        return max(
            (sum(c.isalpha() for c in t) for t in self.vocab if t not in specials), default=1
        ) or 1

    def min_tokens(self, n_bases: int) -> int:
        """No piece spells more bases than the vocabulary's longest, so at least n / longest."""
        return self.num_special_tokens + -(-n_bases // self._longest_piece)

    def encode_body(self, seq: bytes) -> np.ndarray:
        enc = self.backend.encode(seq.decode("ascii"), add_special_tokens=False)
        return np.asarray(enc.ids, dtype=np.int64)

    def save_pretrained(self, path: str | Path) -> None:
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        if self.file.resolve() != (p / "tokenizer.json").resolve():
            shutil.copyfile(self.file, p / "tokenizer.json")
        self._save_config(p, "PreTrainedTokenizerFast")
