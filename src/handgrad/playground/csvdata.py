"""The user's own points: an uploaded CSV file, or points clicked on the picture.

An upload is text and nothing else: it is decoded as UTF-8 and read by the standard library's
:mod:`csv` reader in memory. It is never executed, unpickled or written to disk. Every limit
(bytes, rows, columns, magnitudes) is in :mod:`~handgrad.playground.limits`, and every problem
raises :class:`DataError` with a message that says which row and column, what was found and
what is expected, for the page to show as it is.

The format: three columns ``x1, x2, label`` (``label`` a class number 0, 1, ... for
classification, any number for regression), an optional header row, commas, semicolons or tabs.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from . import limits


class DataError(ValueError):
    """Points that cannot be used, with a message for the page."""


def _delimiter(first_line: str) -> str:
    """The separator of the file: the first of comma, semicolon and tab in its first line."""
    for candidate in (",", ";", "\t"):
        if candidate in first_line:
            return candidate
    return ","


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_labels(y: np.ndarray, problem: str, where: list[str] | None = None) -> int:
    """Check targets for ``problem``; return the number of classes (1 for regression).

    Classification labels must be whole numbers 0 .. K-1 with every class present, K at most
    :data:`~handgrad.playground.limits.MAX_CLASSES`. ``where`` names each row for messages.

    Raises
    ------
    DataError
    """
    names = where or [f"point {i + 1}" for i in range(len(y))]
    if problem == "regression":
        return 1
    top = limits.MAX_CLASSES - 1
    for i, value in enumerate(y):
        if not float(value).is_integer() or not 0 <= value <= top:
            raise DataError(
                f"{names[i]}: label {value:g} is not a class; labels must be whole numbers "
                f"0 to {top} (for numeric targets, switch the problem type to regression)"
            )
    classes = int(y.max(initial=0)) + 1
    present = np.bincount(y.astype(np.int64), minlength=classes)
    missing = [str(k) for k in range(classes) if present[k] == 0]
    if missing:
        raise DataError(
            f"classes must be numbered 0 to {classes - 1} without gaps, but no point has label "
            f"{', '.join(missing)}"
        )
    if classes < 2:
        raise DataError("the points need at least 2 classes to classify")
    return classes


def parse_csv(raw: bytes, problem: str) -> tuple[np.ndarray, np.ndarray]:
    """Points and targets of an uploaded CSV file.

    Parameters
    ----------
    raw : bytes
        The file as uploaded (at most ``MAX_UPLOAD_BYTES``).
    problem : {"classification", "regression"}

    Returns
    -------
    x : ndarray of shape (N, 2), float32
    y : ndarray of shape (N,), float32
        Class labels (whole numbers) or regression targets.

    Raises
    ------
    DataError
        With a message naming the row and column at fault.
    """
    if len(raw) > limits.MAX_UPLOAD_BYTES:
        raise DataError(
            f"the file has {len(raw):,} bytes; the playground reads CSV files of up to "
            f"{limits.MAX_UPLOAD_BYTES:,} bytes ({limits.MAX_UPLOAD_ROWS:,} rows)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(
            f"the file is not UTF-8 text (byte {err.start + 1} is not a character); "
            "upload a CSV file with columns x1, x2, label"
        ) from None
    if "\x00" in text:
        raise DataError("the file contains NUL bytes: it is not a CSV text file")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise DataError("the file is empty; expected rows of x1, x2, label")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    rows: list[list[float]] = []
    where: list[str] = []
    header_seen = False
    for line_no, cells in enumerate(reader, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if not rows and not header_seen and not all(_is_number(c) for c in cells):
            header_seen = True  # a header row: names, not numbers
            if len(cells) != limits.UPLOAD_COLUMNS:
                raise DataError(
                    f"the header has {len(cells)} columns; expected {limits.UPLOAD_COLUMNS} "
                    "(x1, x2, label)"
                )
            continue
        if len(cells) != limits.UPLOAD_COLUMNS:
            raise DataError(
                f"row {line_no} has {len(cells)} columns; expected {limits.UPLOAD_COLUMNS} "
                "(x1, x2, label)"
            )
        if len(rows) >= limits.MAX_UPLOAD_ROWS:
            raise DataError(
                f"the file has more than {limits.MAX_UPLOAD_ROWS:,} rows; the playground "
                f"takes up to {limits.MAX_UPLOAD_ROWS:,} points"
            )
        values = []
        for column, cell in zip(("x1", "x2", "label"), cells, strict=True):
            try:
                value = float(cell)
            except ValueError:
                raise DataError(
                    f"row {line_no}, column {column}: {cell!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise DataError(
                    f"row {line_no}, column {column}: {cell!r} is not a finite number "
                    "(NaN and infinity cannot be plotted or trained on)"
                )
            if abs(value) > limits.MAX_ABS_VALUE:
                raise DataError(
                    f"row {line_no}, column {column}: {cell} is larger than "
                    f"{limits.MAX_ABS_VALUE:g} in magnitude; rescale the data"
                )
            values.append(value)
        rows.append(values)
        where.append(f"row {line_no}")
    if len(rows) < limits.MIN_POINTS:
        raise DataError(
            f"the file has {len(rows)} data rows; the playground needs at least "
            f"{limits.MIN_POINTS} points"
        )
    table = np.array(rows, dtype=np.float64)
    check_labels(table[:, 2], problem, where)
    return table[:, :2].astype(np.float32), table[:, 2].astype(np.float32)


def parse_points(items: object, problem: str, domain: tuple[float, ...]) -> np.ndarray:
    """Points clicked on the picture: a list of ``[x1, x2, label]`` inside the picture.

    Returns
    -------
    ndarray of shape (N, 3), float32

    Raises
    ------
    DataError
    """
    if not isinstance(items, list) or not 1 <= len(items) <= limits.MAX_CLICKED_POINTS:
        raise DataError(
            f"expected a list of 1 to {limits.MAX_CLICKED_POINTS} points [x1, x2, label]"
        )
    out = []
    for i, item in enumerate(items):
        ok = isinstance(item, list) and len(item) == 3
        ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in item)
        if not ok or not all(math.isfinite(v) for v in item):
            raise DataError(f"point {i + 1} must be three finite numbers [x1, x2, label]")
        x1, x2, label = (float(v) for v in item)
        if not (domain[0] <= x1 <= domain[1] and domain[2] <= x2 <= domain[3]):
            raise DataError(f"point {i + 1} ({x1:.3g}, {x2:.3g}) is outside the picture")
        if problem == "classification" and (
            not label.is_integer() or not 0 <= label < limits.MAX_CLASSES
        ):
            raise DataError(
                f"point {i + 1}: label {label:g} is not a class (0 to {limits.MAX_CLASSES - 1})"
            )
        out.append((x1, x2, label))
    return np.array(out, dtype=np.float32)
