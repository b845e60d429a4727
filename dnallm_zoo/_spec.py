"""The pydantic specs a model is described by: frozen, strict, cheap to import (no torch)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ._names import HEAD_TASKS, K_KINDS, KMER_KINDS, POOLINGS, DType, Pooling, Task

__all__ = [
    "HEAD_TASKS",
    "ArchitectureSpec",
    "Capabilities",
    "DType",
    "Device",
    "ModelSpec",
    "NormalizationPolicy",
    "Pooling",
    "Task",
    "TokenizerSpec",
    "WeightsSource",
]

Device = Literal["cpu", "cuda", "mps"]
ProblemType = Literal["single-label", "multi-label", "regression"]

# used with fullmatch: `$` alone would let a trailing newline through
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
_SPDX = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*( (AND|OR|WITH) [A-Za-z0-9][A-Za-z0-9.+-]*)*")
_BIBTEX_HEAD = re.compile(r"\s*@[A-Za-z]+\s*\{\s*[^\s,{}=]+\s*,")


def _one_bibtex_entry(text: str) -> bool:
    """True when `text` opens like '@type{key,' and its first brace closes at its very end."""
    if not _BIBTEX_HEAD.match(text):
        return False
    depth = 0
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 :].strip() == ""
    return False


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NormalizationPolicy(_Frozen):
    """How raw text becomes bases before tokenization."""

    uppercase: bool = Field(True, description="upper-case the input first (the originals do not)")
    u_to_t: bool = Field(True, description="read RNA: U becomes T")
    iupac: Literal["unk", "error"] = Field(
        "unk",
        description="other IUPAC letters (R, Y, K, M, S, W, B, D, H, V): "
        "'unk' reads them as N (unknown tokens), 'error' refuses them",
    )


class TokenizerSpec(_Frozen):
    """How a family turns DNA into token ids."""

    kind: str = Field(
        pattern=r"^[a-z][a-z0-9-]*$",
        description="kmer: overlapping k-mers; lca: k-mers every `stride` bases (ProkBERT); "
        "bpe: byte-pair encoding from tokenizer.json (these three the core builds); any other kind "
        "(e.g. greedy-kmer, char) is built by the family's encoder (`DNAEncoder.build_tokenizer`)",
    )
    k: int | None = Field(None, ge=1, le=12, description="k-mer length (kmer, lca, greedy-kmer)")
    stride: int = Field(1, ge=1, description="shift between k-mer windows (lca)")
    vocab_file: str = Field("vocab.txt", description="file in the checkpoint holding the vocabulary")
    max_tokens: int = Field(gt=2, description="most tokens a sequence may have, specials included")
    normalization: NormalizationPolicy = NormalizationPolicy()

    @model_validator(mode="after")
    def _k_needed(self) -> TokenizerSpec:
        if self.kind in K_KINDS and self.k is None:
            raise ValueError(f"tokenizer kind {self.kind!r} needs k")
        return self


class ArchitectureSpec(_Frozen):
    """The network's shape, as the original config.json states it."""

    kind: str = Field(description="e.g. 'bert', 'mosaic-bert', 'megatron-bert'")
    hidden_size: int = Field(gt=0)
    num_layers: int = Field(gt=0)
    num_heads: int = Field(gt=0)
    intermediate_size: int | None = Field(None, gt=0)
    vocab_size: int | None = Field(None, gt=0)
    max_tokens: int = Field(gt=0, description="positions the network was trained on")
    parameters: int | None = Field(None, gt=0, description="parameter count of the checkpoint")


class WeightsSource(_Frozen):
    """Where the weights come from: a hub repository at a revision, or a local directory."""

    repo_id: str | None = Field(None, min_length=1, description="Hugging Face hub repository id")
    revision: str | None = Field(None, description="commit sha (pinned) or branch")
    files: tuple[str, ...] = Field(
        (), description="file names or glob patterns to fetch (allow_patterns); empty: all"
    )
    sha256: dict[str, str] = Field(default_factory=dict, description="file name -> sha256 hex")
    path: str | None = Field(None, min_length=1, description="a local directory holding the files")

    @model_validator(mode="after")
    def _one_place(self) -> WeightsSource:
        if (self.repo_id is None) == (self.path is None):
            raise ValueError("a WeightsSource names exactly one of repo_id or path")
        for name, digest in self.sha256.items():
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError(f"sha256 of {name!r} is not 64 lower-case hex digits")
        return self

    def describe(self) -> str:
        """One line saying where the weights come from."""
        if self.path is not None:
            return f"local directory {self.path}"
        rev = self.revision or "main (unpinned)"
        return f"hub {self.repo_id} @ {rev}"


def _default_dtypes() -> dict[str, tuple[DType, ...]]:
    return {"cpu": ("float32",), "cuda": ("float32", "float16", "bfloat16"), "mps": ("float32", "float16")}


