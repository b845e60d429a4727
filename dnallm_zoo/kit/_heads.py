"""The task heads of transformers' BERT classes as data: a family with that layout declares it in one line."""

from __future__ import annotations

__all__ = ["BERT_HEAD_ARCHITECTURES", "BERT_HEAD_KEYS", "BERT_HEAD_MODULES"]

#: task -> the original class of that head (config.json's `architectures`)
BERT_HEAD_ARCHITECTURES: dict[str, str] = {
    "masked-lm": "BertForMaskedLM",
    "sequence-classification": "BertForSequenceClassification",
    "token-classification": "BertForTokenClassification",
}
#: task -> fnmatch patterns of that head's checkpoint keys
BERT_HEAD_KEYS: dict[str, tuple[str, ...]] = {
    "masked-lm": ("cls.*",),
    "sequence-classification": ("bert.pooler.*", "classifier.*"),
    "token-classification": ("classifier.*",),
}
#: task -> the head's modules (trained in full beside LoRA adapters)
BERT_HEAD_MODULES: dict[str, tuple[str, ...]] = {
    "sequence-classification": ("bert.pooler", "classifier"),
    "token-classification": ("classifier",),
}
