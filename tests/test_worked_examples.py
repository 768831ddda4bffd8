"""The lecture notes' worked examples, reproduced through the public API.

The notes write ``z = W a + b`` with ``W`` of shape ``(units, fan_in)``; handgrad's Dense uses
``Z = X @ W + b`` with ``W`` of shape ``(fan_in, units)``, so the notes' matrices are transposed
before ``set_weights``.
"""

import numpy as np
import pytest

import handgrad as hg

# ----------------------------------------------------------- forward pass (3-2-2 sigmoid net)
NOTES_W2 = np.array([[0.1, 0.2, 0.6], [0.4, 0.3, 0.1]])
NOTES_B2 = np.array([0.4, 0.2])
NOTES_W3 = np.array([[0.2, 0.1], [0.1, 0.4]])
NOTES_B3 = np.array([0.6, 0.3])
NOTES_X = np.array([[3.0, 0.0, 1.0]])


def _notes_forward_model(dtype="float64"):
    model = hg.Sequential(
        [hg.layers.Dense(2, "sigmoid", input_dim=3), hg.layers.Dense(2, "sigmoid")],
        seed=0,
        dtype=dtype,
    )
    model.set_weights([NOTES_W2.T, NOTES_B2, NOTES_W3.T, NOTES_B3])
    return model


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_notes_forward_pass(dtype):
    model = _notes_forward_model(dtype)
    hidden, output = model.layers
    z2 = hidden.forward_logits(NOTES_X.astype(dtype))
    np.testing.assert_allclose(z2, [[1.3, 1.5]], rtol=1e-6)
    a2 = hidden.forward(NOTES_X.astype(dtype))
    np.testing.assert_allclose(a2, [[0.7858, 0.8176]], atol=5e-5)
    np.testing.assert_allclose(output.forward_logits(a2), [[0.8389, 0.7056]], atol=5e-5)
    a3 = model.predict(NOTES_X)
    assert a3.dtype == dtype
    np.testing.assert_allclose(a3, [[0.6982, 0.6694]], atol=5e-5)


# -------------------------------------------- Mazur's step-by-step backpropagation example
# w1..w4: inputs -> hidden (w1: i1->h1, w2: i2->h1, w3: i1->h2, w4: i2->h2), b1 = 0.35
# w5..w8: hidden -> outputs (w5: h1->o1, w6: h2->o1, w7: h1->o2, w8: h2->o2), b2 = 0.60
MAZUR_W1 = np.array([[0.15, 0.25], [0.20, 0.30]])  # [[w1, w3], [w2, w4]]
MAZUR_B1 = np.array([0.35, 0.35])
MAZUR_W2 = np.array([[0.40, 0.50], [0.45, 0.55]])  # [[w5, w7], [w6, w8]]
MAZUR_B2 = np.array([0.60, 0.60])
MAZUR_X = np.array([[0.05, 0.10]])
MAZUR_Y = np.array([[0.01, 0.99]])


def _mazur_model(learning_rate):
    model = hg.Sequential(
        [hg.layers.Dense(2, "sigmoid", input_dim=2), hg.layers.Dense(2, "sigmoid")],
        seed=0,
        dtype="float64",
    )
    model.set_weights([MAZUR_W1, MAZUR_B1, MAZUR_W2, MAZUR_B2])
    # the notes' E_total = sum 1/2 (target - out)^2 is the quadratic cost for one sample
    model.compile(loss="quadratic", optimizer=hg.optimizers.SGD(learning_rate=learning_rate))
    return model


def test_mazur_forward_pass_and_total_error():
    model = _mazur_model(0.0)
    hidden = model.layers[0].forward(MAZUR_X)
    np.testing.assert_allclose(hidden, [[0.593269992, 0.596884378]], atol=1e-9)
    np.testing.assert_allclose(model.predict(MAZUR_X), [[0.75136507, 0.772928465]], atol=1e-8)
    assert model.evaluate(MAZUR_X, MAZUR_Y)["loss"] == pytest.approx(0.298371109, abs=1e-9)


def test_mazur_gradients_through_train_on_batch():
    model = _mazur_model(0.0)  # learning rate 0: gradients without updates
    loss = model.train_on_batch(MAZUR_X, MAZUR_Y)
    assert loss == pytest.approx(0.298371109, abs=1e-9)
    d_hidden = model.layers[0].grads["W"]
    d_output = model.layers[1].grads["W"]
    # the two values the notes derive by hand
    assert d_output[0, 0] == pytest.approx(0.082167041, abs=1e-9)  # dE/dw5
    assert d_hidden[0, 0] == pytest.approx(0.000438568, abs=1e-9)  # dE/dw1
    # the rest, from the updated weights the source prints (w+ = w - 0.5 dE/dw)
    updated = {"w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229, "w6": 0.408666186,
               "w7": 0.511301270, "w8": 0.561370121}  # fmt: skip
    grads = {"w2": d_hidden[1, 0], "w3": d_hidden[0, 1], "w4": d_hidden[1, 1],
             "w6": d_output[1, 0], "w7": d_output[0, 1], "w8": d_output[1, 1]}  # fmt: skip
    start = {"w2": 0.20, "w3": 0.25, "w4": 0.30, "w6": 0.45, "w7": 0.50, "w8": 0.55}
    for name, grad in grads.items():
        assert start[name] - 0.5 * grad == pytest.approx(updated[name], abs=1e-8), name
    # nothing moved
    for before, after in zip(
        [MAZUR_W1, MAZUR_B1, MAZUR_W2, MAZUR_B2], model.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(before, after)


def test_mazur_error_after_one_update_of_the_weights():
    model = _mazur_model(0.0)
    model.train_on_batch(MAZUR_X, MAZUR_Y)
    grads = [layer.grads["W"].copy() for layer in model.layers]
    # the source updates only the weights (biases stay at 0.35 and 0.60), learning rate 0.5
    model.set_weights([MAZUR_W1 - 0.5 * grads[0], MAZUR_B1, MAZUR_W2 - 0.5 * grads[1], MAZUR_B2])
    error = model.evaluate(MAZUR_X, MAZUR_Y)["loss"]
    # exact arithmetic gives 0.29102777; the source prints 0.291027924 because it rounds
    # its intermediate weights
    assert error == pytest.approx(0.2910278, abs=5e-8)
    assert error == pytest.approx(0.291027924, abs=2e-7)


def test_mazur_one_sgd_step_updates_weights_and_biases():
    model = _mazur_model(0.5)
    reference = _mazur_model(0.0)
    reference.train_on_batch(MAZUR_X, MAZUR_Y)
    loss = model.train_on_batch(MAZUR_X, MAZUR_Y)
    assert loss == pytest.approx(0.298371109, abs=1e-9)  # the loss before the update
    grads = [g for layer in reference.layers for g in (layer.grads["W"], layer.grads["b"])]
    initial = [MAZUR_W1, MAZUR_B1, MAZUR_W2, MAZUR_B2]
    for w0, g, w in zip(initial, grads, model.get_weights(), strict=True):
        np.testing.assert_allclose(w, w0 - 0.5 * g, rtol=0, atol=1e-15)
    # updating the biases too lowers the error further than the weights alone
    assert model.evaluate(MAZUR_X, MAZUR_Y)["loss"] < 0.2910277


def test_mazur_gradients_match_finite_differences():
    model = _mazur_model(0.0)
    errors = hg.gradcheck.check_model(model, MAZUR_X, MAZUR_Y)
    assert set(errors) == {f"{layer.name}/{k}" for layer in model.layers for k in ("W", "b")}
    assert max(errors.values()) < 1e-7
