"""Metrics: accuracy (binary threshold and multi-class argmax), mse, mae, confusion matrix."""

import numpy as np
import pytest

import handgrad as hg
from handgrad import metrics as M


def test_binary_accuracy_thresholds_one_sigmoid_unit_at_one_half():
    y_pred = np.array([[0.9], [0.51], [0.5], [0.2], [0.7]])
    y_true = np.array([1, 1, 1, 0, 0])
    # 0.5 is not above the threshold: predicted 0 (wrong), as is 0.7 for a 0
    assert M.accuracy(y_true, y_pred) == pytest.approx(3 / 5)
    assert M.accuracy(y_true.reshape(-1, 1).astype(float), y_pred) == pytest.approx(3 / 5)


def test_multiclass_accuracy_is_argmax():
    y_pred = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.5, 0.1]])
    labels = np.array([1, 0, 1, 1])
    assert M.accuracy(labels, y_pred) == pytest.approx(3 / 4)
    assert M.accuracy(np.eye(3)[labels], y_pred) == pytest.approx(3 / 4)


def test_binary_flag_for_several_sigmoid_units():
    y_pred = np.array([[0.9, 0.2], [0.4, 0.6]])
    y_true = np.array([[1.0, 1.0], [1.0, 0.0]])
    assert M.accuracy(y_true, y_pred, binary=True) == pytest.approx(1 / 4)
    assert M.accuracy(y_true, y_pred) == pytest.approx(1 / 2)  # argmax otherwise


def test_mse_and_mae():
    y_true = np.array([1.0, 2.0, 3.0])
    y_pred = np.array([[1.5], [2.0], [1.0]])
    assert M.mse(y_true, y_pred) == pytest.approx((0.25 + 0 + 4) / 3)
    assert M.mae(y_true, y_pred) == pytest.approx((0.5 + 0 + 2) / 3)


def test_confusion_matrix():
    y_true = np.array([0, 1, 2, 2, 1, 0])
    y_pred = np.array([0, 2, 2, 2, 1, 1])
    expected = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 2]])
    np.testing.assert_array_equal(M.confusion_matrix(y_true, y_pred), expected)
    scores = np.eye(3)[y_pred] * 0.8 + 0.05
    np.testing.assert_array_equal(M.confusion_matrix(y_true, scores), expected)
    assert M.confusion_matrix(y_true, y_pred, num_classes=4).shape == (4, 4)
    with pytest.raises(ValueError, match=r"same length, got \(6,\) and \(5,\)"):
        M.confusion_matrix(y_true, y_pred[:5])


def test_metrics_by_name():
    assert M.names() == ["accuracy", "mae", "mse"]
    assert M.get("acc") == ("accuracy", M.accuracy)
    assert M.get("mean_squared_error")[0] == "mse"
    with pytest.raises(
        ValueError, match="unknown metric 'auc'; expected one of: accuracy, mae, mse"
    ):
        M.get("auc")
    with pytest.raises(TypeError, match="metrics must be names"):
        M.get(M.accuracy)


def test_compile_wants_a_list_of_metric_names():
    model = hg.Sequential([hg.layers.Dense(1, "sigmoid", input_dim=2)], seed=0)
    with pytest.raises(
        TypeError, match="metrics must be a list of names, got the string 'accuracy'"
    ):
        model.compile("binary_crossentropy", "sgd", metrics="accuracy")
    model.compile("binary_crossentropy", "sgd", metrics=["acc", "mse"])
    assert model.metrics_names == ["loss", "accuracy", "mse"]


def test_model_accuracy_for_binary_and_multiclass_outputs():
    x = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
    binary = hg.Sequential([hg.layers.Dense(1, "sigmoid", input_dim=2)], seed=0, dtype="float64")
    binary.set_weights([np.array([[1.0], [0.0]]), np.zeros(1)])
    binary.compile("binary_crossentropy", "sgd", metrics=["accuracy"])
    # predictions: 0.88, 0.12, 0.5, 0.5 -> 1, 0, 0, 0
    assert binary.evaluate(x, np.array([1, 0, 1, 0]))["accuracy"] == pytest.approx(3 / 4)
    multi = hg.Sequential([hg.layers.Dense(3, "softmax", input_dim=2)], seed=0, dtype="float64")
    multi.set_weights([np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]]), np.zeros(3)])
    multi.compile("categorical_crossentropy", "sgd", metrics=["accuracy"])
    # argmax: 0, 1, 2, then a tie between 0 and 1 resolved to 0
    assert multi.evaluate(x, np.array([0, 1, 2, 1]))["accuracy"] == pytest.approx(3 / 4)
    assert multi.evaluate(x, np.eye(3)[[0, 1, 2, 0]])["accuracy"] == 1.0
