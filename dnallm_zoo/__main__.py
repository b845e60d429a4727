"""`python -m dnallm_zoo`: the `dnallm-zoo` command line."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main()
