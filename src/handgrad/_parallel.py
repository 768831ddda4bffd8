"""Per-sample work split across cores: intra-op parallelism over the batch, as PyTorch's.

Convolution and pooling repeat one small computation for every sample of a batch. NumPy runs
each call on one core, and OpenBLAS does not spread products as small as one sample's
convolution well (a batch of 64 conv products of 32x145 @ 145x144 took 1.57 ms with two BLAS
threads and 1.50 ms with one). NumPy releases the GIL inside its loops and BLAS calls, though,
so threads that each take a contiguous share of the batch do run on separate cores (the same
64 products: 0.84 ms on two threads of this module).

While a model with such layers trains or predicts, :func:`blas_held` keeps the BLAS at one
thread per call (through threadpoolctl). After a threaded call, OpenBLAS's worker threads
spin-wait (``sched_yield``) for a while, and they then take half of the core the second share
needs: measured on the small CNN benchmark, 2,620-2,850 samples/s with the split and two BLAS
threads (holding the BLAS only inside each split did not help, the spinning comes from the
products in between), 4,713 with the split and one BLAS thread, 2,940-3,150 without a split.

Every sample's arithmetic is unchanged (the same per-sample products and element-wise
operations in the same order; sums over the batch stay outside the split), so results are
bit-identical whatever the number of threads.

How many threads: :func:`set_num_threads`, or by default the CPUs this process may run on,
limited by ``HANDGRAD_NUM_THREADS``, ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` or
``MKL_NUM_THREADS`` when set, and by the BLAS's current thread limit (so
``threadpoolctl.threadpool_limits(1)`` makes handgrad single-threaded too). threadpoolctl (a
small pure-Python package) is a dependency for this; should it be missing, the default is one
thread.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import numpy as np

__all__ = ["get_num_threads", "set_num_threads", "map_samples", "blas_held", "blas_policy"]

_ENV_LIMITS = ("HANDGRAD_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

#: Elements of work per thread below which a split does not pay. Waking the other thread
#: costs 0.07-0.2 ms on a virtual machine, and holding the BLAS to one thread slows the
#: products that do not split. Measured on the benchmark CNN (samples/s, unsplit -> split):
#: splitting every call above 2**16 elements per thread made batch 8 slower (2,659 -> 1,869);
#: with 2**19, batch 16 stays unsplit (2,584 / 2,671), 32 gains 4%, 64 gains 30%.
MIN_WORK_PER_THREAD = 2**19

_requested: int | None = None  # set_num_threads(n); None: the default
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()
_local = threading.local()  # .worker is True on the pool's own threads
_blas: list | None = None  # threadpoolctl's controllers of the loaded BLAS libraries
_held = 0  # parallel regions now running (while > 0, the BLAS limits below are ours)
_held_limits: list[int] = []  # the BLAS limits to restore when the last region ends


@functools.cache
def _default_threads() -> int:
    """CPUs this process may use, capped by the thread variables (read once, at first use).

    Without threadpoolctl the BLAS cannot be held to one thread, and its spinning workers would
    take the core a second share needs: then shares are only split after set_num_threads(n).
    """
    if importlib.util.find_spec("threadpoolctl") is None:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    for name in _ENV_LIMITS:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            cpus = min(cpus, int(value))
    return max(1, cpus)


def _blas_libraries() -> list:
    """threadpoolctl's controllers of the BLAS libraries loaded when first asked (NumPy's)."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController

            with warnings.catch_warnings():
                # e.g. its note that two OpenMP runtimes are loaded: not handgrad's to report
                warnings.simplefilter("ignore")
                _blas = ThreadpoolController().select(user_api="blas").lib_controllers
        except Exception:  # a BLAS threadpoolctl cannot inspect
            _blas = []
    return _blas


def _blas_limit() -> int | None:
    """The smallest thread limit among the loaded BLAS libraries, if threadpoolctl can tell."""
    limits = [lib.num_threads for lib in _blas_libraries()]
    return min(limits) if limits else None


def set_num_threads(n: int | None) -> None:
    """Use at most ``n`` threads for per-sample work (``None``: back to the default).

    Parameters
    ----------
    n : int or None
        A positive number of threads. ``1`` runs everything on the calling thread. What is
        used is also capped by the BLAS's current thread limit (:func:`get_num_threads`), so
        raise both together, e.g. with ``threadpoolctl.threadpool_limits(n)``.

    Examples
    --------
    >>> import handgrad as hg
    >>> hg.set_num_threads(1); hg.get_num_threads()
    1
    >>> hg.set_num_threads(None)
    """
    global _requested
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"set_num_threads expects a positive int or None, got {n!r}")
    _requested = n


