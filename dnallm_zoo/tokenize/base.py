"""The tokenizer contract: callable like a Hugging Face tokenizer, vectorised underneath."""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._spec import NormalizationPolicy
from ..errors import InputError
from .encoding import BatchEncoding, int_lists, mask_lists, tensors
from .normalize import normalize

__all__ = ["BatchEncoding", "DNATokenizer", "read_vocab_txt", "write_vocab_txt"]

logger = logging.getLogger(__name__)

# transformers' padding and truncation arguments, as the modes they mean for one sequence each
_PADDING: dict[object, str | None] = {
    None: None, True: "longest", "longest": "longest", "max_length": "max_length",
    False: None, "do_not_pad": None,
}
_TRUNCATION: dict[object, bool | None] = {
    None: None, False: False, "do_not_truncate": False,
    True: True, "longest_first": True, "only_first": True,
}


def read_vocab_txt(path: str | Path) -> dict[str, int]:
    """A BERT-style vocab.txt: one token a line, the line number is the id."""
    with open(path, encoding="utf-8") as fh:
        return {line.rstrip("\n"): i for i, line in enumerate(fh) if line.rstrip("\n") != ""}


def write_vocab_txt(vocab: dict[str, int], path: str | Path) -> None:
    """Write a vocab.txt in id order."""
    tokens = sorted(vocab, key=vocab.__getitem__)
    Path(path).write_text("".join(t + "\n" for t in tokens), encoding="utf-8")


