"""Prototype contenders for ``compare.py`` (``--contenders proto:<variant>``).

A variant name is ``epoch`` followed by options separated by ``-``:

* ``t1`` / ``t2``: BLAS threads during the compiled epoch (default: what ``--threads`` set);
* ``grads``: no SGD fusion: gradients are written and one optimizer pass updates the flat array;
* ``b<N>``: rows per forward call for ``predict`` (default 1024, handgrad's default).

``auto`` is the per-shape policy the README recommends: one BLAS thread for batches below
128 rows, otherwise the BLAS's default threads (element-wise loops serial in both). The same model, data and seed as ``compare.py``'s handgrad contender.
"""

from __future__ import annotations

import _common as C
from compare import MLP_LR, MLP_SIZES, Skip, case_data, check_loss, handgrad_mlp_model

from .program import Predictor, Program, Unsupported

AUTO_SPLIT_ROWS = 128  # measured: batch 32 1 thread > 2, batch 128 2 threads > 1


def parse(variant: str) -> dict:
    parts = variant.split("-")
    opts = {"blas_threads": None, "parallel": False, "fuse_sgd": True, "rows": 1024,
            "auto": parts[0] == "auto"}
    for p in parts[1:]:
        if p in ("t1", "t2", "t3", "t4"):
            opts["blas_threads"] = int(p[1:])
        elif p == "par":
            opts["parallel"] = True
        elif p == "grads":
            opts["fuse_sgd"] = False
        elif p.startswith("b") and p[1:].isdigit():
            opts["rows"] = int(p[1:])
        else:
            raise ValueError(f"unknown option {p!r} in {variant!r}")
    return opts


def policy(opts: dict, rows: int, threads: int) -> dict:
    """The ``auto`` choice of BLAS threads and element-wise threads for batches of ``rows``."""
    if not opts["auto"]:
        return {"blas_threads": opts["blas_threads"], "parallel": opts["parallel"]}
    if rows < AUTO_SPLIT_ROWS:
        return {"blas_threads": 1, "parallel": False}
    return {"blas_threads": None, "parallel": False}


def factory(variant: str):
    opts = parse(variant)

    def make(case: dict):
        x, y = case_data(case)
        kind = case["workload"]
        import threadpoolctl

        threads = max(p["num_threads"] for p in threadpoolctl.threadpool_info())
        try:
            if kind == "mlp":
                bs = case["batch_size"]
                model = handgrad_mlp_model(MLP_SIZES, "relu", MLP_LR)
                prog = Program(model, bs, fuse_sgd=opts["fuse_sgd"], **policy(opts, bs, threads))
                return lambda: check_loss("proto", prog.fit(x, y, 1)[-1])
            if kind == "small":
                from compare import SMALL_SIZES

                model = handgrad_mlp_model(SMALL_SIZES, "sigmoid", C.SMALL_LEARNING_RATE)
                its = case["small_iterations"]
                prog = Program(model, len(x), fuse_sgd=opts["fuse_sgd"],
                               **policy(opts, len(x), threads))
                return lambda: check_loss("proto", prog.fit(x, y, its, shuffle=False)[-1])
            if kind == "predict":
                model = handgrad_mlp_model(MLP_SIZES, "relu", MLP_LR)
                rows = opts["rows"]
                pred = Predictor(model, rows, **policy(opts, rows, threads))
                return lambda: pred.predict(x)
        except Unsupported as why:
            raise Skip(str(why)) from None
        raise Skip(f"no prototype for {kind}")

    return make


class _Factories(dict):
    def __missing__(self, key):
        return factory(key)


FACTORIES = _Factories()
