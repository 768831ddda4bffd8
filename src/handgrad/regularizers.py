"""Weight penalties added to the loss: L1, L2 and their sum (elastic net).

Keras semantics: the penalty is added to the *mean* batch loss that ``fit`` and ``evaluate``
report, and its gradient is added to ``grads["W"]`` of the regularized layer.

=========  ==============================  =========================
class      penalty ``R(W)``                gradient ``dR/dW``
=========  ==============================  =========================
``L1``     ``l1 * sum |W|``                ``l1 * sign(W)``
``L2``     ``l2 * sum W^2``                ``2 * l2 * W``
``L1L2``   ``l1 * sum |W| + l2 * sum W^2`` the sum of both
=========  ==============================  =========================

Mapping from the lecture notes: their cost adds ``lambda/(2m) * sum ||W||^2`` to the mean loss
over ``m`` samples, with gradient ``(lambda/m) W``. That is ``L2(l2=lambda/(2m))``, where ``m``
is the number of samples the mean runs over (the batch size in mini-batch training). For
example the notes' ``lambda = 1`` on ``m = 5000`` samples with full-batch training is
``L2(1e-4)``. The notes' elastic net ``lambda_1 |W| + lambda_2 W^2`` is ``L1L2(lambda_1,
lambda_2)`` (also exported as ``ElasticNet``).
"""

from __future__ import annotations

import numpy as np

from .validation import check_non_negative

__all__ = ["Regularizer", "L1", "L2", "L1L2", "ElasticNet", "get"]


class Regularizer:
    """Base class: ``reg(W)`` is the penalty, ``reg.gradient(W)`` its gradient."""

    def __call__(self, w: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def gradient(self, w: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"class_name": type(self).__name__, **vars(self)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """Elastic net: ``l1 * sum|W| + l2 * sum W^2``, gradient ``l1 * sign(W) + 2 * l2 * W``.

        Parameters
        ----------
        l1, l2 : float >= 0
            Weights of the L1 and L2 penalties.

        Examples
        --------
        >>> import numpy as np

    from .validation import check_non_negative
        >>> from handgrad.regularizers import L1L2
        >>> W = np.array([[1.0, -2.0], [3.0, 0.0]])
        >>> round(L1L2(l1=0.1, l2=0.01)(W), 12)  # 0.1 * 6 + 0.01 * 14
        0.74
        >>> L1L2(l1=0.1, l2=0.01).gradient(W)
        array([[ 0.12, -0.14],
               [ 0.16,  0.  ]])
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = check_non_negative(l1, "l1")
        self.l2 = check_non_negative(l2, "l2")

    def __call__(self, w):
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.abs(w).sum())
        if self.l2:
            penalty += self.l2 * float(np.square(w).sum())
        return penalty

    def gradient(self, w):
        g = np.zeros_like(w)
        if self.l1:
            g += self.l1 * np.sign(w)
        if self.l2:
            g += (2 * self.l2) * w
        return g


class L1(L1L2):
    """Lasso penalty ``l1 * sum |W|`` (the subgradient at 0 is 0)."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1, l2=0.0)

    def get_config(self):
        return {"class_name": "L1", "l1": self.l1}

    def __repr__(self):
        return f"L1(l1={self.l1})"


class L2(L1L2):
    """Ridge penalty ``l2 * sum W^2`` (weight decay)."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l1=0.0, l2=l2)

    def get_config(self):
        return {"class_name": "L2", "l2": self.l2}

    def __repr__(self):
        return f"L2(l2={self.l2})"


#: The notes' name for ``L1L2``.
ElasticNet = L1L2

_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(spec) -> Regularizer | None:
    """``None``, a Regularizer, a name ("l1", "l2", "l1_l2" with default factors) or a config."""
    if spec is None or isinstance(spec, Regularizer):
        return spec
    if isinstance(spec, dict):
        spec = dict(spec)
        cls = _CLASSES.get(spec.pop("class_name", None))
        if cls is None:
            raise ValueError(f"unknown regularizer config {spec!r}")
        return cls(**spec)
    if isinstance(spec, str):
        key = spec.lower().replace("_", "")
        table = {"l1": L1, "l2": L2, "l1l2": L1L2}
        if key not in table:
            raise ValueError(f"unknown regularizer {spec!r}; expected one of: l1, l2, l1_l2")
        return table[key]()
    raise TypeError(f"kernel_regularizer must be a Regularizer or a name, got {spec!r}")
