"""Hyperparameter search: grid, random and Bayesian (Optuna TPE), with pruning and resume.

A search tries *trials*: each trial draws one value per named dimension of a search space,
builds and compiles a model from those parameters, trains it and scores it on validation data.

Search space
------------
A dict ``name -> dimension``:

* ``Choice([v1, v2, ...])``: one of the listed values (any JSON data: numbers, strings,
  booleans, None, lists such as hidden layer sizes ``[64, 32]``);
* ``IntRange(low, high, step=1, log=False)``: an integer in ``low, low + step, ..., high``;
* ``FloatRange(low, high, log=False)``: a real number in ``[low, high]``.

Random draws are uniform, or log-uniform when ``log=True`` (the notes' advice for learning
rates: sample the exponent, not the value)::

    x = exp(u),  u ~ U(log low, log high)        so each decade is equally likely

A log integer range draws ``u ~ U(log(low - 1/2), log(high + 1/2))`` and rounds ``exp(u)``.
The same space can be written as JSON or YAML (see :func:`space_from_spec`)::

    {"learning_rate": {"float": [1e-4, 1e-1], "log": true},
     "hidden": {"choice": [[32], [64, 32]]},
     "l2": {"float": [0.0, 0.01]},
     "units": {"int": [8, 64], "step": 8}}

Strategies
----------
* :class:`GridSearch`: every combination (last dimension varying fastest); a range contributes
  ``grid_points`` evenly spaced values (geometrically spaced when ``log=True``);
* :class:`RandomSearch`: trial ``k`` draws its parameters from ``default_rng([seed, 1, k])``;
* :class:`BayesianSearch`: Optuna's Tree-structured Parzen Estimator (TPE), seeded. TPE splits
  the finished trials into the best ``gamma`` fraction and the rest, fits densities ``l(x)``
  and ``g(x)`` to their parameters and proposes the candidate maximizing ``l(x) / g(x)``.

All three share ``search(X, y, validation_data=... or validation_split=..., epochs, n_trials,
n_jobs, monitor, mode)`` and the fitted attributes ``results_``, ``best_params_``,
``best_score_``, ``best_trial_`` and ``best_model_``.

Score and pruning
-----------------
A trial's score is the best value of ``monitor`` over its epochs (max for accuracy-like names,
min otherwise). Median pruning stops a trial at epoch ``t`` (0-based, ``t >= n_warmup_epochs``,
never at the last epoch) when its best value so far is worse than the median of the values
the earlier trials reached at epoch ``t``, provided at least ``n_startup_trials`` earlier
trials got that far. Grid and random search use handgrad's own pruner, which counts every
earlier trial (lower trial number) that trained to epoch ``t``, pruned ones included, so its
decisions do not depend on timing: ``n_jobs=2`` gives the same table as ``n_jobs=1``. The
Bayesian search uses Optuna's ``MedianPruner`` (completed trials only).

Reproducibility
---------------
Trial ``k`` trains with the seed ``SeedSequence([seed, k])`` (recorded in its row), on the same
training / validation split (stratified, ``default_rng([seed, 3])``) for every trial. Retraining
the best parameters with that seed for ``best_epoch`` epochs reproduces ``best_score_`` exactly;
``search(refit=True)`` does so and keeps the model as ``best_model_``.

Parallel trials and resume
--------------------------
``n_jobs > 1`` runs trials in that many worker processes (``spawn`` start method, so it works
the same on Linux, macOS and Windows): ``build`` must be picklable, i.e. a module-level
function (not a lambda or a closure), and a script that starts a parallel search needs the
``if __name__ == "__main__":`` guard. ``storage=`` makes a search resumable: finished trials
are appended to a JSON-lines file (grid, random) or kept in an Optuna storage such as
``"sqlite:///search.db"`` (Bayesian); running the same search again skips them, and
``n_trials`` counts all trials, stored ones included.


Modules
-------
=============  ================================================================
``space``      Dimension, Choice, IntRange, FloatRange; the JSON / YAML form
``builders``   build_mlp, TEMPLATE_DEFAULTS and the template builder
``data``       the training / validation split every trial shares
``pruning``    MedianPruner and the board of learning curves it reads
``runner``     one trial (build, fit, score) and the worker processes
``storage``    the JSON-lines file of finished trials; opening Optuna storages
``search``     BaseSearch, GridSearch, RandomSearch
``bayesian``   BayesianSearch (Optuna TPE)
``report``     the results table: text, CSV, DataFrame
=============  ================================================================
"""

from .bayesian import BayesianSearch
from .builders import TEMPLATE_DEFAULTS, Targets, TemplateBuilder, build_mlp
from .pruning import MedianPruner
from .search import BaseSearch, GridSearch, RandomSearch
from .space import Choice, Dimension, FloatRange, IntRange, read_spec, space_from_spec

__all__ = [
    "Choice",
    "IntRange",
    "FloatRange",
    "space_from_spec",
    "read_spec",
    "MedianPruner",
    "build_mlp",
    "BaseSearch",
    "TEMPLATE_DEFAULTS",
    "GridSearch",
    "RandomSearch",
    "BayesianSearch",
    "Dimension",
]

# The names these had when tuning was one module (tests/test_bad_inputs.py builds them).
_TemplateBuilder = TemplateBuilder
_Targets = Targets
