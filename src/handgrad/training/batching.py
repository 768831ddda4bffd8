"""The data side of training: the batches of an epoch and the validation split.

This module owns *which samples* go into each batch (one permutation per epoch, gathered a few
megabytes at a time into reused buffers; unshuffled slices otherwise) and which samples are held
out by ``validation_split`` (a shuffled split, stratified by class for classification losses).
The trainer owns *what is done* with a batch (the step, the logs, the callbacks); the session
owns the step itself. Nothing here computes gradients or knows about callbacks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .._split import stratified_indices
from ..validation import class_labels

__all__ = ["GATHER_BYTES", "batch_count", "epoch_batches", "split_validation"]

#: Rows gathered at once when shuffling: about this many bytes of features per gather.
GATHER_BYTES = 4 * 2**20


def batch_count(n: int, batch_size: int | None) -> tuple[int, int]:
    """``(batch size, batches per epoch)`` for ``n`` samples (``None``: one full batch)."""
    bs = n if batch_size is None else min(batch_size, n)
    return bs, -(-n // bs)


def epoch_batches(
    arrays: Sequence[np.ndarray | None],
    bs: int,
    steps: int,
    shuffle: bool,
    rng: np.random.Generator,
) -> Iterator[tuple[int, int, list]]:
    """Yield ``(b, size, batch arrays)`` for one epoch (``None`` entries stay ``None``).

    Shuffled batches are gathered with one permutation per epoch (drawn from ``rng``), a few
    megabytes of rows at a time, into buffers reused all epoch: an epoch neither copies the
    whole dataset (peak memory stays near the data size) nor pays one gather call per small
    batch. A batch is a view into a buffer that the next gather overwrites.
    """
    n = len(arrays[0])
    if not (shuffle and bs < n):
        for b in range(steps):
            lo, hi = b * bs, min(n, (b + 1) * bs)
            yield b, hi - lo, [None if a is None else a[lo:hi] for a in arrays]
        return
    perm = rng.permutation(n)
    row_bytes = max(1, arrays[0][0].nbytes)
    chunk = bs * max(1, GATHER_BYTES // (bs * row_bytes))
    buffers = [
        None if a is None else np.empty((min(chunk, n), *a.shape[1:]), a.dtype) for a in arrays
    ]
    b = 0
    for start in range(0, n, chunk):
        idx = perm[start : start + chunk]
        gathered = [
            None if a is None else np.take(a, idx, axis=0, out=buf[: len(idx)], mode="clip")
            for a, buf in zip(arrays, buffers, strict=True)
        ]
        for lo in range(0, len(idx), bs):
            hi = min(len(idx), lo + bs)
            yield b, hi - lo, [None if g is None else g[lo:hi] for g in gathered]
            b += 1


def split_validation(xs, ys, sw, fraction: float, loss, rng: np.random.Generator):
    """Hold out ``fraction`` of the samples: ``(x, y, sw)`` to train on and the held-out triple.

    Stratified by class when ``loss`` is a classification loss (see :func:`stratified_indices`).
    """
    labels = class_labels(ys, loss)
    train_idx, val_idx = stratified_indices(
        len(xs), fraction, rng, labels, argument="validation_split"
    )
    sw_train = None if sw is None else sw[train_idx]
    sw_val = None if sw is None else sw[val_idx]
    return xs[train_idx], ys[train_idx], sw_train, (xs[val_idx], ys[val_idx], sw_val)