class Capabilities(_Frozen):
    """What a model can do and where it runs (its shape: the architecture; its token limit: the tokenizer)."""

    devices: tuple[Device, ...] = ("cpu", "cuda", "mps")
    dtypes: dict[str, tuple[DType, ...]] = Field(
        default_factory=_default_dtypes,
        description="device -> dtypes the model runs in there",
    )
    default_dtype: DType = Field("float32", description="dtype of the original weights")
    max_bases: int = Field(gt=0, description="most bases one forward pass takes (the chunk size)")
    chunk_overlap: int = Field(0, ge=0, description="bases shared by neighbouring chunks")
    any_length: bool = Field(
        False, description="the network takes any number of tokens in one pass (ALiBi), not only max_tokens"
    )
    poolings: tuple[Pooling, ...] = POOLINGS

    @model_validator(mode="after")
    def _consistent(self) -> Capabilities:
        for dev in self.dtypes:
            if dev not in self.devices:
                raise ValueError(f"dtypes given for {dev!r}, which is not in devices")
        for dev in self.devices:
            if not self.dtypes.get(dev):
                raise ValueError(f"device {dev!r} is listed but dtypes gives it no dtype")
        if self.chunk_overlap >= self.max_bases:
            raise ValueError("chunk_overlap must be smaller than max_bases")
        return self


class ModelSpec(_Frozen):
    """Everything that describes one model of the zoo."""

    id: str = Field(description="lower-case id, e.g. 'dnabert-6'")
    family: str
    aliases: tuple[str, ...] = Field((), description="other names, the hub repo id among them")
    description: str
    license: str = Field(description="SPDX identifier, e.g. 'Apache-2.0'")
    citation: str = Field(description="BibTeX entry")
    paper_url: str | None = None
    origin_url: str | None = None
    task: Task = "embedding"
    labels: tuple[str, ...] | None = Field(
        None, description="class (or regression target) names, in logit order (the head tasks)"
    )
    problem_type: ProblemType | None = None
    tokenizer: TokenizerSpec
    architecture: ArchitectureSpec
    weights: WeightsSource
    capabilities: Capabilities
    plugin: str | None = Field(None, description="the plugin that registered it; set by the core")

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not _ID.fullmatch(v):
            raise ValueError(f"model id {v!r} must be lower-case letters, digits, '.', '_' or '-'")
        return v

    @field_validator("aliases")
    @classmethod
    def _alias_shape(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for alias in v:  # a blank alias would make get_spec("") answer
            if not alias.strip() or alias != alias.strip():
                raise ValueError(f"alias {alias!r} is blank or padded with whitespace")
        return v

    @field_validator("license")
    @classmethod
    def _spdx(cls, v: str) -> str:
        if not _SPDX.fullmatch(v):
            raise ValueError(f"license {v!r} is not an SPDX identifier or expression")
        return v

    @field_validator("citation")
    @classmethod
    def _bibtex(cls, v: str) -> str:
        if not _one_bibtex_entry(v):
            raise ValueError(
                "citation must be one BibTeX entry, '@type{key, field = {...}, ...}', "
                "with balanced braces"
            )
        return v

    @model_validator(mode="after")
    def _facts_agree(self) -> ModelSpec:
        """Each fact has one source; where two fields meet, they must agree."""
        tok, arch, caps = self.tokenizer, self.architecture, self.capabilities
        if tok.max_tokens > arch.max_tokens and not caps.any_length:
            raise ValueError(
                f"tokenizer.max_tokens ({tok.max_tokens}) exceeds the {arch.max_tokens} positions of the "
                "architecture (set capabilities.any_length for networks that take any length)"
            )
        if tok.kind in KMER_KINDS and tok.k is not None and caps.max_bases >= tok.k:
            needed = (caps.max_bases - tok.k) // tok.stride + 1 + 2  # k-mers + [CLS] and [SEP]
            if needed > tok.max_tokens:
                raise ValueError(
                    f"capabilities.max_bases ({caps.max_bases}) gives {needed} tokens, more than "
                    f"tokenizer.max_tokens ({tok.max_tokens})"
                )
        return self

    @model_validator(mode="after")
    def _task_fields(self) -> ModelSpec:
        if self.task in HEAD_TASKS:
            if not self.labels or self.problem_type is None:
                raise ValueError(f"a {self.task} model needs labels and problem_type")
            if len(set(self.labels)) != len(self.labels):
                raise ValueError(f"duplicate labels in {list(self.labels)}")
            if self.task == "token-classification" and self.problem_type != "single-label":
                raise ValueError(
                    "a token-classification model is single-label (one class per token), "
                    f"not {self.problem_type!r}"
                )
            if self.problem_type == "single-label" and len(self.labels) < 2:
                raise ValueError(
                    f"a single-label {self.task} model needs at least 2 labels, not {list(self.labels)}"
                )
        elif self.labels is not None:
            raise ValueError(f"labels given for a {self.task!r} model")
        elif self.problem_type is not None:
            raise ValueError(f"problem_type given for a {self.task!r} model")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """The id and every alias."""
        return (self.id, *self.aliases)
