"""One recipe: ``handgrad train``, ``handgrad tune`` and the estimators build the same networks."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad import recipes, tuning
from handgrad.cli import build_parser, main
from handgrad.cli.commands import train_model
from handgrad.sklearn import MLPClassifier


def _architecture(model: hg.Sequential) -> list[tuple[str, dict]]:
    """Every layer's class and config, without the automatic names."""
    return [
        (type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
        for layer in model.layers
    ]


def _same_network(a: hg.Sequential, b: hg.Sequential) -> None:
    assert _architecture(a) == _architecture(b)
    assert (a.seed, a.dtype) == (b.seed, b.dtype)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_train_and_tune_build_the_same_network_from_the_same_recipe():
    """`handgrad train --hidden 64 --activation relu` and a tune template {hidden: [64],
    activation: relu} (which calls recipes.build_mlp with the template's settings, its
    kernel_initializer left at None) start from the same weights: He normal after ReLU."""
    args = build_parser().parse_args(["train", "--hidden", "64", "--activation", "relu"])
    trained = train_model(args, n_features=2, n_classes=2, learning_rate=0.5)
    template = {"hidden": [64], "activation": "relu", "optimizer": "sgd", "learning_rate": 0.5}
    tuned = recipes.build_mlp(
        2,
        2,
        hidden=template["hidden"],
        activation=template["activation"],
        kernel_initializer=None,
        seed=args.seed,
        optimizer=recipes.optimizer_from_name(template["optimizer"], template["learning_rate"]),
    )
    _same_network(trained, tuned)
    assert trained.layers[0].kernel_initializer == "he_normal"
    assert trained.optimizer.get_config() == tuned.optimizer.get_config()
    assert trained.metrics_names == tuned.metrics_names == ["loss", "accuracy"]


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_the_recipe_does_exactly_what_tuning_build_mlp_does(optimizer, batch_norm):
    """tuning.build_mlp can call the recipe without changing a trial (given its settings)."""
    settings = dict(hidden=[6, 5], activation="tanh", l2=1e-3, dropout=0.1, batch_norm=batch_norm)
    theirs = tuning.build_mlp(
        4,
        3,
        optimizer=optimizer,
        learning_rate=0.05,
        kernel_initializer="glorot_uniform",
        seed=7,
        **settings,
    )
    ours = recipes.build_mlp(
        4,
        3,
        kernel_initializer="glorot_uniform",
        seed=7,
        optimizer=recipes.optimizer_from_name(optimizer, 0.05, momentum=None),
        **settings,
    )
    _same_network(theirs, ours)
    assert theirs.optimizer.get_config() == ours.optimizer.get_config()
    x, y = np.random.default_rng(0).random((20, 4)), np.arange(20) % 3
    theirs.fit(x, y, epochs=2, batch_size=8, verbose=0)
    ours.fit(x, y, epochs=2, batch_size=8, verbose=0)
    _same_network(theirs, ours)


def test_the_estimators_build_their_network_with_the_recipe():
    X, y = np.random.default_rng(0).random((30, 4)), np.arange(30) % 3
    clf = MLPClassifier((8, 5), batch_norm=True, max_iter=1, random_state=3)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    model = clf.model_
    expected = recipes.build_mlp(
        4,
        3,
        hidden=(8, 5),
        batch_norm=True,
        layer_names=True,
        seed=3,
        name="MLPClassifier",
    )
    assert [layer.name for layer in model.layers] == [layer.name for layer in expected.layers]
    for layer in model.layers:  # alpha's L2 is set by fit, from the batch size
        layer.regularizers.clear()
    assert _architecture(model) == _architecture(expected)
    assert model.layers[0].kernel_initializer == "he_normal"  # the activation's initializer


def test_output_activation_follows_the_loss():
    out = {
        loss: recipes.build_mlp(3, 2, hidden=[], loss=loss).layers[-1].activation.name
        for loss in ("categorical_crossentropy", "binary_crossentropy", "mse")
    }
    assert out == {
        "categorical_crossentropy": "softmax",
        "binary_crossentropy": "sigmoid",
        "mse": "linear",
    }
    assert recipes.build_mlp(3, 2, hidden=4).layers[0].units == 4  # an int is one layer
    with pytest.raises(TypeError, match="hidden must be a list of layer sizes"):
        recipes.build_mlp(3, 2, hidden="64")


def test_optimizer_settings_none_keep_the_optimizers_defaults():
    assert recipes.optimizer_from_name("momentum", 0.1).beta == 0.9
    assert recipes.optimizer_from_name("momentum", 0.1, momentum=0.5).beta == 0.5
    assert recipes.optimizer_from_name("SGD", 0.1).momentum == 0.0
    adam = recipes.optimizer_from_name("adam", 0.1, momentum=0.9, rho=0.5, epsilon=1e-6)
    assert (adam.epsilon, adam.beta_1) == (1e-6, 0.9)  # momentum and rho are not Adam's


UNKNOWN = "unknown optimizer 'nadam'; expected one of: adam, momentum, rmsprop, sgd"


def test_an_unknown_optimizer_name_is_an_error_listing_the_known_ones_everywhere(capsys):
    with pytest.raises(ValueError, match=UNKNOWN):
        recipes.optimizer_from_name("nadam", 0.1)
    with pytest.raises(ValueError, match=UNKNOWN):
        hg.Sequential([hg.layers.Dense(1, input_dim=1)]).compile("mse", "nadam")
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--optimizer", "nadam"])
    assert exit_.value.code == 2
    assert UNKNOWN in capsys.readouterr().err
