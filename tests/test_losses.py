"""Losses: hand-computed values, fused vs unfused paths, saturation, sample weights, gradients."""

import numpy as np
import pytest

from handgrad import activations as A
from handgrad import losses as L
from handgrad.gradcheck import check_loss, numerical_gradient

ALL = L.names()
RNG = np.random.default_rng(0)
Z = RNG.normal(scale=2.0, size=(6, 3))  # moderate logits
LABELS = np.array([0, 2, 1, 1, 0, 2])
ONE_HOT = np.eye(3)[LABELS]
BINARY = RNG.uniform(size=(6, 3))

# Small example for the regression losses: squared errors [0.25, 0, 0] and [0, 4, 1].
Y_REG = np.array([[1.0, 2.0, 0.0], [3.0, 4.0, 1.0]])
A_REG = np.array([[1.5, 2.0, 0.0], [3.0, 2.0, 2.0]])


def _targets(name, k=3):
    if name == "categorical_crossentropy":
        return LABELS
    if name == "binary_crossentropy":
        return BINARY
    return RNG.normal(size=(6, k))


def _predictions(name):
    if name == "categorical_crossentropy":
        return A.softmax(Z)
    if name == "binary_crossentropy":
        return A.sigmoid(Z)
    return Z.copy()


def test_registry_and_aliases():
    assert ALL == ["binary_crossentropy", "categorical_crossentropy", "mae", "mse", "quadratic"]
    assert L.get("mean_squared_error").name == "mse"
    assert L.get("sparse_categorical_crossentropy").name == "categorical_crossentropy"
    loss = L.Quadratic()
    assert L.get(loss) is loss


def test_unknown_loss_lists_the_valid_names():
    with pytest.raises(
        ValueError,
        match=r"unknown loss 'hinge'; expected one of: binary_crossentropy, "
        r"categorical_crossentropy, mae, mse, quadratic",
    ):
        L.get("hinge")
    with pytest.raises(TypeError, match="loss must be a string name or a Loss, got float"):
        L.get(1.0)


# ------------------------------------------------------------- hand-computed values
def test_binary_crossentropy_value():
    y = np.array([[1.0], [0.0]])
    p = np.array([[0.9], [0.2]])
    # -(ln 0.9 + ln 0.8) / 2
    assert L.get("binary_crossentropy").value(y, p) == pytest.approx(0.1642520335, rel=1e-9)


def test_categorical_crossentropy_value_with_labels_and_one_hot():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    loss = L.get("categorical_crossentropy")
    # -(ln 0.7 + ln 0.6) / 2
    assert loss.value(np.array([0, 2]), p) == pytest.approx(0.4337502839, rel=1e-9)
    assert loss.value(np.eye(3)[[0, 2]], p) == pytest.approx(0.4337502839, rel=1e-9)


def test_mse_is_the_mean_of_squares():
    # per sample: 0.25/3 and 5/3; mean 0.875
    assert L.get("mse").value(Y_REG, A_REG) == pytest.approx(0.875, rel=1e-15)
    expected_grad = 2 * (A_REG - Y_REG) / (2 * 3)
    np.testing.assert_allclose(L.get("mse").gradient(Y_REG, A_REG), expected_grad)


def test_mae_value():
    # per sample: 0.5/3 and 3/3
    assert L.get("mae").value(Y_REG, A_REG) == pytest.approx((0.5 / 3 + 1.0) / 2, rel=1e-15)


def test_quadratic_is_the_notes_cost():
    # C = 1/(2n) sum ||y - a||^2 = (0.25 + 5) / 4
    assert L.get("quadratic").value(Y_REG, A_REG) == pytest.approx(1.3125, rel=1e-15)
    np.testing.assert_allclose(L.get("quadratic").gradient(Y_REG, A_REG), (A_REG - Y_REG) / 2)


# ------------------------------------------------------------------ gradients
@pytest.mark.parametrize("name", ALL)
def test_loss_gradient_matches_finite_differences(name):
    assert check_loss(name, _targets(name), _predictions(name)) < 1e-6


def test_categorical_crossentropy_gradient_with_one_hot_targets():
    assert check_loss("categorical_crossentropy", ONE_HOT, A.softmax(Z)) < 1e-6


@pytest.mark.parametrize(
    "name, targets",
    [
        ("categorical_crossentropy", LABELS),
        ("categorical_crossentropy", ONE_HOT),
        ("binary_crossentropy", BINARY),
        ("binary_crossentropy", (BINARY > 0.5).astype(float)),
    ],
    ids=["cce-labels", "cce-one-hot", "bce-soft", "bce-hard"],
)
def test_fused_gradient_from_logits_matches_finite_differences(name, targets):
    assert check_loss(name, targets, Z, from_logits=True) < 1e-6


