"""Sequential: structure, training loop semantics, determinism, learning, dtype, divergence."""

import numpy as np
import pytest

import handgrad as hg
from handgrad.callbacks import Callback

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3))
Y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)  # 3 classes
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


def _classifier(seed=0, dtype="float32", learning_rate=0.3):
    model = hg.Sequential(
        [hg.layers.Dense(6, "tanh", input_dim=3), hg.layers.Dense(3, "softmax")],
        seed=seed,
        dtype=dtype,
    )
    model.compile(
        loss="categorical_crossentropy",
        optimizer=hg.optimizers.SGD(learning_rate=learning_rate),
        metrics=["accuracy"],
    )
    return model


def _same(weights_a, weights_b):
    return len(weights_a) == len(weights_b) and all(
        np.array_equal(a, b) for a, b in zip(weights_a, weights_b, strict=True)
    )


# ------------------------------------------------------------------ structure
def test_parameter_count_3_4_2(capsys):
    model = hg.Sequential(
        [
            hg.layers.Dense(4, "relu", input_dim=3, name="hidden"),
            hg.layers.Dense(2, "softmax", name="output"),
        ]
    )
    assert model.count_params() == 26  # (3*4 + 4) + (4*2 + 2)
    text = model.summary()
    assert capsys.readouterr().out.strip() == text.strip()
    lines = text.splitlines()
    assert lines[0] == 'Model: "sequential"'
    assert lines[1].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert lines[3].split() == ["hidden", "(Dense)", "(None,", "4)", "16"]
    assert lines[4].split() == ["output", "(Dense)", "(None,", "2)", "10"]
    assert lines[-3:] == ["Total params: 26", "Trainable params: 26", "Non-trainable params: 0"]


def test_parameter_count_3_4_4_1():
    model = hg.Sequential(
        [
            hg.layers.Dense(4, "relu", input_dim=3, name="h1"),
            hg.layers.Dense(4, "relu", name="h2"),
            hg.layers.Dense(1, "sigmoid", name="out"),
        ]
    )
    assert model.count_params() == 41  # 16 + 20 + 5
    text = model.summary(print_fn=None)
    assert [line.split()[-1] for line in text.splitlines()[3:6]] == ["16", "20", "5"]
    assert "Total params: 41" in text
    model.layers[0].trainable = False
    text = model.summary(print_fn=None)
    assert text.splitlines()[-3:] == [
        "Total params: 41",
        "Trainable params: 25",
        "Non-trainable params: 16",
    ]
    assert model.count_params() == 41


def test_layers_infer_their_input_shapes():
    model = hg.Sequential(seed=0)
    model.add(hg.layers.Dense(5, "relu", input_dim=3))
    model.add(hg.layers.Dense(2))
    assert [layer.params["W"].shape for layer in model.layers] == [(3, 5), (5, 2)]
    assert model.output_shape == (2,)
    unbuilt = hg.Sequential([hg.layers.Dense(5), hg.layers.Dense(2)], seed=0)
    assert not unbuilt.built
    unbuilt.compile("mse", "sgd")
    unbuilt.fit(X, np.zeros((40, 2)), epochs=1, verbose=0)  # builds from the data
    assert unbuilt.layers[0].params["W"].shape == (3, 5)


