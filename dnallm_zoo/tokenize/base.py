"""The tokenizer contract: callable like a Hugging Face tokenizer, vectorised underneath."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, SequenceTooLongError
from ..spec import NormalizationPolicy
from .normalize import normalize

__all__ = ["BatchEncoding", "DNATokenizer", "read_vocab_txt", "write_vocab_txt"]


def read_vocab_txt(path: str | Path) -> dict[str, int]:
    """A BERT-style vocab.txt: one token a line, the line number is the id."""
    with open(path, encoding="utf-8") as fh:
        return {line.rstrip("\n"): i for i, line in enumerate(fh) if line.rstrip("\n") != ""}


def write_vocab_txt(vocab: dict[str, int], path: str | Path) -> None:
    """Write a vocab.txt in id order."""
    tokens = sorted(vocab, key=vocab.__getitem__)
    Path(path).write_text("".join(t + "\n" for t in tokens), encoding="utf-8")


class BatchEncoding(dict):  # type: ignore[type-arg]
    """A dict of `input_ids`, `attention_mask` (and maybe `token_type_ids`), attribute access too."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def to(self, device: Any) -> BatchEncoding:
        """Move tensors to a device (torch tensors only)."""
        return BatchEncoding({k: v.to(device) if hasattr(v, "to") else v for k, v in self.items()})


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

    def encode_batch(
        self, seqs: Sequence[str | bytes], *, add_special_tokens: bool = True
    ) -> list[np.ndarray]:
        """Normalise and tokenize many sequences; an error names the sequence's index."""
        rows = self._encode_rows(
            seqs, add_special_tokens=add_special_tokens, limit=None, truncation=False, width=None
        )
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
        limit: int | None,
        truncation: bool,
        width: int | None,
        mask: bool = False,
        named: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        """The whole batch in one pass, or None where this tokenizer has none (then `__call__`
        encodes one sequence at a time): ids padded to `width` or the longest, the lengths, and
        with `mask` the attention mask.

        Errors are those, and in the order, of the one-at-a-time path (`named`: prefixed with the
        sequence's index); too long is an error unless truncation, which keeps the suffix tokens.
        """
        return None

    def pad(self, batch: Sequence[np.ndarray], *, to_length: int | None = None) -> tuple[
        np.ndarray, np.ndarray
    ]:
        """Right-pad id arrays to one length with this tokenizer's pad id; returns (ids, mask)."""
        length = max((len(x) for x in batch), default=0) if to_length is None else to_length
        ids = np.full((len(batch), length), self.pad_token_id, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.int64)
        for i, x in enumerate(batch):
            ids[i, : len(x)] = x
            mask[i, : len(x)] = 1
        return ids, mask

    def __call__(
        self,
        text: str | Sequence[str],
        *,
        return_tensors: str | None = None,
        padding: bool | str = True,
        truncation: bool = False,
        max_length: int | None = None,
        add_special_tokens: bool = True,
        return_attention_mask: bool = True,
        return_token_type_ids: bool = False,
        **unused: Any,
    ) -> BatchEncoding:
        """Tokenize like a Hugging Face tokenizer; too-long input is an error unless truncation."""
        single = isinstance(text, (str, bytes))
        seqs = [text] if single else list(text)
        limit = max_length or self.max_length
        padded = bool(padding) and padding != "do_not_pad"
        to = limit if padded and padding == "max_length" else None
        rows = self._encode_rows(
            seqs, add_special_tokens=add_special_tokens, limit=limit, truncation=truncation,
            width=to, mask=padded and return_attention_mask, named=not single,
        )
        if rows is not None:
            ids_arr, lengths, mask_arr = rows  # type: ignore[assignment]
            if not padded:
                encoded = [ids_arr[i, :n] for i, n in enumerate(lengths.tolist())]
        else:
            encoded = []
            for i, s in enumerate(seqs):
                try:
                    ids = self.encode(s, add_special_tokens=add_special_tokens)
                except InputError as exc:
                    if single:
                        raise
                    raise name_sequence(exc, i) from None
                if len(ids) > limit:
                    if not truncation:
                        raise too_long(i, len(ids), limit)
                    if add_special_tokens:
                        keep = limit - len(self.suffix_ids)
                        ids = np.concatenate((ids[:keep], self.suffix_ids))
                    else:
                        ids = ids[:limit]
                encoded.append(ids)
            if padded:
                ids_arr, mask_arr = self.pad(encoded, to_length=to)
        if padded:
            out: dict[str, Any] = {"input_ids": ids_arr}
            if return_attention_mask:
                out["attention_mask"] = mask_arr
            if return_token_type_ids:
                out["token_type_ids"] = np.zeros_like(ids_arr)
        else:
            if return_tensors is not None and len({len(e) for e in encoded}) > 1:
                raise ValueError("sequences of different lengths need padding=True for tensors")
            out = {"input_ids": encoded}
            if return_attention_mask:
                out["attention_mask"] = [np.ones_like(e) for e in encoded]
            if return_token_type_ids:
                out["token_type_ids"] = [np.zeros_like(e) for e in encoded]
        return BatchEncoding(_convert(out, return_tensors, single))

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


def too_long(index: int, n_tokens: int, limit: int) -> SequenceTooLongError:
    """The error for sequence `index` of a batch having more tokens than the model takes."""
    return SequenceTooLongError(
        f"sequence {index} has {n_tokens} tokens, the model takes at most {limit}; "
        "use embed(..., long='chunk') or pass truncation=True explicitly"
    )


def name_sequence(exc: InputError, index: int) -> InputError:
    """Prefix an input error raised for one sequence of a batch with that sequence's index."""
    if getattr(exc, "index", None) is None and getattr(exc, "record", None) is None and exc.args:
        exc.args = (f"sequence {index}: {exc.args[0]}", *exc.args[1:])
        exc.index = index  # type: ignore[attr-defined]
    return exc


def _convert(out: dict[str, Any], return_tensors: str | None, single: bool) -> dict[str, Any]:
    if return_tensors == "pt":
        import torch

        return {k: torch.as_tensor(np.asarray(v)) for k, v in out.items()}
    if return_tensors == "np":
        return {k: np.asarray(v) for k, v in out.items()}
    if return_tensors is not None:
        raise ValueError(f"return_tensors={return_tensors!r} is not supported; use 'pt' or 'np'")
    conv = {
        k: v.tolist() if isinstance(v, np.ndarray) else [np.asarray(row).tolist() for row in v]
        for k, v in out.items()
    }
    if single:
        return {k: v[0] for k, v in conv.items()}
    return conv
