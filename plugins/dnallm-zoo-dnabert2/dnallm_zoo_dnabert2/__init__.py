"""DNABERT-2 for dnallm-zoo: the spec table and the family object only (no torch at import)."""

from __future__ import annotations

from dnallm_zoo import kit

from .specs import ENCODER, FAMILY, SPECS

__all__ = ["SPECS", "family", "make_test_checkpoint", "match_checkpoint"]

#: the plugin (entry point ``dnabert2 = "dnallm_zoo_dnabert2:family"``): dnabert2-117m and dnabert-s;
#: tiny checkpoints in the hub layout (remote-code stand-ins included, DNABERT-S's bare BertModel for
#: `embedding`); pre-trained, fine-tuned and bare directories claimed, their .py files never read
family = kit.Family(
    FAMILY, SPECS, encoder=ENCODER,
    checkpoint="dnallm_zoo_dnabert2.checkpoint:write_test_checkpoint",
    match="dnallm_zoo_dnabert2.layout:match",
)
# the hooks by their names, as the tests call them
make_test_checkpoint = family.make_test_checkpoint
match_checkpoint = family.match_checkpoint
