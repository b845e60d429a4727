"""The one exception tree of dnallm-zoo.

```
ZooError
 ├── UnknownModelError (also KeyError)      no model by that name; carries close suggestions
 ├── PluginLoadError                        a plugin failed to import, register or run a hook
 ├── DuplicateModelError                    two plugins claim one id (raised only in strict mode)
 ├── CheckpointError                        weights missing, unreadable, or not matching the model
 │    └── IntegrityError                    a file's sha256 differs from the spec
 ├── RuntimeConfigError (also ValueError)   a device or dtype the spec or machine does not support
 └── InputError (also ValueError)           bad user input
      ├── InvalidSequenceError              a character that is no nucleotide letter
      ├── EmptySequenceError                a sequence with no bases
      └── SequenceTooLongError              longer than the model takes, and chunking was refused
```
The CLI turns every `ZooError` into a one-line message. One warning: `NewWeightsWarning` (a
`UserWarning`), when a task head is newly initialised rather than read from the checkpoint.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "DuplicateModelError",
    "EmptySequenceError",
    "InputError",
    "IntegrityError",
    "InvalidSequenceError",
    "NewWeightsWarning",
    "PluginLoadError",
    "RuntimeConfigError",
    "SequenceTooLongError",
    "UnknownModelError",
    "ZooError",
    "one_line",
]


class ZooError(Exception):
    """Base of every error dnallm-zoo raises on purpose."""


class UnknownModelError(ZooError, KeyError):
    """No registered model, alias or checkpoint layout matches the name."""

    def __init__(self, name: str, suggestions: list[str] | tuple[str, ...] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        msg = f"unknown model {name!r}"
        if self.suggestions:
            msg += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        else:
            msg += "; run `dnallm-zoo list` to see the models installed"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class PluginLoadError(ZooError):
    """A plugin failed; `plugin` names the culprit."""

    def __init__(self, plugin: str, message: str) -> None:
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r}: {message}")


class DuplicateModelError(ZooError):
    """Two plugins register the same model id (an error only in strict mode)."""


class CheckpointError(ZooError):
    """Weights are missing, unreadable, or do not match the model's layout."""


class IntegrityError(CheckpointError):
    """A downloaded file's sha256 differs from the one the spec pins."""


class RuntimeConfigError(ZooError, ValueError):
    """A device or dtype that the spec or this machine does not support."""


class InputError(ZooError, ValueError):
    """Bad user input."""

    index: int | None = None  # the sequence's position in its batch, where a batch call named it


class InvalidSequenceError(InputError):
    """A sequence holds a character that is not a nucleotide letter."""

    def __init__(
        self, char: str, position: int, record: str | None = None, detail: str = ""
    ) -> None:
        self.char = char
        self.position = position
        self.record = record
        where = f" in record {record!r}" if record is not None else ""
        super().__init__(
            f"invalid character {char!r} at position {position + 1}{where}"
            + (f": {detail}" if detail else "")
        )


class EmptySequenceError(InputError):
    """A sequence with no bases."""

    def __init__(self, record: str | None = None) -> None:
        self.record = record
        where = f" (record {record!r})" if record is not None else ""
        super().__init__(f"empty sequence{where}: nothing to embed")


class SequenceTooLongError(InputError):
    """A sequence is longer than the model takes and chunking was not asked for."""


class NewWeightsWarning(UserWarning):
    """Weights the checkpoint lacks were newly initialised (a task head to train); names them."""


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (its type's name when it has none)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
