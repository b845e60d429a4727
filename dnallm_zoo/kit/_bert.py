"""Stock BERT for the families that use it unchanged (DNABERT, Plant DNABERT, third-party BERTs).

The network is `transformers`' BERT with SDPA attention, built from the checkpoint's own config.json
on the meta device (no random init) and filled strictly with the original key names. A forward with
`output_attentions=True` runs transformers' eager attention for that call (SDPA computes no weights).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from .._checkpoint import WeightsFormat, write_weights
from .._encoder import DNAEncoder, EncoderOutput
from .._spec import ModelSpec
from ..errors import CheckpointError
from ._bpe import tiny_bpe_tokenizer_json
from ._config import NOT_STOCK_KEYS, tiny_bert_config
from ._heads import BERT_HEAD_ARCHITECTURES, BERT_HEAD_KEYS, BERT_HEAD_MODULES
from ._weights import random_state_dict

if TYPE_CHECKING:
    from ._family import StockFamily

__all__ = ["StockBertEncoder", "write_bert_checkpoint", "write_stock_checkpoint", "write_tokenizer_files"]

_ROLES = ("pad", "unk", "cls", "sep", "mask")

_REQUIRED = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
             "intermediate_size", "max_position_embeddings")


def _check_stock(config: Mapping[str, Any]) -> None:
    """A CheckpointError unless config.json describes a plain BERT encoder with learned absolute positions."""
    pos = config.get("position_embedding_type", "absolute")
    if pos != "absolute":
        raise CheckpointError(
            f"config.json has position_embedding_type {pos!r}; stock BERT uses learned absolute positions"
        )
    for key in ("is_decoder", "add_cross_attention"):
        if config.get(key):
            raise CheckpointError(f"config.json sets {key}; stock BERT here is an encoder")
    other = [k for k in NOT_STOCK_KEYS if k in config]
    if other:
        raise CheckpointError(f"config.json has {other}: not a stock BERT (MosaicBERT's ALiBi?)")


def _bert_config(spec: ModelSpec | None, config: dict[str, Any]) -> Any:
    from transformers import BertConfig

    missing = [k for k in _REQUIRED if k not in config]
    if missing:
        raise CheckpointError(f"config.json lacks {missing} (a BERT config needs {list(_REQUIRED)})")
    cfg = BertConfig.from_dict(dict(config))
    cfg._attn_implementation = "sdpa"
    if spec is not None and spec.task in ("sequence-classification", "token-classification"):
        assert spec.labels is not None
        n = len(config.get("id2label") or spec.labels)
        if n != len(spec.labels):
            raise CheckpointError(
                f"config.json has {n} labels, the spec of {spec.id} names {len(spec.labels)}"
            )
        cfg.num_labels = n
    return cfg


@contextmanager
def eager_attention(module: torch.nn.Module) -> Iterator[None]:
    """transformers' eager attention for the calls inside: the softmax weights it returns are real."""
    config: Any = module.config
    before = config._attn_implementation
    if before == "eager":
        yield
        return
    config._attn_implementation = "eager"
    try:
        yield
    finally:
        config._attn_implementation = before


