"""The core's conformance suite over every model this plugin registers (tiny checkpoints)."""

from __future__ import annotations

from dnallm_zoo.testing import conformance_suite

TestConformance = conformance_suite(plugin="dnabert")
