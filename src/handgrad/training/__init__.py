"""Training: the session that steps a model, the batches of an epoch, and the fit loop.

* :mod:`~handgrad.training.session`: :class:`TrainingSession`, the one documented way to drive
  a model's forward/backward/update (``fit``, the tools, and later distributed training use it);
* :mod:`~handgrad.training.batching`: epoch batches (one permutation per epoch, gathered in
  chunks) and the validation split;
* :mod:`~handgrad.training.trainer`: the fit loop, ``Trainer`` (mixed into ``Sequential``) and
  ``DivergenceWarning``.

This package's namespace holds only the session and the batching helpers: the trainer imports
the callbacks, which import the tools, which drive models through the session, so importing
the trainer from here would run in a circle. Import it as ``handgrad.training.trainer``.
"""

from .batching import epoch_batches, split_validation
from .session import TrainingSession

__all__ = ["TrainingSession", "epoch_batches", "split_validation"]
