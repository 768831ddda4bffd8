"""The Layer protocol every handgrad layer follows.

A layer maps a batch-first array ``x`` of shape ``(N, *input_shape)`` to ``y`` of shape
``(N, *output_shape)``:

* ``build(input_shape, rng, dtype)`` creates the parameters once the input shape is known;
* ``forward(x, training)`` computes ``y`` and caches only what ``backward`` needs;
* ``backward(dy)`` receives ``dL/dy``, fills ``grads`` (same keys and shapes as ``params``)
  and returns ``dL/dx``;
* ``params`` / ``grads`` hold trainable arrays, ``buffers`` non-trainable state
  (e.g. batch-norm running statistics) that is saved with the model but never updated by
  an optimizer;
* ``get_config()`` returns the constructor arguments, so a layer can be rebuilt from JSON.

Gradients are written *into* the arrays of ``grads`` (allocated once in ``build``), so an
optimizer can hold on to ``(param, grad)`` pairs for the whole of training.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

import numpy as np

from ..validation import (
    check_bool,
    check_input_shape,
    check_positive_int,
    check_seed,
    check_shape,
)

__all__ = ["Layer", "check_bool", "check_positive_int"]

_name_counters: defaultdict[str, itertools.count] = defaultdict(itertools.count)


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out).replace("2_d", "2d")


def _auto_name(cls_name: str) -> str:
    base = _snake(cls_name)
    n = next(_name_counters[base])
    return base if n == 0 else f"{base}_{n}"


class Layer:
    """Base class of all layers (see the module docstring for the protocol).

    Parameters
    ----------
    name : str, optional
        Unique name shown by ``summary()`` and used in error messages.
    trainable : bool
        When False the optimizer leaves ``params`` untouched; inside a model its ``grads`` are
        then not kept up to date (nothing needs them).
    input_shape : tuple of int, optional
        Shape of one sample (without the batch axis), for the first layer of a model.
    input_dim : int, optional
        Shorthand for ``input_shape=(input_dim,)``.
    seed : int, optional
        Seed for the layer's own random draws when it is built or used outside a model;
        inside a model the model's seed is used instead.
    """

    #: Name of the activation the layer ends with, when a loss can be fused with it.
    fused_activation: str | None = None

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        input_shape: Any = None,
        input_dim: int | None = None,
        seed: int | None = None,
    ) -> None:
        if input_dim is not None and input_shape is not None:
            raise ValueError("give either input_dim or input_shape, not both")
        if input_dim is not None:
            input_shape = (check_positive_int(input_dim, "input_dim"),)
        self.declared_input_shape = (
            None if input_shape is None else check_shape(input_shape, "input_shape")
        )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__}")
        self.name = name or _auto_name(type(self).__name__)
        self.trainable = check_bool(trainable, "trainable")
        self.seed = check_seed(seed)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.regularizers: dict[str, Any] = {}
        self.constraints: dict[str, Any] = {}
        self.built = False
        self.input_shape: tuple[int, ...] | None = None
        self.output_shape: tuple[int, ...] | None = None
        self.dtype: np.dtype | None = None
        #: Random generator for draws during training (dropout masks); set by build.
        self.rng: np.random.Generator | None = None
        #: Whether backward must return dL/dx; the model turns it off where nothing upstream
        #: needs it (the first layer), which saves one matrix product per batch.
        self.need_input_grad = True
        #: While True (set by the model for the duration of fit / train_on_batch) the layer may
        #: return arrays it reuses on its next call and may overwrite the ``dy`` it is given;
        #: standalone use never sees either.
        self.reuse_buffers = False
        self._scratch: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ building
    def sample_work(self) -> int:
        """Elements one sample adds to the layer's largest split of the batch across threads.

        0 for layers that never split (see :mod:`handgrad._parallel`). The model holds the BLAS
        to one thread per call while batches are large enough for some layer to split.
        """
        return 0

    def build(
        self,
        input_shape: tuple[int, ...],
        rng: np.random.Generator | None = None,
        dtype: Any = "float32",
    ) -> None:
        """Create parameters for samples of shape ``input_shape``.

        ``input_shape`` is the shape of one sample, ``(5,)``, or Keras' form with the batch
        axis first, ``(None, 5)``; anything else raises an error naming the layer.
        """
        input_shape = check_input_shape(input_shape, f"layer {self.name!r}")
        if self.declared_input_shape is not None and input_shape != self.declared_input_shape:
            raise ValueError(
                f"layer {self.name!r} declared input_shape {self.declared_input_shape} "
                f"but receives inputs of shape {input_shape}"
            )
        if rng is None:
            rng = np.random.default_rng(self.seed)
        self.dtype = np.dtype(dtype)
        self.input_shape = input_shape
        self.output_shape = tuple(self.compute_output_shape(input_shape))
        self._build(input_shape, rng, self.dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        if self.rng is None:
            self.rng = np.random.default_rng(rng.integers(2**63))
        self.built = True

    def _build(self, input_shape: tuple[int, ...], rng: np.random.Generator, dtype) -> None:
        """Create ``params`` and ``buffers``; layers without parameters need not override."""

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one output sample for one input sample of ``input_shape``."""
        return input_shape

    def _scratch_array(self, key: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        """A reusable array of ``shape``: the leading rows of one kept for the largest batch."""
        buf = self._scratch.get(key)
        if buf is None or buf.dtype != dtype or buf.shape[1:] != shape[1:] or len(buf) < shape[0]:
            buf = self._scratch[key] = np.empty(shape, dtype)
        return buf[: shape[0]]

    def ensure_built(self, x: np.ndarray) -> None:
        """Build from the first batch ``x`` when the layer is used on its own (no-op once built).

        Floating inputs set the layer's dtype; others give float32.
        """
        if not self.built:
            dtype = x.dtype if x.dtype.kind == "f" else np.dtype("float32")
            self.build(x.shape[1:], None, dtype)

    # ----------------------------------------------------------------- computing
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def forward_logits(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Forward pass stopping before the fused output activation (see ``fused_activation``)."""
        raise NotImplementedError(f"layer {self.name!r} has no fusable activation")

    def backward_logits(self, dz: np.ndarray) -> np.ndarray | None:
        """Backward pass from ``dL/dz``, the gradient at the pre-activation."""
        raise NotImplementedError(f"layer {self.name!r} has no fusable activation")

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.forward(x, training)

    # ----------------------------------------------------- regularization hooks
    def regularization_penalty(self) -> float:
        """Sum of the penalties of this layer's regularized parameters."""
        return float(sum(reg(self.params[k]) for k, reg in self.regularizers.items()))

    def _add_regularization_grads(self) -> None:
        for key, reg in self.regularizers.items():
            self.grads[key] += reg.gradient(self.params[key])

    def apply_constraints(self) -> None:
        """Project constrained parameters in place (called after each optimizer step)."""
        for key, constraint in self.constraints.items():
            self.params[key][...] = constraint(self.params[key])

    @property
    def min_train_batch_size(self) -> int:
        """Smallest batch ``forward(x, training=True)`` accepts (batch norm needs 2 on vectors)."""
        return 1

    # ----------------------------------------------------------- introspection
    def count_params(self) -> int:
        """Number of scalars in ``params`` and ``buffers``."""
        return int(sum(v.size for v in self.params.values()) + self.count_buffers())

    def count_buffers(self) -> int:
        return int(sum(v.size for v in self.buffers.values()))

    def get_weights(self) -> list[np.ndarray]:
        """Copies of ``params`` (in declaration order) followed by ``buffers``."""
        return [v.copy() for v in self.params.values()] + [v.copy() for v in self.buffers.values()]

    def check_weights(self, weights: list[np.ndarray]) -> None:
        """Raise if ``weights`` cannot be loaded by ``set_weights`` (count, shape, dtype, NaN)."""
        targets = list(self.params.items()) + list(self.buffers.items())
        if len(weights) != len(targets):
            raise ValueError(
                f"layer {self.name!r} expects {len(targets)} weight arrays "
                f"({', '.join(k for k, _ in targets) or 'none'}), got {len(weights)}"
            )
        for (key, target), w in zip(targets, weights, strict=True):
            w = np.asarray(w)
            if w.dtype.kind not in "biuf":
                raise TypeError(
                    f"layer {self.name!r} weight {key!r} must be a real number array, "
                    f"got dtype {w.dtype}"
                )
            if w.shape != target.shape:
                raise ValueError(
                    f"layer {self.name!r} weight {key!r} must have shape {target.shape}, "
                    f"got {w.shape}"
                )
            if not np.isfinite(w).all():
                raise ValueError(f"layer {self.name!r} weight {key!r} contains NaN or inf")

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Copy arrays into ``params`` then ``buffers`` (validated first; shapes must match)."""
        weights = list(weights)
        self.check_weights(weights)
        targets = list(self.params.values()) + list(self.buffers.values())
        for target, w in zip(targets, weights, strict=True):
            target[...] = w

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON-compatible values."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable}
        if self.declared_input_shape is not None:
            config["input_shape"] = list(self.declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
