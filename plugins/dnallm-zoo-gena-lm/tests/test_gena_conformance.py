"""The core's conformance suite over every model both GENA-LM families register (tiny checkpoints)."""

from __future__ import annotations

from dnallm_zoo.testing import conformance_suite

TestGenaBert = conformance_suite(plugin="gena-lm")
TestGenaBigBird = conformance_suite(plugin="gena-lm-bigbird")
