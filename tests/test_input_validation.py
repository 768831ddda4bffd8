"""Bad input raises a clear ValueError/TypeError at fit / evaluate / predict / set_weights.

Each message names the argument, what was expected and what was found (issue 2, item 11).
"""

import numpy as np
import pytest

import handgrad as hg

RNG = np.random.default_rng(0)
X = RNG.normal(size=(10, 3))
LABELS = np.arange(10) % 3


def _model(units=3, activation="softmax", loss="categorical_crossentropy", compile=True):
    model = hg.Sequential(
        [
            hg.layers.Dense(4, "relu", input_dim=3, name="hidden"),
            hg.layers.Dense(units, activation, name="output"),
        ],
        seed=0,
    )
    if compile:
        model.compile(loss, hg.optimizers.SGD(0.1), metrics=["accuracy"])
    return model


def _binary_model():
    return _model(1, "sigmoid", "binary_crossentropy")


# ---------------------------------------------------------------- features
def test_wrong_feature_count_names_the_layer_and_expected_shape():
    message = r"x has shape \(10, 2\) but layer 'hidden' expects \(N, 3\)"
    with pytest.raises(ValueError, match=message):
        _model().fit(X[:, :2], LABELS, verbose=0)
    with pytest.raises(ValueError, match=message):
        _model().predict(X[:, :2])
    with pytest.raises(ValueError, match=message):
        _model().evaluate(X[:, :2], LABELS)
    with pytest.raises(ValueError, match=r"x_val has shape \(10, 4\) but layer 'hidden' expects"):
        _model().fit(X, LABELS, validation_data=(np.ones((10, 4)), LABELS), verbose=0)


def test_one_dimensional_x_is_not_guessed():
    with pytest.raises(ValueError, match=r"x must be batch-first .* got a 1-D array of shape"):
        _model().predict(X[0])


def test_non_numeric_x_is_refused():
    with pytest.raises(TypeError, match="x must hold real numbers .* got dtype <U"):
        _model().predict(np.array([["a", "b", "c"]]))
    with pytest.raises(TypeError, match="x must be an array, got None"):
        _model().predict(None)


def test_x_and_y_of_different_lengths():
    with pytest.raises(
        ValueError, match="x and y must have the same number of samples, got 10 and 9"
    ):
        _model().fit(X, LABELS[:9], verbose=0)
    with pytest.raises(ValueError, match="got 10 and 11"):
        _model().evaluate(X, np.arange(11) % 3)


