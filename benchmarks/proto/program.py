"""Run a handgrad ``Sequential`` through the compiled kernels of ``fast.py`` (prototype).

``Program(model, batch_size, ...)`` checks that every layer, the loss and the optimizer have a
fast kernel (``Unsupported`` otherwise: the trainer would fall back to NumPy), collects the
layers' states (their own parameter and gradient views plus preallocated buffers) and then
``fit(x, y, epochs)`` does what ``model.fit(x, y, epochs, batch_size=bs, verbose=0)`` does for
such a model: input checks and statistics once, per epoch the schedule's rate, one
permutation from the model's shuffle generator, the batches (one compiled call), the epoch
loss summed as ``fit`` sums it, the divergence check. The final design has the trainer do
this; here it is a stand-in so that the kernels can be timed and checked against ``fit``.

Options (the variants measured in the README):

* ``blas_threads``: threads of the BLAS while the epoch runs (None: leave as it is);
* ``parallel``: element-wise kernels and the optimizer pass over ``numba.prange``;
* ``fuse_sgd``: fold plain SGD into the products (SGD without momentum only).
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import fast


class Unsupported(Exception):
    """The model has a part without a fast kernel (the trainer would fall back to NumPy)."""


def _optimizer(opt):
    import handgrad as hg

    if isinstance(opt, hg.optimizers.SGD):
        if opt.nesterov:
            raise Unsupported("Nesterov momentum: no prototype kernel")
        if opt.momentum:
            return fast.MOMENTUM_SGD, [opt.momentum], ("velocity",)
        return fast.SGD, [], ()
    if isinstance(opt, hg.optimizers.RMSprop):
        return fast.RMSPROP, [opt.rho, opt.epsilon], ("square_avg",)
    if isinstance(opt, hg.optimizers.Adam):
        return fast.ADAM, [opt.beta_1, opt.beta_2, opt.epsilon], ("m", "v")
    raise Unsupported(f"{type(opt).__name__}: no prototype kernel")


def check_supported(model):
    import handgrad as hg

    if not model.built:
        raise Unsupported("build the model first")
    for layer in model.layers:
        if not isinstance(layer, hg.layers.Dense):
            raise Unsupported(f"{type(layer).__name__}: no prototype kernel")
        if layer.activation.name not in fast.ACTIVATION_CODES:
            raise Unsupported(f"activation {layer.activation.name}: no prototype kernel")
        if layer.regularizers or layer.constraints or not layer.trainable or not layer.use_bias:
            raise Unsupported("regularizers / constraints / frozen layers / no bias: not prototyped")
    last = model.layers[-1]
    if not (model.loss.name == "categorical_crossentropy" and last.activation.name == "softmax"):
        raise Unsupported("only softmax + categorical cross-entropy is prototyped")


_CONTROLLER: list = []


@contextlib.contextmanager
def blas_threads(n):
    """The BLAS that ``fast`` calls limited to ``n`` threads (a cached threadpoolctl controller)."""
    if n is None:
        yield
        return
    if not _CONTROLLER:
        from .blas import blas_controller

        _CONTROLLER.append(blas_controller())
    ctl = _CONTROLLER[0]
    old = ctl.num_threads
    ctl.set_num_threads(n)
    try:
        yield
    finally:
        ctl.set_num_threads(old)


class Program:
    def __init__(self, model, batch_size, *, blas_threads=None, parallel=False, fuse_sgd=True):
        check_supported(model)
        model._prepare_training()  # flat parameter views, need_input_grad
        dtype = model.dtype
        self.model, self.bs, self.blas_threads, self.parallel = model, batch_size, blas_threads, parallel
        self.opt, hyper, self.slots = _optimizer(model.optimizer)
        self.hyper = np.array(hyper + [0.0] * (3 - len(hyper)), np.float64)
        self.fuse = bool(fuse_sgd and self.opt == fast.SGD)
        layers = model.layers
        self.hidden = tuple(fast.dense_state(lay, batch_size, parallel) for lay in layers[:-1])
        out = fast.dense_state(layers[-1], batch_size, parallel, fused_output=True)
        self.head = (out, np.empty(batch_size, dtype), np.empty((0, layers[-1].units), dtype))
        self.flat_p, self.flat_g = model._flat[0], model._flat[1]
        self.xbuf = np.empty((batch_size, *model.input_shape), dtype)
        self.ybuf = np.empty(batch_size, np.intp)

    def _slot_arrays(self):
        opt = self.model.optimizer
        empty = np.empty(0, self.model.dtype)
        if not self.slots:
            return empty, empty
        if not opt.state:
            opt.state = {s: [np.zeros_like(self.flat_p)] for s in opt.slots}
        arrays = [opt.state[s][0] for s in self.slots]
        return (arrays + [empty])[:2]

    def fit(self, x, y, epochs=1, shuffle=True):
        """``model.fit(x, y, epochs, batch_size=bs, verbose=0)`` for this model; epoch losses."""
        from handgrad.diagnostics import record_input_stats

        model = self.model
        xs, ys = model._check_xy(x, y)
        model._input_stats = record_input_stats(xs, ys, model.seed)
        opt = model.optimizer
        n = len(xs)
        bs = min(self.bs, n)
        steps = -(-n // bs)
        losses = np.empty(steps)
        s1, s2 = self._slot_arrays()
        flush_every = opt.flush_every if self.slots else 0
        no_perm = np.empty(0, np.intp)
        history = []
        with blas_threads(self.blas_threads):
            for _ in range(epochs):
                epoch = model.epochs_trained
                lr = opt.begin_epoch(epoch + 1)
                scale = min(1.0, lr) if lr > 0 else 1.0
                limit = model.dtype.type(np.finfo(model.dtype).tiny / scale)
                perm = model._shuffle_rng.permutation(n) if (shuffle and bs < n) else no_perm
                done = fast.train_epoch(
                    xs, ys, perm, bs, self.xbuf, self.ybuf, self.hidden, self.head, self.flat_p,
                    self.flat_g, self.opt, self.hyper, s1, s2, lr, opt.iterations, losses,
                    flush_every, limit, self.fuse)
                opt.iterations += done
                if done < steps:
                    raise FloatingPointError(f"diverged at batch {done}")
                model.epochs_trained = epoch + 1
                total = 0.0
                for b in range(steps):  # fit's order: total += loss * size, in Python floats
                    # the loss as _reduce returns it: float32 mean cast back, then float()
                    total += float(model.dtype.type(losses[b])) * min(bs, n - b * bs)
                history.append(total / n)
        return history


class Predictor:
    """``model.predict(x)`` through the layers' forward kernels, ``batch_size`` rows per call."""

    def __init__(self, model, batch_size=1024, *, blas_threads=None, parallel=False):
        check_supported(model)
        layers = model.layers
        saved = [lay.need_input_grad for lay in layers]
        for lay in layers:
            lay.need_input_grad = False  # inference: no dX buffers
        self.hidden = tuple(fast.dense_state(lay, batch_size, parallel) for lay in layers[:-1])
        self.out = fast.dense_state(layers[-1], batch_size, parallel, fused_output=True)
        for lay, s in zip(layers, saved, strict=True):
            lay.need_input_grad = s
        self.model, self.bs, self.blas_threads = model, batch_size, blas_threads

    def predict(self, x):
        xs = self.model._check_x(x)
        out = np.empty((len(xs), self.model.output_shape[0]), self.model.dtype)
        with blas_threads(self.blas_threads):
            fast.predict_rows(xs, self.bs, self.hidden, self.out, out)
        return out