@pytest.mark.parametrize("targets", [LABELS, ONE_HOT], ids=["labels", "one-hot"])
def test_softmax_cce_fused_equals_unfused(targets):
    loss = L.get("categorical_crossentropy")
    a, fused_value = loss.fused_forward(targets, Z)
    np.testing.assert_allclose(a, A.softmax(Z), rtol=1e-14)
    assert fused_value == pytest.approx(loss.value(targets, A.softmax(Z)), rel=1e-12)
    assert loss.value_from_logits(targets, Z) == pytest.approx(fused_value, rel=1e-14)
    # A - Y over N equals the chain rule through softmax's own Jacobian
    chained = A.get("softmax").backward(a, loss.gradient(targets, a))
    np.testing.assert_allclose(loss.logits_gradient(targets, a), chained, atol=1e-15)
    np.testing.assert_allclose(loss.logits_gradient(targets, a), (a - ONE_HOT) / len(Z))


def test_sigmoid_bce_fused_equals_unfused():
    loss = L.get("binary_crossentropy")
    a, fused_value = loss.fused_forward(BINARY, Z)
    np.testing.assert_allclose(a, A.sigmoid(Z), rtol=1e-14)
    assert fused_value == pytest.approx(loss.value(BINARY, A.sigmoid(Z)), rel=1e-12)
    chained = A.get("sigmoid").backward(a, loss.gradient(BINARY, a))
    np.testing.assert_allclose(loss.logits_gradient(BINARY, a), chained, rtol=1e-10)
    np.testing.assert_allclose(loss.logits_gradient(BINARY, a), (a - BINARY) / Z.size)


# ---------------------------------------------------------------- saturation
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_predictions_do_not_take_log_of_zero(dtype):
    eps = np.finfo(dtype).eps
    p = np.array([[1.0], [0.0]], dtype=dtype)
    wrong = np.array([[0.0], [1.0]], dtype=dtype)
    bce = L.get("binary_crossentropy")
    # perfectly right: ~0; perfectly wrong: -log(eps), finite (clipped with the dtype's epsilon)
    assert bce.value(wrong, p) == pytest.approx(-np.log(eps), rel=1e-4)
    assert bce.value(p, p) < 2 * eps
    assert np.all(np.isfinite(bce.gradient(wrong, p)))
    cce = L.get("categorical_crossentropy")
    probs = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=dtype)
    assert cce.value(np.array([1, 0]), probs) == pytest.approx(-np.log(eps), rel=1e-4)
    assert np.all(np.isfinite(cce.gradient(np.array([1, 0]), probs)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_losses_are_exact_for_huge_logits(dtype):
    z = np.array([[1e4], [-1e4]], dtype=dtype)
    bce = L.get("binary_crossentropy")
    a, value = bce.fused_forward(np.array([[0.0], [0.0]], dtype=dtype), z)
    np.testing.assert_array_equal(a, [[1.0], [0.0]])
    assert value == pytest.approx(1e4 / 2)  # log(1 + e^1e4) = 1e4, computed without overflow
    cce = L.get("categorical_crossentropy")
    logits = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=dtype)
    a, value = cce.fused_forward(np.array([1, 1]), logits)
    np.testing.assert_array_equal(a, [[1.0, 0.0], [0.0, 1.0]])
    assert value == pytest.approx(2e4 / 2)
    assert a.dtype == dtype


# -------------------------------------------------------------- sample weights
@pytest.mark.parametrize("name", ALL)
def test_sample_weights_follow_keras_semantics(name):
    y, p = _targets(name), _predictions(name)
    w = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 3.0])
    loss = L.get(name)
    per_sample = loss.per_sample(y, p)
    assert loss.value(y, p, w) == pytest.approx((w * per_sample).sum() / len(w), rel=1e-12)
    assert loss.value(y, p, np.ones(6)) == pytest.approx(loss.value(y, p), rel=1e-12)
    analytic = loss.gradient(y, p, w)
    numeric = numerical_gradient(lambda: loss.value(y, p, w), p)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    assert np.all(analytic[1] == 0)  # zero weight, zero gradient


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
def test_fused_sample_weights(name):
    y = _targets(name)
    w = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 3.0])
    loss = L.get(name)
    a, value = loss.fused_forward(y, Z, w)
    assert value == pytest.approx((w * loss.per_sample_from_logits(y, Z)).sum() / 6, rel=1e-12)
    z = Z.copy()
    numeric = numerical_gradient(lambda: loss.fused_forward(y, z, w)[1], z)
    np.testing.assert_allclose(loss.logits_gradient(y, a, w), numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", ALL)
def test_float32_gradients_stay_float32(name):
    y, p = _targets(name), _predictions(name).astype(np.float32)
    if y.dtype.kind == "f":
        y = y.astype(np.float32)
    loss = L.get(name)
    assert loss.gradient(y, p).dtype == np.float32
    assert loss.gradient(y, p, np.ones(6)).dtype == np.float32
