"""Per-sample threads (handgrad._parallel): same bits for any thread count, limits respected."""

from __future__ import annotations

import os
import threading
import warnings

import numpy as np
import pytest
import threadpoolctl

import handgrad as hg
from handgrad import _parallel as P
from handgrad.cli import main as cli_main

L = hg.layers


@pytest.fixture
def threads(monkeypatch):
    """Split even tiny jobs, over up to ``n`` threads whatever the BLAS limit; reset after."""

    def use(n: int) -> None:
        monkeypatch.setattr(P, "MIN_WORK_PER_THREAD", 1)
        monkeypatch.setattr(P, "_blas_limit", lambda: None)
        P.set_num_threads(n)

    yield use
    P.set_num_threads(None)


def _cnn(seed=3):
    model = hg.Sequential(
        [
            L.Conv2D(4, 3, padding="same", activation="relu", input_shape=(2, 10, 10)),
            L.MaxPooling2D(2),  # tiles: the split path
            L.Conv2D(5, 3, strides=2, padding=1, activation="sigmoid"),  # col2im input gradient
            L.MaxPooling2D(2, strides=1),  # overlapping windows: not split
            L.Conv2D(3, 1, activation="tanh"),
            L.AveragePooling2D(2),
            L.Flatten(),
            L.Dense(3, activation="softmax"),
        ],
        seed=seed,
    )
    model.compile("categorical_crossentropy", hg.optimizers.Adam(0.01))
    return model


def _data(n=23, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 2, 10, 10)).astype(np.float32), rng.integers(0, 3, n)


def _padded_pools_cnn(seed=3):
    """Pools whose windows do not tile: max with padding (partial windows), average too."""
    model = hg.Sequential(
        [
            L.Conv2D(4, 3, padding="same", activation="elu", input_shape=(2, 10, 10)),
            L.Conv2D(4, 2, activation="relu"),  # 9x9: odd
            L.MaxPooling2D(2, padding="same"),  # 5x5, last row/column of windows partial
            L.AveragePooling2D(2, padding="same"),  # 3x3, counts 4 / 2 / 1
            L.Flatten(),
            L.Dense(3, activation="softmax"),
        ],
        seed=seed,
    )
    model.compile("categorical_crossentropy", hg.optimizers.SGD(0.05, momentum=0.9))
    return model


@pytest.mark.parametrize("build", [_cnn, _padded_pools_cnn])
@pytest.mark.parametrize("n_threads", [2, 3, 5])
def test_cnn_training_is_bit_identical_for_any_thread_count(threads, n_threads, build):
    x, y = _data()
    results = []
    for n in (1, n_threads):
        threads(n)
        model = build()
        history = model.fit(x, y, epochs=3, batch_size=7, verbose=0)
        results.append((model.get_weights(), history.history["loss"], model.predict(x)))
    (w1, h1, p1), (w2, h2, p2) = results
    assert h1 == h2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2, strict=True))
    assert np.array_equal(p1, p2)


def test_softmax_conv_and_float64_are_identical_too(threads):
    x, y = _data(9)
    x = x.astype(np.float64)
    outs = []
    for n in (1, 2):
        threads(n)
        conv = L.Conv2D(3, 3, activation="softmax")
        conv.build((2, 10, 10), np.random.default_rng(1), "float64")
        out = conv.forward(x, training=True)
        dx = conv.backward(np.ones_like(out))
        outs.append((out, dx, conv.grads["W"].copy()))
    for a, b in zip(*outs, strict=True):
        assert np.array_equal(a, b)


def test_map_samples_covers_the_batch_in_contiguous_shares(threads):
    threads(3)
    seen: list[tuple[int, int, str]] = []
    lock = threading.Lock()

    def record(s: slice) -> None:
        with lock:
            seen.append((s.start, s.stop, threading.current_thread().name))

    P.map_samples(record, 10, 10)
    assert sorted((a, b) for a, b, _ in seen) == [(0, 3), (3, 6), (6, 10)]
    first = next(name for a, _, name in seen if a == 0)
    assert first == threading.current_thread().name  # the caller takes the first share


def test_small_work_and_single_samples_are_not_split(threads):
    threads(2)
    P.MIN_WORK_PER_THREAD = 100  # monkeypatched by the fixture, restored after
    calls = []
    P.map_samples(calls.append, 50, 150)  # below 2 x the minimum: one share
    P.map_samples(calls.append, 1, 10**6)  # one sample cannot be split
    assert calls == [slice(0, 50), slice(0, 1)]


@pytest.mark.skipif(P._default_threads.__wrapped__() < 2, reason="needs two CPUs")
def test_shares_only_split_while_the_blas_is_held(monkeypatch):
    monkeypatch.setattr(P, "MIN_WORK_PER_THREAD", 1)
    calls = []
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        P.map_samples(calls.append, 4, 4)
        assert calls == [slice(0, 4)]  # OpenBLAS's spinning workers would slow the shares
        with P.blas_held():
            P.map_samples(calls.append, 4, 4)
    assert sorted(calls[1:], key=lambda s: s.start) == [slice(0, 2), slice(2, 4)]


def test_nested_calls_from_a_share_run_inline(threads):
    threads(2)
    inner = []

    def outer(s: slice) -> None:
        P.map_samples(lambda t: inner.append((s.start, t)), 4, 4)

    P.map_samples(outer, 4, 4)
    # The caller's share splits again (it is not a pool thread); the pool's share does not.
    assert sorted((a, t.start, t.stop) for a, t in inner) == [(0, 0, 2), (0, 2, 4), (2, 0, 4)]


