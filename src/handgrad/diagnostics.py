"""Old home of :mod:`handgrad.tools.diagnostics`, re-exported so that old imports still work."""

from .tools.diagnostics import (
    THRESHOLDS,
    Finding,
    InputStats,
    TrainingReport,
    diagnose,
    record_input_stats,
)

__all__ = [
    "Finding",
    "TrainingReport",
    "InputStats",
    "diagnose",
    "record_input_stats",
    "THRESHOLDS",
]
