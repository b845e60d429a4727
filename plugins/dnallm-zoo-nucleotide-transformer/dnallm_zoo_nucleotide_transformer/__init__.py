"""Nucleotide Transformer v1, v2 and AgroNT for dnallm-zoo: the spec table and the family (no torch)."""

from __future__ import annotations

from dnallm_zoo import kit

from .specs import ENCODER, FAMILY, SPECS

__all__ = ["SPECS", "family", "make_test_checkpoint", "match_checkpoint"]

#: the plugin (entry point ``nucleotide_transformer = "dnallm_zoo_nucleotide_transformer:family"``):
#: tiny checkpoints in the hub layouts (v2's remote-code stand-ins included); v1, v2, AgroNT and their
#: fine-tunes claimed, their .py files never read
family = kit.Family(
    FAMILY, SPECS, encoder=ENCODER,
    checkpoint="dnallm_zoo_nucleotide_transformer.checkpoint:write_test_checkpoint",
    match="dnallm_zoo_nucleotide_transformer.layout:match",
)
make_test_checkpoint = family.make_test_checkpoint
match_checkpoint = family.match_checkpoint
