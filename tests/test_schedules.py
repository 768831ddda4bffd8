"""Learning-rate schedules against the notes' decay table and their formulas."""

from __future__ import annotations

import math

import pytest

from handgrad import schedules
from handgrad.schedules import (
    ExponentialDecay,
    InverseSqrtDecay,
    InverseTimeDecay,
    LambdaSchedule,
    ManualSchedule,
    StepDecay,
)


def rates(schedule, epochs):
    return [schedule(e) for e in range(1, epochs + 1)]


def test_inverse_time_decay_reproduces_the_notes_table():
    # alpha_0 = 0.2, decay-rate = 1: the notes' table lists 0.1, 0.067, 0.05, 0.04
    schedule = InverseTimeDecay(0.2, 1)
    assert [round(r, 4) for r in rates(schedule, 4)] == [0.1, 0.0667, 0.05, 0.04]
    assert rates(schedule, 4) == pytest.approx([0.1, 0.2 / 3, 0.05, 0.04], abs=1e-16)


def test_inverse_time_decay_other_rate():
    assert rates(InverseTimeDecay(1.0, 0.5), 3) == pytest.approx([1 / 1.5, 1 / 2, 1 / 2.5])


def test_exponential_decay_is_base_to_the_epoch():
    assert rates(ExponentialDecay(0.3), 5) == pytest.approx(
        [0.3 * 0.95**e for e in range(1, 6)], rel=1e-15
    )
    assert rates(ExponentialDecay(1.0, base=0.5), 3) == [0.5, 0.25, 0.125]


def test_inverse_sqrt_decay():
    assert rates(InverseSqrtDecay(0.1, k=2.0), 4) == pytest.approx(
        [0.2, 0.2 / math.sqrt(2), 0.2 / math.sqrt(3), 0.1], rel=1e-15
    )
    assert InverseSqrtDecay(0.5)(9) == pytest.approx(0.5 / 3)


def test_step_decay_is_a_staircase_starting_at_the_initial_rate():
    schedule = StepDecay(0.1, factor=0.5, every=3)
    assert rates(schedule, 7) == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025])
    assert rates(StepDecay(1.0, factor=0.1, every=1), 3) == pytest.approx([1.0, 0.1, 0.01])


def test_manual_schedule_from_a_list_keeps_the_last_rate():
    schedule = schedules.get([0.1, 0.05, 0.01])
    assert isinstance(schedule, ManualSchedule)
    assert rates(schedule, 5) == [0.1, 0.05, 0.01, 0.01, 0.01]


def test_callable_schedule():
    schedule = schedules.get(lambda epoch: 1.0 / epoch)
    assert isinstance(schedule, LambdaSchedule)
    assert rates(schedule, 4) == [1.0, 0.5, 1 / 3, 0.25]


def test_rates_are_python_floats():
    for schedule in (InverseSqrtDecay(0.1), ExponentialDecay(0.1), StepDecay(0.1, 0.5, 2)):
        assert type(schedule(2)) is float


@pytest.mark.parametrize(
    "epoch, error",
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError), ("1", TypeError)],
)
def test_epochs_are_counted_from_one(epoch, error):
    with pytest.raises(error, match="epoch must be an int >= 1"):
        InverseTimeDecay(0.2, 1)(epoch)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: InverseTimeDecay(-0.2, 1), ValueError, "initial must be a finite number >= 0"),
        (lambda: InverseTimeDecay(0.2, "fast"), TypeError, "decay_rate must be a number"),
        (lambda: ExponentialDecay(0.1, base=0), ValueError, "base must be a finite number > 0"),
        (lambda: InverseSqrtDecay(float("inf")), ValueError, "initial"),
        (lambda: StepDecay(0.1, 0.5, every=0), ValueError, "every must be an int >= 1"),
        (lambda: StepDecay(0.1, -0.5, every=2), ValueError, "factor"),
        (lambda: ManualSchedule([]), ValueError, "at least one learning rate"),
        (lambda: ManualSchedule([0.1, -1]), ValueError, r"rates\[1\]"),
        (lambda: LambdaSchedule(0.1), TypeError, "fn must be callable"),
        (lambda: LambdaSchedule(lambda e: -1.0)(1), ValueError, "rate at epoch 1"),
        (lambda: LambdaSchedule(lambda e: None)(2), TypeError, "rate at epoch 2"),
        (lambda: schedules.get("cosine"), TypeError, "a schedule must be"),
        (lambda: schedules.get({"class_name": "Cosine"}), ValueError, "unknown schedule"),
    ],
)
def test_bad_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    "schedule",
    [
        InverseTimeDecay(0.2, 1),
        ExponentialDecay(0.1, base=0.9),
        InverseSqrtDecay(0.1, k=3.0),
        StepDecay(0.1, 0.5, 2),
        ManualSchedule([0.3, 0.2]),
    ],
    ids=lambda s: type(s).__name__,
)
def test_config_round_trip(schedule):
    rebuilt = schedules.get(schedule.get_config())
    assert type(rebuilt) is type(schedule)
    assert rates(rebuilt, 5) == rates(schedule, 5)


def test_lambda_schedule_cannot_be_saved():
    with pytest.raises(ValueError, match="cannot be saved"):
        LambdaSchedule(lambda e: 0.1).get_config()
