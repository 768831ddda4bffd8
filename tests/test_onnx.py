"""ONNX export: the exported graph run in onnxruntime matches ``model.predict``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import handgrad as hg
from handgrad import activations

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

L = hg.layers
ATOL = 1e-5


def _session(path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _assert_parity(model, x, tmp_path, opset=hg.onnx_export.DEFAULT_OPSET):
    """Export once, then compare onnxruntime with predict on batches of 1 and 7."""
    path = tmp_path / "model.onnx"
    hg.export_onnx(model, path, opset=opset)
    session = _session(path)
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert [o.name for o in session.get_outputs()] == ["output"]
    for batch in (x[:1], x[:7]):
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        (got,) = session.run(None, {"input": batch})
        want = model.predict(batch)
        assert got.dtype == np.float32
        assert got.shape == want.shape == (len(batch), *model.output_shape)
        np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)
    return onnx.load(str(path))


def _images(shape, seed=0):
    return np.random.default_rng(seed).standard_normal((7, *shape)).astype(np.float32)


# ------------------------------------------------------------------------------ activations
@pytest.mark.parametrize("name", activations.names())
def test_mlp_activation_matches_onnxruntime(name, tmp_path):
    model = hg.Sequential(
        [L.Dense(8, name, input_dim=5), L.Activation(name), L.Dense(4, name)], seed=2
    )
    x = np.random.default_rng(1).normal(scale=1.5, size=(7, 5)).astype(np.float32)
    x[3] = 0.0  # zero biases: z == 0 exactly, where step is 0.5 and sign is 0
    first = model.layers[0].forward(x[3:4])
    if name == "step":
        assert set(np.unique(first).tolist()) == {0.5}
    _assert_parity(model, x, tmp_path)


def test_step_is_composed_from_sign_exactly(tmp_path):
    model = hg.Sequential([L.Activation("step", input_shape=(5,))])
    x = np.array([[-2.0, -1e-30, 0.0, 1e-30, 3.0]] * 7, dtype=np.float32)
    path = tmp_path / "step.onnx"
    hg.export_onnx(model, path)
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert ops == ["Sign", "Add", "Mul"]
    (got,) = _session(path).run(None, {"input": x})
    np.testing.assert_array_equal(got[0], [0.0, 0.0, 0.5, 1.0, 1.0])


def test_hard_sigmoid_exports_with_alpha_one_and_beta_half(tmp_path):
    model = hg.Sequential([L.Activation("hard_sigmoid", input_shape=(5,))])
    x = np.array([[-0.75, -0.5, 0.0, 0.25, 0.6]] * 7, dtype=np.float32)
    proto = _assert_parity(model, x, tmp_path)
    attributes = {a.name: a.f for a in proto.graph.node[0].attribute}
    assert attributes == {"alpha": 1.0, "beta": 0.5}
    np.testing.assert_array_equal(model.predict(x)[0], [0.0, 0.0, 0.5, 0.75, 1.0])


@pytest.mark.parametrize("opset", [13, 21])
def test_other_opsets(opset, tmp_path):
    model = hg.Sequential([L.Dense(6, "elu", input_dim=3), L.Dense(2, "softmax")], seed=0)
    proto = _assert_parity(model, _images((3,)), tmp_path, opset=opset)
    assert proto.opset_import[0].version == opset


# ------------------------------------------------------------------ dropout and batch norm
def _trained_batchnorm_mlp():
    rng = np.random.default_rng(0)
    x = rng.normal(loc=2.0, scale=3.0, size=(64, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 4).astype(int) + (x[:, 2] > 2)
    model = hg.Sequential(
        [
            L.Dense(16, "relu", input_dim=6),
            L.BatchNormalization(momentum=0.5),
            L.Dropout(0.3),
            L.Dense(8, "tanh"),
            L.BatchNormalization(momentum=0.5, center=False, scale=False, epsilon=0.01),
            L.Dropout(0.1),
            L.Dense(3, "softmax"),
        ],
        seed=4,
    )
    model.compile("categorical_crossentropy", hg.optimizers.Adam(0.01))
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    return model, x


def test_dropout_and_batchnorm_inference_form(tmp_path):
    model, x = _trained_batchnorm_mlp()
    bn = model.layers[1]
    # Non-trivial statistics and affine parameters, so every input of the node matters.
    assert np.abs(bn.buffers["moving_mean"]).max() > 0.5
    assert np.abs(bn.buffers["moving_variance"] - 1).max() > 0.5
    assert np.abs(bn.params["gamma"] - 1).max() > 0.01
    assert np.abs(bn.params["beta"]).max() > 0.01
    proto = _assert_parity(model, x, tmp_path)
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("BatchNormalization") == 2
    assert ops.count("Identity") == 2  # one per Dropout


def test_frozen_batchnorm_uses_moving_statistics(tmp_path):
    model, x = _trained_batchnorm_mlp()
    model.layers[1].trainable = False
    _assert_parity(model, x, tmp_path)


# ----------------------------------------------------------------------------------- CNNs
def test_cnn_valid_same_stride_and_int_padding(tmp_path):
    model = hg.Sequential(
        [
            L.Conv2D(4, 3, padding="valid", activation="relu", input_shape=(2, 11, 10)),
            L.Conv2D(3, 4, padding="same", activation="tanh"),  # total pad 3: 1 top, 2 bottom
            L.Conv2D(5, (4, 3), strides=2, padding="same", activation="leaky_relu"),
            L.Conv2D(4, 2, strides=(2, 1), padding=(1, 2), activation="elu", use_bias=False),
            L.BatchNormalization(),
            L.Flatten(),
            L.Dense(5, "softmax"),
        ],
        seed=1,
    )
    paddings = [layer.geometry.padding for layer in model.layers[:4]]
    assert paddings[0] == (0, 0, 0, 0)
    assert paddings[1] == (1, 2, 1, 2)  # asymmetric "same": the odd row/column at the end
    assert paddings[2] == (1, 2, 0, 1)  # with stride 2 on 9 x 8 maps
    assert paddings[3] == (1, 1, 2, 2)
    proto = _assert_parity(model, _images((2, 11, 10)), tmp_path)
    conv_pads = [
        list(a.ints)
        for n in proto.graph.node
        if n.op_type == "Conv"
        for a in n.attribute
        if a.name == "pads"
    ]
    # ONNX orders pads as [top, left, bottom, right].
    assert conv_pads[1] == [1, 1, 2, 2]


def test_cnn_softmax_over_channels(tmp_path):
    model = hg.Sequential(
        [L.Conv2D(3, 3, padding="same", activation="softmax", input_shape=(1, 6, 6))], seed=0
    )
    _assert_parity(model, _images((1, 6, 6)), tmp_path)
    np.testing.assert_allclose(model.predict(_images((1, 6, 6))).sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize(
    ("pool", "size", "strides", "padding"),
    [
        (L.MaxPooling2D, 2, None, "valid"),  # windows tile the image
        (L.MaxPooling2D, 3, 2, "valid"),  # overlapping, leaves a border out
        (L.MaxPooling2D, 3, 2, "same"),
        (L.MaxPooling2D, (2, 3), 1, "same"),  # asymmetric padding
        (L.AveragePooling2D, 2, None, "valid"),
        (L.AveragePooling2D, 3, 2, "valid"),
        (L.AveragePooling2D, 3, 2, "same"),
        (L.AveragePooling2D, (2, 3), 1, "same"),
    ],
)
def test_pooling(pool, size, strides, padding, tmp_path):
    model = hg.Sequential(
        [
            L.Conv2D(3, 2, activation="sigmoid", input_shape=(2, 9, 8)),  # 8 x 7 maps
            pool(size, strides, padding),
            L.Flatten(),
        ],
        seed=5,
    )
    layer = model.layers[1]
    if padding == "same":
        # Windows at the border see padding, so the test tells apart including it or not.
        assert any(layer.geometry.padding)
        assert len(np.unique(layer.geometry.window_counts())) > 1
    # Negative inputs: a zero from the padding would win a max or pull an average down.
    x = _images((2, 9, 8)) - 3.0
    _assert_parity(model, x, tmp_path)


def test_global_average_pooling(tmp_path):
    model = hg.Sequential(
        [
            L.Conv2D(4, 3, strides=2, padding="same", activation="relu", input_shape=(3, 7, 7)),
            L.BatchNormalization(),
            L.GlobalAveragePooling2D(),
            L.Dropout(0.5),
            L.Dense(2, "sigmoid"),
        ],
        seed=3,
    )
    proto = _assert_parity(model, _images((3, 7, 7)), tmp_path)
    assert "GlobalAveragePool" in [n.op_type for n in proto.graph.node]


def test_float64_model_exports_as_float32(tmp_path):
    model = hg.Sequential(
        [L.Conv2D(2, 3, input_shape=(1, 5, 5), activation="tanh"), L.Flatten(), L.Dense(3)],
        seed=0,
        dtype="float64",
    )
    proto = _assert_parity(model, _images((1, 5, 5)), tmp_path)
    float32 = onnx.TensorProto.FLOAT
    assert proto.graph.input[0].type.tensor_type.elem_type == float32
    assert {t.data_type for t in proto.graph.initializer} == {float32}


# ------------------------------------------------------------------------ graph and file
def test_graph_has_dynamic_batch_and_passes_the_checker(tmp_path):
    model = hg.Sequential([L.Flatten(input_shape=(2, 3, 4)), L.Dense(3)], seed=0)
    path = tmp_path / "m.onnx"
    hg.export_onnx(model, str(path))
    onnx.checker.check_model(str(path), full_check=True)
    proto = onnx.load(str(path))
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["N", 2, 3, 4]
    out_dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in out_dims] == ["N", 3]
    assert proto.producer_name == "handgrad"
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write leaves no temporary file


def test_to_onnx_returns_the_model_without_writing(tmp_path):
    model = hg.Sequential([L.Dense(2, "relu", input_dim=3)], seed=0)
    proto = hg.onnx_export.to_onnx(model)
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Relu"]
    assert proto.graph.node[-1].output[0] == "output"
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------------- errors
class _Doubler(hg.layers.Layer):
    def forward(self, x, training=False):
        return 2 * x


def test_unsupported_layer_is_named_and_nothing_is_written(tmp_path):
    model = hg.Sequential([L.Dense(3, input_dim=2), _Doubler(name="doubler")], seed=0)
    path = tmp_path / "m.onnx"
    path.write_bytes(b"previous export")
    with pytest.raises(ValueError, match=r"layer 'doubler' of type _Doubler .*supported layer"):
        hg.export_onnx(model, path)
    assert path.read_bytes() == b"previous export"


def test_subclass_of_a_supported_layer_is_refused(tmp_path):
    class ScaledDense(L.Dense):
        pass

    model = hg.Sequential([ScaledDense(3, input_dim=2, name="scaled")], seed=0)
    with pytest.raises(ValueError, match="layer 'scaled' of type ScaledDense"):
        hg.export_onnx(model, tmp_path / "m.onnx")


def test_custom_activation_is_refused(tmp_path):
    relu = activations.get("relu")
    swish = activations.ActivationFunction(
        "swish", lambda z: z / (1 + np.exp(-z)), None, relu.backward, "a = z sigmoid(z)"
    )
    model = hg.Sequential([L.Dense(3, activation=swish, input_dim=2, name="hidden")], seed=0)
    with pytest.raises(ValueError, match="layer 'hidden': activation 'swish' is not a built-in"):
        hg.export_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_bad_arguments(tmp_path):
    model = hg.Sequential([L.Dense(2, input_dim=3)], seed=0)
    with pytest.raises(TypeError, match="model must be a handgrad Sequential, got list"):
        hg.export_onnx([L.Dense(2)], tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="model is not built"):
        hg.export_onnx(hg.Sequential([L.Dense(2)]), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="opset must be between 13 and"):
        hg.export_onnx(model, tmp_path / "m.onnx", opset=12)
    with pytest.raises(TypeError, match="opset must be an int, got 17.0"):
        hg.export_onnx(model, tmp_path / "m.onnx", opset=17.0)
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got int"):
        hg.export_onnx(model, 3)
    with pytest.raises(FileNotFoundError, match="folder .*missing.* does not exist"):
        hg.export_onnx(model, tmp_path / "missing" / "m.onnx")
    assert not list(tmp_path.iterdir())


def test_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    model = hg.Sequential([L.Dense(2, input_dim=3)], seed=0)
    with pytest.raises(ImportError, match=r'pip install "handgrad\[onnx\]"'):
        hg.export_onnx(model, tmp_path / "m.onnx")


def test_import_handgrad_does_not_import_onnx():
    code = (
        "import sys, handgrad\n"
        "assert callable(handgrad.export_onnx)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnx', 'onnxruntime')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
