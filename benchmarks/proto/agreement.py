"""The prototype against handgrad's NumPy reference: same model, seed and data, both paths.

Trains 784-256-128-10 ReLU/softmax for 2 epochs of 3000 samples at batch 32 with ``fit`` and
with ``Program.fit`` (SGD, SGD momentum 0.9, Adam, RMSprop; grads written or SGD fused;
float32 and float64) and prints whether weights, gradients and losses are identical and the
largest relative weight difference. Then the single kernels: products through ``blas.gemm``
against ``np.matmul`` and the softmax/exp pieces (see the README for why exp differs).

    python benchmarks/proto/agreement.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import handgrad as hg  # noqa: E402
from proto import fast  # noqa: E402
from proto.program import Program  # noqa: E402


def model(dtype, opt):
    m = hg.Sequential([hg.layers.Dense(256, "relu", input_dim=784), hg.layers.Dense(128, "relu"),
                       hg.layers.Dense(10, "softmax")], seed=0, dtype=dtype)
    m.compile("categorical_crossentropy", opt)
    return m


def trainings():
    rng = np.random.default_rng(0)
    x = rng.random((3000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 3000)
    optimizers = {
        "SGD": lambda: hg.optimizers.SGD(0.1),
        "SGD momentum": lambda: hg.optimizers.SGD(0.05, momentum=0.9),
        "Adam": lambda: hg.optimizers.Adam(1e-3),
        "RMSprop": lambda: hg.optimizers.RMSprop(1e-3),
    }
    for dtype in ("float32", "float64"):
        for name, opt in optimizers.items():
            for fuse in (False, True):
                if fuse and name != "SGD":
                    continue
                ref, fast_model = model(dtype, opt()), model(dtype, opt())
                start = time.perf_counter()
                losses = Program(fast_model, 32, fuse_sgd=fuse).fit(x, y, 2)
                seconds = time.perf_counter() - start
                ref_losses = [ref.fit(x, y, epochs=1, batch_size=32, verbose=0).history["loss"][-1]
                              for _ in range(2)]
                w1, w2 = ref.get_weights(), fast_model.get_weights()
                same = all(np.array_equal(a, b) for a, b in zip(w1, w2, strict=True))
                rel = max(float(np.max(np.abs(a - b) / (np.abs(a) + 1e-30)))
                          for a, b in zip(w1, w2, strict=True))
                loss_rel = max(abs(a - b) / abs(a) for a, b in zip(ref_losses, losses, strict=True))
                print(f"{dtype} {name:13s} {'fused SGD' if fuse else 'grads    '} weights identical "
                      f"{same!s:5s} max rel diff {rel:.1e}  losses rel diff {loss_rel:.1e}  "
                      f"(prototype incl. compile/cache load {seconds:.1f} s)")


def pieces():
    import numba

    for dt in (np.float32, np.float64):
        rng = np.random.default_rng(1)
        v = (rng.standard_normal(200000) * 10).astype(dt)

        @numba.njit
        def ex(v):
            out = np.empty_like(v)
            for i in range(v.size):
                out[i] = np.exp(v[i])
            return out

        exact = np.exp(v.astype(np.longdouble)).astype(dt)
        print(f"{dt.__name__} exp not correctly rounded: NumPy {np.mean(np.exp(v) != exact):.1%}, "
              f"numba {np.mean(ex(v) != exact):.2%}; NumPy vs numba differ in "
              f"{np.mean(np.exp(v) != ex(v)):.1%}")
        z = (rng.standard_normal((32, 10)) * 3).astype(dt)
        yl = rng.integers(0, 10, 32).astype(np.intp)
        L = hg.losses.CategoricalCrossentropy()
        a, loss = L.fused_forward(yl, z.copy())
        g = L.logits_gradient(yl, a)
        zz, ps, out_a = z.copy(), np.empty(32, dt), np.empty((32, 10), dt)
        loss2 = dt(fast.softmax_ce(zz, yl, ps, out_a, fast.dense_consts(dt)))
        ulp = np.max(np.abs(a - out_a) / np.spacing(np.abs(a)))
        print(f"  softmax+CE: a max {ulp:.0f} ulp apart, dZ identical {np.array_equal(g, zz)}, "
              f"loss {loss} vs {float(loss2)}")


if __name__ == "__main__":
    pieces()
    trainings()