# --------------------------------------------------------------------- fit
def test_history_has_one_value_per_epoch_for_every_key():
    model = _classifier()
    initial = model.evaluate(X, Y)
    history = model.fit(
        X[:30], Y[:30], epochs=4, batch_size=None, validation_data=(X[30:], Y[30:]), verbose=0
    )
    assert isinstance(history, hg.callbacks.History)
    assert model.history is history
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(values) == 4 for values in history.history.values())
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["lr"] == [0.3] * 4
    # the last val_ entry is the model's loss on the validation data after training
    final = model.evaluate(X[30:], Y[30:])
    assert history.history["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-6)
    assert history.history["val_accuracy"][-1] == final["accuracy"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert initial["loss"] != pytest.approx(final["loss"])


def test_full_batch_is_one_update_per_epoch():
    model = _classifier()
    manual = _classifier()
    history = model.fit(X, Y, epochs=3, batch_size=None, verbose=0)
    assert model.optimizer.iterations == 3
    # batch gradient descent is exactly repeated train_on_batch on all samples
    losses = [manual.train_on_batch(X, Y) for _ in range(3)]
    assert history.history["loss"] == pytest.approx(losses, rel=1e-6)
    assert _same(model.get_weights(), manual.get_weights())


def test_batch_size_one_is_stochastic():
    model = _classifier()
    manual = _classifier()
    history = model.fit(X, Y, epochs=1, batch_size=1, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 40
    losses = [manual.train_on_batch(X[i : i + 1], Y[i : i + 1]) for i in range(40)]
    assert _same(model.get_weights(), manual.get_weights())
    assert history.history["loss"][0] == pytest.approx(np.mean(losses), rel=1e-6)


def test_mini_batches_count_and_shuffling():
    model = _classifier()
    model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    assert model.optimizer.iterations == 2 * 3  # ceil(40 / 16) updates per epoch
    unshuffled = _classifier()
    unshuffled.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    assert not _same(model.get_weights(), unshuffled.get_weights())


def test_verbose_prints_one_line_per_epoch(capsys):
    _classifier().fit(X, Y, epochs=2, batch_size=None, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert out[0].startswith("Epoch 1/2") and "loss:" in out[0] and "accuracy:" in out[0]
    _classifier().fit(X, Y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


# ------------------------------------------------------- train_on_batch, evaluate, predict
def test_train_on_batch_returns_the_loss_before_the_update():
    model = _classifier()
    before = model.evaluate(X, Y)["loss"]
    loss = model.train_on_batch(X, Y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(before, rel=1e-6)
    assert model.evaluate(X, Y)["loss"] < before
    assert model.layers[0].grads["W"].any()


def test_evaluate_returns_a_dict_of_floats():
    model = _classifier()
    result = model.evaluate(X, Y)
    assert set(result) == {"loss", "accuracy"}
    assert all(isinstance(v, float) for v in result.values())
    predicted = model.predict(X).argmax(axis=1)
    assert result["accuracy"] == pytest.approx(np.mean(predicted == Y))
    probs = model.predict(X)
    expected_loss = -np.mean(np.log(probs[np.arange(40), Y]))
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert model.evaluate(X, Y, batch_size=7) == pytest.approx(result, rel=1e-6)


def test_labels_and_one_hot_targets_train_identically():
    a, b = _classifier(), _classifier()
    assert a.train_on_batch(X, Y) == b.train_on_batch(X, np.eye(3)[Y])
    assert _same(a.get_weights(), b.get_weights())


def test_predict_is_batched_and_independent_of_batch_size():
    model = _classifier()
    big = np.random.default_rng(1).normal(size=(2500, 3))
    seen = []
    first = model.layers[0]
    forward = first.forward

    def recording_forward(x, training=False):
        seen.append(len(x))
        return forward(x, training)

    first.forward = recording_forward
    out = model.predict(big)
    assert seen == [1024, 1024, 452]  # never the whole array at once
    del first.forward
    assert out.shape == (2500, 3)
    np.testing.assert_allclose(model.predict(big, batch_size=7), out, rtol=1e-6)
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-6)


def test_get_and_set_weights_round_trip():
    source, target = _classifier(seed=1), _classifier(seed=2)
    source.fit(X, Y, epochs=2, verbose=0)
    weights = source.get_weights()
    assert [w.shape for w in weights] == [(3, 6), (6,), (6, 3), (3,)]  # layer by layer, W then b
    target.set_weights(weights)
    assert _same(target.get_weights(), weights)
    np.testing.assert_array_equal(target.predict(X), source.predict(X))
    weights[0][0, 0] += 1.0  # get_weights returns copies
    assert not np.array_equal(source.get_weights()[0], weights[0])


# ---------------------------------------------------------------- determinism
def test_same_seed_same_weights_bit_for_bit():
    runs = []
    for seed in (11, 11, 12):
        model = _classifier(seed=seed)
        model.fit(X, Y, epochs=3, batch_size=8, shuffle=True, verbose=0)
        runs.append(model.get_weights())
    assert _same(runs[0], runs[1])
    assert not any(np.array_equal(a, b) for a, b in zip(runs[0], runs[2], strict=True))


# ------------------------------------------------------------------- learning
def test_xor_is_learned_to_100_percent():
    model = hg.Sequential(
        [hg.layers.Dense(4, "tanh", input_dim=2), hg.layers.Dense(1, "sigmoid")], seed=0
    )
    model.compile("binary_crossentropy", hg.optimizers.SGD(learning_rate=1.0), ["accuracy"])
    history = model.fit(XOR_X, XOR_Y, epochs=1000, batch_size=None, verbose=0)
    result = model.evaluate(XOR_X, XOR_Y)
    assert result["accuracy"] == 1.0
    assert result["loss"] < 0.01
    assert history.history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal((model.predict(XOR_X)[:, 0] > 0.5).astype(int), XOR_Y)


def test_float32_model_stays_float32():
    model = _classifier(dtype="float32")
    model.fit(X, Y, epochs=1, verbose=0)  # float64 inputs are cast once, at the boundary
    assert model.predict(X).dtype == np.float32
    assert all(w.dtype == np.float32 for w in model.get_weights())
    model.train_on_batch(X, Y)
    assert all(g.dtype == np.float32 for layer in model.layers for g in layer.grads.values())
    model64 = _classifier(dtype="float64")
    assert model64.predict(X.astype(np.float32)).dtype == np.float64
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64', got 'float16'"):
        hg.Sequential(dtype="float16")


# ----------------------------------------------------------------- divergence
class _WeightRecorder(Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_divergence_stops_and_keeps_the_last_finite_weights():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, size=(64, 3))  # unscaled features
    y = x @ np.array([1.0, -2.0, 3.0]) + 5
    model = hg.Sequential([hg.layers.Dense(1, input_dim=3)], seed=0)
    model.compile("mse", hg.optimizers.SGD(learning_rate=0.1))  # far too large here
    recorder = _WeightRecorder()
    with pytest.warns(hg.DivergenceWarning, match=r"training diverged: .* lower learning rate"):
        history = model.fit(x, y, epochs=100, batch_size=None, callbacks=[recorder], verbose=0)
    finite_epochs = len(history.history["loss"])
    assert 1 <= finite_epochs < 100
    assert history.stopped_reason == "diverged"
    assert len(recorder.weights) == finite_epochs
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert _same(model.get_weights(), recorder.weights[-1])
    assert np.isfinite(history.history["loss"]).all()


# ------------------------------------------------------------------ explicit contracts
def test_build_takes_the_keras_form_with_a_none_batch_axis():
    model = hg.Sequential([hg.layers.Dense(3), hg.layers.Dense(2, "softmax")], seed=0)
    model.build((None, 5))
    assert model.input_shape == (5,) and model.layers[0].params["W"].shape == (5, 3)
    layer = hg.layers.Conv2D(4, 3)
    layer.build((None, 1, 8, 8))
    assert layer.input_shape == (1, 8, 8)
    same = hg.Sequential([hg.layers.Dense(3), hg.layers.Dense(2, "softmax")], seed=0)
    same.build([5])
    _same(model.get_weights(), same.get_weights())


@pytest.mark.parametrize(
    "shape, error",
    [((5, None), TypeError), (("a",), TypeError), (None, TypeError), ((None, 0), ValueError)],
)
def test_build_refuses_other_shapes_naming_the_layer(shape, error):
    layer = hg.layers.Dense(3, name="hidden")
    with pytest.raises(error, match=r"layer 'hidden' was given input shape .* None batch axis"):
        layer.build(shape)
    with pytest.raises(error, match="model 'sequential' was given input shape"):
        hg.Sequential([hg.layers.Dense(3)]).build(shape)


def test_the_keras_and_the_old_names_keep_working():
    import handgrad.diagnostics
    import handgrad.gradcheck
    import handgrad.io
    import handgrad.lr_finder
    import handgrad.model
    import handgrad.onnx_export

    assert hg.models.Sequential is hg.Sequential is handgrad.model.Sequential
    assert hg.models.load_model is hg.load_model is handgrad.io.load_model
    assert handgrad.model.DivergenceWarning is hg.DivergenceWarning
    assert handgrad.onnx_export.export_onnx is hg.export_onnx
    assert handgrad.lr_finder.find_learning_rate is hg.tools.lr_finder.find_learning_rate
    assert handgrad.diagnostics.diagnose is hg.tools.diagnostics.diagnose
    assert handgrad.gradcheck.check_model is hg.tools.gradcheck.check_model
    assert hg._validation.check_finite is hg.validation.check_finite
    assert handgrad.io.atomic_write is not None and hg.callbacks.EarlyStopping is not None