class DNATokenizer(ABC):
    """Normalise, tokenize and pad DNA; subclasses implement `encode_body` and `save_pretrained`.

    Special tokens wrap the body as ``prefix_ids + body + suffix_ids``.
    """

    def __init__(
        self,
        vocab: dict[str, int],
        *,
        max_length: int,
        normalization: NormalizationPolicy | None = None,
        pad_token: str,
        unk_token: str,
        cls_token: str | None = None,
        sep_token: str | None = None,
        mask_token: str | None = None,
        prefix: Sequence[str] = (),
        suffix: Sequence[str] = (),
    ) -> None:
        self.vocab = dict(vocab)
        self.max_length = max_length
        self.normalization = normalization or NormalizationPolicy()
        self.pad_token, self.unk_token = pad_token, unk_token
        self.cls_token, self.sep_token, self.mask_token = cls_token, sep_token, mask_token
        for name in (pad_token, unk_token, cls_token, sep_token, mask_token, *prefix, *suffix):
            if name is not None and name not in self.vocab:
                raise ValueError(f"special token {name!r} is not in the vocabulary")
        self.prefix_ids = np.array([self.vocab[t] for t in prefix], dtype=np.int64)
        self.suffix_ids = np.array([self.vocab[t] for t in suffix], dtype=np.int64)
        self._id_to_token: list[str] | None = None
        self._warned_too_long = False

    # ids of the special tokens, as transformers names them
    @property
    def pad_token_id(self) -> int:
        return self.vocab[self.pad_token]

    @property
    def unk_token_id(self) -> int:
        return self.vocab[self.unk_token]

    @property
    def cls_token_id(self) -> int | None:
        return None if self.cls_token is None else self.vocab[self.cls_token]

    @property
    def sep_token_id(self) -> int | None:
        return None if self.sep_token is None else self.vocab[self.sep_token]

    @property
    def mask_token_id(self) -> int | None:
        return None if self.mask_token is None else self.vocab[self.mask_token]

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def num_special_tokens(self) -> int:
        return len(self.prefix_ids) + len(self.suffix_ids)

    @abstractmethod
    def encode_body(self, seq: bytes) -> np.ndarray:
        """Token ids (int64) of a normalised sequence, without special tokens."""

    @abstractmethod
    def save_pretrained(self, path: str | Path) -> None:
        """Write the tokenizer files in the family's original layout."""

    def count_tokens(self, n_bases: int) -> int | None:
        """Tokens (specials included) of a sequence of `n_bases` bases, when length alone decides."""
        return None

    def min_tokens(self, n_bases: int) -> int:
        """A lower bound of the tokens (specials included) of `n_bases` bases, without tokenizing."""
        n = self.count_tokens(n_bases)
        return self.num_special_tokens + (n_bases > 0) if n is None else n

    def normalize(self, seq: str | bytes, *, record: str | None = None) -> bytes:
        """Apply this tokenizer's normalisation policy."""
        return normalize(seq, self.normalization, record=record)

    def encode(
        self, seq: str | bytes, *, add_special_tokens: bool = True, record: str | None = None
    ) -> np.ndarray:
        """Normalise and tokenize one sequence to int64 ids."""
        return self.encode_normalized(
            self.normalize(seq, record=record), add_special_tokens=add_special_tokens
        )

    def encode_normalized(self, seq: bytes, *, add_special_tokens: bool = True) -> np.ndarray:
        """Tokenize an already normalised sequence, special tokens around it."""
        body = self.encode_body(seq)
        if not add_special_tokens:
            return body
        return np.concatenate((self.prefix_ids, body, self.suffix_ids))

    def convert_ids_to_tokens(self, ids: Sequence[int] | np.ndarray) -> list[str]:
        if self._id_to_token is None:
            inv = [""] * (max(self.vocab.values()) + 1)
            for tok, i in self.vocab.items():
                inv[i] = tok
            self._id_to_token = inv
        return [self._id_to_token[int(i)] for i in ids]

    def normalize_each(self, seqs: Sequence[str | bytes], *, named: bool = True) -> list[bytes]:
        """Every sequence normalised, in order; the first error is raised (`named`: with its index)."""
        out = []
        for i, s in enumerate(seqs):
            try:
                out.append(self.normalize(s))
            except InputError as exc:
                if not named:
                    raise
                raise name_sequence(exc, i) from None
        return out

    def encode_batch(
        self, seqs: Sequence[str | bytes], *, add_special_tokens: bool = True
    ) -> list[np.ndarray]:
        """Normalise and tokenize many sequences; an error names the sequence's index."""
        rows = self._encode_rows(seqs, add_special_tokens=add_special_tokens, cut_to=None, width=None)
        if rows is not None:
            ids, lengths, _ = rows
            return [ids[i, :n] for i, n in enumerate(lengths.tolist())]
        out = []
        for i, s in enumerate(seqs):
            try:
                out.append(self.encode(s, add_special_tokens=add_special_tokens))
            except InputError as exc:
                raise name_sequence(exc, i) from None
        return out

    def _encode_rows(
        self,
        seqs: Sequence[str | bytes],
        *,
        add_special_tokens: bool,
        cut_to: int | None,
        width: int | None,
        mask: bool = False,
        named: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        """The whole batch in one pass, or None where this tokenizer has none (then `__call__`
        encodes one sequence at a time): ids padded to the longest, and to `width` at least, the
        lengths, and with `mask` the attention mask.

        Errors are those, and in the order, of the one-at-a-time path (`named`: prefixed with the
        sequence's index). `cut_to`: truncate to that many tokens, keeping the suffix tokens.
        """
        return None

    #: what transformers' data collators read from a tokenizer
    model_input_names: tuple[str, ...] = ("input_ids", "attention_mask")
    padding_side: str = "right"

    def pad(self, batch: Sequence[np.ndarray] | Any, *, to_length: int | None = None, **hf: Any) -> Any:
        """Right-pad id arrays to one length with this tokenizer's pad id; returns (ids, mask).

        Hugging Face features (a list of dicts or a dict of lists, as `DataCollatorWithPadding` passes)
        are padded as transformers' `tokenizer.pad` does (`padding`, `max_length`, `return_tensors`...).
        """
        if isinstance(batch, Mapping) or (len(batch) and isinstance(batch[0], Mapping)):
            from .padding import pad_features

            features: Any = batch  # the feature forms, checked by pad_features
            return pad_features(self, features, **hf)
        length = max((len(x) for x in batch), default=0) if to_length is None else to_length
        ids = np.full((len(batch), length), self.pad_token_id, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.int64)
        for i, x in enumerate(batch):
            ids[i, : len(x)] = x
            mask[i, : len(x)] = 1
        return ids, mask

    def __call__(
        self,
        text: str | bytes | Sequence[str | bytes],
        *,
        return_tensors: str | None = None,
        padding: bool | str | None = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        add_special_tokens: bool = True,
        return_attention_mask: bool = True,
        return_token_type_ids: bool = False,
        **unused: Any,
    ) -> BatchEncoding:
        """Tokenize like a Hugging Face tokenizer: unpadded unless `padding` asks (True, 'max_length').

        As transformers does: every id of a sequence longer than the model takes (warning once per
        tokenizer that the model will fail on it); truncated to `max_length` (default the model's),
        special tokens kept, with `truncation=True`, or with `max_length` and no `padding` given.
        """
        padding = getattr(padding, "value", padding)  # transformers' PaddingStrategy, TruncationStrategy
        truncation = getattr(truncation, "value", truncation)
        if padding not in _PADDING:
            raise ValueError(f"padding={padding!r}: use True, False, 'longest', 'max_length' or 'do_not_pad'")
        if truncation not in _TRUNCATION:
            raise ValueError(f"truncation={truncation!r}: use True, False, 'longest_first', 'only_first' "
                             "or 'do_not_truncate'")
        if return_tensors not in (None, "pt", "np"):
            raise ValueError(f"return_tensors={return_tensors!r} is not supported; use 'pt' or 'np'")
        single = isinstance(text, (str, bytes))
        seqs: list[str | bytes] = [text] if isinstance(text, (str, bytes)) else list(text)
        pad = _PADDING[padding]
        cut = _TRUNCATION[truncation]
        if cut is None:  # transformers: max_length alone (no padding asked) truncates
            cut = max_length is not None and padding in (None, False)
        limit = self.max_length if max_length is None else max_length
        width = limit if pad == "max_length" else None
        rows = self._encode_rows(
            seqs, add_special_tokens=add_special_tokens, cut_to=limit if cut else None, width=width,
            mask=return_attention_mask and pad is not None and return_tensors is not None,
            named=not single,
        )
        mask_arr: np.ndarray | None = None
        if rows is not None:
            ids_arr, lengths, mask_arr = rows
        else:
            encoded = self._encode_each(seqs, add_special_tokens, limit if cut else None, single)
            lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
            if pad is None:
                ids_arr = _stack(encoded, lengths, self.pad_token_id)
            else:
                fits = width is not None and width >= int(lengths.max(initial=0))
                ids_arr, mask_arr = self.pad(encoded, to_length=width if fits else None)
        if not cut and max_length is None and pad != "max_length":
            self._warn_if_too_long(lengths)
        if pad is None:
            row_len = lengths
        elif pad == "longest":
            row_len = np.full(len(seqs), ids_arr.shape[1], dtype=np.int64)
        else:  # transformers pads to max_length and leaves longer sequences (not truncated) as they are
            row_len = np.maximum(lengths, limit)
        out: dict[str, Any]
        if return_tensors is not None:
            ragged = np.flatnonzero(row_len != ids_arr.shape[1])
            if len(ragged) and pad is None:
                i = int(ragged[0])
                raise ValueError(f"sequences of different lengths need padding=True for tensors (sequence "
                                 f"{i} has {lengths[i]} tokens, the longest {ids_arr.shape[1]})")
            if len(ragged):
                i = int(np.argmax(lengths))
                raise ValueError(f"sequence {i} has {lengths[i]} tokens, more than the max_length={limit} "
                                 "padding='max_length' pads to: tensors need truncation=True or padding=True")
            out = {"input_ids": ids_arr}
            if return_attention_mask:
                out["attention_mask"] = np.ones_like(ids_arr) if mask_arr is None else mask_arr
            if return_token_type_ids:
                out["token_type_ids"] = np.zeros_like(ids_arr)
            return BatchEncoding(tensors(out, return_tensors))
        out = {"input_ids": int_lists(ids_arr, row_len)}
        if return_attention_mask:
            out["attention_mask"] = (
                mask_lists(lengths, row_len) if mask_arr is None else int_lists(mask_arr, row_len)
            )
        if return_token_type_ids:
            out["token_type_ids"] = mask_lists(row_len, row_len, fill=0)
        if single:
            out = {k: v[0] for k, v in out.items()}
        return BatchEncoding(out)

    def _encode_each(
        self, seqs: Sequence[str | bytes], add_special_tokens: bool, cut_to: int | None, single: bool
    ) -> list[np.ndarray]:
        """One sequence at a time; cut to `cut_to` tokens (suffix tokens kept) where given."""
        encoded = []
        for i, s in enumerate(seqs):
            try:
                ids = self.encode(s, add_special_tokens=add_special_tokens)
            except InputError as exc:
                if single:
                    raise
                raise name_sequence(exc, i) from None
            if cut_to is not None and len(ids) > cut_to:
                if add_special_tokens:
                    keep = cut_to - len(self.suffix_ids)
                    ids = np.concatenate((ids[:keep], self.suffix_ids))
                else:
                    ids = ids[:cut_to]
            encoded.append(ids)
        return encoded

    def _warn_if_too_long(self, lengths: np.ndarray) -> None:
        """transformers' warning, once per tokenizer, for the first sequence longer than the model takes."""
        if self._warned_too_long or not len(lengths):
            return
        over = np.flatnonzero(lengths > self.max_length)
        if len(over):
            self._warned_too_long = True
            logger.warning(
                "Token indices sequence length is longer than the specified maximum sequence length for "
                f"this model ({int(lengths[over[0]])} > {self.max_length}). Running this sequence through "
                "the model will result in indexing errors"
            )

    def _save_config(self, path: Path, tokenizer_class: str, **extra: Any) -> None:
        cfg = {
            "tokenizer_class": tokenizer_class,
            "model_max_length": self.max_length,
            "pad_token": self.pad_token,
            "unk_token": self.unk_token,
            **({"cls_token": self.cls_token} if self.cls_token else {}),
            **({"sep_token": self.sep_token} if self.sep_token else {}),
            **({"mask_token": self.mask_token} if self.mask_token else {}),
            **extra,
        }
        (path / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2) + "\n")


def name_sequence(exc: InputError, index: int) -> InputError:
    """Prefix an input error raised for one sequence of a batch with that sequence's index."""
    if getattr(exc, "index", None) is None and getattr(exc, "record", None) is None and exc.args:
        exc.args = (f"sequence {index}: {exc.args[0]}", *exc.args[1:])
        exc.index = index
    return exc


def _stack(rows: Sequence[np.ndarray], lengths: np.ndarray, fill: int) -> np.ndarray:
    """Rows of different lengths in one 2-D int64 array, `fill` after each."""
    out = np.full((len(rows), int(lengths.max(initial=0))), fill, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out
