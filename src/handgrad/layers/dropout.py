"""Inverted dropout, as in the notes' code.

Training, for an input ``A`` of any shape (``(N, d)`` or ``(N, C, H, W)``) and ``rate = p``::

    D = (U >= p)           U ~ Uniform[0, 1) of A's shape: keep each unit with probability 1 - p
    Y = D * A / (1 - p)    scale the kept units so that E[Y] = A

Backward: ``dA = D * dY / (1 - p)`` (the same mask and scale). At inference ``Y = A``.

The notes write the same thing with ``keep_prob = 1 - p``: ``D1 = np.random.rand(...) <
keep_prob; A1 = D1 * A1 / keep_prob`` and ``dA1 = D1 * dA1 / keep_prob``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import check_dropout_rate
from .base import Layer


class Dropout(Layer):
    """Randomly zero a fraction ``rate`` of the inputs in training and rescale the rest.

    Parameters
    ----------
    rate : float in [0, 1)
        Probability of dropping each unit (the notes' ``1 - keep_prob``).
    seed : int, optional
        Seed of the masks when the layer is used on its own; inside a model the masks come
        from the model's seed.
    name, trainable
        See :class:`Layer`.

    Notes
    -----
    Each training forward pass draws a fresh mask from ``self.rng``; the following
    ``backward`` uses that mask. ``forward(x, training=False)`` returns ``x`` itself.

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> layer = hg.layers.Dropout(0.5, seed=0)
    >>> y = layer.forward(np.ones((2, 4)), training=True)
    >>> sorted(set(y.ravel().tolist()))
    [0.0, 2.0]
    >>> float(layer.forward(np.ones((2, 4))).sum())  # identity at inference
    8.0
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.rate = check_dropout_rate(rate)
        self._scaled_mask: np.ndarray | None = None

    def forward(self, x, training=False):
        self.ensure_built(x)
        if not training or self.rate == 0:
            self._scaled_mask = None
            return x
        dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        keep = self.rng.random(x.shape, dtype=dtype) >= self.rate
        # Mask and 1/(1 - rate) folded into one array, reused as is by backward.
        self._scaled_mask = keep.astype(dtype) * dtype.type(1.0 / (1.0 - self.rate))
        return x * self._scaled_mask

    def backward(self, dy):
        if not self.need_input_grad:
            return None
        if self._scaled_mask is None:
            return dy
        return dy * self._scaled_mask

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config

    def __repr__(self) -> str:
        return f"Dropout(rate={self.rate}, name={self.name!r})"
