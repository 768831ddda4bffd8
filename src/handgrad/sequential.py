"""``Sequential``: a stack of layers trained by backpropagation.

One training step on a batch ``(X, Y)``::

    A0 = X;  A_l = layer_l.forward(A_{l-1}, training=True)      l = 1..L
    loss = mean_i loss(Y_i, A_L,i) + sum of regularization penalties
    dA_L = dloss/dA_L;  dA_{l-1} = layer_l.backward(dA_l)        l = L..1
    optimizer.step([(param, grad), ...]);  then constraints (max-norm)

When the loss is fused with the output activation (softmax + categorical cross-entropy,
sigmoid + binary cross-entropy) the last layer stops at ``Z_L``, the loss is computed from
``Z_L`` with the log-sum-exp trick, and backpropagation starts from ``dZ_L = (A_L - Y) / N``.

Randomness: one ``seed`` drives everything. Layer ``i`` is initialized from
``default_rng([seed, 0, i])``, the epoch shuffles come from ``default_rng([seed, 1])``, layer
``i``'s training noise (dropout masks) from ``default_rng([seed, 2, i])`` and validation
splits from ``default_rng([seed, 3])``, so the same seed gives bit-identical results and
adding a layer does not change how the others are initialized. ``get_rng_state`` /
``set_rng_state`` read and restore every generator.

This module holds the model's structure (layers, build, compile), inference (predict,
evaluate), weights, summary and config. Training is :mod:`handgrad.training`: ``fit`` and
``train_on_batch`` come from its ``Trainer`` and run on ``model.session``, the model's
:class:`~handgrad.training.TrainingSession`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _parallel
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as optimizers_mod
from . import validation as V
from .data.augmentation import tta_predict
from .layers.base import Layer
from .layers.conv import Conv2D
from .saving.hgz import save_model
from .saving.registry import layer_from_config
from .tools.lr_finder import find_learning_rate
from .training.trainer import DivergenceWarning, Trainer

__all__ = ["Sequential", "DivergenceWarning"]


class Sequential(Trainer):
    """A linear stack of layers with a Keras-like training API.

    Parameters
    ----------
    layers : iterable of Layer, optional
        Layers in order; the first one needs ``input_dim=`` / ``input_shape=`` unless the
        model is built later from data.
    seed : int, optional
        Drives initialization, shuffling, dropout and validation splits (see module docstring).
        ``None`` draws a fresh seed, stored in ``model.seed``.
    dtype : {"float32", "float64"}
        Dtype of all parameters and computations; float64 for gradient checks and research.
    name : str
        Shown by ``summary()``.

    Attributes
    ----------
    session : TrainingSession
        Steps the model (forward, backward, update); see :mod:`handgrad.training.session`.
    history : History or None
        What the last ``fit`` returned.
    input_stats : InputStats or None
        Statistics of the last ``fit``'s training inputs (for ``history.diagnose()``).

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float); y = np.array([0, 1, 1, 0])
    >>> model = hg.Sequential([hg.layers.Dense(4, "tanh", input_dim=2),
    ...                        hg.layers.Dense(1, "sigmoid")], seed=0)
    >>> model.compile("binary_crossentropy", hg.optimizers.Adam(0.05), metrics=["accuracy"])
    >>> history = model.fit(X, y, epochs=300, batch_size=None, verbose=0)
    >>> model.evaluate(X, y)["accuracy"]
    1.0
    """

    def __init__(
        self,
        layers: Iterable[Layer] | None = None,
        *,
        seed: int | None = None,
        dtype: Any = "float32",
        name: str = "sequential",
    ) -> None:
        seed = V.check_seed(seed)
        self.seed = int(np.random.SeedSequence().entropy) if seed is None else seed
        self.dtype = V.check_dtype(dtype)
        self.name = name
        self._layers: list[Layer] = []
        self.built = False
        self.loss: losses_mod.Loss | None = None
        self.optimizer: optimizers_mod.Optimizer | None = None
        self.metric_fns: dict[str, Any] = {}
        self._init_training(self.seed)
        if isinstance(layers, Layer):
            raise TypeError(
                f"layers must be a list of layers, got a single {type(layers).__name__}; "
                "wrap it in a list: Sequential([layer])"
            )
        for layer in layers or []:
            self.add(layer)

    # ------------------------------------------------------------------ structure
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def add(self, layer: Layer) -> None:
        """Append a layer (built at once if the model's input shape is known)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer, got {type(layer).__name__}")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"a layer named {layer.name!r} is already in the model")
        if self._layers and layer.declared_input_shape is not None and not self.built:
            raise ValueError(
                f"only the first layer may declare input_shape/input_dim (layer {layer.name!r})"
            )
        self._layers.append(layer)
        try:
            if self.built:
                self._build_layer(len(self._layers) - 1, self._layers[-2].output_shape)
            elif len(self._layers) == 1 and layer.declared_input_shape is not None:
                self.build(layer.declared_input_shape)
        except Exception:
            self._layers.pop()  # a layer that cannot be built is not kept in the model
            raise

    def _build_layer(self, i: int, input_shape: tuple[int, ...]) -> None:
        layer = self._layers[i]
        if not layer.built:
            layer.build(input_shape, np.random.default_rng([self.seed, 0, i]), self.dtype)
            layer.rng = np.random.default_rng([self.seed, 2, i])
        elif layer.input_shape != tuple(input_shape):
            raise ValueError(
                f"layer {layer.name!r} was built for inputs {layer.input_shape} but receives "
                f"{tuple(input_shape)}"
            )
        # Softmax normalizes over the channels for Conv2D (axis 0 of a sample), over the last
        # axis otherwise.
        softmax_axis = 0 if isinstance(layer, Conv2D) else -1
        if layer.output_shape and layer.output_shape[softmax_axis] == 1:
            if getattr(getattr(layer, "activation", None), "name", None) == "softmax":
                raise ValueError(
                    f"layer {layer.name!r} applies softmax to a single unit, which always "
                    "outputs 1; use sigmoid for one unit or give it one unit per class"
                )

    def build(self, input_shape: Iterable[int]) -> None:
        """Build every layer for samples of ``input_shape``.

        ``input_shape`` is the shape of one sample, ``(5,)``, or Keras' form with the batch
        axis first, ``(None, 5)``.
        """
        if not self._layers:
            raise ValueError("the model has no layers; add some before building it")
        shape = V.check_input_shape(input_shape, f"model {self.name!r}")
        for i, layer in enumerate(self._layers):
            self._build_layer(i, shape)
            shape = layer.output_shape
        self.built = True

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        return self._layers[0].input_shape if self.built else None

    @property
    def output_shape(self) -> tuple[int, ...] | None:
        return self._layers[-1].output_shape if self.built else None

    # -------------------------------------------------------------------- compile
    def compile(
        self,
        loss: Any = "categorical_crossentropy",
        optimizer: Any = "sgd",
        metrics: Iterable[str] | None = None,
    ) -> None:
        """Choose the loss, optimizer and metrics (names or instances)."""
        if isinstance(metrics, str):
            raise TypeError(f"metrics must be a list of names, got the string {metrics!r}")
        loss_obj = losses_mod.get(loss)
        optimizer_obj = optimizers_mod.get(optimizer)
        metric_fns = dict(metrics_mod.get(m) for m in (metrics or []))
        self.loss, self.optimizer, self.metric_fns = loss_obj, optimizer_obj, metric_fns
        self.compiled_loss_name = loss_obj.name

    @property
    def metrics_names(self) -> list[str]:
        return ["loss", *self.metric_fns]

    def find_learning_rate(
        self,
        x: Any,
        y: Any,
        start: float = 1e-6,
        end: float = 1.0,
        num: int = 100,
        batch_size: int | None = 32,
        **kwargs: Any,
    ):
        """Learning-rate range test; the model is left unchanged (:mod:`handgrad.tools.lr_finder`).

        Returns an ``LRFinderResult`` with ``rates``, ``losses`` (smoothed) and ``suggestion``.
        """
        return find_learning_rate(
            self, x, y, start=start, end=end, num=num, batch_size=batch_size, **kwargs
        )

    # ---------------------------------------------------------------- inference
    def predict(self, x: Any, batch_size: int | None = 1024, tta: Any = None) -> np.ndarray:
        """Outputs of the last layer (probabilities for softmax / sigmoid), in batches.

        ``batch_size=None`` uses the default, 1024 samples per batch. With ``tta`` (test-time
        augmentation) the result is the average of the predictions on fixed transformed copies
        of ``x``: ``tta=True`` uses ``handgrad.data.augmentation.tta_transforms()`` (the notes'
        angles -15/0/15 and fixed crops and sizes), or pass a list of callables ``t(x) -> x``.
        Images must be (N, C, H, W); see ``augmentation.tta_predict`` for flat inputs.
        """
        if tta is not None and tta is not False:
            transforms = None if tta is True else tta
            return tta_predict(self, x, transforms, batch_size=batch_size or 1024)
        xs = V.check_x(self, x)
        batch_size = V.check_batch_size(batch_size) or 1024
        with _parallel.blas_policy(self._layers, min(batch_size, len(xs))):
            outs = [self._forward(xs[i : i + batch_size]) for i in range(0, len(xs), batch_size)]
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    def _forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        for layer in self._layers:
            x = layer.forward(x, training)
        return x

    def evaluate(
        self, x: Any, y: Any, batch_size: int | None = 1024, sample_weight: Any = None
    ) -> dict[str, float]:
        """Loss (including regularization penalties) and metrics on ``(x, y)``, as a dict.

        ``batch_size=None`` uses the default, 1024 samples per batch.
        """
        V.require_compiled(self, "evaluate")
        xs, ys = V.check_xy(self, x, y)
        sw = V.check_sample_weight(sample_weight, len(xs))
        batch_size = V.check_batch_size(batch_size) or 1024
        return self.session.evaluate(xs, ys, sw, batch_size)

    # ------------------------------------------------------------------ weights
    def count_params(self) -> int:
        """Total number of parameters (trainable and non-trainable)."""
        V.require_built(self, "count_params")
        return sum(layer.count_params() for layer in self._layers)

    def get_weights(self) -> list[np.ndarray]:
        """All weights, layer by layer (W then b, then non-trainable buffers)."""
        V.require_built(self, "get_weights")
        return self.session.snapshot()

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set all weights from a list shaped like ``get_weights()`` (validated first)."""
        V.require_built(self, "set_weights")
        weights = list(weights)
        expected = sum(len(layer.params) + len(layer.buffers) for layer in self._layers)
        if len(weights) != expected:
            raise ValueError(
                f"set_weights expects {expected} arrays (one per weight, layer by layer), got "
                f"{len(weights)}"
            )
        chunks, i = [], 0
        for layer in self._layers:
            k = len(layer.params) + len(layer.buffers)
            chunk = weights[i : i + k]
            layer.check_weights(chunk)
            chunks.append(chunk)
            i += k
        for layer, chunk in zip(self._layers, chunks, strict=True):
            layer.set_weights(chunk)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(param, grad)`` pairs of the trainable layers, in order."""
        return [
            (layer.params[k], layer.grads[k])
            for layer in self._layers
            if layer.trainable
            for k in layer.params
        ]

    # ------------------------------------------------------------------ summary
    def summary(self, print_fn=print) -> str:
        """Print (and return) a table of layers, output shapes and parameter counts."""
        V.require_built(self, "summary")
        rows = [("Layer (type)", "Output Shape", "Param #")]
        trainable = non_trainable = 0
        for layer in self._layers:
            shape = "(None, " + ", ".join(map(str, layer.output_shape)) + ")"
            rows.append(
                (f"{layer.name} ({type(layer).__name__})", shape, str(layer.count_params()))
            )
            n_params = sum(v.size for v in layer.params.values())
            if layer.trainable:
                trainable += n_params
            else:
                non_trainable += n_params
            non_trainable += layer.count_buffers()
        widths = [max(len(r[i]) for r in rows) + 2 for i in range(3)]
        line = "=" * sum(widths)

        def fmt(row):
            return "".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

        text = [
            f'Model: "{self.name}"',
            fmt(rows[0]),
            line,
            *map(fmt, rows[1:]),
            line,
            f"Total params: {trainable + non_trainable:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {non_trainable:,}",
        ]
        out = "\n".join(text)
        if print_fn is not None:
            print_fn(out)
        return out

    # ------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Save architecture, weights, compile settings, optimizer state and history (``.hgz``).

        The write is atomic; see :mod:`handgrad.saving.hgz`.
        """
        save_model(self, path)

    def get_config(self) -> dict[str, Any]:
        """Architecture as JSON-compatible data: name, seed, dtype and each layer's config."""
        return {
            "name": self.name,
            "seed": self.seed,
            "dtype": self.dtype.name,
            "layers": [
                {"class_name": type(layer).__name__, "config": layer.get_config()}
                for layer in self._layers
            ],
            "input_shape": None if self.input_shape is None else list(self.input_shape),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """A new, freshly initialized model with the architecture of ``config``."""
        model = cls(
            seed=config.get("seed"),
            dtype=config.get("dtype", "float32"),
            name=config.get("name", "sequential"),
        )
        for entry in config["layers"]:
            model.add(layer_from_config(entry))
        if config.get("input_shape") and not model.built:
            model.build(tuple(config["input_shape"]))
        return model

    def __repr__(self) -> str:
        return f"Sequential(name={self.name!r}, layers={[layer.name for layer in self._layers]})"
