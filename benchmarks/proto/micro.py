"""Micro-benchmarks of the prototype kernels against the NumPy reference operations, in us.

Each piece of a 784-256-128-10 step at batch 32 / 128 / 1024, timed in isolation (median of
``--repeats`` blocks of calls, warm caches): the NumPy statement handgrad runs today next to
the compiled kernel that would replace it, and the three ways to fold SGD into the
weight-gradient product (numba -> CBLAS gemm with beta=1; SciPy's f2py
``scipy.linalg.blas.sgemm(..., beta=1, c=W.T, overwrite_c=True)``; NumPy's matmul then the
update).

    python benchmarks/proto/micro.py --threads 1
    python benchmarks/proto/micro.py --threads 2 --batch-sizes 1024
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import _common as C  # noqa: E402
import numba as nb  # noqa: E402
import numpy as np  # noqa: E402

from proto import fast  # noqa: E402
from proto.blas import gemm  # noqa: E402


def timeit(fn, repeats=7, min_time=0.02):
    fn()
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t > min_time:
            break
        n *= 2
    best = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best.append((time.perf_counter() - t) / n)
    return float(np.median(best)) * 1e6


@nb.njit(cache=True)
def _gemm_dw(x, dz, gw):
    gemm(True, False, np.float32(1.0), x, dz, np.float32(0.0), gw)


@nb.njit(cache=True)
def _gemm_fused(x, dz, w, lr):
    gemm(True, False, -lr, x, dz, np.float32(1.0), w)


@nb.njit(cache=True)
def _gemm_fwd(x, w, z):
    gemm(False, False, np.float32(1.0), x, w, np.float32(0.0), z)


@nb.njit(cache=True)
def _gather_rows(x, idx, out):
    for i in range(len(idx)):
        out[i] = x[idx[i]]


@nb.njit(cache=True, parallel=True)
def _gather_rows_par(x, idx, out):
    for i in nb.prange(len(idx)):
        out[i] = x[idx[i]]


def run(bs: int, par: bool) -> dict:
    import scipy.linalg.blas as sb

    rng = np.random.default_rng(0)
    f32 = np.float32
    x_all = rng.random((60000, 784), dtype=f32)
    perm = rng.permutation(60000)
    xb = np.ascontiguousarray(x_all[perm[:bs]])
    w1 = (rng.standard_normal((784, 256)) * 0.05).astype(f32)
    b1 = np.zeros(256, f32)
    z1 = np.empty((bs, 256), f32)
    dz1 = rng.standard_normal((bs, 256)).astype(f32)
    gw1 = np.empty_like(w1)
    gb1 = np.empty(256, f32)
    lr = f32(0.1)
    out = {}
    # --- products
    out["X@W1 (np.matmul)"] = timeit(lambda: np.matmul(xb, w1, out=z1))
    out["X@W1 (numba gemm)"] = timeit(lambda: _gemm_fwd(xb, w1, z1))
    out["dW1 = X.T@dZ (np.matmul)"] = timeit(lambda: np.matmul(xb.T, dz1, out=gw1))
    out["dW1 (numba gemm beta=0)"] = timeit(lambda: _gemm_dw(xb, dz1, gw1))
    s = np.empty_like(w1)
    flat_w = w1.reshape(-1)

    def numpy_update():
        np.matmul(xb.T, dz1, out=gw1)
        flat_w.__isub__(np.multiply(gw1.reshape(-1), lr, out=s.reshape(-1)))

    out["W1 -= lr X.T@dZ: np.matmul + NumPy update"] = timeit(numpy_update)
    out["W1 -= lr X.T@dZ: numba gemm beta=1"] = timeit(lambda: _gemm_fused(xb, dz1, w1, lr))
    wt = w1.T  # F-contiguous (256, 784): SciPy's Fortran sgemm can overwrite it in place
    out["W1 -= lr X.T@dZ: scipy.linalg.blas.sgemm overwrite_c"] = timeit(
        lambda: sb.sgemm(-0.1, dz1.T, xb.T, beta=1.0, c=wt, trans_b=1, overwrite_c=1)
    )
    check = sb.sgemm(-0.1, dz1.T, xb.T, beta=1.0, c=wt, trans_b=1, overwrite_c=1)
    out["(scipy sgemm wrote in place)"] = bool(np.shares_memory(check, w1))
    # --- element-wise
    def np_bias_relu():
        z1[...] = 0.3
        z1.__iadd__(b1)
        np.maximum(z1, 0, out=z1)

    kf, kb = fast.make_dense("relu", np.dtype(f32), True, par)
    f_state = (w1, b1, z1, np.empty((bs, 784), f32), gw1, gb1)

    out["bias+ReLU 256 (NumPy: z += b; maximum)"] = timeit(np_bias_relu)
    a1 = np.maximum(rng.standard_normal((bs, 256)).astype(f32), 0)
    da = rng.standard_normal((bs, 256)).astype(f32)

    def np_back():
        d = da.copy()
        np.multiply(d, a1 > 0, out=d)
        np.add.reduce(d, axis=0, out=gb1)

    out["ReLU backward + db 256 (NumPy, incl. copy)"] = timeit(np_back)
    out["copy of dA (to subtract)"] = timeit(lambda: da.copy())
    # kernels via the layer's own pieces: use make_dense's closures through a forward call
    xs = np.ascontiguousarray(xb)
    out["Dense forward 784->256 (numba: gemm + bias/ReLU pass)"] = timeit(
        lambda: kf(f_state, xs, bs)
    )
    dzc = dz1.copy()
    z1[...] = a1

    def nb_bwd():
        dzc[...] = da
        kb(f_state, xs, dzc, bs, 0.1, False)

    def nb_bwd_fused():
        dzc[...] = da
        kb(f_state, xs, dzc, bs, 0.1, True)

    out["Dense backward 784->256 (numba, grads, dX)"] = timeit(nb_bwd)
    out["Dense backward 784->256 (numba, fused SGD, dX)"] = timeit(nb_bwd_fused)
    dxs = np.empty((bs, 784), f32)

    def np_bwd():
        d = da.copy()
        np.multiply(d, a1 > 0, out=d)
        np.matmul(xs.T, d, out=gw1)
        np.add.reduce(d, axis=0, out=gb1)
        np.matmul(d, w1.T, out=dxs)

    out["Dense backward 784->256 (NumPy, grads, dX, incl. copy)"] = timeit(np_bwd)
    # --- softmax + CE
    import handgrad as hg

    zl = rng.standard_normal((bs, 10)).astype(f32)
    yl = rng.integers(0, 10, bs).astype(np.intp)
    L = hg.losses.CategoricalCrossentropy()

    def np_loss():
        a, _ = L.fused_forward(yl, zl)
        L.logits_gradient(yl, a)

    sce = fast.make_softmax_ce(np.dtype(f32))
    zc = zl.copy()
    ps = np.empty(bs, f32)
    noa = np.empty((0, 10), f32)

    def nb_loss():
        zc[...] = zl
        sce(zc, yl, ps, noa)

    out["softmax+CE value+gradient (NumPy)"] = timeit(np_loss)
    out["softmax+CE value+gradient (numba, incl. copy)"] = timeit(nb_loss)
    # --- gather
    idx = perm[:bs]
    gx = np.empty((bs, 784), f32)
    out["gather batch rows (np.take per batch)"] = timeit(
        lambda: np.take(x_all, idx, axis=0, out=gx, mode="clip")
    )
    out["gather batch rows (numba rows)"] = timeit(lambda: _gather_rows(x_all, idx, gx))
    if par:
        out["gather batch rows (numba prange)"] = timeit(lambda: _gather_rows_par(x_all, idx, gx))
    # --- optimizer passes over 235,146 parameters
    n = 235146
    p = rng.standard_normal(n).astype(f32)
    g = rng.standard_normal(n).astype(f32) * f32(1e-3)
    m = np.zeros(n, f32)
    v = np.zeros(n, f32)
    for kind, hyper, ref in (
        ("sgd", {}, hg.optimizers.SGD(0.1)),
        ("momentum_sgd", {"momentum": 0.9}, hg.optimizers.SGD(0.1, momentum=0.9)),
        ("rmsprop", {"rho": 0.9, "epsilon": 1e-8}, hg.optimizers.RMSprop(1e-3)),
        ("adam", {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}, hg.optimizers.Adam(1e-3)),
    ):
        step = fast.make_optimizer(kind, np.dtype(f32), par, **hyper)
        pairs = [(p, g)]
        out[f"{kind} update, 235k params (handgrad NumPy, grads kept)"] = timeit(
            lambda ref=ref, pairs=pairs: ref.step(pairs)
        )
        out[f"{kind} update, 235k params (numba one pass)"] = timeit(
            lambda step=step: step(p, g, m, v, 1e-3, 10)
        )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--par", action="store_true", help="numba prange in element-wise kernels")
    C.add_run_options(parser, clock=False)
    args = parser.parse_args()
    threads = C.limit_threads(args.threads)
    report = {"threads": threads["threads"], "load": list(C.os.getloadavg()), "results": {}}
    for bs in args.batch_sizes:
        res = run(bs, args.par)
        report["results"][bs] = res
        print(f"\nbatch {bs} ({args.threads} BLAS threads{', prange' if args.par else ''})")
        for k, v in res.items():
            print(f"  {k:62s} {v:9.1f}" if isinstance(v, float) else f"  {k:62s} {v}")
    report["load_end"] = list(C.os.getloadavg())
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
