"""ProkBERT for dnallm-zoo: the spec table and the family object only (no torch at import)."""

from __future__ import annotations

from dnallm_zoo import kit

from .specs import ENCODER, FAMILY, ORIGINAL_NORMALIZATION, SPECS

__all__ = ["ORIGINAL_NORMALIZATION", "SPECS", "family"]

#: the plugin (entry point ``prokbert = "dnallm_zoo_prokbert:family"``): prokbert-mini, -mini-long and
#: -mini-c; tiny checkpoints in the original layout (prokbert config flavour); directories in either
#: config flavour claimed
family = kit.Family(
    FAMILY, SPECS, encoder=ENCODER,
    checkpoint="dnallm_zoo_prokbert.checkpoint:write_test_checkpoint",
    match="dnallm_zoo_prokbert.layout:match_model",
)
