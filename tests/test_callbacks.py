"""Callbacks: EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, CSVLogger,
TerminateOnNaN, ProgressBar, History and the dispatching CallbackList."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

import handgrad as hg
from handgrad.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ProgressBar,
    ReduceLROnPlateau,
    TerminateOnNaN,
)

L = hg.layers


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


def _model(optimizer=None, seed=0, dtype="float64", metrics=("accuracy",)):
    model = hg.Sequential(
        [L.Dense(4, "tanh", input_dim=3), L.Dense(2, "softmax")], seed=seed, dtype=dtype
    )
    model.compile("categorical_crossentropy", optimizer or hg.optimizers.SGD(0.1), list(metrics))
    return model


def _drive(cb, model, values, monitor="val_loss"):
    """Feed ``values`` of ``monitor`` to a callback epoch by epoch; weights are set to the epoch
    index so a restore can be identified. Returns the epochs that ran."""
    model.history = History()
    model.stop_training = False
    cb.set_model(model)
    cb.on_train_begin({})
    ran = []
    for epoch, value in enumerate(values):
        model.set_weights([np.full_like(w, epoch) for w in model.get_weights()])
        cb.on_epoch_end(epoch, {"loss": 1.0, monitor: value})
        ran.append(epoch)
        if model.stop_training:
            break
    cb.on_train_end({})
    return ran


def _weights_epoch(model) -> float:
    values = {float(v) for w in model.get_weights() for v in np.unique(w)}
    assert len(values) == 1
    return values.pop()


# ------------------------------------------------------------------ EarlyStopping
def test_early_stopping_patience_counts_epochs_without_improvement():
    model = _model()
    stop = EarlyStopping(patience=2)
    ran = _drive(stop, model, [1.0, 0.9, 0.95, 0.96, 0.5, 0.4])
    assert ran == [0, 1, 2, 3]
    assert stop.stopped_epoch == 3 and stop.best_epoch == 1 and stop.best == 0.9
    assert model.history.stopped_reason == "early_stopping"
    assert _weights_epoch(model) == 1.0  # restored the best epoch


def test_early_stopping_patience_zero_stops_at_first_non_improvement():
    model = _model()
    ran = _drive(EarlyStopping(patience=0), model, [1.0, 0.8, 0.85, 0.1])
    assert ran == [0, 1, 2]


def test_early_stopping_min_delta_ignores_small_improvements():
    model = _model()
    stop = EarlyStopping(patience=1, min_delta=0.05)
    ran = _drive(stop, model, [1.0, 0.97, 0.96, 0.5])
    assert ran == [0, 1] and stop.best_epoch == 0
    assert _weights_epoch(model) == 0.0


def test_early_stopping_restores_when_training_ends_without_stopping():
    model = _model()
    stop = EarlyStopping(patience=10)
    ran = _drive(stop, model, [1.0, 0.7, 0.8, 0.9])
    assert ran == [0, 1, 2, 3] and stop.stopped_epoch == 0
    assert model.history.stopped_reason is None
    assert _weights_epoch(model) == 1.0


def test_early_stopping_without_restore_keeps_last_weights():
    model = _model()
    _drive(EarlyStopping(patience=5, restore_best_weights=False), model, [1.0, 0.7, 0.8, 0.9])
    assert _weights_epoch(model) == 3.0


def test_early_stopping_mode_max_and_auto_for_accuracy():
    model = _model()
    stop = EarlyStopping(monitor="val_accuracy", patience=1)
    assert stop.mode == "max"
    ran = _drive(stop, model, [0.5, 0.8, 0.7, 0.6, 0.9], monitor="val_accuracy")
    assert ran == [0, 1, 2] and stop.best == 0.8
    assert EarlyStopping(monitor="val_loss").mode == "min"
    assert EarlyStopping(monitor="val_accuracy", mode="min").mode == "min"


def test_early_stopping_baseline_must_be_beaten():
    values = [1.0, 0.9, 0.95, 0.97, 0.6]
    model = _model()
    assert _drive(EarlyStopping(patience=2), model, values) == [0, 1, 2, 3]
    # Improvements that do not beat the baseline do not restart the wait (Keras).
    stop = EarlyStopping(patience=2, baseline=0.5)
    assert _drive(stop, model, values) == [0, 1, 2]
    assert stop.best_epoch == 1 and _weights_epoch(model) == 1.0


def test_early_stopping_start_from_epoch_skips_warm_up():
    model = _model()
    stop = EarlyStopping(patience=0, start_from_epoch=2)
    ran = _drive(stop, model, [0.1, 0.2, 0.9, 0.8, 0.85])
    assert ran == [0, 1, 2, 3, 4] and stop.best_epoch == 3
    assert _weights_epoch(model) == 3.0


def test_early_stopping_unknown_monitor_raises_listing_keys():
    X, y = _data()
    model = _model()
    with pytest.raises(
        ValueError,
        match=r"monitors 'val_loss'.*validation_data.*"
        r"available: accuracy, loss, lr",
    ):
        model.fit(X, y, epochs=3, verbose=0, callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match="monitors 'val_acc'"):
        model.fit(
            X,
            y,
            epochs=3,
            verbose=0,
            validation_split=0.2,
            callbacks=[EarlyStopping(monitor="val_acc")],
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"mode": "lowest"}, ValueError, "mode must be 'auto', 'min' or 'max', got 'lowest'"),
        ({"patience": -1}, ValueError, "patience must be an int >= 0, got -1"),
        ({"patience": 1.5}, ValueError, "patience must be an int >= 0"),
        ({"monitor": 3}, TypeError, "monitor must be a log name"),
        ({"min_delta": "0.1"}, TypeError, "min_delta must be a number"),
        ({"restore_best_weights": 1}, TypeError, "restore_best_weights must be a bool"),
        ({"start_from_epoch": -2}, ValueError, "start_from_epoch must be an int >= 0"),
        ({"baseline": float("nan")}, ValueError, "baseline must be a finite number"),
    ],
)
def test_early_stopping_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        EarlyStopping(**kwargs)


# ----------------------------------------------------------- LearningRateScheduler
def test_scheduler_sets_each_epochs_rate_and_history_logs_it():
    X, y = _data()
    model = _model(hg.optimizers.SGD(0.1))
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr * 0.5 if epoch else lr

    h = model.fit(X, y, epochs=4, verbose=0, callbacks=[LearningRateScheduler(schedule)])
    assert h.history["lr"] == [0.1, 0.05, 0.025, 0.0125]
    # Keras semantics: lr is the previous epoch's rate, epoch is 0-based.
    assert seen == [(0, 0.1), (1, 0.1), (2, 0.05), (3, 0.025)]
    assert model.optimizer.learning_rate == 0.0125


def test_scheduler_rates_are_the_ones_used_for_the_updates():
    X, y = _data()
    a = _model(hg.optimizers.SGD(1.0))
    a.fit(
        X,
        y,
        epochs=3,
        batch_size=16,
        verbose=0,
        callbacks=[LearningRateScheduler(lambda e, lr: [0.3, 0.1, 0.02][e])],
    )
    b = _model(hg.optimizers.SGD(hg.schedules.ManualSchedule([0.3, 0.1, 0.02])))
    b.fit(X, y, epochs=3, batch_size=16, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_scheduler_on_top_of_a_schedule_overrides_one_epoch_at_a_time():
    X, y = _data()
    opt = hg.optimizers.SGD(hg.schedules.InverseTimeDecay(0.2, 1.0))
    model = _model(opt)
    seen = []

    def schedule(epoch, lr):
        seen.append(lr)
        return lr * 0.5

    h = model.fit(X, y, epochs=3, verbose=0, callbacks=[LearningRateScheduler(schedule)])
    np.testing.assert_allclose(seen, [0.1, 0.2 / 3, 0.05], rtol=1e-15)
    np.testing.assert_allclose(h.history["lr"], [0.05, 0.1 / 3, 0.025], rtol=1e-15)
    assert isinstance(opt.learning_rate, hg.schedules.InverseTimeDecay)


def test_scheduler_accepts_a_schedule_object_with_1_based_epochs():
    X, y = _data()
    model = _model(hg.optimizers.Adam(0.5))
    cb = LearningRateScheduler(hg.schedules.StepDecay(0.04, factor=0.5, every=2))
    h = model.fit(X, y, epochs=5, verbose=0, callbacks=[cb])
    assert h.history["lr"] == [0.04, 0.04, 0.02, 0.02, 0.01]


def test_scheduler_bad_schedule():
    with pytest.raises(TypeError, match="schedule must be callable"):
        LearningRateScheduler(0.1)
    X, y = _data()
    model = _model()
    with pytest.raises(
        ValueError,
        match=r"schedule\(epoch=0, lr=0.1\) must return a finite "
        r"number >= 0, got -1",
    ):
        model.fit(X, y, epochs=2, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: -1)])


# ---------------------------------------------------------------- ReduceLROnPlateau
def test_reduce_lr_on_plateau_replaces_a_float_rate():
    model = _model(hg.optimizers.SGD(0.1))
    cb = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_delta=0.0)
    _drive(cb, model, [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8])
    # no improvement at epochs 2 and 3 -> reduce at 3; again at 5
    assert [(e, old, new) for e, old, new in cb.reductions] == [(3, 0.1, 0.05), (5, 0.05, 0.025)]
    assert model.optimizer.learning_rate == 0.025
    assert model.optimizer.begin_epoch(8) == 0.025


def test_reduce_lr_on_plateau_cooldown_and_min_lr():
    model = _model(hg.optimizers.SGD(0.1))
    cb = ReduceLROnPlateau(
        monitor="loss", factor=0.1, patience=1, cooldown=2, min_lr=0.002, min_delta=0.0
    )
    model.history = History()
    cb.set_model(model)
    cb.on_train_begin({})
    for epoch in range(8):
        cb.on_epoch_end(epoch, {"loss": 1.0})
    # Keras semantics: reduce at 1; the cooldown counter runs down at epochs 2 and 3 and
    # counting resumes at 3, so the next reduction (floored at min_lr) is at 3; then lr == min_lr
    assert [e for e, _, _ in cb.reductions] == [1, 3]
    assert cb.reductions[1][2] == 0.002
    assert model.optimizer.learning_rate == 0.002


def test_reduce_lr_on_plateau_scales_a_schedule():
    opt = hg.optimizers.SGD(hg.schedules.InverseTimeDecay(0.2, 1.0))
    model = _model(opt)
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    model.history = History()
    cb.set_model(model)
    cb.on_train_begin({})
    opt.begin_epoch(1)
    cb.on_epoch_end(0, {"loss": 1.0})
    opt.begin_epoch(2)
    cb.on_epoch_end(1, {"loss": 1.0})  # plateau: reduce
    assert opt.lr_multiplier == pytest.approx(0.5, rel=1e-15)
    assert opt.current_learning_rate == pytest.approx(0.2 / 3 * 0.5, rel=1e-15)
    assert opt.begin_epoch(3) == pytest.approx(0.05 * 0.5, rel=1e-15)
    assert isinstance(opt.learning_rate, hg.schedules.InverseTimeDecay)
    assert "lr_multiplier" not in opt.get_config()
    assert opt.get_state()["lr_multiplier"] == pytest.approx(0.5)


def test_reduce_lr_on_plateau_in_fit_shows_in_history():
    X, y = _data()
    model = _model(hg.optimizers.SGD(1e-7))
    h = model.fit(
        X,
        y,
        epochs=5,
        verbose=0,
        callbacks=[ReduceLROnPlateau(monitor="loss", factor=0.1, patience=2)],
    )
    np.testing.assert_allclose(h.history["lr"], [1e-7, 1e-7, 1e-7, 1e-8, 1e-8], rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"factor": 1.0}, r"factor must be in \(0, 1\), got 1.0"),
        ({"factor": 0.0}, r"factor must be in \(0, 1\)"),
        ({"min_lr": -1.0}, "min_lr must be a finite number >= 0"),
        ({"cooldown": -1}, "cooldown must be an int >= 0"),
        ({"mode": "up"}, "mode must be 'auto', 'min' or 'max'"),
    ],
)
def test_reduce_lr_on_plateau_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReduceLROnPlateau(**kwargs)


# ----------------------------------------------------------------------- CSVLogger
def _read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_writes_header_and_exact_values(tmp_path):
    X, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    h = model.fit(X, y, epochs=3, verbose=0, validation_split=0.25, callbacks=[CSVLogger(path)])
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    for i, key in enumerate(rows[0][1:], start=1):
        assert [float(r[i]) for r in rows[1:]] == h.history[key]


def test_csv_logger_append_and_separator(tmp_path):
    X, y = _data()
    path = tmp_path / "log.tsv"
    model = _model(metrics=())
    model.fit(X, y, epochs=2, verbose=0, callbacks=[CSVLogger(path, separator="\t")])
    model.fit(
        X,
        y,
        epochs=4,
        initial_epoch=2,
        verbose=0,
        callbacks=[CSVLogger(path, separator="\t", append=True)],
    )
    rows = _read_csv(path, "\t")
    assert rows[0] == ["epoch", "loss", "lr"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]
    model.fit(X, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator="\t")])
    assert len(_read_csv(path, "\t")) == 2  # append=False starts afresh


def test_csv_logger_rows_survive_an_interrupted_run(tmp_path):
    X, y = _data()
    path = tmp_path / "log.csv"

    class Interrupt(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    logger = CSVLogger(path)
    h = _model().fit(X, y, epochs=5, verbose=0, callbacks=[logger, Interrupt()])
    assert h.stopped_reason == "interrupted"
    assert len(_read_csv(path)) == 3 and logger._file is None


def test_csv_logger_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="separator must be a single character"):
        CSVLogger(tmp_path / "a.csv", separator=", ")
    with pytest.raises(TypeError, match="filename must be a str or path"):
        CSVLogger(3)
    X, y = _data()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _model().fit(X, y, verbose=0, callbacks=[CSVLogger(tmp_path / "missing" / "a.csv")])


# ------------------------------------------------------------------- TerminateOnNaN
def test_terminate_on_nan_batch_check_stops_training():
    model = _model()
    model.history = History()
    cb = TerminateOnNaN()
    cb.set_model(model)
    cb.on_train_begin({})
    cb.on_batch_end(0, {"loss": 0.5, "size": 8})
    assert not model.stop_training
    cb.on_batch_end(1, {"loss": float("nan"), "size": 8})
    assert model.stop_training and model.history.stopped_reason == "nan"


def test_terminate_on_nan_stops_on_non_finite_validation_loss(capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = X @ np.array([1.0, -1.0, 0.5])
    model = hg.Sequential([L.Dense(1, input_dim=3)], seed=0, dtype="float32")
    model.compile("mse", hg.optimizers.SGD(0.01))
    x_val, y_val = X[:5], np.full(5, 1e30)  # its squared error overflows float32
    with np.errstate(over="ignore"):
        h = model.fit(
            X, y, epochs=5, verbose=0, validation_data=(x_val, y_val), callbacks=[TerminateOnNaN()]
        )
    assert len(h.epoch) == 1 and h.stopped_reason == "nan"
    assert math.isinf(h.history["val_loss"][0])
    assert "non-finite val_loss=inf at epoch 1" in capsys.readouterr().err


# ---------------------------------------------------------------------- ProgressBar
class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_one_line_per_epoch_off_terminal():
    X, y = _data()
    out = io.StringIO()
    _model().fit(X, y, epochs=3, batch_size=8, verbose=1, callbacks=[ProgressBar(stream=out)])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and "\r" not in out.getvalue()
    assert lines[2].startswith("Epoch 3/3 - ")
    assert " - loss: " in lines[0] and " - accuracy: " in lines[0] and lines[0].endswith("lr: 0.1")


def test_progress_bar_draws_a_bar_on_a_terminal():
    X, y = _data()
    out = _Terminal()
    _model().fit(X, y, epochs=2, batch_size=8, verbose=1, callbacks=[ProgressBar(stream=out)])
    text = out.getvalue()
    assert "\rEpoch 1/2 [" + "=" * 30 + "] 8/8 - ETA " in text
    lines = text.split("\n")
    assert len(lines) == 3 and lines[2] == ""
    final = lines[0].rsplit("\r", 1)[1]
    assert final.startswith("Epoch 1/2 - ") and "loss: " in final


def test_progress_bar_verbose_modes(capsys):
    X, y = _data()
    _model().fit(X, y, epochs=2, verbose=0)
    _model().fit(X, y, epochs=2, verbose=0, callbacks=[ProgressBar()])
    assert capsys.readouterr().out == ""
    out = _Terminal()
    _model().fit(X, y, epochs=2, verbose=2, callbacks=[ProgressBar(stream=out)])
    assert "\r" not in out.getvalue() and len(out.getvalue().splitlines()) == 2
    # a ProgressBar passed in callbacks replaces the default one
    _model().fit(X, y, epochs=2, verbose=1, callbacks=[ProgressBar(stream=io.StringIO())])
    assert capsys.readouterr().out == ""
    _model().fit(X, y, epochs=2, verbose=2)
    assert len(capsys.readouterr().out.splitlines()) == 2


# ------------------------------------------------------------- History / CallbackList
def test_history_records_epochs_and_diagnose_needs_a_model():
    X, y = _data()
    h = _model().fit(X, y, epochs=3, verbose=0, initial_epoch=1)
    assert h.epoch == [1, 2] and len(h.history["loss"]) == 2
    with pytest.raises(ValueError, match="not attached to a model"):
        History().diagnose()


def test_callback_list_calls_on_batch_end_only_for_overriders():
    class Counter(Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

        def on_batch_end(self, batch, logs=None):
            self.calls.append((batch, logs["size"]))

    counter, plain = Counter(), Callback()
    cbs = CallbackList([counter, plain], None, {})
    assert cbs.batch_callbacks == [counter]
    X, y = _data(n=20)
    _model().fit(X, y, epochs=2, batch_size=8, verbose=0, callbacks=[Counter(), counter])
    assert counter.calls == [(0, 8), (1, 8), (2, 4)] * 2
    with pytest.raises(TypeError, match="Callback instances, got 3"):
        CallbackList([3], None, {})


def test_csv_logger_file_is_closed_when_a_callback_raises(tmp_path):
    import numpy as np

    import handgrad as hg

    class Boom(hg.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("boom")

    rng = np.random.default_rng(0)
    X, y = rng.random((20, 3)).astype("float32"), rng.integers(0, 2, 20)
    model = hg.Sequential([hg.layers.Dense(1, "sigmoid", input_dim=3)], seed=0)
    model.compile("binary_crossentropy", "sgd")
    logger = hg.callbacks.CSVLogger(tmp_path / "log.csv")
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(X, y, epochs=5, verbose=0, callbacks=[logger, Boom()])
    rows = (tmp_path / "log.csv").read_text().splitlines()
    assert len(rows) == 3  # header + the two finished epochs, flushed and closed


class _GradientLogger(Callback):
    """A user callback that reads the gradients after every batch."""

    def __init__(self):
        super().__init__()
        self.norms = []

    def on_batch_end(self, batch, logs=None):
        self.norms.append(float(np.abs(self.model.layers[0].grads["W"]).sum()))


def _spy_steps(model):
    flags = []
    step = model.optimizer.step
    model.optimizer.step = lambda pairs, overwrite_grads=False: (
        flags.append(overwrite_grads),
        step(pairs, overwrite_grads),
    )
    return flags


@pytest.mark.parametrize(
    ("verbose", "callbacks", "scratch"),
    [
        (0, [], True),
        (1, [TerminateOnNaN(), EarlyStopping("loss", patience=5)], True),  # handgrad's own
        (0, [_GradientLogger()], False),  # a user's on_batch_end may read grads
    ],
    ids=["silent", "progress-bar", "user-batch-hook"],
)
def test_fit_lets_the_update_overwrite_grads_only_where_nobody_can_look(
    verbose, callbacks, scratch, capsys
):
    X, y = _data(n=20)
    model = _model()
    flags = _spy_steps(model)
    model.fit(X, y, epochs=2, batch_size=8, verbose=verbose, callbacks=callbacks)
    # The last batch of every epoch keeps its gradients, for epoch-end callbacks and after fit.
    assert flags == [scratch, scratch, False] * 2
    assert CallbackList(callbacks, model, {}).batch_callbacks_may_read_grads is not scratch


def test_weights_and_final_grads_do_not_depend_on_the_grads_being_overwritten():
    X, y = _data(n=50)
    fast, safe = _model(hg.optimizers.Adam(0.05)), _model(hg.optimizers.Adam(0.05))
    logger = _GradientLogger()
    fast.fit(X, y, epochs=3, batch_size=8, verbose=0)
    safe.fit(X, y, epochs=3, batch_size=8, verbose=0, callbacks=[logger])
    for a, b in zip(fast.get_weights(), safe.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for lf, ls in zip(fast.layers, safe.layers, strict=True):
        for k in lf.grads:
            np.testing.assert_array_equal(lf.grads[k], ls.grads[k])
    # The user's callback saw true gradients: the last one equals the final state.
    assert logger.norms[-1] == float(np.abs(safe.layers[0].grads["W"]).sum())
    assert len(set(logger.norms)) == len(logger.norms) == 3 * 7


# ------------------------------------------------------------------ explicit contracts
def test_reads_grads_is_declared_by_every_callback():
    """handgrad's own callbacks say they never read grads; a user's callback reads them unless
    it says otherwise, and then the update may use the gradients as scratch space again."""
    own = [
        hg.callbacks.History(),
        ProgressBar(),
        TerminateOnNaN(),
        EarlyStopping("loss"),
        ReduceLROnPlateau("loss"),
        LearningRateScheduler(lambda epoch, lr: lr),
        hg.callbacks.CSVLogger("unused.csv"),
        hg.callbacks.ModelCheckpoint("unused.hgz", monitor="loss"),
    ]
    assert [cb.reads_grads for cb in own] == [False] * len(own)
    assert Callback.reads_grads and _GradientLogger.reads_grads

    class BatchCounter(Callback):
        reads_grads = False

        def on_batch_end(self, batch, logs=None):
            pass

    assert not CallbackList([BatchCounter()], None, {}).batch_callbacks_may_read_grads
    assert CallbackList([_GradientLogger()], None, {}).batch_callbacks_may_read_grads
    X, y = _data(n=20)
    model = _model()
    flags = _spy_steps(model)
    model.fit(X, y, epochs=1, batch_size=8, verbose=0, callbacks=[BatchCounter()])
    assert flags == [True, True, False]


def test_monitor_callback_holds_the_improvement_rule_once():
    for cb in (EarlyStopping(), ReduceLROnPlateau(), hg.callbacks.ModelCheckpoint("m.hgz")):
        assert isinstance(cb, hg.callbacks.MonitorCallback)
    stop = EarlyStopping("val_loss", min_delta=0.1)
    assert stop.is_improvement(0.5, None) and stop.is_improvement(0.5, 0.7)
    assert not stop.is_improvement(0.65, 0.7)
    plateau = ReduceLROnPlateau("val_accuracy", min_delta=0.0)
    assert plateau.mode == "max" and plateau.is_improvement(0.9, 0.8)
    assert stop.get_monitor_value({"val_loss": 2}) == 2.0
    with pytest.raises(ValueError, match="EarlyStopping monitors 'val_loss', which is not in"):
        stop.check_log_keys(["loss", "lr"])


def test_callbacks_change_the_rate_through_the_optimizer():
    opt = hg.optimizers.SGD(0.1)
    calls = []
    real = opt.set_learning_rate
    opt.set_learning_rate = lambda rate, persistent=True: (
        calls.append((rate, persistent)),
        real(rate, persistent=persistent),
    )
    X, y = _data(n=20)
    model = _model(opt)
    halve = LearningRateScheduler(lambda epoch, lr: lr / 2)
    model.fit(X, y, epochs=2, batch_size=10, verbose=0, callbacks=[halve])
    assert calls == [(0.05, True), (0.025, True)]
    assert opt.learning_rate == opt.current_learning_rate == 0.025
