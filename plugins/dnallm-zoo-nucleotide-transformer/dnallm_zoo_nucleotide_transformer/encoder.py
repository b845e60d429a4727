"""`NTEncoder`: NT v1 and AgroNT through transformers' ESM classes, NT v2 native (modeling.py).

Which network a checkpoint has is config.json's `position_embedding_type`: "absolute" (v1, AgroNT:
learned positions, GELU, biases) is transformers' `EsmForMaskedLM` / `EsmForSequenceClassification` /
`EsmForTokenClassification`, which compute exactly the original; "rotary" (v2: SwiGLU without
biases from a fused weight) is the native `NTv2*` module, whatever transformers is installed. Both are
built on the meta device and filled with the file's tensors (no second copy), strictly by key.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import torch

from dnallm_zoo import CheckpointError, DNAEncoder, EncoderOutput, ModelSpec, NormalizationPolicy, tokenize

from .heads import NTv2ForSequenceClassification, NTv2ForTokenClassification
from .modeling import NTv2Config, NTv2ForMaskedLM, NTv2Model
from .tokenizer import NTTokenizer

__all__ = ["HEAD_ARCHITECTURES", "NTEncoder", "position_type"]

#: task -> the original class (config.json's `architectures`); v2's remote code has the same names
HEAD_ARCHITECTURES = {
    "masked-lm": "EsmForMaskedLM",
    "sequence-classification": "EsmForSequenceClassification",
    "token-classification": "EsmForTokenClassification",
}
_KNOWN_POSITIONS = ("absolute", "rotary")
_HEADS = ("sequence-classification", "token-classification")


def position_type(config: dict[str, Any], file: str = "config.json") -> str:
    """config.json's `position_embedding_type` ("absolute" when absent), refused unless NT has it."""
    pos = config.get("position_embedding_type", "absolute")
    if pos not in _KNOWN_POSITIONS:
        raise CheckpointError(
            f"{file}: position_embedding_type {pos!r} is not one the Nucleotide Transformer uses "
            f"({' or '.join(_KNOWN_POSITIONS)}: v1/AgroNT learned positions, v2 rotary)"
        )
    return str(pos)


def _esm_config(spec: ModelSpec, config: dict[str, Any]) -> Any:
    from transformers import EsmConfig

    if config.get("add_bias_fnn") is False:
        raise CheckpointError(
            "config.json: add_bias_fnn false (v2's SwiGLU) with position_embedding_type 'absolute'; no NT "
            "checkpoint has that combination"
        )
    if config.get("is_folding_model"):
        raise CheckpointError("config.json: is_folding_model is set; that is ESMFold, not the NT")
    keep = {k: v for k, v in config.items() if k not in ("auto_map", "esmfold_config", "vocab_list")}
    cfg = EsmConfig.from_dict(keep)
    from transformers.models.esm.modeling_esm import EsmPreTrainedModel

    cfg._attn_implementation = "sdpa" if getattr(EsmPreTrainedModel, "_supports_sdpa", False) else "eager"
    if spec.task in _HEADS:
        cfg.num_labels = len(spec.labels or ())
    return cfg


