"""Tools that probe or tune a model through its :class:`~handgrad.training.TrainingSession`.

* :mod:`~handgrad.tools.gradcheck`: finite-difference checks of a layer, a loss or a model;
* :mod:`~handgrad.tools.diagnostics`: the training report behind ``history.diagnose()``;
* :mod:`~handgrad.tools.lr_finder`: the learning-rate range test behind
  ``model.find_learning_rate``.

They use only public API (``model.session``, :mod:`handgrad.validation`), never the trainer,
so the model and its History can offer them as methods. The old paths ``handgrad.gradcheck``,
``handgrad.diagnostics`` and ``handgrad.lr_finder`` still work.
"""

from . import diagnostics, gradcheck, lr_finder

__all__ = ["diagnostics", "gradcheck", "lr_finder"]
