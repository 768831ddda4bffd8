"""The playground's setup: validation (messages name the field) and the URL round trip."""

import numpy as np
import pytest

from handgrad.playground import limits
from handgrad.playground.datasets import build, split_flags
from handgrad.playground.session import check_setup
from handgrad.playground.spec import (
    DataSpec,
    LayerSpec,
    ModelSpec,
    Setup,
    SpecError,
    UiSpec,
    make_custom,
    setup_from_dict,
    setup_to_dict,
)
from handgrad.playground.urlstate import (
    decode_custom,
    setup_from_query,
    setup_to_query,
)


def rich_setup() -> Setup:
    a = ModelSpec(
        features=("x1", "x2", "x1^2", "sin(x2)"),
        layers=(LayerSpec(8, "relu", "he_uniform", 0.25, True), LayerSpec(3, "elu")),
        optimizer="sgd",
        learning_rate=0.1,
        momentum=0.5,
        schedule="step",
        schedule_value=0.5,
        schedule_every=7,
        regularization="L1",
        regularization_rate=0.003,
        batch_size=0,
        seed=42,
        max_epochs=500,
        target_loss=0.05,
    )
    b = ModelSpec(layers=(), optimizer="rmsprop", learning_rate=0.001)
    data = DataSpec(dataset="spiral", classes=4, noise=0.3, points=800, train_percent=60, seed=5)
    return Setup(
        data=data,
        models=(a, b),
        ui=UiSpec(discretize=True, show_test=False, hide=("data", "export")),
    )


def test_default_setup_round_trips_through_the_url():
    setup = Setup()
    query = setup_to_query(setup)
    assert "dataset=moons" in query and "layers=4:tanh,2:tanh" in query
    back, notes = setup_from_query(query)
    assert back == setup and notes == []


def test_every_setting_round_trips_through_the_url_and_json():
    setup = rich_setup()
    query = setup_to_query(setup)
    assert "compare=1" in query and "b.layers=none" in query
    assert "layers=8:relu:he_uniform:d0.25:bn,3:elu" in query
    back, notes = setup_from_query(query)
    assert notes == [] and back == setup
    assert setup_to_query(back) == query  # canonical
    assert setup_from_dict(setup_to_dict(setup)) == setup


def test_custom_points_travel_in_the_url_bit_for_bit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32) + (x[:, 1] > 1)
    flags = split_flags(x, y, "classification", 70, 3)
    custom = make_custom(x, y, flags)
    setup = Setup(data=DataSpec(dataset="custom", train_percent=70, seed=3, custom=custom))
    query = setup_to_query(setup)
    back, notes = setup_from_query(query)
    assert notes == []
    assert back == setup
    assert np.array_equal(back.data.custom.x, x) and np.array_equal(back.data.custom.test, flags)
    dataset = build(back.data)
    assert dataset.n_classes == 3 and len(dataset.x_test) == flags.sum()


def test_a_damaged_or_hostile_data_payload_is_refused_with_a_note():
    setup, notes = setup_from_query("dataset=custom&data=not-base64!!&layers=3:tanh")
    assert setup.data.dataset == "moons"  # fell back to the default dataset
    assert any("custom points not loaded" in n for n in notes)
    assert setup.models[0].layers == (LayerSpec(3, "tanh"),)
    # A zip bomb: far more bytes than 5,000 points can need are never inflated.
    import base64
    import zlib

    bomb = base64.urlsafe_b64encode(zlib.compress(b"\0" * 50_000_000)).decode()
    with pytest.raises(ValueError, match="damaged"):
        decode_custom(bomb, "classification")


def test_a_link_with_bad_values_keeps_the_good_ones_and_says_what_it_dropped():
    setup, notes = setup_from_query(
        "dataset=nope&points=999999&layers=4:tanh,99:relu,3:wavy&lr=abc&opt=adam&batch=25&zzz=1"
    )
    assert setup.data.dataset == "moons" and setup.data.points == 1000
    units = [layer.units for layer in setup.models[0].layers]
    assert units == [4, 4, 3]  # the bad layer's units fell back to the default
    assert setup.models[0].layers[2].activation == "tanh"
    assert setup.models[0].batch_size == 25 and setup.models[0].learning_rate == 0.03
    text = " | ".join(notes)
    for expected in (
        "zzz",
        "data.dataset",
        "data.points",
        "layers[1].units",
        "activation",
        "learning_rate",
    ):
        assert expected in text


@pytest.mark.parametrize(
    ("source", "field", "words"),
    [
        ({"models": [{"layers": [{"units": 0}]}]}, "models[0].layers[0].units", "from 1 to 32"),
        ({"models": [{"layers": [{"units": 4}] * 9}]}, "models[0].layers", "at most 8"),
        (
            {"models": [{"layers": [{"activation": "swish"}]}]},
            "models[0].layers[0].activation",
            "one of",
        ),
        ({"models": [{"learning_rate": 11}]}, "models[0].learning_rate", "[0, 10]"),
        ({"models": [{"learning_rate": float("nan")}]}, "models[0].learning_rate", "number"),
        ({"models": [{"features": []}]}, "models[0].features", "at least one"),
        ({"models": [{"optimizer": "lbfgs"}]}, "models[0].optimizer", "sgd, momentum"),
        ({"models": [{"layers": [{"dropout": 0.95}]}]}, "models[0].layers[0].dropout", "0.9"),
        ({"models": [{}, {}, {}]}, "models", "two, to compare"),
        ({"data": {"points": 5001}}, "data.points", "10 to 5000"),
        ({"data": {"dataset": "custom"}}, "data.dataset", "upload a CSV"),
        ({"data": {"problem": "regression", "dataset": "moons"}}, "data.dataset", "plane"),
        ({"data": {"noise": -1}}, "data.noise", "[0, 1]"),
        ({"ui": {"hide": ["everything"]}}, "ui.hide", "one of"),
        ({"colour": "red"}, "colour", "unknown"),
        ({"models": [{"lr": 1}]}, "models[0]", "unknown setting(s) lr"),
    ],
)
def test_bad_settings_name_their_field(source, field, words):
    with pytest.raises(SpecError) as info:
        setup_from_dict(source)
    assert info.value.field == field
    assert words in str(info.value)


def test_limits_that_need_the_data():
    big = ModelSpec(features=("x1", "x2"), layers=(LayerSpec(32),) * 8)
    check_setup(Setup(models=(big,)))  # 8 x 32 fits
    many = ModelSpec(features=tuple(["x1", "x2", "x1^2", "x2^2", "x1x2", "sin(x1)", "sin(x2)"]))
    check_setup(Setup(models=(many,)))
    with pytest.raises(SpecError, match="updates per epoch") as info:
        check_setup(Setup(data=DataSpec(points=5000), models=(ModelSpec(batch_size=1),)))
    assert info.value.field == "models[0].batch_size" and "batch size of 4 or more" in str(
        info.value
    )
    with pytest.raises(SpecError, match="last batch of 1"):
        check_setup(
            Setup(
                data=DataSpec(points=1001),
                models=(ModelSpec(layers=(LayerSpec(4, batchnorm=True),), batch_size=10),),
            )
        )
    assert limits.MAX_PARAMS >= (7 + 1) * 32 + 7 * 33 * 32 + 33 * 10