@pytest.mark.parametrize("bad, kind", [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")])
def test_non_finite_x(bad, kind):
    x = X.copy()
    x[4, 2] = bad
    message = rf"x contains {kind} \(first at index \(4, 2\)\)"
    with pytest.raises(ValueError, match=message):
        _model().fit(x, LABELS, verbose=0)
    with pytest.raises(ValueError, match=message):
        _model().predict(x)
    with pytest.raises(ValueError, match=message):
        _model().evaluate(x, LABELS)


@pytest.mark.parametrize("bad, kind", [(np.nan, "NaN"), (np.inf, "inf")])
def test_non_finite_y(bad, kind):
    y = np.ones(10)
    y[7] = bad
    with pytest.raises(ValueError, match=rf"y contains {kind} \(first at index \(7,\)\)"):
        _binary_model().fit(X, y, verbose=0)
    y = np.zeros((10, 3))
    y[1, 1] = bad
    with pytest.raises(ValueError, match=rf"y contains {kind} \(first at index \(1, 1\)\)"):
        _model(3, "linear", "mse").fit(X, y, verbose=0)


# ------------------------------------------------------------------ targets
@pytest.mark.parametrize(
    "labels, found",
    [(np.arange(10) % 4, r"\[0, 3\]"), (np.arange(10) % 3 - 1, r"\[-1, 1\]")],
    ids=["too-large", "negative"],
)
def test_labels_outside_zero_to_k(labels, found):
    message = rf"y labels must be integers in \[0, 3\) for a 3-unit output, got values in {found}"
    with pytest.raises(ValueError, match=message):
        _model().fit(X, labels, verbose=0)
    with pytest.raises(ValueError, match=message):
        _model().evaluate(X, labels)


def test_fractional_labels_are_not_rounded():
    with pytest.raises(
        ValueError,
        match="y holds class labels for categorical_crossentropy and "
        "must be integers, got non-integer values",
    ):
        _model().fit(X, LABELS + 0.5, verbose=0)


def test_binary_targets_outside_zero_one():
    with pytest.raises(
        ValueError,
        match=r"y targets for binary_crossentropy must be in \[0, 1\], got values in \[0, 2\]",
    ):
        _binary_model().fit(X, LABELS, verbose=0)
    with pytest.raises(ValueError, match=r"got values in \[-1.0, 1.0\]"):
        _binary_model().evaluate(X, np.where(LABELS > 0, 1.0, -1.0))


def test_softmax_on_a_single_unit():
    with pytest.raises(
        ValueError, match="layer 'output' applies softmax to a single unit, which always outputs 1"
    ):
        _model(1, "softmax", compile=False)
    model = hg.Sequential([hg.layers.Dense(1, input_dim=3, name="one")], seed=0)
    with pytest.raises(ValueError, match="layer 'probs' applies softmax to a single unit"):
        model.add(hg.layers.Activation("softmax", name="probs"))
    assert [layer.name for layer in model.layers] == ["one"]  # the bad layer was not kept
    unbuilt = hg.Sequential([hg.layers.Dense(4), hg.layers.Dense(1, "softmax", name="last")])
    unbuilt.compile("binary_crossentropy", "sgd")
    with pytest.raises(ValueError, match="layer 'last' applies softmax to a single unit"):
        unbuilt.fit(X, np.ones(10), verbose=0)


def test_categorical_crossentropy_on_a_single_unit():
    with pytest.raises(
        ValueError,
        match="categorical_crossentropy needs an output layer with at least 2 units "
        r"\(one per class\), got 1; for two classes use one sigmoid unit with binary_crossentropy",
    ):
        _model(1, "sigmoid", "categorical_crossentropy").fit(X, np.zeros(10, int), verbose=0)


def test_one_hot_width_must_match_the_output():
    with pytest.raises(
        ValueError,
        match=r"y one-hot targets must have shape \(N, 3\) to match the output layer, "
        r"got \(10, 4\)",
    ):
        _model().fit(X, np.eye(4)[np.arange(10) % 4], verbose=0)


def test_one_hot_rows_must_be_distributions():
    y = np.eye(3)[LABELS]
    y[2] = [1.0, 1.0, 0.0]
    with pytest.raises(
        ValueError,
        match=r"y one-hot targets must be in \[0, 1\] with rows summing to 1, got values in "
        r"\[0.0, 1.0\] and row sums in \[1.0, 2.0\]",
    ):
        _model().fit(X, y, verbose=0)


def test_regression_target_width_must_match_the_output():
    with pytest.raises(
        ValueError, match=r"y must have shape \(N, 3\) to match the output layer .* got \(10, 2\)"
    ):
        _model(3, "linear", "mse").fit(X, np.ones((10, 2)), verbose=0)


# -------------------------------------------------------------------- names
def test_unknown_activation_lists_valid_names():
    with pytest.raises(
        ValueError,
        match="unknown activation 'relu6'; expected one of: elu, hard_sigmoid, leaky_relu, "
        "linear, relu, sigmoid, sign, softmax, step, tanh",
    ):
        hg.layers.Dense(4, "relu6")
    with pytest.raises(ValueError, match="unknown activation 'gelu'; expected one of: elu"):
        hg.layers.Activation("gelu")


def test_unknown_loss_lists_valid_names():
    with pytest.raises(
        ValueError,
        match="unknown loss 'hinge'; expected one of: binary_crossentropy, "
        "categorical_crossentropy, mae, mse, quadratic",
    ):
        _model(compile=False).compile("hinge", "sgd")


def test_unknown_initializer_lists_valid_names():
    with pytest.raises(
        ValueError,
        match="unknown initializer 'xavier'; expected one of: glorot_normal, glorot_uniform, "
        "he_normal, he_uniform, ones, small_normal, uniform_fan_in, zeros",
    ):
        hg.layers.Dense(4, kernel_initializer="xavier")


def test_unknown_optimizer_lists_valid_names():
    with pytest.raises(
        ValueError,
        match="unknown optimizer 'adagrad'; expected one of: adam, momentum, rmsprop, sgd",
    ):
        _model(compile=False).compile("mse", "adagrad")
    with pytest.raises(TypeError, match="optimizer must be a name or an Optimizer, got float"):
        _model(compile=False).compile("mse", 0.1)


def test_unknown_metric_lists_valid_names():
    with pytest.raises(
        ValueError, match="unknown metric 'f1'; expected one of: accuracy, mae, mse"
    ):
        _model(compile=False).compile("mse", "sgd", metrics=["f1"])


def test_failed_compile_leaves_the_model_uncompiled():
    model = _model(compile=False)
    with pytest.raises(ValueError, match="unknown optimizer"):
        model.compile("mse", "adagrad")
    assert model.loss is None and model.optimizer is None


# ------------------------------------------------------------- fit arguments
@pytest.mark.parametrize("epochs", [0, -1])
def test_non_positive_epochs(epochs):
    with pytest.raises(ValueError, match=f"epochs must be a positive int, got {epochs}"):
        _model().fit(X, LABELS, epochs=epochs, verbose=0)


def test_epochs_must_be_an_int():
    with pytest.raises(TypeError, match="epochs must be a positive int, got 2.5"):
        _model().fit(X, LABELS, epochs=2.5, verbose=0)


@pytest.mark.parametrize("batch_size", [0, -8])
def test_non_positive_batch_size(batch_size):
    message = f"batch_size must be a positive int or None, got {batch_size}"
    with pytest.raises(ValueError, match=message):
        _model().fit(X, LABELS, batch_size=batch_size, verbose=0)
    with pytest.raises(ValueError, match=message):
        _model().predict(X, batch_size=batch_size)


def test_batch_size_must_be_an_int():
    with pytest.raises(TypeError, match="batch_size must be a positive int or None, got 2.5"):
        _model().fit(X, LABELS, batch_size=2.5, verbose=0)
    with pytest.raises(TypeError, match="batch_size must be a positive int or None, got True"):
        _model().fit(X, LABELS, batch_size=True, verbose=0)


def test_fit_before_compile():
    message = r"needs a compiled model: call model.compile\(loss, optimizer\) first"
    with pytest.raises(ValueError, match="fit " + message):
        _model(compile=False).fit(X, LABELS, verbose=0)
    with pytest.raises(ValueError, match="evaluate " + message):
        _model(compile=False).evaluate(X, LABELS)
    with pytest.raises(ValueError, match="train_on_batch " + message):
        _model(compile=False).train_on_batch(X, LABELS)


def test_bad_input_is_refused_before_any_work():
    model = _model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="labels must be integers"):
        model.fit(X, np.arange(10), epochs=3, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert model.optimizer.iterations == 0


# ---------------------------------------------------------------- set_weights
def test_set_weights_wrong_count_leaves_the_model_unchanged():
    model = _model()
    before = model.get_weights()
    with pytest.raises(
        ValueError,
        match=r"set_weights expects 4 arrays \(one per weight, layer by layer\), got 3",
    ):
        model.set_weights([np.zeros_like(w) for w in before[:3]])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_set_weights_wrong_shape_leaves_the_model_unchanged():
    model = _model()
    before = model.get_weights()
    bad = [np.zeros_like(w) for w in before]
    bad[3] = np.zeros(4)  # the last array is wrong: nothing before it may be written either
    with pytest.raises(
        ValueError, match=r"layer 'output' weight 'b' must have shape \(3,\), got \(4,\)"
    ):
        model.set_weights(bad)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    bad = [np.zeros_like(w) for w in before]
    bad[0] = np.zeros((4, 3))  # transposed W
    with pytest.raises(
        ValueError, match=r"layer 'hidden' weight 'W' must have shape \(3, 4\), got \(4, 3\)"
    ):
        model.set_weights(bad)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_set_weights_refuses_non_finite_values():
    model = _model()
    weights = model.get_weights()
    weights[2][0, 0] = np.nan
    with pytest.raises(ValueError, match="layer 'output' weight 'W' contains NaN or inf"):
        model.set_weights(weights)
