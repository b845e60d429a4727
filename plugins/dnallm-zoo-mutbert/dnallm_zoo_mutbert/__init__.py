"""MutBERT for dnallm-zoo: the spec table and the family object only (no torch at import)."""

from __future__ import annotations

from dnallm_zoo import kit

from .specs import ENCODER, FAMILY, SPECS

__all__ = ["SPECS", "family"]

#: the plugin (entry point ``mutbert = "dnallm_zoo_mutbert:family"``): three pre-trained models, tiny
#: checkpoints in the hub layout, directories claimed by their config (never by their .py files)
family = kit.Family(
    FAMILY, SPECS, encoder=ENCODER,
    checkpoint="dnallm_zoo_mutbert.checkpoint:write_test_checkpoint",
    match="dnallm_zoo_mutbert.layout:match",
)
