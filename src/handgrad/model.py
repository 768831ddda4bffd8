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
adding a layer does not change how the others are initialized.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import numpy as np

from . import _parallel
from . import _validation as V
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as optimizers_mod
from ._split import stratified_indices
from .callbacks import Callback, CallbackList, History, ProgressBar
from .diagnostics import record_input_stats
from .layers.base import Layer, check_positive_int
from .layers.conv import Conv2D

__all__ = ["Sequential", "DivergenceWarning"]


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the loss became NaN or infinite."""


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be 'float32' or 'float64', got {dtype!r}") from None
    if dt not in (np.dtype("float32"), np.dtype("float64")):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return dt


def _check_seed(seed: Any) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative int or None, got {seed!r}")
    return int(seed)


class Sequential:
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
        self.seed = _check_seed(seed)
        self.dtype = _check_dtype(dtype)
        self.name = name
        self._layers: list[Layer] = []
        self.built = False
        self.loss: losses_mod.Loss | None = None
        self.optimizer: optimizers_mod.Optimizer | None = None
        self.metric_fns: dict[str, Any] = {}
        self.history: History | None = None
        self.stop_training = False
        self.current_epoch = 0
        self.epochs_trained = 0
        self._shuffle_rng = np.random.default_rng([self.seed, 1])
        self._split_rng = np.random.default_rng([self.seed, 3])
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
        """Build every layer for samples of ``input_shape`` (batch axis excluded)."""
        if not self._layers:
            raise ValueError("the model has no layers; add some before building it")
        shape = tuple(int(s) for s in input_shape)
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

    def _require_compiled(self, what: str) -> None:
        if self.loss is None:
            raise ValueError(
                f"{what} needs a compiled model: call model.compile(loss, optimizer) first"
            )

    # ------------------------------------------------------------------ data checks
    def _check_x(self, x: Any, argument: str = "x") -> np.ndarray:
        if not self._layers:
            raise ValueError("the model has no layers; add some before using it")
        first = self._layers[0]
        arr = V.check_features(x, argument, self.input_shape, first.name, self.dtype)
        if not self.built:
            self.build(arr.shape[1:])
        return arr

    def _check_xy(self, x, y, argument_x="x", argument_y="y"):
        xs = self._check_x(x, argument_x)
        ys = V.prepare_targets(
            y, len(xs), self.loss, int(np.prod(self.output_shape)), self.dtype, argument_y
        )
        V.check_output_activation(self.loss, self._layers[-1])
        return xs, ys

    def _check_validation_data(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise TypeError(
                "validation_data must be a tuple (x_val, y_val) or "
                "(x_val, y_val, sample_weight_val)"
            )
        xv, yv = self._check_xy(validation_data[0], validation_data[1], "x_val", "y_val")
        swv = None
        if len(validation_data) == 3:
            swv = V.check_sample_weight(validation_data[2], len(xv), "validation sample_weight")
        return xv, yv, swv

    def _class_weights(self, class_weight, y):
        labels = V.class_labels(y, self.loss)
        if labels is None:
            raise ValueError(
                "class_weight needs class targets (categorical cross-entropy, or "
                "binary cross-entropy with one output unit)"
            )
        present = np.unique(labels)
        if isinstance(class_weight, str):
            if class_weight != "balanced":
                raise ValueError(f"class_weight must be a dict or 'balanced', got {class_weight!r}")
            counts = np.bincount(labels)
            table = np.zeros(len(counts))
            table[present] = len(labels) / (len(present) * counts[present])
            return table[labels]
        if not isinstance(class_weight, dict):
            raise TypeError(f"class_weight must be a dict or 'balanced', got {class_weight!r}")
        n_classes = int(np.prod(self.output_shape)) if self.loss.accepts_integer_labels else 2
        table = np.ones(n_classes)
        for key, weight in class_weight.items():
            if (
                isinstance(key, bool)
                or not isinstance(key, (int, np.integer))
                or not (0 <= key < n_classes)
            ):
                raise ValueError(
                    f"class_weight key {key!r} is not a class; classes are 0...{n_classes - 1}"
                )
            if not isinstance(weight, (int, float, np.number)) or not weight >= 0:
                raise ValueError(
                    f"class_weight[{key}] must be a non-negative number, got {weight!r}"
                )
            table[key] = float(weight)
        return table[labels]

    # ------------------------------------------------------------------ training
    def _prepare_training(self) -> None:
        """Cache what the hot loop needs: parameter pairs, fusion, which layers need dx."""
        layers = self._layers
        self._pairs = [self._flat_parameters()]
        slots = self.optimizer.state
        if slots and [a.shape for a in next(iter(slots.values()))] != [self._pairs[0][0].shape]:
            self.optimizer.reset()
        upstream_params = False
        for layer in layers:
            layer.need_input_grad = upstream_params
            upstream_params = upstream_params or (layer.trainable and bool(layer.params))
        self._fused = (
            self.loss.fused_activation is not None
            and layers[-1].fused_activation == self.loss.fused_activation
        )
        self._regularized = [lay for lay in layers if lay.regularizers]
        self._constrained = [lay for lay in layers if lay.constraints and lay.trainable]

    def _flat_parameters(self) -> tuple[np.ndarray, np.ndarray]:
        """All trainable parameters (and their gradients) as one flat array each.

        Every layer's ``params[k]`` / ``grads[k]`` becomes a view into the flat arrays, so an
        optimizer updates the whole model with a handful of element-wise operations instead of a
        handful per parameter array (same results: every update is element-wise).
        """
        keys = [(layer, k) for layer in self._layers if layer.trainable for k in layer.params]
        flat = getattr(self, "_flat", None)
        if flat is not None and flat[2] == [(id(lay.params[k]), k) for lay, k in keys]:
            return flat[0], flat[1]
        total = sum(layer.params[k].size for layer, k in keys)
        params = np.empty(total, dtype=self.dtype)
        grads = np.zeros(total, dtype=self.dtype)
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

    def _forward_backward(self, x, y, sw):
        """Forward and backward on one batch; fills every layer's ``grads``.

        Returns the loss (with regularization penalties) and the output of the last layer.
        """
        layers = self._layers
        a = x
        for layer in layers[:-1]:
            a = layer.forward(a, True)
        last = layers[-1]
        loss_fn = self.loss
        if self._fused:
            z = last.forward_logits(a, True)
            out, loss = loss_fn.fused_forward(y, z, sw)
            d = last.backward_logits(loss_fn.logits_gradient(y, out, sw))
        else:
            out = last.forward(a, True)
            loss = loss_fn.value(y, out, sw)
            d = last.backward(loss_fn.gradient(y, out, sw))
        for layer in reversed(layers[:-1]):
            if d is None:
                break
            d = layer.backward(d)
        for layer in self._regularized:
            loss += layer.regularization_penalty()
        return loss, out

    def _training_loss(self, x, y, sw=None) -> float:
        """Loss of a training-mode forward pass (no backward): what gradients differentiate."""
        layers = self._layers
        a = x
        for layer in layers[:-1]:
            a = layer.forward(a, True)
        if self._fused:
            _, loss = self.loss.fused_forward(y, layers[-1].forward_logits(a, True), sw)
        else:
            loss = self.loss.value(y, layers[-1].forward(a, True), sw)
        return loss + sum(layer.regularization_penalty() for layer in self._regularized)

    def _train_step(self, x, y, sw, overwrite_grads=False):
        """Forward, backward and update on one batch; returns (loss before update, output).

        ``overwrite_grads``: the update may use the ``grads`` arrays as scratch space (see
        ``Optimizer.step``), for batches after which nothing reads them.
        """
        loss, out = self._forward_backward(x, y, sw)
        if math.isfinite(loss):
            self.optimizer.step(self._pairs, overwrite_grads)
            for layer in self._constrained:
                layer.apply_constraints()
        return loss, out

    @contextmanager
    def _reusing_buffers(self) -> Iterator[None]:
        """Let layers reuse their arrays between batches while this model trains them."""
        for layer in self._layers:
            layer.reuse_buffers = True
        try:
            yield
        finally:
            for layer in self._layers:
                layer.reuse_buffers = False

    def _blas_policy(self, batch_size: int) -> AbstractContextManager:
        """Hold the BLAS to one thread per call while layers split batches across threads.

        See :mod:`handgrad._parallel`: OpenBLAS's spinning workers would take the core that
        the second share of a convolution or pooling needs. Batches too small for any layer
        to split keep the BLAS's threads (holding them then only loses: measured 2,850 ->
        2,500 samples/s for the benchmark CNN at batch 8).
        """
        work = batch_size * max((layer.sample_work() for layer in self._layers), default=0)
        if _parallel.worth_splitting(work):
            return _parallel.blas_held()
        return nullcontext()

    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None) -> float:
        """One forward/backward/update on a batch; returns the batch loss *before* the update.

        Afterwards every layer's ``grads`` hold this batch's gradients.
        """
        self._require_compiled("train_on_batch")
        xs, ys = self._check_xy(x, y)
        sw = V.check_sample_weight(sample_weight, len(xs))
        self._prepare_training()
        with self._reusing_buffers(), self._blas_policy(len(xs)):
            loss, _ = self._train_step(xs, ys, sw)
        return float(loss)

    def _snapshot(self) -> list[np.ndarray]:
        return [w for layer in self._layers for w in layer.get_weights()]

    def _restore(self, snapshot: list[np.ndarray]) -> None:
        self.set_weights(snapshot)

    def fit(
        self,
        x: Any,
        y: Any,
        epochs: int = 1,
        batch_size: int | None = 32,
        verbose: int = 1,
        callbacks: list[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple | None = None,
        shuffle: bool = True,
        class_weight: dict | str | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        augment: Any = None,
    ) -> History:
        """Train for ``epochs`` passes over ``(x, y)``.

        Parameters
        ----------
        x : array (N, ...)
            Features, batch-first.
        y : array
            Targets: integer labels ``(N,)`` or one-hot ``(N, K)`` for categorical
            cross-entropy; ``(N,)`` or ``(N, K)`` otherwise.
        epochs : int
            Index of the last epoch (training runs epochs ``initial_epoch..epochs-1``).
        batch_size : int or None
            Samples per update: ``None`` is full-batch gradient descent, ``1`` stochastic.
        verbose : {0, 1, 2}
            0 silent, 1 progress bar (one line per epoch when not on a terminal), 2 one line
            per epoch.
        callbacks : list of Callback
        validation_split : float in [0, 1)
            Fraction held out for validation: a shuffled split, stratified by class for
            classification losses. Ignored when ``validation_data`` is given.
        validation_data : (x_val, y_val) or (x_val, y_val, sample_weight_val)
        shuffle : bool
            Reshuffle the training samples before every epoch (one permutation per epoch).
        class_weight : dict or "balanced"
            Per-class loss weights (multiplied into ``sample_weight``).
        sample_weight : array (N,)
            Per-sample loss weights: the loss is ``sum_i w_i l_i / N``.
        initial_epoch : int
            Epoch to start from (to resume training).
        augment : callable, optional
            Applied to every training batch (never to validation data), e.g. a
            ``handgrad.data.augmentation.Compose`` pipeline: ``augment(x_batch) -> x_batch``.

        Returns
        -------
        History
            ``history.history[key]`` holds one value per epoch for ``loss``, each metric, the
            ``val_`` twins and ``lr``.
        """
        self._require_compiled("fit")
        epochs = check_positive_int(epochs, "epochs")
        batch_size = V.check_batch_size(batch_size)
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
        if callbacks is not None and not isinstance(callbacks, (list, tuple)):
            what = type(callbacks).__name__
            raise TypeError(
                f"callbacks must be a list of Callback instances, got "
                f"{'a single ' + what if isinstance(callbacks, Callback) else what}; "
                "wrap it in a list: callbacks=[...]"
            )
        if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, (int, np.integer)):
            raise TypeError(f"initial_epoch must be an int, got {initial_epoch!r}")
        if not 0 <= initial_epoch < epochs:
            raise ValueError(f"initial_epoch must be in [0, epochs={epochs}), got {initial_epoch}")
        validation_split = V.check_fraction(validation_split, "validation_split")
        if augment is not None and not callable(augment):
            raise TypeError(f"augment must be a callable batch -> batch, got {augment!r}")
        xs, ys = self._check_xy(x, y)
        sw = V.check_sample_weight(sample_weight, len(xs))
        if class_weight is not None:
            cw = self._class_weights(class_weight, ys)
            sw = cw if sw is None else sw * cw
        val = None
        if validation_data is not None:
            val = self._check_validation_data(validation_data)
        elif validation_split > 0:
            xs, ys, sw, val = self._split_validation(xs, ys, sw, validation_split)
        user_callbacks = list(callbacks or [])
        names = ["loss", *self.metric_fns]
        log_keys = [*names, *(f"val_{k}" for k in names if val is not None), "lr"]
        for cb in user_callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be handgrad.callbacks.Callback instances, got {cb!r}"
                )
            cb.check_log_keys(log_keys)  # e.g. a monitor that will never be logged
        self._input_stats = record_input_stats(xs, ys, self.seed)  # for history.diagnose()

        history = History()
        self.history = history
        all_callbacks: list[Callback] = [history]
        if verbose and not any(isinstance(cb, ProgressBar) for cb in user_callbacks):
            all_callbacks.append(ProgressBar(one_line_per_epoch=True if verbose == 2 else None))
        all_callbacks += user_callbacks
        n = len(xs)
        bs = n if batch_size is None else min(batch_size, n)
        steps = -(-n // bs)
        smallest = min(bs, n - (steps - 1) * bs)
        for layer in self._layers:
            if smallest < layer.min_train_batch_size:
                raise ValueError(
                    f"layer {layer.name!r} needs training batches of at least "
                    f"{layer.min_train_batch_size} samples, but {n} samples in batches of {bs} "
                    f"leave a batch of {smallest}; choose another batch_size"
                )
        cbs = CallbackList(
            all_callbacks,
            self,
            {"epochs": epochs, "steps": steps, "batch_size": bs, "samples": n, "verbose": verbose},
        )
        self._prepare_training()
        self.stop_training = False
        logs: dict[str, float] = {}
        cbs.on_train_begin(logs)
        snapshot = self._snapshot()
        try:
            for epoch in range(initial_epoch, epochs):
                self.current_epoch = epoch
                self.optimizer.begin_epoch(epoch + 1)
                cbs.on_epoch_begin(epoch, {})
                # Overflow is caught on the loss scalar below (DivergenceWarning), not as
                # NumPy RuntimeWarnings from inside the batch loop.
                with (
                    np.errstate(over="ignore", invalid="ignore", divide="ignore"),
                    self._reusing_buffers(),
                    self._blas_policy(bs),
                ):
                    epoch_logs = self._run_epoch(xs, ys, sw, bs, steps, shuffle, cbs, augment)
                if epoch_logs is not None and not all(np.isfinite(p).all() for p, _ in self._pairs):
                    # The last update overflowed although its loss was finite (earlier ones
                    # would have shown in the next batch's loss): same treatment.
                    self._warn_divergence(
                        "finite, but the update overflowed the weights", steps - 1, steps
                    )
                    epoch_logs = None
                if epoch_logs is None:  # diverged: weights restored, warning issued
                    self._restore(snapshot)
                    history.stopped_reason = "diverged"
                    break
                if val is not None:
                    val_logs = self._evaluate_arrays(*val)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                epoch_logs["lr"] = self.optimizer.current_learning_rate
                self.epochs_trained = epoch + 1
                logs = epoch_logs
                # Snapshot before the callbacks: once History has recorded this epoch, Ctrl-C
                # must keep this epoch's weights.
                snapshot = self._snapshot()
                cbs.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            self._restore(snapshot)
            history.stopped_reason = "interrupted"
            print(
                f"\nTraining interrupted: kept the weights after epoch "
                f"{history.epoch[-1] + 1 if history.epoch else initial_epoch}; "
                "the history so far is returned.",
                file=sys.stderr,
            )
        except BaseException:
            # Any other error still ends the callbacks' work (closes a CSVLogger's file, restores
            # EarlyStopping's best weights) before it propagates.
            cbs.on_train_end(logs)
            raise
        cbs.on_train_end(logs)
        return history

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
        """Learning-rate range test; the model is left unchanged. See :mod:`handgrad.lr_finder`.

        Returns an ``LRFinderResult`` with ``rates``, ``losses`` (smoothed) and ``suggestion``.
        """
        from .lr_finder import find_learning_rate

        return find_learning_rate(
            self, x, y, start=start, end=end, num=num, batch_size=batch_size, **kwargs
        )

    def _split_validation(self, xs, ys, sw, fraction):
        labels = V.class_labels(ys, self.loss)
        train_idx, val_idx = stratified_indices(
            len(xs), fraction, self._split_rng, labels, argument="validation_split"
        )
        sw_train = None if sw is None else sw[train_idx]
        sw_val = None if sw is None else sw[val_idx]
        return xs[train_idx], ys[train_idx], sw_train, (xs[val_idx], ys[val_idx], sw_val)

    #: Rows gathered at once when shuffling: about this many bytes of features per gather.
    _GATHER_BYTES = 4 * 2**20

    def _epoch_batches(self, arrays, bs, steps, shuffle):
        """Yield ``(b, size, batch arrays)`` for one epoch.

        Shuffled batches are gathered with one permutation per epoch, a few megabytes of rows
        at a time, into buffers reused all epoch: an epoch neither copies the whole dataset
        (peak memory stays near the data size) nor pays one gather call per small batch.
        """
        n = len(arrays[0])
        if not (shuffle and bs < n):
            for b in range(steps):
                lo, hi = b * bs, min(n, (b + 1) * bs)
                yield b, hi - lo, [None if a is None else a[lo:hi] for a in arrays]
            return
        perm = self._shuffle_rng.permutation(n)
        row_bytes = max(1, arrays[0][0].nbytes)
        chunk = bs * max(1, self._GATHER_BYTES // (bs * row_bytes))
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

    def _run_epoch(self, xs, ys, sw, bs, steps, shuffle, cbs, augment=None):
        """One pass over the data; returns the epoch logs or None if the loss diverged."""
        total_loss = 0.0
        totals = dict.fromkeys(self.metric_fns, 0.0)
        binary = self.loss.name == "binary_crossentropy" or None
        metric_items = list(self.metric_fns.items())
        train_step = self._train_step
        # Nothing reads grads between batches unless a callback may: then the update can use
        # them as scratch space. The last batch keeps them, for epoch-end callbacks and after.
        scratch_grads = not cbs.batch_callbacks_may_read_grads
        for b, size, (xb, yb, swb) in self._epoch_batches((xs, ys, sw), bs, steps, shuffle):
            if augment is not None:
                xb = np.asarray(augment(xb), dtype=self.dtype)
            loss, out = train_step(xb, yb, swb, scratch_grads and b < steps - 1)
            if not math.isfinite(loss):
                self._warn_divergence(loss, b, steps)
                return None
            total_loss += loss * size
            for name, fn in metric_items:
                totals[name] += fn(yb, out, binary) * size
            if cbs.batch_callbacks:
                cbs.on_batch_end(b, {"loss": float(loss), "size": size})
        logs = {"loss": total_loss / len(xs)}
        logs.update({k: v / len(xs) for k, v in totals.items()})
        return logs

    def _warn_divergence(self, loss, batch, steps):
        epoch = self.current_epoch
        warnings.warn(
            f"training diverged: the loss became {loss} at epoch {epoch + 1} (batch {batch + 1} "
            f"of {steps}); stopped and kept the weights from the end of epoch {epoch}"
            f"{' (the initial weights)' if epoch == 0 else ''}. Try a lower learning rate (it was "
            f"{self.optimizer.current_learning_rate:g}) or scale the inputs, e.g. with "
            "handgrad.data.preprocessing.StandardScaler.",
            DivergenceWarning,
            stacklevel=3,
        )

    # ---------------------------------------------------------------- inference
    def _forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        for layer in self._layers:
            x = layer.forward(x, training)
        return x

    def predict(self, x: Any, batch_size: int | None = 1024, tta: Any = None) -> np.ndarray:
        """Outputs of the last layer (probabilities for softmax / sigmoid), in batches.

        ``batch_size=None`` uses the default, 1024 samples per batch. With ``tta`` (test-time
        augmentation) the result is the average of the predictions on fixed transformed copies
        of ``x``: ``tta=True`` uses ``handgrad.data.augmentation.tta_transforms()`` (the notes'
        angles -15/0/15 and fixed crops and sizes), or pass a list of callables ``t(x) -> x``.
        Images must be (N, C, H, W); see ``augmentation.tta_predict`` for flat inputs.
        """
        if tta is not None and tta is not False:
            from .data.augmentation import tta_predict

            transforms = None if tta is True else tta
            return tta_predict(self, x, transforms, batch_size=batch_size or 1024)
        xs = self._check_x(x)
        batch_size = V.check_batch_size(batch_size) or 1024
        with self._blas_policy(min(batch_size, len(xs))):
            outs = [self._forward(xs[i : i + batch_size]) for i in range(0, len(xs), batch_size)]
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    def _evaluate_arrays(self, xs, ys, sw=None, batch_size: int = 1024) -> dict[str, float]:
        with self._blas_policy(min(batch_size, len(xs))):
            return self._evaluate_batches(xs, ys, sw, batch_size)

    def _evaluate_batches(self, xs, ys, sw, batch_size: int) -> dict[str, float]:
        n = len(xs)
        total_loss = 0.0
        totals = dict.fromkeys(self.metric_fns, 0.0)
        binary = self.loss.name == "binary_crossentropy"
        fused = self.loss.fused_activation is not None and (
            self._layers[-1].fused_activation == self.loss.fused_activation
        )
        for lo in range(0, n, batch_size):
            xb, yb = xs[lo : lo + batch_size], ys[lo : lo + batch_size]
            swb = None if sw is None else sw[lo : lo + batch_size]
            a = xb
            for layer in self._layers[:-1]:
                a = layer.forward(a, False)
            if fused:
                out, loss = self.loss.fused_forward(yb, self._layers[-1].forward_logits(a), swb)
            else:
                out = self._layers[-1].forward(a, False)
                loss = self.loss.value(yb, out, swb)
            total_loss += loss * len(xb)
            for name, fn in self.metric_fns.items():
                totals[name] += fn(yb, out, binary or None) * len(xb)
        penalty = sum(layer.regularization_penalty() for layer in self._layers)
        result = {"loss": total_loss / n + penalty}
        result.update({k: v / n for k, v in totals.items()})
        return result

    def evaluate(
        self, x: Any, y: Any, batch_size: int | None = 1024, sample_weight: Any = None
    ) -> dict[str, float]:
        """Loss (including regularization penalties) and metrics on ``(x, y)``, as a dict.

        ``batch_size=None`` uses the default, 1024 samples per batch.
        """
        self._require_compiled("evaluate")
        xs, ys = self._check_xy(x, y)
        sw = V.check_sample_weight(sample_weight, len(xs))
        batch_size = V.check_batch_size(batch_size) or 1024
        return self._evaluate_arrays(xs, ys, sw, batch_size)

    # ------------------------------------------------------------------ weights
    def count_params(self) -> int:
        """Total number of parameters (trainable and non-trainable)."""
        self._require_built("count_params")
        return sum(layer.count_params() for layer in self._layers)

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"{what} needs a built model: give the first layer input_dim= or input_shape=, "
                "call model.build(input_shape), or fit it on data"
            )

    def get_weights(self) -> list[np.ndarray]:
        """All weights, layer by layer (W then b, then non-trainable buffers)."""
        self._require_built("get_weights")
        return self._snapshot()

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set all weights from a list shaped like ``get_weights()`` (validated first)."""
        self._require_built("set_weights")
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
        self._require_built("summary")
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

        The write is atomic; see :mod:`handgrad.io`.
        """
        from .io import save_model

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
        from .io import layer_from_config

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
