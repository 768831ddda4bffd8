"""Where finished trials are kept, so an interrupted search resumes without repeating them.

Grid and random search append each finished trial's row to a JSON-lines file: line 1 is a
header describing the search (strategy, space, seed, objective, monitor, data fingerprint...),
then one row per line. A search only resumes from a file whose header matches its own; a line
cut short by a crash is dropped and that trial runs again. The Bayesian search keeps its
trials in an Optuna storage (:func:`open_optuna_storage`), with the same header as a study
attribute.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..io import atomic_write

__all__ = [
    "STORAGE_FORMAT",
    "STORAGE_VERSION",
    "ROW_KEYS",
    "JsonlStorage",
    "compare_headers",
    "objective_name",
    "open_optuna_storage",
]

STORAGE_FORMAT = "handgrad-search"
STORAGE_VERSION = 1
#: The keys of a trial's row, in order (see :mod:`.runner`); a stored row must have them all.
ROW_KEYS = (
    "number",
    "state",
    "score",
    "best_epoch",
    "epochs",
    "seconds",
    "seed",
    "params",
    "curve",
)


class JsonlStorage:
    """Finished trials of a grid or random search, one JSON object per line after a header."""

    def __init__(self, path: str | os.PathLike, header: dict[str, Any]) -> None:
        self.path = Path(path)
        self.header = header

    def load(self) -> list[dict]:
        """Rows stored so far (after checking the header); creates the file when missing."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            text = json.dumps(self.header) + "\n"
            atomic_write(self.path, lambda f: f.write(text.encode()))
            return []
        lines = self.path.read_text(encoding="utf-8").split("\n")
        complete, tail = lines[:-1], lines[-1]
        if not complete:
            raise ValueError(f"storage {str(self.path)!r} has no complete header line")
        self._check_header(self._parse(complete[0], 1))
        rows = [self._row(line, i) for i, line in enumerate(complete[1:], 2) if line.strip()]
        if tail:  # the last write was cut short: drop it, that trial runs again
            text = "".join(line + "\n" for line in complete)
            atomic_write(self.path, lambda f: f.write(text.encode()))
        return rows

    def _row(self, line: str, lineno: int) -> dict:
        row = self._parse(line, lineno)
        missing = sorted(set(ROW_KEYS) - set(row))
        if missing or not isinstance(row["number"], int) or not isinstance(row["params"], dict):
            raise ValueError(
                f"storage {str(self.path)!r} line {lineno} is not a trial row (missing "
                f"{missing or 'valid number/params'})"
            )
        return row

    def _parse(self, line: str, lineno: int) -> dict:
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(
                f"storage {str(self.path)!r} line {lineno} is malformed: {err}"
            ) from None
        if not isinstance(value, dict):
            raise ValueError(f"storage {str(self.path)!r} line {lineno} is not a JSON object")
        return value

    def _check_header(self, stored: dict) -> None:
        if stored.get("format") != STORAGE_FORMAT:
            raise ValueError(f"{str(self.path)!r} is not a handgrad search storage file")
        if stored.get("version", 0) > STORAGE_VERSION:
            raise ValueError(f"{str(self.path)!r} was written by a newer handgrad")
        compare_headers(stored, self.header, f"storage {str(self.path)!r}")

    def append(self, row: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())


def compare_headers(stored: dict, current: dict, where: str) -> None:
    for key in current:
        if stored.get(key) != current[key]:
            raise ValueError(
                f"{where} holds a different search ({key}: stored {stored.get(key)!r}, now "
                f"{current[key]!r}); use another storage or delete it to start afresh"
            )


def objective_name(build: Any) -> Any:
    """How a header names the objective: ``{"template": ...}`` or ``module.function``.

    >>> objective_name({"hidden": [8]})
    {'template': {'hidden': [8]}}
    >>> objective_name(objective_name)
    'handgrad.tuning.storage.objective_name'
    """
    if isinstance(build, dict):
        return {"template": build}
    return f"{getattr(build, '__module__', '?')}.{getattr(build, '__qualname__', repr(build))}"


def open_optuna_storage(optuna: Any, spec: Any) -> Any:
    """An Optuna storage: a URL passes through; ``("journal", path)`` opens a journal file."""
    if isinstance(spec, tuple):  # ("journal", path): the temporary storage of a parallel run
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(spec[1]))
    return spec
