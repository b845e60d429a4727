"""`ZooModel`: a loaded zoo model as a `transformers.PreTrainedModel`, the one object to train and run.

Its module tree IS the family's original one (it shares the network's children, parameters and
buffers), so `state_dict()` keys, peft's module names and `Trainer` checkpoints are the original
layout; `save_pretrained` writes config.json, model.safetensors and the tokenizer files as the
family's original code does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from transformers import PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput, TokenClassifierOutput

from ._encoder import DNAEncoder, EncoderOutput
from ._spec import HEAD_TASKS
from ._tasks import HF_PROBLEM_TYPES, task_loss
from .errors import InputError, ZooError

if TYPE_CHECKING:
    import numpy as np
    from peft import PeftModel

    from .tokenize.base import DNATokenizer

__all__ = ["HEADS", "ZooModel"]

#: what `forward` computes: no head (hidden states), masked-LM logits, a sequence or a token head
HEADS = ("none", "mlm", "classifier", "token")
_HEAD_OF_TASK = {"sequence-classification": "classifier", "token-classification": "token"}


def hf_config(encoder: DNAEncoder) -> PretrainedConfig:
    """A transformers config mirroring the checkpoint's config.json (labels from the spec)."""
    fields = {k: v for k, v in encoder.config.items() if k not in ("transformers_version",)}
    spec = encoder.spec
    if spec.task in HEAD_TASKS and spec.labels is not None and spec.problem_type is not None:
        fields["id2label"] = dict(enumerate(spec.labels))
        fields["label2id"] = {name: i for i, name in enumerate(spec.labels)}
        fields["problem_type"] = HF_PROBLEM_TYPES[spec.problem_type]
    fields.pop("num_labels", None)  # follows id2label
    cfg = PretrainedConfig(**fields)
    cfg.name_or_path = spec.id
    return cfg


