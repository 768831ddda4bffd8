"""Batch normalization (Ioffe and Szegedy, 2015), per unit or per channel.

Statistics are taken over every axis except the feature axis 1: per unit over the batch for
``(N, d)`` inputs, per channel over ``(N, H, W)`` for ``(N, C, H, W)`` images. With ``m`` the
number of values per feature (``N`` or ``N*H*W``), training computes::

    mu    = 1/m sum x                       var = 1/m sum (x - mu)^2     (biased, as Keras)
    x_hat = (x - mu) / sqrt(var + epsilon)
    y     = gamma * x_hat + beta            gamma, beta: (C,), learned

and updates the running statistics by exponential averaging::

    moving_mean     = momentum * moving_mean     + (1 - momentum) * mu
    moving_variance = momentum * moving_variance + (1 - momentum) * var

The notes write ``mu_k = (1 - beta) mu_k + beta E[z_k]``: their ``beta`` is ``1 - momentum``.
Inference normalizes with the running statistics instead of the batch's.

Backward, with every sum over the ``m`` values of a feature, includes the dependence of
``mu`` and ``var`` on ``x``::

    dbeta  = sum dy                         dgamma = sum dy * x_hat
    dx     = gamma / (m sqrt(var + epsilon)) * (m dy - dbeta - x_hat * dgamma)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import check_bool, check_unit_interval
from .base import Layer


class BatchNormalization(Layer):
    """Normalize each feature over the mini-batch, then scale by ``gamma`` and shift by ``beta``.

    Parameters
    ----------
    momentum : float in [0, 1)
        Weight of the old value in the running averages (Keras convention; default 0.99).
    epsilon : float in (0, 1)
        Added to the variance before the square root (default 1e-3, as Keras).
    center : bool
        Learn the shift ``beta``; without it ``beta = 0``.
    scale : bool
        Learn the scale ``gamma``; without it ``gamma = 1``.
    name, trainable, input_shape, input_dim
        See :class:`Layer`. With ``trainable=False`` the layer always uses the running
        statistics and leaves them unchanged (Keras' behaviour for frozen batch norm).

    Attributes
    ----------
    params : ``gamma`` (ones), ``beta`` (zeros), each of shape ``(C,)``
    buffers : ``moving_mean`` (zeros), ``moving_variance`` (ones), non-trainable, ``(C,)``

    Raises
    ------
    ValueError
        In training, when a feature has a single value in the batch (a batch of one sample
        for ``(N, d)`` inputs): its variance would be 0 and ``x_hat`` would be 0.

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> bn = hg.layers.BatchNormalization()
    >>> y = bn.forward(np.array([[1.0, 10.0], [3.0, 30.0]]), training=True)
    >>> np.round(y, 4)
    array([[-0.9995, -1.    ],
           [ 0.9995,  1.    ]])
    >>> bn.buffers["moving_mean"]
    array([0.02, 0.2 ])
    """

    def __init__(
        self,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.momentum = check_unit_interval(momentum, "BatchNormalization momentum", open_low=False)
        self.epsilon = check_unit_interval(epsilon, "BatchNormalization epsilon", open_low=True)
        self.center = check_bool(center, "BatchNormalization center")
        self.scale = check_bool(scale, "BatchNormalization scale")
        self._cache: tuple | None = None

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(
                f"BatchNormalization {self.name!r} needs inputs of shape (N, features) or "
                f"(N, C, H, W), got samples of shape {tuple(input_shape)}"
            )
        return input_shape

    def _build(self, input_shape, rng, dtype):
        channels = input_shape[0]
        if self.scale:
            self.params["gamma"] = np.ones(channels, dtype=dtype)
        if self.center:
            self.params["beta"] = np.zeros(channels, dtype=dtype)
        self.buffers["moving_mean"] = np.zeros(channels, dtype=dtype)
        self.buffers["moving_variance"] = np.ones(channels, dtype=dtype)

    @property
    def min_train_batch_size(self) -> int:
        """Two samples when each feature has one value per sample (vectors or 1x1 maps)."""
        per_sample = int(np.prod(self.input_shape[1:])) if self.input_shape else 1
        return 2 if per_sample < 2 else 1

    # ------------------------------------------------------------------ helpers
    def _broadcast(self, v: np.ndarray, ndim: int) -> np.ndarray:
        """``(C,)`` -> ``(1, C, 1, ...)`` to broadcast against an input of ``ndim`` axes."""
        return v.reshape((1, -1) + (1,) * (ndim - 2))

    def _gamma(self, ndim: int, dtype) -> np.ndarray | float:
        return self._broadcast(self.params["gamma"], ndim) if self.scale else dtype.type(1)

    def _shift(self, y: np.ndarray) -> np.ndarray:
        if self.center:
            y += self._broadcast(self.params["beta"], y.ndim)
        return y

    # ------------------------------------------------------------------ forward
    def forward(self, x, training=False):
        self.ensure_built(x)
        if x.ndim < 2 or x.shape[1] != self.input_shape[0]:
            raise ValueError(
                f"BatchNormalization {self.name!r} was built for {self.input_shape[0]} features "
                f"on axis 1, got an input of shape {x.shape}"
            )
        if training and self.trainable:
            return self._forward_train(x)
        return self._forward_inference(x)

    def _forward_train(self, x):
        axes = (0, *range(2, x.ndim))
        m = x.size // x.shape[1]
        if m < 2:
            raise ValueError(
                f"BatchNormalization {self.name!r} needs more than one value per feature in "
                f"training, got an input of shape {x.shape}: the variance of a single sample is "
                "0. Use a batch size of at least 2 (in fit, one that does not leave a last "
                "batch of 1 sample) or call it with training=False."
            )
        mu = x.mean(axis=axes)
        xc = x - self._broadcast(mu, x.ndim)
        var = np.square(xc).mean(axis=axes)
        inv_std = 1.0 / np.sqrt(var + self.dtype.type(self.epsilon))
        x_hat = xc * self._broadcast(inv_std, x.ndim)
        self._update_moving(mu, var)
        self._cache = (True, x_hat, inv_std, m)
        return self._shift(x_hat * self._gamma(x.ndim, x.dtype))

    def _update_moving(self, mu, var):
        keep = self.momentum
        for name, batch_value in (("moving_mean", mu), ("moving_variance", var)):
            buf = self.buffers[name]
            buf *= keep
            buf += (1 - keep) * batch_value

    def _forward_inference(self, x):
        inv_std = 1.0 / np.sqrt(self.buffers["moving_variance"] + self.dtype.type(self.epsilon))
        inv_std = inv_std.astype(x.dtype, copy=False)
        x_hat = (x - self._broadcast(self.buffers["moving_mean"], x.ndim)) * self._broadcast(
            inv_std, x.ndim
        )
        self._cache = (False, x_hat, inv_std, None)
        return self._shift(x_hat * self._gamma(x.ndim, x.dtype))

    # ----------------------------------------------------------------- backward
    def backward(self, dy):
        batch_stats, x_hat, inv_std, m = self._cache
        axes = (0, *range(2, dy.ndim))
        dbeta = dy.sum(axis=axes)
        dgamma = (dy * x_hat).sum(axis=axes)
        if self.center:
            self.grads["beta"][...] = dbeta
        if self.scale:
            self.grads["gamma"][...] = dgamma
        if not self.need_input_grad:
            return None
        gamma = self.params["gamma"] if self.scale else 1.0
        if not batch_stats:  # running statistics are constants: y is affine in x
            return dy * self._broadcast(gamma * inv_std, dy.ndim)
        b = lambda v: self._broadcast(v, dy.ndim)  # noqa: E731
        return b(gamma * inv_std / m) * (m * dy - b(dbeta) - x_hat * b(dgamma))

    def get_config(self):
        config = super().get_config()
        config.update(
            momentum=self.momentum, epsilon=self.epsilon, center=self.center, scale=self.scale
        )
        return config