class StockBertEncoder(DNAEncoder):
    """`BertForMaskedLM` (no pooler), `BertForSequenceClassification` or `BertForTokenClassification`.

    The heads are transformers' own classes, so the keys and the forward are the originals': the
    sequence head is `bert.pooler.dense` (tanh on the first token), dropout, `classifier`; the token
    head dropout and `classifier` on every token. LoRA targets the attention's `query` and `value`.

    A family whose config.json carries keys of its own code names them in `extra_config_keys`: they
    are dropped before the network is built (the saved config keeps them).
    """

    # old DNABERT files carry an untrained pooler and the position_ids buffer
    ignorable_keys: ClassVar[tuple[str, ...]] = ("bert.pooler.*", "bert.embeddings.position_ids")
    tied_keys: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
        "cls.predictions.decoder.bias": "cls.predictions.bias",
    }
    #: config.json keys that do not describe the network (the hub repos' remote-code map at least)
    extra_config_keys: ClassVar[frozenset[str]] = frozenset({"auto_map"})
    head_architectures: ClassVar[dict[str, str]] = BERT_HEAD_ARCHITECTURES
    head_keys: ClassVar[dict[str, tuple[str, ...]]] = BERT_HEAD_KEYS
    head_modules: ClassVar[dict[str, tuple[str, ...]]] = BERT_HEAD_MODULES
    lora_target_modules: ClassVar[tuple[str, ...]] = ("query", "value")

    @classmethod
    def network_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """config.json without `extra_config_keys`, checked to describe a stock BERT encoder."""
        _check_stock(config)
        return {k: v for k, v in config.items() if k not in cls.extra_config_keys}

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        import transformers

        cfg = _bert_config(spec, cls.network_config(config))
        head = getattr(transformers, cls.head_architectures.get(spec.task, "BertForMaskedLM"))
        with torch.device("meta"):
            module = head(cfg)
        emb = module.bert.embeddings
        # the two non-persistent buffers are not in any checkpoint: make them real now
        emb.register_buffer(
            "position_ids", torch.arange(cfg.max_position_embeddings).expand((1, -1)),
            persistent=False,
        )
        emb.register_buffer(
            "token_type_ids", torch.zeros((1, cfg.max_position_embeddings), dtype=torch.long),
            persistent=False,
        )
        return module

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
        output_attentions: bool = False,
    ) -> EncoderOutput:
        m: Any = self.module  # a transformers Bert*: its children are attributes torch types loosely
        bert = m.bert
        if output_attentions:
            with eager_attention(m):
                out = bert(
                    input_ids=input_ids, attention_mask=attention_mask,
                    output_hidden_states=output_hidden_states, output_attentions=True, return_dict=True,
                )
        else:
            out = bert(
                input_ids=input_ids, attention_mask=attention_mask,
                output_hidden_states=output_hidden_states, return_dict=True,
            )
        logits = None
        if with_logits:
            if self.spec.task == "sequence-classification":  # the pooler ran inside BertModel
                logits = m.classifier(m.dropout(out.pooler_output))
            elif self.spec.task == "token-classification":
                logits = self.head_logits(out.last_hidden_state, attention_mask)
            else:
                logits = m.cls(out.last_hidden_state)
        return EncoderOutput(
            last_hidden_state=out.last_hidden_state,
            attention_mask=attention_mask,
            hidden_states=tuple(out.hidden_states) if output_hidden_states else None,
            logits=logits,
            attentions=tuple(out.attentions) if output_attentions else None,
        )

    def head_logits(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """transformers' heads: pooler (tanh on token 0), dropout, classifier; or dropout, classifier."""
        m: Any = self.module
        if self.spec.task == "sequence-classification":
            return m.classifier(m.dropout(m.bert.pooler(last_hidden_state)))
        if self.spec.task == "token-classification":
            return m.classifier(m.dropout(last_hidden_state))
        return super().head_logits(last_hidden_state, attention_mask)


def write_bert_checkpoint(
    path: str | Path,
    config: dict[str, Any],
    *,
    classifier: bool = False,
    seed: int = 0,
    safetensors: bool = True,
) -> Path:
    """Write config.json (as given) and random weights of a (tiny) BERT under the original key names."""
    from transformers import BertForMaskedLM, BertForSequenceClassification

    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    cfg = _bert_config(None, StockBertEncoder.network_config(config))
    with torch.device("meta"):
        model = BertForSequenceClassification(cfg) if classifier else BertForMaskedLM(cfg)
    sd = random_state_dict(model, seed=seed, skip=StockBertEncoder.tied_keys)
    (p / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    write_weights(p, sd, "safetensors" if safetensors else "bin")
    return p


def write_stock_checkpoint(
    family: StockFamily,
    spec: ModelSpec,
    path: str | Path,
    *,
    seed: int = 0,
    config: dict[str, Any] | None = None,
    weights: WeightsFormat | None = None,
) -> Path:
    """A tiny random checkpoint of a stock family's spec: tokenizer files, config.json, weights.

    `config` replaces the tiny config.json; `weights` the family's weights format.
    """
    path = Path(path)
    specials, size = write_tokenizer_files(family, spec, path)
    classifier = spec.task == "sequence-classification"
    extra: dict[str, Any] = {}
    if "[PAD]" in specials:
        extra["pad_token_id"] = specials.index("[PAD]")
    if classifier:
        labels = spec.labels or ()
        extra["id2label"] = {str(i): name for i, name in enumerate(labels)}
        extra["label2id"] = {name: i for i, name in enumerate(labels)}
    config = config if config is not None else tiny_bert_config(
        size,
        max_positions=spec.architecture.max_tokens,
        architectures=("BertForSequenceClassification" if classifier else "BertForMaskedLM",),
        model_type=next((t for t in family.model_types if t is not None), None),
        **{**extra, **family.config},
    )
    st = (weights or family.weights) == "safetensors"
    return write_bert_checkpoint(path, config, classifier=classifier, seed=seed, safetensors=st)


def write_tokenizer_files(family: StockFamily, spec: ModelSpec, path: Path) -> tuple[tuple[str, ...], int]:
    """The tokenizer files of a stock family's spec (vocab.txt or tokenizer.json, the special-token maps);
    returns the specials and the vocabulary size."""
    path.mkdir(parents=True, exist_ok=True)
    ts = spec.tokenizer
    vocab = family.vocab(spec)
    specials: tuple[str, ...]
    if vocab is not None:
        vocab.write(path, ts.vocab_file)
        specials, size = vocab.specials, len(vocab)
    elif ts.kind == "bpe":
        specials = family.bpe_specials()
        text = tiny_bpe_tokenizer_json(specials=specials)
        (path / ts.vocab_file).write_text(text, encoding="utf-8")
        size = len(json.loads(text)["model"]["vocab"])
    else:
        raise NotImplementedError(
            f"{spec.id}: the kit writes kmer, lca and bpe tokenizers, not {ts.kind!r}; give the family "
            "a checkpoint= writer"
        )
    roles = {f"{r}_token": t for t in specials if (r := t.strip("[]<>").lower()) in _ROLES}
    (path / "special_tokens_map.json").write_text(json.dumps(roles, indent=2) + "\n")
    (path / "tokenizer_config.json").write_text(json.dumps(
        {"do_lower_case": False, "model_max_length": ts.max_tokens, **roles}, indent=2) + "\n")
    return specials, size
