"""Atomic file writes: readers see the old file or the complete new one, never a partial one.

The data goes to a temporary file in the destination folder, is flushed and fsynced, given the
permissions a plain ``open(path, "w")`` would give (``0o666`` minus the umask; ``mkstemp``
alone would leave ``0o600``), and only then renamed over the target with ``os.replace``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(
    path: str | os.PathLike, write: Callable[[BinaryIO], object], *, make_dirs: bool = False
) -> None:
    """Call ``write(fileobj)`` on a temporary file next to ``path``, then rename it over ``path``.

    Raises ``FileNotFoundError`` naming the folder when it does not exist (unless ``make_dirs``).
    """
    path = Path(path)
    directory = path.parent
    if make_dirs:
        directory.mkdir(parents=True, exist_ok=True)
    elif not directory.is_dir():
        raise FileNotFoundError(
            f"cannot save to {str(path)!r}: folder {str(directory)!r} does not exist"
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, make_dirs: bool = True) -> None:
    """Write ``data`` to ``path`` atomically, creating missing folders by default."""
    atomic_write(path, lambda f: f.write(data), make_dirs=make_dirs)