def test_an_error_in_another_share_is_raised_after_all_shares_finish(threads):
    threads(2)
    done = []

    def work(s: slice) -> None:
        if s.start > 0:
            raise ValueError(f"share {s.start}:{s.stop} failed")
        done.append(s)

    with pytest.raises(ValueError, match="share 2:4 failed"):
        P.map_samples(work, 4, 4)
    assert done == [slice(0, 2)]


def test_shares_use_the_callers_floating_point_error_settings(threads):
    threads(2)
    big = np.full(4, 3e38, dtype=np.float32)

    def overflow(s: slice) -> None:
        big[s] * np.float32(10)

    with np.errstate(over="raise"), pytest.raises(FloatingPointError, match="overflow"):
        P.map_samples(overflow, 4, 4)
    with np.errstate(over="ignore"):
        P.map_samples(overflow, 4, 4)  # no warning (pytest turns warnings into errors)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_set_num_threads_rejects_what_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match="set_num_threads expects a positive int or None"):
        hg.set_num_threads(bad)


def test_threadpool_limits_and_set_num_threads_are_respected():
    try:
        with threadpoolctl.threadpool_limits(1):
            assert hg.get_num_threads() == 1
        hg.set_num_threads(1)
        assert hg.get_num_threads() == 1
    finally:
        hg.set_num_threads(None)
    assert hg.get_num_threads() == min(P._default_threads(), P._blas_limit() or 10**9)


def _blas_threads() -> list[int]:
    return [lib.num_threads for lib in P._blas_libraries()]


@pytest.mark.skipif(P._default_threads.__wrapped__() < 2, reason="needs two CPUs")
def test_blas_is_held_while_a_cnn_splits_its_batches_and_restored_after():
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        assert before and max(before) == 2
        seen = []

        class Spy(hg.callbacks.Callback):
            def on_batch_end(self, batch, logs=None):
                seen.append((max(_blas_threads()), hg.get_num_threads()))

        model = hg.Sequential(
            [
                L.Conv2D(4, 3, padding="same", activation="relu", input_shape=(2, 32, 32)),
                L.MaxPooling2D(2),
                L.Flatten(),
                L.Dense(3, activation="softmax"),
            ],
            seed=0,
        )
        model.compile("categorical_crossentropy", "sgd")
        # About 30k elements per sample in the convolution: 64 samples split, 4 do not.
        work = model.layers[0].sample_work()
        assert P.worth_splitting(64 * work) and not P.worth_splitting(4 * work)
        rng = np.random.default_rng(0)
        x, y = rng.random((128, 2, 32, 32), dtype=np.float32), rng.integers(0, 3, 128)
        model.fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[Spy()])
        assert set(seen) == {(1, 2)}  # BLAS held, handgrad's own count unchanged
        assert _blas_threads() == before
        # Batches too small for any layer to split keep the BLAS threads.
        seen.clear()
        model.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[Spy()])
        assert set(seen) == {(2, 2)}
        with P.blas_held(), P.blas_held():  # nested
            assert max(_blas_threads()) == 1
        assert _blas_threads() == before
        # A dense-only model keeps the BLAS threads (its products are big enough to share).
        dense = hg.Sequential([L.Dense(3, "softmax", input_dim=4)], seed=0)
        dense.compile("categorical_crossentropy", "sgd")
        assert dense.layers[0].sample_work() == 0
        dense.fit(np.ones((8, 4), np.float32), np.zeros(8, int), verbose=0, callbacks=[Spy()])
        assert seen[-1] == (2, 2)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_a_fresh_pool(threads):
    threads(2)
    P.map_samples(lambda s: None, 4, 4)  # the parent's pool exists now
    with warnings.catch_warnings():
        # Python >= 3.12 warns that forking a process with threads may deadlock: that is
        # what this test checks does not happen.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: would hang forever on the parent's (threadless) pool
        import signal

        signal.alarm(20)
        out = np.zeros(4)

        def fill(s: slice) -> None:
            out[s] = 1

        try:
            P.map_samples(fill, 4, 4)
            os._exit(0 if out.sum() == 4 else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_cli_threads_option_limits_blas_and_handgrad_for_the_command(capsys, monkeypatch):
    seen = []
    import handgrad.cli as cli

    real = cli.build_parser

    def spy_parser():
        parser = real()
        datasets = parser._subparsers._group_actions[0].choices["datasets"]
        func = datasets.get_default("func")

        def wrapped(args):
            seen.append((hg.get_num_threads(), max(_blas_threads())))
            return func(args)

        datasets.set_defaults(func=wrapped)
        return parser

    monkeypatch.setattr(cli, "build_parser", spy_parser)
    assert cli_main(["--threads", "1", "datasets"]) == 0
    assert seen == [(1, 1)]
    assert "mnist20" in capsys.readouterr().out
    assert hg.get_num_threads() == min(P._default_threads(), P._blas_limit() or 10**9)


def test_cli_rejects_a_bad_thread_count(capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["--threads", "0", "datasets"])
    assert exc.value.code == 2
    assert "--threads: expected a positive integer, got '0'" in capsys.readouterr().err


def test_without_threadpoolctl_the_default_is_one_thread(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "threadpoolctl" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    P._default_threads.cache_clear()
    try:
        assert P._default_threads() == 1
    finally:
        P._default_threads.cache_clear()


def test_thread_variables_cap_the_default(monkeypatch):
    monkeypatch.setenv("HANDGRAD_NUM_THREADS", "1")
    P._default_threads.cache_clear()
    try:
        assert P._default_threads() == 1
        assert hg.get_num_threads() == 1
    finally:
        monkeypatch.delenv("HANDGRAD_NUM_THREADS")
        P._default_threads.cache_clear()
