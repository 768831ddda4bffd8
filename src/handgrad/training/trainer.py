"""The fit loop: epochs, callbacks, validation, divergence and Ctrl-C.

``Trainer`` is mixed into :class:`~handgrad.Sequential` (as Keras' ``Model`` mixes in its
``Trainer``), so ``model.fit`` and ``model.train_on_batch`` are methods while this file holds
the loop. Who owns what:

* the trainer (here): epochs, the per-batch bookkeeping (running loss and metrics, the
  callbacks' ``on_batch_end``), validation after every epoch, divergence (a non-finite loss or
  weights: stop, restore the last finite epoch's weights, warn) and Ctrl-C (stop, keep the
  weights of the last finished epoch, return the history);
* :mod:`handgrad.training.batching`: which samples form each batch, the validation split;
* :class:`~handgrad.training.TrainingSession` (``model.session``): the step itself (forward,
  backward, update, constraints), buffer reuse and the BLAS thread policy.

The per-batch loop is :meth:`Trainer._run_epoch`: one function, local bindings, no checks.
Randomness: the epoch shuffles come from ``default_rng([seed, 1])``, validation splits from
``default_rng([seed, 3])`` (see :mod:`handgrad.sequential`).
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import validation as V
from ..callbacks import Callback, CallbackList, History, ProgressBar
from ..tools.diagnostics import record_input_stats
from .batching import batch_count, epoch_batches, split_validation
from .session import TrainingSession

__all__ = ["Trainer", "DivergenceWarning"]


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the loss became NaN or infinite."""


@dataclass
class _FitRun:
    """One call of ``fit``: the validated data, the batching and the callbacks."""

    xs: np.ndarray
    ys: np.ndarray
    sw: np.ndarray | None
    val: tuple | None
    bs: int
    steps: int
    shuffle: bool
    augment: Any
    epochs: int
    initial_epoch: int
    callbacks: CallbackList
    history: History


def _check_fit_arguments(
    epochs, batch_size, verbose, shuffle, callbacks, initial_epoch, validation_split, augment
):
    """The arguments of ``fit`` that are not data, in the order ``fit`` checks them."""
    epochs = V.check_positive_int(epochs, "epochs")
    batch_size = V.check_batch_size(batch_size)
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    V.check_bool(shuffle, "shuffle")
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
    return epochs, batch_size, validation_split


