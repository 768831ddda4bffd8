"""Argument checks, in one place: done once where values come in, never inside the batch loop.

Every check raises ``TypeError`` (wrong kind of object or dtype) or ``ValueError`` (wrong shape
or value) with a message naming the argument, what was expected and what was found, and returns
the value normalized (a Python ``float`` / ``int``, an array in the model's dtype).

=====================  =========================================================================
module                 checks
=====================  =========================================================================
``scalars.py``         flags, counts, seeds, dtypes, rates and other numbers in a range
``arrays.py``          features, targets, sample weights, finiteness (one BLAS pass), fractions
``models.py``          the data a model is given (``check_x`` / ``check_xy``, which also build an
                       unbuilt model from the data's shape), compile state, class weights
``tables.py``          ``Interval`` / ``Options`` / ``Flag`` / ``Check`` and
                       :func:`validate_parameters`: a whole estimator's parameters as one table
                       (scikit-learn's ``_parameter_constraints`` style; see ``handgrad.sklearn``)
=====================  =========================================================================

Everything is imported from here: ``from handgrad.validation import check_bool``.
"""

from .arrays import (
    PROBABILITY_OUTPUTS,
    as_real_array,
    check_batch_size,
    check_estimator_sample_weight,
    check_features,
    check_finite,
    check_fraction,
    check_output_activation,
    check_sample_weight,
    class_labels,
    prepare_targets,
)
from .models import (
    check_validation_data,
    check_x,
    check_xy,
    class_weight_vector,
    require_built,
    require_compiled,
)
from .scalars import (
    check_bool,
    check_count,
    check_dropout_rate,
    check_dtype,
    check_epoch,
    check_epsilon,
    check_float,
    check_input_shape,
    check_int,
    check_monitor,
    check_non_negative,
    check_number,
    check_positive_int,
    check_rate,
    check_real,
    check_seed,
    check_shape,
    check_unit_interval,
)
from .tables import (
    Check,
    Flag,
    Interval,
    InvalidParameterError,
    Options,
    validate_parameters,
)

__all__ = [
    "as_real_array",
    "check_finite",
    "check_features",
    "check_batch_size",
    "check_fraction",
    "prepare_targets",
    "check_output_activation",
    "class_labels",
    "check_sample_weight",
    "check_estimator_sample_weight",
    "PROBABILITY_OUTPUTS",
    "require_compiled",
    "require_built",
    "check_x",
    "check_xy",
    "check_validation_data",
    "class_weight_vector",
    "check_bool",
    "check_positive_int",
    "check_int",
    "check_count",
    "check_seed",
    "check_dtype",
    "check_shape",
    "check_input_shape",
    "check_number",
    "check_real",
    "check_rate",
    "check_epsilon",
    "check_non_negative",
    "check_float",
    "check_unit_interval",
    "check_dropout_rate",
    "check_epoch",
    "check_monitor",
    "InvalidParameterError",
    "Interval",
    "Options",
    "Flag",
    "Check",
    "validate_parameters",
]
