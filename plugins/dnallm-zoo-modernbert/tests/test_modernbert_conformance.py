"""The core's conformance checks on every ModernBERT DNA model's tiny checkpoint."""

from __future__ import annotations

from dnallm_zoo.testing import conformance_suite

TestConformance = conformance_suite(plugin="modernbert_dna")
