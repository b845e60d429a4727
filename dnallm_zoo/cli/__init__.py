"""The `dnallm-zoo` command line (`main` is the console script)."""

from ._app import cli, main

__all__ = ["cli", "main"]
