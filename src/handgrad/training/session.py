"""``TrainingSession``: the one documented way to drive a model's training step by step.

``fit`` runs on it, and so do the tools (gradient checks, the learning-rate finder, the training
report) and anything that trains a model its own way (later: distributed training)::

    session = model.session                  # one per model
    session.prepare()                        # after compile, before the first step
    with session.running(batch_size):        # buffer reuse and the BLAS thread policy
        loss, out = session.step(x, y, sw)   # forward, backward, update, constraints

One step on a batch ``(X, Y)`` (the model's module docstring has the formulas)::

    step = forward_backward(X, Y, sw)   -> loss (with penalties), output; fills every grads
           [a gradient hook, e.g. an Allreduce of session.grads, goes here]
           apply_gradients()            -> optimizer update of session.params, then constraints

Every trainable parameter is a view into one flat array, ``session.params`` (and every
gradient into ``session.grads``), so the optimizer updates the whole model with a handful of
element-wise operations; the views are made once and kept for as long as the layers' arrays are
the ones the session made. ``forward_backward``, ``training_loss`` and ``evaluate`` share one
piece of code for the output layer and the loss, fused (``forward_logits`` +
``fused_forward`` + ``logits_gradient``: softmax or sigmoid with its cross-entropy) or not.

The session reads the model only through its public attributes (``layers``, ``loss``,
``optimizer``, ``dtype``, ``metric_fns``, ``set_weights``, ``get_rng_state``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np

from .. import _parallel

__all__ = ["TrainingSession"]


class _LossHead:
    """The last layer and the loss, fused or not: the one place that knows both forms."""

    __slots__ = ("layer", "loss", "fused")

    def __init__(self, layer: Any, loss: Any) -> None:
        self.layer, self.loss = layer, loss
        self.fused = (
            loss.fused_activation is not None and layer.fused_activation == loss.fused_activation
        )

    def forward(self, a, y, sw, training: bool):
        """``(output, mean loss)`` of the last layer on ``a`` (no penalties)."""
        if self.fused:
            return self.loss.fused_forward(y, self.layer.forward_logits(a, training), sw)
        out = self.layer.forward(a, training)
        return out, self.loss.value(y, out, sw)

    def backward(self, y, out, sw):
        """Backward through the loss and the last layer: ``dL/da`` of its input (or None)."""
        if self.fused:
            return self.layer.backward_logits(self.loss.logits_gradient(y, out, sw))
        return self.layer.backward(self.loss.gradient(y, out, sw))


class TrainingSession:
    """Forward, backward and update of one model, on arrays that are already validated.

    Get it from the model (``model.session``) so that the flat parameter arrays are made once
    per model. Inputs come from :func:`handgrad.validation.check_xy` (which also builds the
    model) and :func:`~handgrad.validation.check_sample_weight`; nothing is checked here.

    Attributes
    ----------
    model : Sequential
    params, grads : ndarray (P,)
        Every trainable parameter (gradient), flat; each layer's ``params[k]`` (``grads[k]``)
        is a view into it. Set by :meth:`prepare`.
    pairs : list of (params, grads)
        What the optimizer steps on.
    fused : bool
        Whether the output activation is fused with the loss.

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> model = hg.Sequential([hg.layers.Dense(2, "softmax", input_dim=3)], seed=0)
    >>> model.compile("categorical_crossentropy", hg.optimizers.SGD(0.1))
    >>> x, y = np.eye(3, dtype=np.float32), np.array([0, 1, 1])
    >>> session = model.session
    >>> session.prepare()
    >>> with session.running(len(x)):
    ...     before, _ = session.step(x, y)
    ...     after, _ = session.forward_backward(x, y)
    >>> bool(after < before), session.params.shape, session.fused
    (True, (8,), True)
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.params: np.ndarray | None = None
        self.grads: np.ndarray | None = None
        self.pairs: list[tuple[np.ndarray, np.ndarray]] = []
        self.fused = False
        self._flat: tuple | None = None
        self._layers: list = []
        self._head: _LossHead | None = None
        self._optimizer: Any = None
        self._regularized: list = []
        self._constrained: list = []

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the model only: the flat views do not survive pickling, ``prepare`` remakes them.

        (NumPy pickles a view as a copy, so after loading, the layers' arrays would no longer
        be views of ``params``; a step without ``prepare`` then fails instead of training an
        orphan array.)
        """
        return {"model": self.model}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["model"])

    # ----------------------------------------------------------------- preparing
    def prepare(self) -> None:
        """Cache what the hot loop needs; call after ``compile`` and before stepping.

        Makes (or keeps) the flat parameter views, binds the optimizer to them (its state is
        reset if it was made for other shapes), tells the first layers with parameters that
        nothing needs ``dL/dx`` from them, and decides whether the loss is fused. Cheap when
        nothing changed, so ``fit`` and ``train_on_batch`` call it every time.
        """
        model = self.model
        layers = self._layers = model.layers
        self.params, self.grads = self._flat_parameters(layers, model.dtype)
        self.pairs = [(self.params, self.grads)]
        self._optimizer = model.optimizer
        self._optimizer.bind(self.pairs)
        upstream_params = False
        for layer in layers:
            layer.need_input_grad = upstream_params
            upstream_params = upstream_params or (layer.trainable and bool(layer.params))
        self._head = _LossHead(layers[-1], model.loss)
        self.fused = self._head.fused
        self._regularized = [lay for lay in layers if lay.regularizers]
        self._constrained = [lay for lay in layers if lay.constraints and lay.trainable]

    def _flat_parameters(self, layers: list, dtype) -> tuple[np.ndarray, np.ndarray]:
        """All trainable parameters (and their gradients) as one flat array each.

        Every layer's ``params[k]`` / ``grads[k]`` becomes a view into the flat arrays, so an
        optimizer updates the whole model with a handful of element-wise operations instead of a
        handful per parameter array (same results: every update is element-wise).
        """
        keys = [(layer, k) for layer in layers if layer.trainable for k in layer.params]
        flat = self._flat
        if flat is not None and flat[2] == [(id(lay.params[k]), k) for lay, k in keys]:
            return flat[0], flat[1]
        total = sum(layer.params[k].size for layer, k in keys)
        params = np.empty(total, dtype=dtype)
        grads = np.zeros(total, dtype=dtype)
        offset = 0
        for layer, k in keys:
            shape, size = layer.params[k].shape, layer.params[k].size
            view = params[offset : offset + size].reshape(shape)
            view[...] = layer.params[k]
            gview = grads[offset : offset + size].reshape(shape)
            gview[...] = layer.grads[k]
            layer.params[k], layer.grads[k] = view, gview
            offset += size
        self._flat = (params, grads, [(id(lay.params[k]), k) for lay, k in keys])
        return params, grads

    # ----------------------------------------------------------------- the step
    def forward_backward(self, x, y, sw=None):
        """Forward and backward on one batch; fills every layer's ``grads``.

        Returns the loss (with regularization penalties) and the output of the last layer.
        """
        layers = self._layers
        head = self._head
        a = x
        for layer in layers[:-1]:
            a = layer.forward(a, True)
        out, loss = head.forward(a, y, sw, True)
        d = head.backward(y, out, sw)
        for layer in reversed(layers[:-1]):
            if d is None:
                break
            d = layer.backward(d)
        for layer in self._regularized:
            loss += layer.regularization_penalty()
        return loss, out

    def training_loss(self, x, y, sw=None) -> float:
        """Loss of a training-mode forward pass (no backward): what gradients differentiate."""
        a = x
        for layer in self._layers[:-1]:
            a = layer.forward(a, True)
        _, loss = self._head.forward(a, y, sw, True)
        return loss + sum(layer.regularization_penalty() for layer in self._regularized)

    def apply_gradients(self, overwrite_grads: bool = False) -> None:
        """One optimizer update from the current ``grads``, then the constraints (max-norm).

        ``overwrite_grads``: the update may use the ``grads`` arrays as scratch space (see
        ``Optimizer.step``), for batches after which nothing reads them.
        """
        self._optimizer.step(self.pairs, overwrite_grads)
        for layer in self._constrained:
            layer.apply_constraints()

    def step(self, x, y, sw=None, overwrite_grads: bool = False):
        """Forward, backward and update on one batch; returns (loss before update, output).

        A non-finite loss skips the update (the caller decides what divergence means).
        """
        loss, out = self.forward_backward(x, y, sw)
        if math.isfinite(loss):
            self.apply_gradients(overwrite_grads)
        return loss, out

    # --------------------------------------------------------------- evaluating
    def evaluate(self, xs, ys, sw=None, batch_size: int = 1024) -> dict[str, float]:
        """Loss (with penalties) and metrics in inference mode, in batches of ``batch_size``."""
        model = self.model
        layers = model.layers
        head = _LossHead(layers[-1], model.loss)
        binary = model.loss.name == "binary_crossentropy"
        n = len(xs)
        total_loss = 0.0
        totals = dict.fromkeys(model.metric_fns, 0.0)
        with _parallel.blas_policy(layers, min(batch_size, n)):
            for lo in range(0, n, batch_size):
                xb, yb = xs[lo : lo + batch_size], ys[lo : lo + batch_size]
                swb = None if sw is None else sw[lo : lo + batch_size]
                a = xb
                for layer in layers[:-1]:
                    a = layer.forward(a, False)
                out, loss = head.forward(a, yb, swb, False)
                total_loss += loss * len(xb)
                for name, fn in model.metric_fns.items():
                    totals[name] += fn(yb, out, binary or None) * len(xb)
        penalty = sum(layer.regularization_penalty() for layer in layers)
        result = {"loss": total_loss / n + penalty}
        result.update({k: v / n for k, v in totals.items()})
        return result

    # ----------------------------------------------------------------- contexts
    def running(self, batch_size: int) -> AbstractContextManager:
        """While training on batches of ``batch_size``: buffer reuse and the BLAS policy.

        Layers may return arrays they reuse on their next call and may overwrite the ``dy``
        they are given (``Layer.reuse_buffers``), and the BLAS is held to one thread per call
        while some layer splits these batches across threads (see :mod:`handgrad._parallel`).
        """
        return _running(self._layers or self.model.layers, batch_size)

    def snapshot(self) -> list[np.ndarray]:
        """Copies of every weight and buffer, layer by layer (what ``restore`` takes)."""
        return [w for layer in self.model.layers for w in layer.get_weights()]

    def restore(self, snapshot: list[np.ndarray]) -> None:
        """Put back the weights of a :meth:`snapshot`."""
        self.model.set_weights(snapshot)

    @contextmanager
    def preserved(self) -> Iterator[None]:
        """Run a block that trains or probes the model, then put everything back.

        Restores the weights and buffers, every layer's ``grads`` and random generator, and the
        optimizer's state (``get_state``: moments, step count, current rate).
        """
        model = self.model
        weights = self.snapshot()
        grads = [{k: g.copy() for k, g in layer.grads.items()} for layer in model.layers]
        rngs = model.get_rng_state()["layers"]
        optimizer = model.optimizer
        opt_state = None if optimizer is None else optimizer.get_state()
        try:
            yield
        finally:
            model.set_weights(weights)
            for layer, saved in zip(model.layers, grads, strict=True):
                for key, g in saved.items():
                    layer.grads[key][...] = g
            model.set_rng_state({"layers": rngs})
            if opt_state is not None:
                optimizer.set_state(opt_state)


@contextmanager
def _running(layers: list, batch_size: int) -> Iterator[None]:
    for layer in layers:
        layer.reuse_buffers = True
    try:
        with _parallel.blas_policy(layers, batch_size):
            yield
    finally:
        for layer in layers:
            layer.reuse_buffers = False
