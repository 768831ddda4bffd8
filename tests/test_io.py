"""Saving and loading: round trips, exact resume, refusal of unsafe or broken files."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

import handgrad as hg
from handgrad import io as hgio

L = hg.layers


def _data(n=120, d=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype("float32")
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    return X, y % k


def _mlp(seed=3, optimizer=None):
    model = hg.Sequential(
        [
            L.Dense(
                8,
                "relu",
                input_dim=6,
                kernel_regularizer=hg.regularizers.L1L2(1e-4, 1e-3),
                kernel_constraint=hg.constraints.MaxNorm(3.0),
            ),
            L.Dense(3, "softmax"),
        ],
        seed=seed,
    )
    model.compile("categorical_crossentropy", optimizer or hg.optimizers.Adam(0.01), ["accuracy"])
    return model


def _all_layer_models():
    """One small model per layer type, each with its input data."""
    rng = np.random.default_rng(1)
    flat = rng.standard_normal((16, 6)).astype("float32")
    images = rng.standard_normal((16, 1, 8, 8)).astype("float32")
    models = {
        "dense_activation": (
            [L.Dense(5, input_dim=6), L.Activation("tanh"), L.Dense(3, "softmax")],
            flat,
        ),
        "dropout_batchnorm": (
            [
                L.Dense(5, input_dim=6),
                L.BatchNormalization(),
                L.Activation("relu"),
                L.Dropout(0.3),
                L.Dense(3, "softmax"),
            ],
            flat,
        ),
        "conv": (
            [
                L.Conv2D(4, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
                L.BatchNormalization(),
                L.MaxPooling2D(2),
                L.Conv2D(4, 3, strides=1),
                L.AveragePooling2D(2),
                L.Flatten(),
                L.Dense(3, "softmax"),
            ],
            images,
        ),
        "global_pool": (
            [
                L.Conv2D(3, 3, input_shape=(1, 8, 8)),
                L.GlobalAveragePooling2D(),
                L.Dense(3, "softmax"),
            ],
            images,
        ),
    }
    return models


@pytest.mark.parametrize("kind", ["dense_activation", "dropout_batchnorm", "conv", "global_pool"])
def test_round_trip_every_layer_type(tmp_path, kind):
    layers, X = _all_layer_models()[kind]
    y = np.arange(len(X)) % 3
    model = hg.Sequential(layers, seed=2)
    model.compile("categorical_crossentropy", hg.optimizers.SGD(0.05, momentum=0.9), ["accuracy"])
    model.fit(X, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "m.hgz"
    model.save(path)
    loaded = hg.load_model(path)
    assert [type(a) for a in loaded.layers] == [type(a) for a in model.layers]
    assert [a.name for a in loaded.layers] == [a.name for a in model.layers]
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    np.testing.assert_array_equal(model.predict(X), loaded.predict(X))
    assert loaded.evaluate(X, y) == model.evaluate(X, y)
    assert loaded.history.history == model.history.history
    assert loaded.optimizer.iterations == model.optimizer.iterations


def test_resume_equals_uninterrupted_training(tmp_path):
    X, y = _data()
    schedule = hg.schedules.ExponentialDecay(0.02, 0.9)
    straight = _mlp(optimizer=hg.optimizers.Adam(schedule))
    straight.fit(X, y, epochs=6, batch_size=16, verbose=0)  # shuffled every epoch

    first = _mlp(optimizer=hg.optimizers.Adam(schedule))
    first.fit(X, y, epochs=3, batch_size=16, verbose=0)
    first.save(tmp_path / "half.hgz")
    resumed = hg.load_model(tmp_path / "half.hgz")
    assert resumed.epochs_trained == 3
    history = resumed.fit(X, y, epochs=6, initial_epoch=3, batch_size=16, verbose=0)
    assert history.epoch == [3, 4, 5]
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert history.history["lr"] == straight.history.history["lr"][3:]


def test_resume_with_dropout_masks_is_exact(tmp_path):
    X, y = _data()

    def make():
        m = hg.Sequential(
            [L.Dense(8, "relu", input_dim=6), L.Dropout(0.5), L.Dense(3, "softmax")], seed=5
        )
        m.compile("categorical_crossentropy", hg.optimizers.SGD(0.1, momentum=0.9))
        return m

    straight = make()
    straight.fit(X, y, epochs=4, batch_size=32, verbose=0)
    half = make()
    half.fit(X, y, epochs=2, batch_size=32, verbose=0)
    half.save(tmp_path / "d.hgz")
    resumed = hg.load_model(tmp_path / "d.hgz")
    resumed.fit(X, y, epochs=4, initial_epoch=2, batch_size=32, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_get_config_from_config_rebuilds_architecture():
    model = _mlp()
    clone = hg.Sequential.from_config(json.loads(json.dumps(model.get_config())))
    assert clone.get_config() == model.get_config()
    assert clone.count_params() == model.count_params() == 6 * 8 + 8 + 8 * 3 + 3
    # Same seed: same initialization.
    for a, b in zip(model.get_weights(), clone.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_file_is_a_zip_of_json_and_npy(tmp_path):
    model = _mlp()
    model.fit(*_data(), epochs=1, verbose=0)
    model.save(tmp_path / "m.hgz")
    with zipfile.ZipFile(tmp_path / "m.hgz") as zf:
        names = zf.namelist()
        doc = json.loads(zf.read("model.json"))
    assert "model.json" in names and all(n.endswith(".npy") for n in names if n != "model.json")
    assert doc["format"] == "handgrad-model" and doc["format_version"] == hgio.FORMAT_VERSION
    assert doc["handgrad_version"] == hg.__version__
    assert doc["compile"]["loss"] == "categorical_crossentropy"
    assert doc["compile"]["optimizer"]["class_name"] == "Adam"
    assert doc["epochs_trained"] == 1 and len(doc["history"]["history"]["loss"]) == 1


def _rewrite(path, transform):
    """Rewrite an archive, letting ``transform(name, data) -> data`` change entries."""
    with zipfile.ZipFile(path) as zf:
        entries = [(n, zf.read(n)) for n in zf.namelist()]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries:
            zf.writestr(name, transform(name, data))


@pytest.fixture
def saved(tmp_path):
    model = _mlp()
    model.fit(*_data(), epochs=1, verbose=0)
    path = tmp_path / "m.hgz"
    model.save(path)
    return path


def test_object_array_is_refused_and_never_unpickled(saved, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    def transform(name, data):
        if name == "arrays/0.npy":
            buf = io.BytesIO()
            np.save(buf, np.array([Payload()], dtype=object), allow_pickle=True)
            return buf.getvalue()
        return data

    _rewrite(saved, transform)
    with pytest.raises(ValueError, match="cannot be read without pickle"):
        hg.load_model(saved)
    assert not marker.exists()


def test_malformed_json_is_refused(saved):
    _rewrite(saved, lambda n, d: d[:-20] if n == "model.json" else d)
    with pytest.raises(ValueError, match="malformed JSON"):
        hg.load_model(saved)


def test_newer_format_is_refused(saved):
    def transform(name, data):
        if name != "model.json":
            return data
        doc = json.loads(data)
        doc["format_version"] = hgio.FORMAT_VERSION + 1
        return json.dumps(doc)

    _rewrite(saved, transform)
    with pytest.raises(ValueError, match="newer than this handgrad"):
        hg.load_model(saved)


def test_truncated_file_is_refused(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a valid handgrad model file"):
        hg.load_model(saved)


def test_missing_entries_and_wrong_shapes_are_refused(saved):
    def transform(name, data):
        if name != "model.json":
            return data
        doc = json.loads(data)
        del doc["layers"][0]["params"]["W"]
        return json.dumps(doc)

    _rewrite(saved, transform)
    with pytest.raises(ValueError, match="missing or malformed entry"):
        hg.load_model(saved)


def test_not_a_model_file(tmp_path):
    p = tmp_path / "x.hgz"
    p.write_text("hello")
    with pytest.raises(ValueError, match="not a complete zip archive"):
        hg.load_model(p)
    with pytest.raises(FileNotFoundError, match="no model file"):
        hg.load_model(tmp_path / "missing.hgz")


def test_atomic_save_under_simulated_crash(saved, monkeypatch):
    before = saved.read_bytes()
    model = _mlp(seed=9)
    model.fit(*_data(), epochs=2, verbose=0)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(np.lib.format, "write_array", crash)
    with pytest.raises(KeyboardInterrupt):
        model.save(saved)
    assert saved.read_bytes() == before  # old model intact
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]  # no temp file left
    monkeypatch.undo()
    hg.load_model(saved)


def test_save_requires_built_model_and_existing_folder(tmp_path):
    model = hg.Sequential([L.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        model.save(tmp_path / "m.hgz")
    built = _mlp()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        built.save(tmp_path / "no" / "such" / "m.hgz")


def test_uncompiled_model_round_trips(tmp_path):
    model = hg.Sequential([L.Dense(3, "tanh", input_dim=2)], seed=0, dtype="float64")
    model.save(tmp_path / "u.hgz")
    loaded = hg.load_model(tmp_path / "u.hgz")
    assert loaded.loss is None and loaded.dtype == np.float64
    x = np.ones((2, 2))
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))
    assert os.path.getsize(tmp_path / "u.hgz") > 0


def test_model_checkpoint_saves_best_and_formats_paths(tmp_path):
    X, y = _data()
    model = _mlp()
    best = hg.callbacks.ModelCheckpoint(
        tmp_path / "best.hgz", monitor="val_loss", save_best_only=True
    )
    every = hg.callbacks.ModelCheckpoint(
        str(tmp_path / "ep{epoch:02d}-{loss:.3f}.hgz"), monitor="loss"
    )
    history = model.fit(
        X, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0, callbacks=[best, every]
    )
    assert [p.split("/")[-1][:4] for p in every.saved] == ["ep01", "ep02", "ep03", "ep04"]
    assert every.saved[0].endswith(f"{history.history['loss'][0]:.3f}.hgz")
    val = history.history["val_loss"]
    assert best.best == min(val)
    saved = hg.load_model(tmp_path / "best.hgz")
    assert saved.epochs_trained == int(np.argmin(val)) + 1
    resumed = hg.load_model(every.saved[1])
    assert (
        resumed.epochs_trained == 2
        and resumed.optimizer.iterations == model.optimizer.iterations // 2
    )


def test_model_checkpoint_errors(tmp_path):
    X, y = _data()
    with pytest.raises(TypeError, match="filepath must be a path"):
        hg.callbacks.ModelCheckpoint(3)
    bad = hg.callbacks.ModelCheckpoint(str(tmp_path / "{nope}.hgz"))
    with pytest.raises(ValueError, match="cannot be filled"):
        _mlp().fit(X, y, epochs=1, verbose=0, callbacks=[bad])
    watch = hg.callbacks.ModelCheckpoint(tmp_path / "b.hgz", save_best_only=True)
    with pytest.raises(ValueError, match="val_loss"):
        _mlp().fit(X, y, epochs=1, verbose=0, callbacks=[watch])


# ------------------------------------------------------------------------ the registry
class Doubling(hg.layers.Layer):
    """A layer of the user's own, registered so that saved models can rebuild it."""

    def forward(self, x, training=False):
        return 2 * x

    def backward(self, dy):
        return 2 * dy


def test_a_registered_layer_of_your_own_saves_and_loads(tmp_path):
    hg.saving.register_layer(Doubling)
    hg.saving.register_layer(Doubling)  # again: a no-op
    model = hg.Sequential([Doubling(input_dim=2), hg.layers.Dense(2, "softmax")], seed=0)
    model.compile("categorical_crossentropy", "sgd")
    model.save(tmp_path / "m.hgz")
    loaded = hg.load_model(tmp_path / "m.hgz")
    assert type(loaded.layers[0]) is Doubling
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 2))), model.predict(np.ones((1, 2))))


def test_only_registered_classes_are_created():
    class Unregistered(hg.layers.Layer):
        pass

    with pytest.raises(ValueError, match="unknown layer class 'Unregistered'.*register_layer"):
        hg.saving.layer_from_config({"class_name": "Unregistered", "config": {}})
    hg.saving.register_layer(Doubling)
    with pytest.raises(ValueError, match="'Doubling' is already registered"):
        hg.saving.register_layer(type("Doubling", (hg.layers.Layer,), {}))
    assert "Dense" in hg.saving.registered_layers()
