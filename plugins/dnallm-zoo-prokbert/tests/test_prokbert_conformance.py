"""The core's conformance checks on the three ProkBERT models' tiny checkpoints."""

from __future__ import annotations

from dnallm_zoo.testing import conformance_suite

TestConformance = conformance_suite(plugin="prokbert")
