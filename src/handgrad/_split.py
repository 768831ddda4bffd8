"""Shuffled train/validation index splits, stratified by class when labels are given."""

from __future__ import annotations

import numpy as np


def stratified_indices(
    n: int,
    fraction: float,
    rng: np.random.Generator,
    labels: np.ndarray | None = None,
    argument: str = "test_size",
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(train_idx, held_out_idx)``, both shuffled.

    Without labels, ``round(fraction * n)`` random samples are held out. With labels, each class
    ``c`` of ``n_c`` samples contributes ``round(fraction * n_c)`` samples, clipped to
    ``[1, n_c - 1]`` so that every class appears on both sides; a class with fewer than two
    samples cannot be split and raises ``ValueError``.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"{argument} must be in (0, 1), got {fraction}")
    if labels is None:
        k = int(round(fraction * n))
        if k < 1 or k >= n:
            raise ValueError(
                f"{argument}={fraction} of {n} samples leaves an empty side; use more samples "
                "or another fraction"
            )
        perm = rng.permutation(n)
        return perm[k:], perm[:k]
    classes, counts = np.unique(labels, return_counts=True)
    if counts.min() < 2:
        bad = classes[counts.argmin()]
        raise ValueError(
            f"{argument}={fraction} needs at least 2 samples of every class for a stratified "
            f"split; class {bad} has {counts.min()}"
        )
    held_out = []
    for c in classes:
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(len(idx))]
        k = min(max(int(round(fraction * len(idx))), 1), len(idx) - 1)
        held_out.append(idx[:k])
    held = np.concatenate(held_out)
    mask = np.ones(n, dtype=bool)
    mask[held] = False
    train = np.flatnonzero(mask)
    return train[rng.permutation(len(train))], held[rng.permutation(len(held))]
