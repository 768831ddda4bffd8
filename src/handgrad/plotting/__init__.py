"""Plots of training and of what a network learned, drawn with matplotlib.

matplotlib is an optional extra (``pip install "handgrad[plot]"``): ``import handgrad`` never
imports it, and this module only imports it when a plot is drawn. On a machine without a
display (no ``DISPLAY`` / ``WAYLAND_DISPLAY`` on Linux) the non-interactive ``Agg`` backend is
selected, unless the user chose a backend (``MPLBACKEND``, ``matplotlibrc``, ``matplotlib.use``)
or pyplot is already imported; with a display matplotlib picks its usual GUI backend.

Every function returns the :class:`matplotlib.figure.Figure` it drew on (close it with
``plt.close(fig)`` when drawing many) and saves it when given ``path=``: as PNG, or as the
format the suffix names (``.pdf``, ``.svg``...). The file is written to a temporary name in the
same folder and then moved into place with ``os.replace``, so a reader never sees half a file;
missing parent folders are created. Functions that draw on one axes also accept ``ax=`` to
draw into an existing figure.

=========================  ==========================================================
function                   draws
=========================  ==========================================================
plot_cost_curves           one cost curve per run (e.g. per learning rate) on one axes
plot_history               loss and each metric, train and validation, one panel each
plot_decision_boundary     class regions of a 2-D classifier and the data points
plot_activations           each activation g(z) and its derivative g'(z) on [-5, 5]
plot_weight_images         the columns of a Dense kernel W as image tiles
plot_confusion_matrix      the confusion matrix with annotated cells
plot_digits                a grid of sample images with labels / predictions
plot_misclassified         a grid of misclassified images, "true -> predicted"
plot_lr_finder             loss against learning rate (log axis) with the suggestion
plot_search_history        a hyperparameter search's score by trial, and the best so far
plot_search_params         a hyperparameter search's score against each parameter
=========================  ==========================================================

Modules: ``curves`` (cost curves, history, activations), ``boundaries`` (decision boundaries),
``images`` (digits, misclassified, weights, confusion matrix), ``lr`` (the LR finder),
``search`` (hyperparameter searches); ``_figure`` and ``_inputs`` hold what they share.
"""

from . import _figure
from ._figure import PathLike
from .boundaries import plot_decision_boundary
from .curves import plot_activations, plot_cost_curves, plot_history
from .images import (
    KNOWN_IMAGE_SHAPES,
    plot_confusion_matrix,
    plot_digits,
    plot_misclassified,
    plot_weight_images,
)
from .lr import plot_lr_finder
from .search import SearchTrials, plot_search_history, plot_search_params

__all__ = [
    "plot_cost_curves",
    "plot_history",
    "plot_decision_boundary",
    "plot_activations",
    "plot_weight_images",
    "plot_confusion_matrix",
    "plot_digits",
    "plot_misclassified",
    "plot_lr_finder",
    "plot_search_history",
    "plot_search_params",
    "SearchTrials",
    "KNOWN_IMAGE_SHAPES",
    "PathLike",
]

_pyplot = _figure.pyplot  # the name handgrad.cli imports (its old private name)
