"""The results table of a search: one row per trial, as text, CSV or a pandas DataFrame.

A flat row holds ``number, state, score, best_epoch, epochs, seconds, seed`` and one
``params_<name>`` column per parameter of the space.

Examples
--------
>>> rows = [{"number": 0, "state": "complete", "score": 0.25, "best_epoch": 3, "epochs": 3,
...          "seconds": 0.5, "seed": 7, "params": {"lr": 0.1}},
...         {"number": 1, "state": "pruned", "score": 0.5, "best_epoch": 1, "epochs": 2,
...          "seconds": 0.25, "seed": 8, "params": {"lr": 1e-05}}]
>>> table = flat_rows(rows, ["lr"])
>>> print(summary_table(table, ["lr"], "val_loss", best=0))
trial  state     val_loss  epochs  seconds  lr
0*     complete  0.25      3       0.50     0.1
1      pruned    0.5       2       0.25     1e-05
>>> print(csv_text(table), end="")
number,state,score,best_epoch,epochs,seconds,seed,params_lr
0,complete,0.25,3,3,0.5,7,0.1
1,pruned,0.5,1,2,0.25,8,1e-05
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from .storage import ROW_KEYS

__all__ = ["flat_rows", "cell", "csv_text", "summary_table"]

_ROW_COLUMNS = tuple(k for k in ROW_KEYS if k not in ("params", "curve"))


def flat_rows(rows: Sequence[dict], names: Sequence[str]) -> list[dict[str, Any]]:
    """Trial rows with their ``params`` spread into ``params_<name>`` columns."""
    flat = []
    for row in rows:
        entry = {k: row.get(k) for k in _ROW_COLUMNS}
        for name in names:
            entry[f"params_{name}"] = row["params"].get(name)
        flat.append(entry)
    return flat


def cell(value: Any, digits: int | None = 6) -> str:
    """Text of a table cell: floats to ``digits`` significant digits (None: exact)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if digits is None else f"{value:.{digits}g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def csv_text(rows: Sequence[dict[str, Any]]) -> str:
    """Flat rows as CSV (a header line, then exact values), ``\\n`` line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow([cell(v, None) for v in row.values()])
    return buffer.getvalue()


def summary_table(
    rows: Sequence[dict[str, Any]], names: Sequence[str], monitor: str, best: int | None
) -> str:
    """Flat rows as an aligned text table; trial number ``best`` is marked with ``*``."""
    header = ["trial", "state", monitor, "epochs", "seconds", *names]
    table = [header]
    for row in rows:
        mark = "*" if row["number"] == best else " "
        table.append(
            [
                f"{row['number']}{mark}",
                row["state"],
                cell(row["score"]),
                str(row["epochs"]),
                f"{row['seconds']:.2f}",
                *(cell(row[f"params_{n}"]) for n in names),
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table)
    return "\n".join(line.rstrip() for line in lines)