class ZooModel(PreTrainedModel):
    """A `DNAEncoder` as a transformers model: keyword forward with `labels`, loss as transformers'.

    `forward(input_ids, attention_mask, labels=None)` returns a `SequenceClassifierOutput` or
    `TokenClassifierOutput` (loss when labels are given) for a task head, else the encoder's output
    (`last_hidden_state`, and `logits` of the masked-LM head when `head="mlm"`).
    """

    config_class = PretrainedConfig
    base_model_prefix = ""
    main_input_name = "input_ids"
    accepts_loss_kwargs = False  # Trainer divides by gradient accumulation itself
    supports_gradient_checkpointing = False
    _supports_sdpa = True
    _zoo: DNAEncoder  # set with object.__setattr__: a plain attribute, not a registered submodule
    _zoo_head: str

    def __init__(self, encoder: DNAEncoder, *, head: str | None = None) -> None:
        super().__init__(hf_config(encoder))
        head = _HEAD_OF_TASK.get(encoder.spec.task, "none") if head is None else head
        if head not in HEADS:
            raise ZooError(f"head {head!r}: use one of {list(HEADS)}")
        if head in ("classifier", "token") and _HEAD_OF_TASK.get(encoder.spec.task) != head:
            raise ZooError(f"{encoder.spec.id} is a {encoder.spec.task} model; it has no {head} head")
        object.__setattr__(self, "_zoo", encoder)
        object.__setattr__(self, "_zoo_head", head)
        network = encoder.module
        # one module tree: the network's children, parameters and buffers are this model's own
        self._modules = network._modules
        self._parameters = network._parameters
        self._buffers = network._buffers
        self._non_persistent_buffers_set = network._non_persistent_buffers_set
        self.training = network.training

    # ----------------------------------------------------------------- what it wraps
    @property
    def encoder(self) -> DNAEncoder:
        """The zoo model: tokenizer, spec, embed/predict pipeline."""
        return self._zoo

    @property
    def head(self) -> str:
        return self._zoo_head

    @property
    def model(self) -> torch.nn.Module:
        """The family's network (the same module tree as this model)."""
        return self._zoo.module

    @property
    def tokenizer(self) -> DNATokenizer:
        return self._zoo.tokenizer

    @property
    def num_labels(self) -> int:
        return len(self._zoo.spec.labels or ())

    @property
    def head_module_names(self) -> tuple[str, ...]:
        """The head's modules (trained in full beside LoRA adapters: peft's modules_to_save)."""
        return tuple(type(self._zoo).head_modules.get(self._zoo.spec.task, ()))

    @property
    def lora_target_modules(self) -> tuple[str, ...]:
        """The family's LoRA target modules (peft `target_modules`)."""
        return tuple(type(self._zoo).lora_target_modules)

    def train(self, mode: bool = True) -> ZooModel:
        super().train(mode)
        self._zoo.module.training = mode
        return self

    # ----------------------------------------------------------------- loading and saving
    @classmethod
    def from_pretrained(  # type: ignore[override]  # the zoo's loader: names, heads, device, dtype
        cls,
        name_or_path: str | Path,
        *,
        task: str | None = None,
        num_labels: int | None = None,
        labels: list[str] | tuple[str, ...] | None = None,
        problem_type: str | None = None,
        seed: int | None = None,
        head: str | None = None,
        **load_options: Any,
    ) -> ZooModel:
        """`dnallm_zoo.load(...)` wrapped; the task arguments build a head the checkpoint lacks."""
        from ._loading import load

        encoder = load(name_or_path, task=task, num_labels=num_labels, labels=labels,
                       problem_type=problem_type, seed=seed, **load_options)
        return cls(encoder, head=head)

    def save_pretrained(  # type: ignore[override]  # writes the family's original layout
        self,
        save_directory: str | Path,
        *,
        is_main_process: bool = True,
        state_dict: dict[str, torch.Tensor] | None = None,
        **ignored: Any,
    ) -> None:
        """config.json, model.safetensors (original keys) and tokenizer files in the original layout."""
        if not is_main_process:
            return
        if state_dict is None:
            self._zoo.save_pretrained(save_directory)
            return
        from ._checkpoint import write_weights

        p = Path(save_directory)
        self._zoo.save_pretrained(p)  # config and tokenizer; the weights follow from `state_dict`
        tied = type(self._zoo).tied_keys
        write_weights(p, {k: v for k, v in state_dict.items() if k not in tied})

    # ----------------------------------------------------------------- running
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        **unused: Any,
    ) -> Any:
        """Run the network; with a task head and `labels`, the loss as transformers computes it.

        `output_attentions=True` adds each layer's attention weights ([batch, heads, T, T]) as `attentions`.
        """
        if input_ids is None:
            raise InputError("input_ids are needed (inputs_embeds are not supported)")
        if inputs_embeds is not None:
            raise InputError("inputs_embeds are not supported; pass input_ids")
        if token_type_ids is not None and bool(token_type_ids.ne(0).any()):
            raise InputError("token_type_ids other than 0 (sequence pairs) are not supported")
        if input_ids.dim() == 1:
            input_ids = input_ids.unsqueeze(0)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        elif attention_mask.dim() == 1:
            attention_mask = attention_mask.unsqueeze(0)
        self._zoo.check_length(input_ids.shape[-1])
        dev = self._zoo.device
        out = self._zoo.forward(
            input_ids.to(dev), attention_mask.to(dev),
            output_hidden_states=bool(output_hidden_states), with_logits=self.head != "none",
            output_attentions=bool(output_attentions),
        )
        if self.head not in ("classifier", "token"):
            if labels is not None:
                raise InputError(
                    f"labels given, but {self._zoo.spec.id} has no task head; load it with "
                    "task='sequence-classification' or 'token-classification'"
                )
            return out
        return self._task_output(out, labels, return_dict)

    def _task_output(self, out: EncoderOutput, labels: torch.Tensor | None, return_dict: bool | None) -> Any:
        spec = self._zoo.spec
        assert out.logits is not None and spec.problem_type is not None
        loss = None
        if labels is not None:
            loss = task_loss(out.logits, labels, spec.problem_type, self.num_labels)
        kind = SequenceClassifierOutput if self.head == "classifier" else TokenClassifierOutput
        result = kind(loss=loss, logits=out.logits, hidden_states=out.hidden_states,
                      attentions=out.attentions)
        return result.to_tuple() if return_dict is False else result

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The encoder's last hidden state (what the head reads)."""
        dev = self._zoo.device
        return self._zoo.forward(input_ids.to(dev), attention_mask.to(dev)).last_hidden_state

    def head_logits(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The task head alone on a last hidden state (a probe trains it on cached encoder outputs)."""
        return self._zoo.head_logits(last_hidden_state, attention_mask.to(last_hidden_state.device))

    def freeze_encoder(self) -> ZooModel:
        """Train only the head: every parameter outside `head_module_names` stops requiring grad."""
        heads = self.head_module_names
        if not heads:
            raise ZooError(f"{self._zoo.spec.id} has no task head to train")
        for name, param in self.named_parameters():
            param.requires_grad = any(name == h or name.startswith(h + ".") for h in heads)
        return self

    def predict_bases(self, seqs: list[str] | str, *, batch_size: int = 16) -> list[np.ndarray]:
        """Per-base class probabilities ([len(seq), labels] each) from a token-classification head."""
        from ._per_base import predict_bases

        if self.head != "token":
            raise ZooError(f"{self._zoo.spec.id} is a {self._zoo.spec.task} model; per-base predictions "
                           "need a token-classification head")
        return predict_bases(self, [seqs] if isinstance(seqs, str) else list(seqs), batch_size=batch_size)

    # ----------------------------------------------------------------- LoRA
    def lora(
        self,
        *,
        r: int = 8,
        lora_alpha: int = 32,
        lora_dropout: float = 0.05,
        target_modules: list[str] | tuple[str, ...] | None = None,
        modules_to_save: list[str] | tuple[str, ...] | None = None,
    ) -> PeftModel:
        """A peft LoRA model over this one: the family's `lora_target_modules`, its head trained in full.

        Save it with `save_pretrained` (adapters and head), reload with `dnallm_zoo.compat.load_lora`,
        fold it back into a plain `ZooModel` with `dnallm_zoo.compat.merge_lora`.
        """
        try:
            from peft import LoraConfig, get_peft_model
        except ImportError:  # pragma: no cover - the extra is installed where the tests run
            raise ZooError("LoRA needs peft: pip install 'dnallm-zoo[finetune]'") from None
        spec = self._zoo.spec
        targets = list(self.lora_target_modules if target_modules is None else target_modules)
        if not targets:
            raise ZooError(f"{spec.id}: its family names no LoRA targets; pass target_modules")
        names = [n for n, _ in self.named_modules()]  # peft matches a name or a dotted suffix of one
        unknown = [t for t in targets if not any(n == t or n.endswith("." + t) for n in names)]
        if unknown:
            raise ZooError(f"LoRA target modules {unknown} are not modules of {spec.id}")
        keep = list(self.head_module_names if modules_to_save is None else modules_to_save)
        config = LoraConfig(r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, bias="none",
                            target_modules=targets, modules_to_save=keep or None)
        return get_peft_model(self, config)