class NTEncoder(DNAEncoder):
    """An NT checkpoint loaded strictly under its original keys (``esm.*``, ``lm_head.*``, ``classifier.*``).

    The files also hold tensors the forward never reads: ESM's contact head (``esm.contact_head.*``)
    and, in v2, the learned position table (``esm.embeddings.position_embeddings.weight``) and each
    layer's rotary ``inv_freq``; they are loaded and saved back, so a save is the original layout.
    Old v1 files carry the ``position_ids`` buffer, dropped. LoRA targets the attention's query,
    key and value; v2's fused feed-forward (``intermediate.dense``, gate and value in one weight) can
    be added (`ZooModel.lora(target_modules=[..., "intermediate.dense"])`).
    """

    ignorable_keys: ClassVar[tuple[str, ...]] = ("esm.embeddings.position_ids",)
    head_architectures: ClassVar[dict[str, str]] = HEAD_ARCHITECTURES
    head_keys: ClassVar[dict[str, tuple[str, ...]]] = {
        "masked-lm": ("lm_head.*",),
        "sequence-classification": ("classifier.*",),
        "token-classification": ("classifier.*",),
    }
    head_modules: ClassVar[dict[str, tuple[str, ...]]] = {
        "sequence-classification": ("classifier",),
        "token-classification": ("classifier",),
    }
    lora_target_modules: ClassVar[tuple[str, ...]] = ("query", "key", "value")
    base_model_prefix: ClassVar[str] = "esm"
    #: variant scoring: one 6-mer token covers six bases (the mutated token is scored)
    variant_rule: ClassVar[str | None] = "nonoverlapping_kmer"

    @classmethod
    def head_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """The base v2 files list all three classes their remote code offers; only a fine-tune names one
        head (what `save_pretrained` of the head class writes)."""
        archs = config.get("architectures") or []
        if "EsmForMaskedLM" in archs and len(archs) > 1:
            return {**config, "architectures": ["EsmForMaskedLM"]}
        return config

    @classmethod
    def build_tokenizer(cls, path: Path, spec: ModelSpec, config: dict[str, Any],
                        normalization: NormalizationPolicy) -> tokenize.DNATokenizer:
        rows = config.get("vocab_size")
        return NTTokenizer.from_pretrained(
            path, max_length=spec.tokenizer.max_tokens, rows=rows if isinstance(rows, int) else None,
            normalization=normalization, vocab_file=spec.tokenizer.vocab_file,
        )

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        if position_type(config) == "rotary":
            try:
                cfg = NTv2Config.from_dict(config)
            except (TypeError, ValueError) as exc:
                raise CheckpointError(f"config.json of {spec.id}: {exc}") from None
            with torch.device("meta"):
                if spec.task == "sequence-classification":
                    return NTv2ForSequenceClassification(cfg, len(spec.labels or ())).eval()
                if spec.task == "token-classification":
                    return NTv2ForTokenClassification(cfg, len(spec.labels or ())).eval()
                return NTv2ForMaskedLM(cfg).eval()
        import transformers

        cfg = _esm_config(spec, config)
        head = getattr(transformers, HEAD_ARCHITECTURES.get(spec.task, "EsmForMaskedLM"))
        with torch.device("meta"):
            module = head(cfg)
        # a non-persistent buffer no file holds: real now (older files' copy is dropped on load)
        module.esm.embeddings.register_buffer(
            "position_ids", torch.arange(cfg.max_position_embeddings).expand((1, -1)), persistent=False)
        return module.eval()

    @property
    def native(self) -> bool:
        """True for the native v2 network, False for transformers' ESM (v1, AgroNT)."""
        return isinstance(self.module.esm, NTv2Model)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
        output_attentions: bool = False,
    ) -> EncoderOutput:
        """Hidden states (embeddings first, the last after the final layer norm, as transformers' ESM),
        attentions [batch, heads, T, T] as the eager original computes them, and the head's logits."""
        module: Any = self.module
        attentions: tuple[torch.Tensor, ...] | None = None
        if self.native:
            out = module.esm(input_ids, attention_mask, output_hidden_states=output_hidden_states,
                             output_attentions=output_attentions)
            last, hidden, attentions = out.last_hidden_state, out.hidden_states, out.attentions
        else:
            with _eager(module.config, output_attentions):
                res = module.esm(input_ids=input_ids, attention_mask=attention_mask,
                                 output_hidden_states=output_hidden_states,
                                 output_attentions=output_attentions, return_dict=True)
            last = res.last_hidden_state
            hidden = tuple(res.hidden_states) if output_hidden_states else None
            if output_attentions:
                attentions = tuple(res.attentions)
        logits = None
        if with_logits:
            logits = module.lm_head(last) if self.spec.task not in _HEADS else \
                self.head_logits(last, attention_mask)
        return _output(last, attention_mask, hidden, logits, attentions)

    def head_logits(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """ESM's heads: dense and tanh on `<cls>` then out_proj (dropout around); or a linear per token."""
        m: Any = self.module
        if self.spec.task == "sequence-classification":
            return m.classifier(last_hidden_state)
        if self.spec.task == "token-classification":
            return m.classifier(m.dropout(last_hidden_state))
        return super().head_logits(last_hidden_state, attention_mask)


@contextmanager
def _eager(config: Any, on: bool) -> Any:
    """transformers' SDPA attention returns no weights: explicit softmax while attentions are asked for."""
    before = config._attn_implementation
    if on:
        config._attn_implementation = "eager"
    try:
        yield
    finally:
        config._attn_implementation = before


def _output(last: torch.Tensor, mask: torch.Tensor, hidden: tuple[torch.Tensor, ...] | None,
            logits: torch.Tensor | None, attentions: tuple[torch.Tensor, ...] | None) -> EncoderOutput:
    return EncoderOutput(last_hidden_state=last, attention_mask=mask, hidden_states=hidden, logits=logits,
                         attentions=attentions)
