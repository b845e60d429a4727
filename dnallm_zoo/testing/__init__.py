"""The conformance kit: checks every family's models pass, tiny checkpoints, a toy family, pytest glue."""
