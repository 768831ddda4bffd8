"""scikit-learn estimators trained by handgrad: ``MLPClassifier`` and ``MLPRegressor``.

They take scikit-learn's parameter names where the concept exists and behave like
``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor`` (``fit``, ``partial_fit``,
``predict``, ``predict_proba``, ``score``, ``clone``, pickling, pipelines, grid search), but the
network is a :class:`handgrad.Sequential` (``model_``) trained by ``Sequential.fit``::

    X (N, d) -> [Dense(h_i) (-> BatchNormalization) -> activation (-> Dropout)] * L -> Dense(K)

========================  =============================================================
output                    last layer and loss
========================  =============================================================
binary classification     ``Dense(1, "sigmoid")``, binary cross-entropy
multiclass                ``Dense(K, "softmax")``, categorical cross-entropy
multilabel (0/1 matrix)   ``Dense(K, "sigmoid")``, binary cross-entropy (mean over labels)
regression                ``Dense(K)`` (identity), ``quadratic``: ``1/2 ||y - a||^2`` per sample
========================  =============================================================

Mapping of the hyperparameters (``n_b`` is the batch size, ``min(200, N)`` for ``"auto"``):

* ``alpha`` -> ``kernel_regularizer=L2(alpha / (2 * n_b))`` on every Dense kernel (not the
  biases). scikit-learn adds ``0.5 * alpha * ||W||^2 / n_b`` to each batch's mean loss, whose
  gradient is ``alpha * W / n_b``; handgrad's ``L2(l2)`` adds ``l2 * ||W||^2`` with gradient
  ``2 * l2 * W``, so both are equal (the only difference: scikit-learn divides the last, smaller
  batch of an epoch by its own size). With ``sample_weight`` scikit-learn divides by the batch's
  weight sum instead of ``n_b``; handgrad uses its average, ``n_b * mean(w)``, so weights
  equal to repetitions give the same penalty as the repeated data.
* ``solver``: ``"sgd"`` -> ``SGD(learning_rate_init, momentum, nesterov=nesterovs_momentum)``
  (scikit-learn's update ``v = mu*v - lr*g; W += v`` is the same step as handgrad's),
  ``"momentum"`` -> ``Momentum(lr, beta=momentum)`` (the notes' ``v = beta*v + (1-beta)*g``),
  ``"rmsprop"`` -> ``RMSprop(lr, rho, epsilon)``, ``"adam"`` -> ``Adam(lr, beta_1, beta_2,
  epsilon)``. ``"lbfgs"`` is not available.
* ``learning_rate`` (applies to every solver, not only ``"sgd"`` as in scikit-learn):
  ``"constant"`` keeps ``learning_rate_init``; ``"invscaling"`` uses
  ``learning_rate_init / (t + 1) ** power_t`` for an epoch that starts after ``t`` samples
  (``t_``); ``"adaptive"`` divides the rate by 5 each time the stopping rule below fires and
  only stops once the rate is ``<= 1e-6`` (a ``ReduceLROnPlateau(factor=0.2)`` driven by
  scikit-learn's counter).
* ``sample_weight`` is rescaled to mean 1 before it reaches ``Sequential.fit`` (whose weighted
  loss is ``sum_i w_i l_i / N``), so the epoch loss is ``sum_i w_i l_i / sum_i w_i`` as in
  scikit-learn (per batch the divisor is ``n_b`` rather than the batch's weight sum).

Stopping rule (scikit-learn's): after every epoch, the training loss (or, with
``early_stopping=True``, the validation score: accuracy or R^2 on ``validation_fraction`` of the
data, stratified for classes) counts as *no improvement* when ``loss > best_loss - tol`` (score
``< best_score + tol``); once ``n_iter_no_change + 1`` epochs in a row do not improve, training
stops (or, with ``"adaptive"``, the rate drops). Reaching ``max_iter`` first issues
``sklearn.exceptions.ConvergenceWarning``. With early stopping the weights of the epoch with the
best validation score are restored.

``random_state`` (an int, a ``RandomState`` or ``None``) becomes the model's seed, which drives
the initialization, shuffling, dropout and the early-stopping split: the same int gives
bit-identical results. The network is :func:`handgrad.recipes.build_mlp` (the recipe of
``handgrad train`` and ``handgrad tune``), so weights are initialized with handgrad's defaults (He
normal for the ReLU family, Glorot uniform otherwise); scikit-learn uses Glorot uniform for all.

Layout: ``params.py`` (the hyperparameters as one constraint table, and the optimizer they make),
``estimator.py`` (what both estimators share: the training loop, the stopping rule, the fitted
attributes), ``classifier.py`` and ``regressor.py``.
"""

from ..validation import InvalidParameterError
from .classifier import MLPClassifier
from .regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "InvalidParameterError"]
