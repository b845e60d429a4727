"""A tiny in-process plugin for the CLI tests: 3-mer tokens, embedding + one dense layer (+ classifier)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, ClassVar

import torch

from dnallm_zoo import DNAEncoder, EncoderOutput, ModelSpec, hookimpl
from dnallm_zoo.tokenize import write_vocab_txt

FAMILY = "toy"
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
VOCAB = {t: i for i, t in enumerate((*SPECIALS, *("".join(p) for p in itertools.product("ATCG", repeat=3))))}
HIDDEN = 8
MAX_TOKENS = 16  # [CLS] + 14 3-mers + [SEP]: 16 bases a forward pass
LABELS = ("neg", "pos")


def toy_spec(model_id: str, weights: Path, *, classifier: bool = False) -> dict[str, Any]:
    """The spec of a toy model whose weights live in the local directory `weights`."""
    return {
        "id": model_id,
        "family": FAMILY,
        "description": "A toy 3-mer model for the CLI tests.",
        "license": "MIT",
        "citation": "@misc{toy, title = {Toy}}",
        "task": "sequence-classification" if classifier else "embedding",
        "labels": list(LABELS) if classifier else None,
        "problem_type": "single-label" if classifier else None,
        "tokenizer": {"kind": "kmer", "k": 3, "max_tokens": MAX_TOKENS},
        "architecture": {"kind": "toy", "hidden_size": HIDDEN, "num_layers": 1, "num_heads": 1,
                         "max_tokens": MAX_TOKENS},
        "weights": {"path": str(weights)},
        "capabilities": {"devices": ["cpu"], "dtypes": {"cpu": ["float32"]},
                         "max_bases": MAX_TOKENS - 2 - 1 + 3, "chunk_overlap": 2},
    }


class ToyModule(torch.nn.Module):
    """Keys `toy.embeddings.weight`, `toy.dense.*` (and `classifier.*`), as an 'original' checkpoint."""

    def __init__(self, vocab_size: int, hidden: int, n_labels: int | None) -> None:
        super().__init__()
        self.toy = torch.nn.Module()
        self.toy.embeddings = torch.nn.Embedding(vocab_size, hidden)
        self.toy.dense = torch.nn.Linear(hidden, hidden)
        self.classifier = torch.nn.Linear(hidden, n_labels) if n_labels else None


class CliToyEncoder(DNAEncoder):
    """Each token on its own: tanh(dense(embedding)); the classifier reads [CLS]."""

    ignorable_keys: ClassVar[tuple[str, ...]] = ()
    head_architectures: ClassVar[dict[str, str]] = {"sequence-classification": "ToyForSequenceClassification"}

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        n_labels = len(config["id2label"]) if "id2label" in config else None
        return ToyModule(config["vocab_size"], config["hidden_size"], n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *,
                output_hidden_states: bool = False, with_logits: bool = False,
                output_attentions: bool = False) -> EncoderOutput:
        m: Any = self.module
        x = m.toy.embeddings(input_ids)
        h = torch.tanh(m.toy.dense(x))
        logits = m.classifier(h[:, 0]) if with_logits and m.classifier is not None else None
        # one layer, one head, each token attending to itself alone
        b, t = input_ids.shape
        eye = torch.eye(t, dtype=h.dtype, device=h.device).expand(b, 1, t, t)
        return EncoderOutput(h, attention_mask, (x, h) if output_hidden_states else None, logits,
                             attentions=(eye,) if output_attentions else None)


def write_checkpoint(path: Path, *, classifier: bool = False, seed: int = 0) -> Path:
    """config.json, vocab.txt and random weights (safetensors) of a toy model."""
    from safetensors.torch import save_file

    path.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"model_type": "toy", "vocab_size": len(VOCAB), "hidden_size": HIDDEN,
                              "num_hidden_layers": 1}
    if classifier:
        config["id2label"] = dict(enumerate(LABELS))
    torch.manual_seed(seed)
    module = ToyModule(len(VOCAB), HIDDEN, len(LABELS) if classifier else None)
    (path / "config.json").write_text(json.dumps(config))
    write_vocab_txt(VOCAB, path / "vocab.txt")
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(path / "model.safetensors"))
    return path


class CliToyPlugin:
    """Registers `toy-3` (embedding) and `toy-classifier`, with weights under `root`."""

    def __init__(self, root: Path) -> None:
        self.dirs = {"toy-3": root / "toy-3", "toy-classifier": root / "toy-classifier"}

    @hookimpl
    def register_models(self, register: Any) -> None:
        for model_id, path in self.dirs.items():
            register(toy_spec(model_id, path, classifier=model_id == "toy-classifier"), CliToyEncoder)

    @hookimpl
    def make_test_checkpoint(self, spec: ModelSpec, path: Path) -> bool | None:
        if spec.family != FAMILY:
            return None
        write_checkpoint(path, classifier=spec.task == "sequence-classification")
        return True

    @hookimpl
    def match_checkpoint(self, path: Path, config: dict[str, Any]) -> str | None:
        if config.get("model_type") != "toy":
            return None
        return "toy-classifier" if "id2label" in config else "toy-3"
