"""Each list of names once: tasks, poolings, long-input policies, tokenizer kinds, dtypes and their aliases.

The specs, the code and the CLI's choices all read them from here (no torch, no pydantic).
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "CORE_TOKENIZER_KINDS",
    "DTYPES",
    "DTYPE_ALIASES",
    "DTYPE_CHOICES",
    "FINETUNE_METHODS",
    "FINETUNE_TASKS",
    "HEAD_TASKS",
    "KMER_KINDS",
    "K_KINDS",
    "LONG_POLICIES",
    "POOLINGS",
    "ROW_POOLINGS",
    "DType",
    "FinetuneMethod",
    "FinetuneTask",
    "LongPolicy",
    "Pooling",
    "RowPooling",
    "Task",
    "dtype_name",
]

#: what a model is for (`ModelSpec.task`)
Task = Literal["embedding", "masked-lm", "sequence-classification", "token-classification"]
#: the head tasks: a model of these has `labels` and `problem_type`
HEAD_TASKS: tuple[Task, ...] = ("sequence-classification", "token-classification")
#: what `dnallm-zoo finetune --task` trains (`dnallm_zoo.finetune.data`)
FinetuneTask = Literal["binary", "multiclass", "multilabel", "regression", "token"]
FINETUNE_TASKS: tuple[FinetuneTask, ...] = get_args(FinetuneTask)
#: how `dnallm-zoo finetune --method` trains: every weight, LoRA adapters, or a linear probe
FinetuneMethod = Literal["full", "lora", "probe"]
FINETUNE_METHODS: tuple[FinetuneMethod, ...] = get_args(FinetuneMethod)

#: how hidden states become one vector per sequence ('none': every token's)
Pooling = Literal["mean", "cls", "max", "none"]
POOLINGS: tuple[Pooling, ...] = get_args(Pooling)
#: the poolings that give one vector per row (what an output file holds)
RowPooling = Literal["mean", "cls", "max"]
ROW_POOLINGS: tuple[RowPooling, ...] = get_args(RowPooling)

#: what to do with a sequence longer than one forward pass: cut it into chunks, refuse it, or (on
#: networks that take any length, such as ALiBi) run it whole in one pass
LongPolicy = Literal["chunk", "error", "whole"]
LONG_POLICIES: tuple[LongPolicy, ...] = get_args(LongPolicy)

#: tokenizer kinds the core builds itself; a plugin names any other kind and builds it in its encoder
CORE_TOKENIZER_KINDS = ("kmer", "lca", "bpe")
#: the kinds whose every token is k bases (the fewest bases that give a token)
KMER_KINDS = ("kmer", "lca")
#: the kinds a spec must give a k
K_KINDS = (*KMER_KINDS, "greedy-kmer")

DType = Literal["float32", "float16", "bfloat16"]
DTYPES: tuple[DType, ...] = get_args(DType)
#: every spelling accepted for a dtype, the names themselves included
DTYPE_ALIASES: dict[str, DType] = {
    "float32": "float32", "fp32": "float32", "float": "float32",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
}
#: what `--dtype` takes
DTYPE_CHOICES: tuple[str, ...] = ("auto", *DTYPE_ALIASES)


def dtype_name(value: str) -> DType | None:
    """The dtype a spelling names (any case), None if it names none."""
    return DTYPE_ALIASES.get(value.lower())