class Trainer:
    """``fit`` and ``train_on_batch`` for a model with ``layers``, ``loss``, ``optimizer``.

    The model calls :meth:`_init_training` from its constructor; it creates the model's
    :class:`TrainingSession` (``model.session``), the training counters and the random
    generators of shuffling and validation splits.
    """

    def _init_training(self, seed: int) -> None:
        self.session = TrainingSession(self)
        self.history: History | None = None
        self.stop_training = False
        self.current_epoch = 0
        self.epochs_trained = 0
        #: Statistics of the last fit's training inputs (for ``history.diagnose()``).
        self.input_stats = None
        self._shuffle_rng = np.random.default_rng([seed, 1])
        self._split_rng = np.random.default_rng([seed, 3])

    # ------------------------------------------------------------------ random state
    def get_rng_state(self) -> dict[str, Any]:
        """States of every random generator: shuffling, validation splits, each layer's.

        ``{"shuffle": ..., "split": ..., "layers": [state or None, ...]}``, plain data (what
        the ``.hgz`` format saves), accepted by :meth:`set_rng_state`.
        """
        return {
            "shuffle": self._shuffle_rng.bit_generator.state,
            "split": self._split_rng.bit_generator.state,
            "layers": [
                None if lay.rng is None else lay.rng.bit_generator.state for lay in self.layers
            ],
        }

    def set_rng_state(self, state: dict[str, Any]) -> None:
        """Restore states from :meth:`get_rng_state` (missing keys and ``None`` entries: kept)."""
        layer_states = state.get("layers")
        if layer_states is not None and len(layer_states) != len(self.layers):
            raise ValueError(
                f"the rng state holds {len(layer_states)} layer states but the model has "
                f"{len(self.layers)} layers"
            )
        for key, rng in (("shuffle", self._shuffle_rng), ("split", self._split_rng)):
            if state.get(key) is not None:
                rng.bit_generator.state = state[key]
        for layer, layer_state in zip(self.layers, layer_states or [], strict=False):
            if layer_state is not None:
                layer.rng.bit_generator.state = layer_state

    # -------------------------------------------------------------------- one batch
    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None) -> float:
        """One forward/backward/update on a batch; returns the batch loss *before* the update.

        Afterwards every layer's ``grads`` hold this batch's gradients.
        """
        V.require_compiled(self, "train_on_batch")
        xs, ys = V.check_xy(self, x, y)
        sw = V.check_sample_weight(sample_weight, len(xs))
        session = self.session
        session.prepare()
        with session.running(len(xs)):
            loss, _ = session.step(xs, ys, sw)
        return float(loss)

    # --------------------------------------------------------------------------- fit
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
        V.require_compiled(self, "fit")
        epochs, batch_size, validation_split = _check_fit_arguments(
            epochs,
            batch_size,
            verbose,
            shuffle,
            callbacks,
            initial_epoch,
            validation_split,
            augment,
        )
        xs, ys = V.check_xy(self, x, y)
        sw = V.check_sample_weight(sample_weight, len(xs))
        if class_weight is not None:
            cw = V.class_weight_vector(class_weight, ys, self.loss, int(np.prod(self.output_shape)))
            sw = cw if sw is None else sw * cw
        val = None
        if validation_data is not None:
            val = V.check_validation_data(self, validation_data)
        elif validation_split > 0:
            xs, ys, sw, val = split_validation(
                xs, ys, sw, validation_split, self.loss, self._split_rng
            )
        user_callbacks = list(callbacks or [])
        self._check_callbacks(user_callbacks, val is not None)
        self.input_stats = record_input_stats(xs, ys, self.seed)  # for history.diagnose()
        history = self.history = History()
        all_callbacks: list[Callback] = [history]
        if verbose and not any(isinstance(cb, ProgressBar) for cb in user_callbacks):
            all_callbacks.append(ProgressBar(one_line_per_epoch=True if verbose == 2 else None))
        n = len(xs)
        bs, steps = batch_count(n, batch_size)
        self._check_batch_size(n, bs, steps)
        params = {"epochs": epochs, "steps": steps, "batch_size": bs, "samples": n}
        cbs = CallbackList(all_callbacks + user_callbacks, self, {**params, "verbose": verbose})
        run = _FitRun(
            xs, ys, sw, val, bs, steps, bool(shuffle), augment, epochs, initial_epoch, cbs, history
        )
        return self._fit_loop(run)

    def _check_callbacks(self, callbacks: list, validating: bool) -> None:
        """Every callback is a Callback and will find the logs it needs (before training)."""
        names = ["loss", *self.metric_fns]
        log_keys = [*names, *(f"val_{k}" for k in names if validating), "lr"]
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be handgrad.callbacks.Callback instances, got {cb!r}"
                )
            cb.check_log_keys(log_keys)  # e.g. a monitor that will never be logged

    def _check_batch_size(self, n: int, bs: int, steps: int) -> None:
        smallest = min(bs, n - (steps - 1) * bs)
        for layer in self.layers:
            if smallest < layer.min_train_batch_size:
                raise ValueError(
                    f"layer {layer.name!r} needs training batches of at least "
                    f"{layer.min_train_batch_size} samples, but {n} samples in batches of {bs} "
                    f"leave a batch of {smallest}; choose another batch_size"
                )

    def _fit_loop(self, run: _FitRun) -> History:
        """The epochs of one ``fit``: callbacks, divergence, Ctrl-C; returns the History."""
        session, cbs = self.session, run.callbacks
        session.prepare()
        self.stop_training = False
        logs: dict[str, float] = {}
        cbs.on_train_begin(logs)
        snapshot = session.snapshot()
        try:
            for epoch in range(run.initial_epoch, run.epochs):
                epoch_logs = self._train_epoch(run, epoch)
                if epoch_logs is None:  # diverged: weights restored, warning issued
                    session.restore(snapshot)
                    run.history.stopped_reason = "diverged"
                    break
                logs = self._finish_epoch(run, epoch, epoch_logs)
                # Snapshot before the callbacks: once History has recorded this epoch, Ctrl-C
                # must keep this epoch's weights.
                snapshot = session.snapshot()
                cbs.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            session.restore(snapshot)
            run.history.stopped_reason = "interrupted"
            last = run.history.epoch[-1] + 1 if run.history.epoch else run.initial_epoch
            print(
                f"\nTraining interrupted: kept the weights after epoch {last}; "
                "the history so far is returned.",
                file=sys.stderr,
            )
        except BaseException:
            # Any other error still ends the callbacks' work (closes a CSVLogger's file, restores
            # EarlyStopping's best weights) before it propagates.
            cbs.on_train_end(logs)
            raise
        cbs.on_train_end(logs)
        return run.history

    def _train_epoch(self, run: _FitRun, epoch: int) -> dict[str, float] | None:
        """Set the epoch's rate, run its batches; the logs, or None if training diverged."""
        self.current_epoch = epoch
        self.optimizer.begin_epoch(epoch + 1)
        run.callbacks.on_epoch_begin(epoch, {})
        # Overflow is caught on the loss scalar (DivergenceWarning), not as NumPy
        # RuntimeWarnings from inside the batch loop.
        with (
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
            self.session.running(run.bs),
        ):
            logs = self._run_epoch(
                run.xs, run.ys, run.sw, run.bs, run.steps, run.shuffle, run.callbacks, run.augment
            )
        if logs is not None and not all(np.isfinite(p).all() for p, _ in self.session.pairs):
            # The last update overflowed although its loss was finite (earlier ones would have
            # shown in the next batch's loss): same treatment.
            self._warn_divergence(
                "finite, but the update overflowed the weights", run.steps - 1, run.steps, 5
            )
            return None
        return logs

    def _finish_epoch(self, run: _FitRun, epoch: int, logs: dict[str, float]) -> dict:
        """Add the validation values and the rate to an epoch's logs; count the epoch."""
        if run.val is not None:
            val_logs = self.session.evaluate(*run.val)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        logs["lr"] = self.optimizer.current_learning_rate
        self.epochs_trained = epoch + 1
        return logs

    def _run_epoch(self, xs, ys, sw, bs, steps, shuffle, cbs, augment=None):
        """One pass over the data; returns the epoch logs or None if the loss diverged."""
        total_loss = 0.0
        totals = dict.fromkeys(self.metric_fns, 0.0)
        binary = self.loss.name == "binary_crossentropy" or None
        metric_items = list(self.metric_fns.items())
        train_step = self.session.step
        # Nothing reads grads between batches unless a callback may: then the update can use
        # them as scratch space. The last batch keeps them, for epoch-end callbacks and after.
        scratch_grads = not cbs.batch_callbacks_may_read_grads
        batches = epoch_batches((xs, ys, sw), bs, steps, shuffle, self._shuffle_rng)
        for b, size, (xb, yb, swb) in batches:
            if augment is not None:
                xb = np.asarray(augment(xb), dtype=self.dtype)
            loss, out = train_step(xb, yb, swb, scratch_grads and b < steps - 1)
            if not math.isfinite(loss):
                self._warn_divergence(loss, b, steps, 6)
                return None
            total_loss += loss * size
            for name, fn in metric_items:
                totals[name] += fn(yb, out, binary) * size
            if cbs.batch_callbacks:
                cbs.on_batch_end(b, {"loss": float(loss), "size": size})
        logs = {"loss": total_loss / len(xs)}
        logs.update({k: v / len(xs) for k, v in totals.items()})
        return logs

    def _warn_divergence(self, loss, batch: int, steps: int, stacklevel: int) -> None:
        """The DivergenceWarning, pointing at the caller of ``fit`` (``stacklevel`` frames up)."""
        epoch = self.current_epoch
        warnings.warn(
            f"training diverged: the loss became {loss} at epoch {epoch + 1} (batch {batch + 1} "
            f"of {steps}); stopped and kept the weights from the end of epoch {epoch}"
            f"{' (the initial weights)' if epoch == 0 else ''}. Try a lower learning rate (it was "
            f"{self.optimizer.current_learning_rate:g}) or scale the inputs, e.g. with "
            "handgrad.data.preprocessing.StandardScaler.",
            DivergenceWarning,
            stacklevel=stacklevel,
        )
