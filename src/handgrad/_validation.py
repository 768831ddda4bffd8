"""Old home of the input checks; they live in :mod:`handgrad.validation` now.

Kept so that ``from handgrad import _validation`` (and ``from ._validation import ...``) keeps
working; new code imports :mod:`handgrad.validation`.
"""

from .validation import (
    PROBABILITY_OUTPUTS,
    as_real_array,
    check_batch_size,
    check_features,
    check_finite,
    check_fraction,
    check_output_activation,
    check_sample_weight,
    class_labels,
    prepare_targets,
)

__all__ = [
    "PROBABILITY_OUTPUTS",
    "as_real_array",
    "check_batch_size",
    "check_features",
    "check_finite",
    "check_fraction",
    "check_output_activation",
    "check_sample_weight",
    "class_labels",
    "prepare_targets",
]
