"""pytest plugin `dnallm_zoo` (entry point pytest11): conformance suites and registry fixtures.

Loaded by every pytest run in an environment with dnallm-zoo installed, so importing it is cheap:
nothing from dnallm_zoo or torch is imported until a fixture or `conformance_suite` is used.
"""

from __future__ import annotations
