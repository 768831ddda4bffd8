"""Callbacks: code that runs at fixed points of ``Sequential.fit``.

Hooks (all optional): ``on_train_begin(logs)``, ``on_epoch_begin(epoch, logs)``,
``on_batch_end(batch, logs)``, ``on_epoch_end(epoch, logs)``, ``on_train_end(logs)``. Epochs
are counted from 0 in hooks (as Keras); ``logs`` at epoch end holds ``loss``, the metrics, their
``val_`` twins and ``lr``; at batch end ``loss`` (the batch loss before the update) and ``size``.
A callback stops training by setting ``self.model.stop_training``; training then ends after the
current epoch. ``on_batch_end`` is only called when some callback overrides it, so a plain
``fit`` pays nothing per batch. ``on_train_end`` runs however training ends (all epochs done,
stopped by a callback, diverged, or interrupted with Ctrl-C).

=========================  ==================================================================
callback                   what it does
=========================  ==================================================================
``History``                records every epoch's logs; ``history.diagnose()`` for a report
``ProgressBar``            a bar per epoch on a terminal, one line per epoch otherwise
``EarlyStopping``          stops when ``monitor`` stops improving; restores the best weights
``LearningRateScheduler``  sets the rate of each epoch from ``schedule(epoch, lr)``
``ReduceLROnPlateau``      multiplies the rate by ``factor`` when ``monitor`` plateaus
``CSVLogger``              appends one row per epoch to a CSV file (flushed every epoch)
``TerminateOnNaN``         stops training at the first non-finite loss or logged value
``ModelCheckpoint``        saves the model (``model.save``) at epoch ends, or its best epoch
=========================  ==================================================================

Where they live: ``base.py`` (``Callback``, ``CallbackList`` and ``MonitorCallback``, the
"did the monitored value improve?" rule shared by ``EarlyStopping``, ``ReduceLROnPlateau`` and
``ModelCheckpoint``), ``reporting.py`` (History, ProgressBar, CSVLogger), ``stopping.py``
(EarlyStopping, TerminateOnNaN), ``learning_rate.py`` (LearningRateScheduler,
ReduceLROnPlateau) and ``checkpoint.py`` (ModelCheckpoint). A new callback goes in the file of
its family and is exported here; if its ``on_batch_end`` never looks at the layers' ``grads``,
it says so with ``reads_grads = False`` (see :class:`Callback`).
"""

from ..validation import check_monitor
from .base import (
    Callback,
    CallbackList,
    MonitorCallback,
    check_monitor_logged,
    monitor_value,
    resolve_mode,
)
from .checkpoint import ModelCheckpoint
from .learning_rate import LearningRateScheduler, ReduceLROnPlateau
from .reporting import CSVLogger, History, ProgressBar
from .stopping import EarlyStopping, TerminateOnNaN

__all__ = [
    "Callback",
    "CallbackList",
    "MonitorCallback",
    "History",
    "ProgressBar",
    "EarlyStopping",
    "ModelCheckpoint",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "CSVLogger",
    "TerminateOnNaN",
]

# The helpers' names before MonitorCallback, still imported by handgrad.tuning.
_check_monitor = check_monitor
_check_monitor_logged = check_monitor_logged
_monitor_value = monitor_value
_resolve_mode = resolve_mode
