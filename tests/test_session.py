"""The TrainingSession contract: what fit, the tools and later distributed training rely on."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import handgrad as hg
from handgrad.training import TrainingSession


def _model(seed=0, optimizer=None):
    model = hg.Sequential(
        [
            hg.layers.Dense(6, "relu", input_dim=3, kernel_constraint=hg.constraints.MaxNorm(2)),
            hg.layers.Dropout(0.2),
            hg.layers.Dense(3, "softmax", kernel_regularizer=hg.regularizers.L2(1e-3)),
        ],
        seed=seed,
    )
    model.compile("categorical_crossentropy", optimizer or hg.optimizers.Adam(0.01))
    return model


def _data(n=16):
    rng = np.random.default_rng(1)
    return rng.random((n, 3), dtype=np.float32), np.arange(n) % 3


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def test_every_model_has_one_session_whose_flat_arrays_back_the_layers():
    model = _model()
    session = model.session
    assert isinstance(session, TrainingSession) and session.model is model
    session.prepare()
    params = session.params
    assert params.shape == (3 * 6 + 6 + 6 * 3 + 3,) and session.pairs == [(params, session.grads)]
    assert np.shares_memory(model.layers[0].params["W"], params)
    assert np.shares_memory(model.layers[2].grads["b"], session.grads)
    session.prepare()  # nothing changed: the same arrays, so the optimizer keeps its plans
    assert session.params is params


def test_step_is_forward_backward_then_apply_gradients():
    """A step composed by hand (where a gradient Allreduce would go) gives the same bits."""
    x, y = _data()
    whole, parts = _model(), _model()
    for model in (whole, parts):
        model.session.prepare()
    for _ in range(3):
        loss_a, out_a = whole.session.step(x, y)
        loss_b, out_b = parts.session.forward_backward(x, y)
        parts.session.grads *= 1.0  # a gradient hook: here the identity
        parts.session.apply_gradients()
        assert loss_a == loss_b
        np.testing.assert_array_equal(out_a, out_b)
    for a, b in zip(_weights(whole), _weights(parts), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_session_step_is_train_on_batch():
    x, y = _data()
    by_model, by_session = _model(), _model()
    losses = [by_model.train_on_batch(x, y) for _ in range(2)]
    by_session.session.prepare()
    with by_session.session.running(len(x)):
        assert losses == [float(by_session.session.step(x, y)[0]) for _ in range(2)]
    for a, b in zip(_weights(by_model), _weights(by_session), strict=True):
        np.testing.assert_array_equal(a, b)


def test_training_loss_is_the_loss_forward_backward_differentiates():
    model = _model()
    x, y = _data()
    model.session.prepare()
    state = model.get_rng_state()
    loss, _ = model.session.forward_backward(x, y)
    model.set_rng_state(state)  # the same dropout mask
    assert model.session.training_loss(x, y) == pytest.approx(loss, rel=1e-6)


def test_evaluate_is_the_models_evaluate_on_checked_arrays():
    model = _model()
    x, y = _data()
    assert model.session.evaluate(x, y) == model.evaluate(x, y)


def test_running_lets_layers_reuse_buffers_only_inside():
    model = _model()
    model.session.prepare()
    with model.session.running(8):
        assert all(layer.reuse_buffers for layer in model.layers)
    assert not any(layer.reuse_buffers for layer in model.layers)


def test_snapshot_and_restore_and_preserved():
    model = _model()
    x, y = _data()
    session = model.session
    session.prepare()
    session.step(x, y)
    before = session.snapshot()
    grads = [g.copy() for layer in model.layers for g in layer.grads.values()]
    rng, opt = model.get_rng_state(), model.optimizer.get_state()
    with session.preserved():
        for _ in range(3):
            session.step(x, y)
    for a, b in zip(before, _weights(model), strict=True):
        np.testing.assert_array_equal(a, b)
    after = [g for layer in model.layers for g in layer.grads.values()]
    for a, b in zip(grads, after, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.get_rng_state() == rng and model.optimizer.iterations == opt["iterations"]
    session.step(x, y)
    session.restore(before)
    for a, b in zip(before, _weights(model), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("clone", [pickle.loads, copy.deepcopy], ids=["pickle", "deepcopy"])
def test_a_copied_model_remakes_its_views_and_trains_like_the_original(clone):
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    copied = clone(pickle.dumps(model)) if clone is pickle.loads else clone(model)
    assert copied.session.model is copied and copied.session.params is None
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    copied.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert np.shares_memory(copied.layers[0].params["W"], copied.session.params)
    for a, b in zip(_weights(model), _weights(copied), strict=True):
        np.testing.assert_array_equal(a, b)


def test_rng_state_round_trip_repeats_training_exactly():
    model = _model()
    x, y = _data()
    state, weights = model.get_rng_state(), _weights(model)
    first = model.fit(x, y, epochs=2, batch_size=4, verbose=0, validation_split=0.25).history
    model.set_rng_state(state)
    model.set_weights(weights)
    model.optimizer.reset()
    again = model.fit(x, y, epochs=2, batch_size=4, verbose=0, validation_split=0.25).history
    assert first == again
    with pytest.raises(ValueError, match="holds 1 layer states but the model has 3 layers"):
        model.set_rng_state({"layers": [None]})
