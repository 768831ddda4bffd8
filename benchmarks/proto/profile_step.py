"""Where one training step of today's handgrad goes (issue 15's profile), per piece, in us.

Runs ``model.fit`` on the issue-15 MLP (784-256-128-10 ReLU, softmax cross-entropy, SGD 0.1,
60000x784 float32) with timers around every piece of the hot path. The Dense methods are
replaced by line-for-line copies of ``handgrad.layers.dense`` with ``perf_counter_ns`` between
the statements, so the same NumPy calls run on the same arrays; everything else is wrapped
(loss, optimizer, the batch generator). "python and calls" is the step's wall time minus the
timed pieces (the model's loop, method calls, the timers themselves: ~0.1 us per timer).

    python benchmarks/proto/profile_step.py                    # batch 32 128 1024, 2 threads
    python benchmarks/proto/profile_step.py --threads 1 --epochs 3 --json prof.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import _common as C  # noqa: E402
import numpy as np  # noqa: E402

T = defaultdict(int)  # piece -> ns accumulated
N = defaultdict(int)  # piece -> calls
_now = time.perf_counter_ns


def _add(key: str, start: int) -> int:
    t = _now()
    T[key] += t - start
    N[key] += 1
    return t


def install(hg) -> None:
    """Replace the hot path's methods by timed copies (same statements, same arrays)."""
    Dense = hg.layers.Dense
    model_mod = sys.modules["handgrad.model"]
    Sequential = model_mod.Sequential

    def forward_logits(self, x, training=False):
        t = _now()
        self._ensure_built(x)
        self._x = x
        w = self.params["W"]
        if self.reuse_buffers and training:
            z = np.matmul(x, w, out=self._scratch_array("z", (len(x), self.units), w.dtype))
        else:
            z = x @ w
        t = _add(f"{self.name} fwd X@W", t)
        if self.use_bias:
            z += self.params["b"]
        _add(f"{self.name} fwd +b", t)
        return z

    def forward(self, x, training=False):
        z = forward_logits(self, x, training)
        t = _now()
        act = self.activation
        a = act.forward(z) if act.forward_inplace is None else act.forward_inplace(z)
        self._a = a
        _add(f"{self.name} fwd act", t)
        return a

    def backward_logits(self, dz):
        t = _now()
        np.matmul(self._x.T, dz, out=self.grads["W"])
        t = _add(f"{self.name} bwd dW", t)
        if self.use_bias:
            np.add.reduce(dz, axis=0, out=self.grads["b"])
        t = _add(f"{self.name} bwd db", t)
        if self.regularizers:
            self._add_regularization_grads()
        if not self.need_input_grad:
            return None
        w_t = self.params["W"].T
        if self.reuse_buffers:
            dx = self._scratch_array("dx", (len(dz), w_t.shape[1]), dz.dtype)
            out = np.matmul(dz, w_t, out=dx)
        else:
            out = dz @ w_t
        _add(f"{self.name} bwd dX", t)
        return out

    def backward(self, dy):
        t = _now()
        dz = self.activation.backward_owned(self._a, dy, overwrite=self.reuse_buffers)
        _add(f"{self.name} bwd act", t)
        return backward_logits(self, dz)

    Dense.forward_logits = forward_logits
    Dense.forward = forward
    Dense.backward_logits = backward_logits
    Dense.backward = backward

    def timed(obj_cls, name, key):
        original = getattr(obj_cls, name)

        def wrapper(*a, **k):
            t = _now()
            out = original(*a, **k)
            _add(key, t)
            return out

        setattr(obj_cls, name, wrapper)

    losses = hg.losses.CategoricalCrossentropy
    timed(losses, "fused_forward", "loss softmax+CE value")
    timed(losses, "logits_gradient", "loss gradient")
    timed(hg.optimizers.Optimizer, "step", "optimizer step (SGD)")
    timed(Sequential, "_train_step", "_step total")
    timed(Sequential, "fit", "_fit total")

    original_batches = Sequential._epoch_batches

    def epoch_batches(self, *a, **k):
        gen = original_batches(self, *a, **k)
        while True:
            t = _now()
            try:
                item = next(gen)
            except StopIteration:
                _add("batching (shuffle gather, slices)", t)
                return
            _add("batching (shuffle gather, slices)", t)
            yield item

    Sequential._epoch_batches = epoch_batches


def profile(batch: int, epochs: int, samples: int) -> dict:
    import handgrad as hg

    sys.path.insert(0, str(HERE.parent))
    from compare import MLP_LR, MLP_SIZES, handgrad_mlp_model

    x, y = C.mlp_data(samples)
    model = handgrad_mlp_model(MLP_SIZES, "relu", MLP_LR)
    model.fit(x, y, epochs=1, batch_size=batch, verbose=0)  # warm-up
    runs = []
    for _ in range(epochs):
        T.clear()
        N.clear()
        model.fit(x, y, epochs=1, batch_size=batch, verbose=0)
        runs.append(dict(T))
    steps = -(-samples // batch)
    names = {layer.name: f"layer {i + 1}" for i, layer in enumerate(model.layers)}
    pieces = {}
    for key in runs[0]:
        label = key
        for name, short in names.items():
            if key.startswith(name + " "):
                label = short + key[len(name) :]
        pieces[label] = float(np.median([r[key] for r in runs])) / steps / 1e3  # us per step
    step = pieces.pop("_step total")
    fit = pieces.pop("_fit total")
    batching = pieces["batching (shuffle gather, slices)"]
    inner = sum(v for k, v in pieces.items() if not k.startswith("batching"))
    pieces["python and calls (step minus pieces)"] = step - inner
    pieces["fit outside the steps (checks, stats, loop)"] = fit - step - batching
    return {"batch_size": batch, "us_per_step_in_fit": fit, "pieces_us": pieces}


def summarize(pieces: dict) -> dict:
    groups = defaultdict(float)
    for k, v in pieces.items():
        if any(s in k for s in ("X@W", "dW", "dX")):
            groups["matrix products"] += v
        elif any(s in k for s in ("+b", "act", "db")):
            groups["bias, activation, bias gradient"] += v
        elif k.startswith("loss"):
            groups["softmax + cross-entropy (value, gradient)"] += v
        elif k.startswith("optimizer"):
            groups["SGD update"] += v
        elif k.startswith("batching"):
            groups["batching"] += v
        else:
            groups["python, calls, fit overhead"] += v
    return dict(groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=60000)
    C.add_run_options(parser, clock=False)
    args = parser.parse_args()
    threads = C.limit_threads(args.threads)
    import handgrad as hg

    install(hg)
    out = {"threads": threads, "load_at_start": list(C.os.getloadavg()), "profiles": []}
    for bs in args.batch_sizes:
        prof = profile(bs, args.epochs, args.samples)
        prof["groups_us"] = summarize(prof["pieces_us"])
        out["profiles"].append(prof)
        total = prof["us_per_step_in_fit"]
        print(f"\nbatch {bs}: {total:,.1f} us per step ({bs / total * 1e6:,.0f} samples/s)")
        for k, v in prof["pieces_us"].items():
            print(f"  {k:48s} {v:9.1f} us {100 * v / total:5.1f}%")
        for k, v in prof["groups_us"].items():
            print(f"  = {k:46s} {v:9.1f} us {100 * v / total:5.1f}%")
    out["load_at_end"] = list(C.os.getloadavg())
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