def get_num_threads() -> int:
    """The number of threads per-sample work may use now (see the module docstring)."""
    threads = _requested if _requested is not None else _default_threads()
    with _pool_lock:
        blas = min(_held_limits) if _held else _blas_limit()
    return max(1, min(threads, blas) if blas else threads)


def _forget_pool() -> None:
    """After ``fork`` the child has the pool object but none of its threads: start afresh."""
    global _pool, _pool_size, _pool_lock, _held
    _pool, _pool_size, _pool_lock, _held = None, 0, threading.Lock(), 0


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_forget_pool)


def _mark_worker() -> None:
    _local.worker = True


def _get_pool(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < workers:
            old = _pool
            _pool = ThreadPoolExecutor(workers, "handgrad", initializer=_mark_worker)
            _pool_size = workers
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def worth_splitting(work: int) -> bool:
    """Whether a job of ``work`` elements is large enough to split across two threads."""
    return work >= 2 * MIN_WORK_PER_THREAD


def map_samples(fn: Callable[[slice], object], n: int, work: int) -> None:
    """Call ``fn(s)`` for contiguous slices ``s`` that together cover ``range(n)``.

    ``fn`` writes its results into arrays allocated beforehand; the slices may run at the
    same time on different threads, so ``fn`` must only write rows ``s`` of them. The calling
    thread takes the first slice. Nothing is split when ``work`` (about the number of elements
    the whole call touches) is too small to pay for the hand-off, on a pool thread, or outside
    :func:`blas_held` when threadpoolctl can see the BLAS (a model holds it while its batches
    are large enough for a layer to split, see ``Layer.sample_work``).

    Parameters
    ----------
    fn : callable
        ``fn(slice)``; its return value is ignored.
    n : int
        Number of samples.
    work : int
        Size of the whole job, in elements (compared with :data:`MIN_WORK_PER_THREAD`).
    """
    threads = 1
    if n > 1 and not getattr(_local, "worker", False):
        if _held:
            # The model decided for the whole batch: every layer splits, so that each core
            # keeps working on its own samples (mixing split and unsplit layers moves the
            # activations between the cores' caches: measured slower than no split at all).
            threads = min(get_num_threads(), n)
        elif _blas_limit() is None and worth_splitting(work):
            threads = min(get_num_threads(), n, work // MIN_WORK_PER_THREAD)
        # Otherwise the BLAS's idle workers would spin on the cores the shares need.
    if threads <= 1:
        fn(slice(0, n))
        return
    bounds = [n * k // threads for k in range(threads + 1)]
    pool = _get_pool(threads - 1)
    # The shares run under this thread's floating-point error settings (np.errstate).
    share = functools.partial(_run_share, fn, np.geterr())
    futures = [pool.submit(share, slice(bounds[k], bounds[k + 1])) for k in range(1, threads)]
    try:
        fn(slice(bounds[0], bounds[1]))
    finally:
        # Wait for every share before anyone reads the outputs (or an error propagates).
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error


def _run_share(fn: Callable[[slice], object], errors: dict, s: slice) -> None:
    with np.errstate(**errors):
        fn(s)


@contextmanager
def blas_held() -> Iterator[None]:
    """One BLAS thread per call inside the block, when per-sample work may be split.

    Nothing happens when only one thread would be used (then the BLAS keeps its threads for
    the layers that do not split). Nesting and concurrent blocks are counted; the limits in
    force when the first block began come back when the last one ends.
    """
    if get_num_threads() <= 1:
        yield
        return
    _hold_blas()
    try:
        yield
    finally:
        _release_blas()


def _hold_blas() -> None:
    """One BLAS thread per call until the matching :func:`_release_blas` (nesting counts)."""
    global _held, _held_limits
    with _pool_lock:
        if _held == 0:
            libs = _blas_libraries()
            _held_limits = [lib.num_threads for lib in libs]
            for lib, limit in zip(libs, _held_limits, strict=True):
                if limit > 1:
                    lib.set_num_threads(1)
        _held += 1


def _release_blas() -> None:
    global _held
    with _pool_lock:
        _held -= 1
        if _held == 0:
            for lib, limit in zip(_blas_libraries(), _held_limits, strict=True):
                if limit > 1:
                    lib.set_num_threads(limit)


def blas_policy(layers: Iterable[Any], batch_size: int) -> AbstractContextManager:
    """:func:`blas_held` while batches of ``batch_size`` let some layer split, else nothing.

    OpenBLAS's spinning workers would take the core that the second share of a convolution or
    pooling needs, so the BLAS is held to one thread per call while such layers run. Batches
    too small for any layer to split keep the BLAS's threads (holding them then only loses:
    measured 2,850 -> 2,500 samples/s for the benchmark CNN at batch 8).
    """
    work = batch_size * max((layer.sample_work() for layer in layers), default=0)
    if worth_splitting(work):
        return blas_held()
    return nullcontext()
