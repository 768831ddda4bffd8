"""Prototype fast kernels, grouped by the module of ``src/handgrad`` each would live in.

Nothing here is imported by the package. Each kernel sits beside the reference it must agree
with (quoted in its docstring); the reference stays the readable, gradient-checked definition.

Conventions, chosen so that every compiled function can be cached on disk (``cache=True``):

* all kernels are module-level ``@njit(cache=True)`` functions. Closures are avoided: numba's
  cache key includes the pickled closure variables, and a closure over another compiled
  function pickles a per-process id, so every new process would compile again (measured: 6-15
  s per process with closures, see the README);
* the dtype comes from the argument types (numba compiles one version per dtype); scalar
  constants come from a small ``consts`` array of the layer's dtype, so float32 code does
  float32 arithmetic, as NumPy does with weak Python scalars;
* the activation and the optimizer are small integer codes; the branch on the code sits
  outside the loops, so each loop is specialized and vectorized;
* a layer's state is a tuple of arrays: its parameters (views into the model's flat parameter
  array), gradient views, preallocated output and input-gradient buffers, and constants. The
  network is composed as *data*: a tuple of layer states, walked by one compiled loop
  (forward in order, backward in reverse). All Dense states of one dtype have the same type,
  so the tuple is homogeneous and indexable; other layer kinds would join through
  ``numba.literal_unroll`` over a heterogeneous tuple (see the README's design section).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .blas import gemm

jit = nb.njit(cache=True)
pjit = nb.njit(cache=True, parallel=True)
inline = nb.njit(cache=True, inline="always")

# ===================================================================== handgrad/activations.py
LINEAR, RELU, SIGMOID, TANH, LEAKY_RELU = 0, 1, 2, 3, 4
ACTIVATION_CODES = {None: LINEAR, "linear": LINEAR, "relu": RELU, "sigmoid": SIGMOID,
                    "tanh": TANH, "leaky_relu": LEAKY_RELU, "softmax": LINEAR}
#: consts array of a Dense state: [1, 0, leaky slope, 1 - leaky slope] in the layer's dtype
ONE, ZERO, SLOPE, ONE_MINUS_SLOPE = 0, 1, 2, 3


def dense_consts(dtype):
    return np.array([1.0, 0.0, 0.01, 1 - 0.01], dtype)


# Scalar forward a = g(z) and backward dz = g'(.) * da from the output a. Reference:
# activations._fi_* and _bi_* (the in-place NumPy twins), statement for statement.
@inline
def relu_f(z, c):  # np.maximum(z, 0): NaN and -0.0 pass through as with NumPy's maximum
    return c[ZERO] if z < c[ZERO] else z


@inline
def relu_b(a, da, c):  # da * (a > 0): a multiply, so that -0.0 and NaN match NumPy
    return da * (c[ONE] if a > c[ZERO] else c[ZERO])


@inline
def sigmoid_f(z, c):  # z = -z; z = exp(z); z += 1; z = 1 / z
    return c[ONE] / (np.exp(-z) + c[ONE])


@inline
def sigmoid_b(a, da, c):  # da *= a; da *= 1 - a
    return (da * a) * (c[ONE] - a)


@inline
def tanh_b(a, da, c):  # t = a * a; da *= 1 - t
    return da * (c[ONE] - a * a)


@inline
def leaky_f(z, c):  # np.maximum(z, 0.01 * z)
    s = c[SLOPE] * z
    return z if (z >= s or z != z) else s


@inline
def leaky_b(a, da, c):  # g = (a >= 0); g *= 0.99; g += 0.01; da *= g
    return da * ((c[ONE] if a >= c[ZERO] else c[ZERO]) * c[ONE_MINUS_SLOPE] + c[SLOPE])


# ======================================================================= handgrad/layers/dense.py
@inline
def _bias_act_rows(z, bias, act, c, lo, hi):
    """Rows lo:hi of ``z += b; z = g(z)`` (reference: ``Dense.forward``), one pass."""
    u = z.shape[1]
    if act == RELU:
        for i in range(lo, hi):
            zi = z[i]
            for j in range(u):
                zi[j] = relu_f(zi[j] + bias[j], c)
    elif act == SIGMOID:
        for i in range(lo, hi):
            zi = z[i]
            for j in range(u):
                zi[j] = sigmoid_f(zi[j] + bias[j], c)
    elif act == TANH:
        for i in range(lo, hi):
            zi = z[i]
            for j in range(u):
                zi[j] = np.tanh(zi[j] + bias[j])
    elif act == LEAKY_RELU:
        for i in range(lo, hi):
            zi = z[i]
            for j in range(u):
                zi[j] = leaky_f(zi[j] + bias[j], c)
    else:
        for i in range(lo, hi):
            zi = z[i]
            for j in range(u):
                zi[j] += bias[j]


@jit
def bias_act(z, bias, act, c):
    _bias_act_rows(z, bias, act, c, 0, z.shape[0])


@pjit
def bias_act_par(z, bias, act, c):
    n = z.shape[0]
    shares = 2 * nb.get_num_threads()
    step = (n + shares - 1) // shares
    for s in nb.prange(shares):
        _bias_act_rows(z, bias, act, c, s * step, min(n, s * step + step))


@inline
def _back_columns(a, da, db, bias, lr, update, act, c, lo, hi):
    """Columns lo:hi of: da <- g'(.) * da in place; db = its row sums; with update b -= db*lr.

    Reference: ``activations._bi_*`` then ``np.add.reduce(dz, axis=0, out=db)``, which adds
    the rows in order (db = row 0, then += row 1, ...): the same order here, so the same bits.
    """
    d0, a0, g0 = da[0, lo:hi], a[0, lo:hi], db[lo:hi]
    w = hi - lo
    if act == RELU:
        for j in range(w):
            g0[j] = d0[j] = relu_b(a0[j], d0[j], c)
    elif act == SIGMOID:
        for j in range(w):
            g0[j] = d0[j] = sigmoid_b(a0[j], d0[j], c)
    elif act == TANH:
        for j in range(w):
            g0[j] = d0[j] = tanh_b(a0[j], d0[j], c)
    elif act == LEAKY_RELU:
        for j in range(w):
            g0[j] = d0[j] = leaky_b(a0[j], d0[j], c)
    else:
        for j in range(w):
            g0[j] = d0[j]
    for i in range(1, da.shape[0]):
        di, ai = da[i, lo:hi], a[i, lo:hi]  # 1-D row views: the inner loops vectorize
        if act == RELU:
            for j in range(w):
                v = relu_b(ai[j], di[j], c)
                di[j] = v
                g0[j] += v
        elif act == SIGMOID:
            for j in range(w):
                v = sigmoid_b(ai[j], di[j], c)
                di[j] = v
                g0[j] += v
        elif act == TANH:
            for j in range(w):
                v = tanh_b(ai[j], di[j], c)
                di[j] = v
                g0[j] += v
        elif act == LEAKY_RELU:
            for j in range(w):
                v = leaky_b(ai[j], di[j], c)
                di[j] = v
                g0[j] += v
        else:
            for j in range(w):
                g0[j] += di[j]
    if update:
        bl = bias[lo:hi]
        for j in range(w):
            bl[j] -= g0[j] * lr


@jit
def act_back_bias(a, da, db, bias, lr, update, act, c):
    _back_columns(a, da, db, bias, lr, update, act, c, 0, da.shape[1])


@pjit
def act_back_bias_par(a, da, db, bias, lr, update, act, c):
    """Threads own blocks of columns: every sum keeps its row order, whatever the threads."""
    u = da.shape[1]
    nblocks = (u + 63) // 64
    for jb in nb.prange(nblocks):
        _back_columns(a, da, db, bias, lr, update, act, c, jb * 64, min(u, jb * 64 + 64))


# Dense state: (W, b, Z buffer, dX buffer, dW view, db view, consts, codes)
# codes = [activation, need_dx, parallel]. The *_par kernels (numba.prange) are measured in
# micro.py but not called from the training loop: a cached function that calls a parallel one
# cannot be cached ("uses dynamic globals"), and in the loop numba's OpenMP workers and
# OpenBLAS's workers spin against each other on 2 cores (README: 4,401 samples/s at batch 128).
W_, B_, Z_, DX_, GW_, GB_, C_, K_ = range(8)


def dense_state(layer, batch: int, parallel: bool = False, fused_output: bool = False):
    """The arrays the Dense kernels work on: params and grads are the model's (flat) views."""
    w, b = layer.params["W"], layer.params["b"]
    z = np.empty((batch, layer.units), w.dtype)
    dx = np.empty((batch if layer.need_input_grad else 1, w.shape[0]), w.dtype)
    act = LINEAR if fused_output else ACTIVATION_CODES[layer.activation.name]
    codes = np.array([act, int(layer.need_input_grad), int(parallel)], np.int64)
    return (w, b, z, dx, layer.grads["W"], layer.grads["b"], dense_consts(w.dtype), codes)


@jit
def dense_forward(st, x, n):
    """Reference ``Dense.forward``: Z = X @ W (BLAS gemm, the call np.matmul makes), then one
    compiled pass for Z += b and the activation, in place. Returns the rows [:n] of Z."""
    w, bias, c, k = st[W_], st[B_], st[C_], st[K_]
    z = st[Z_][:n]
    gemm(False, False, c[ONE], x, w, c[ZERO], z)
    bias_act(z, bias, k[0], c)
    return z


@jit
def dense_backward(st, x, dz, n, lr, fuse_sgd):
    """Reference ``Dense.backward``::

        dZ = g'(.) * dA;  dW = X.T @ dZ;  db = sum_rows dZ;  dX = dZ @ W.T

    One compiled pass computes dZ in place of dA and db; dX and dW are BLAS gemm calls. With
    ``fuse_sgd`` (plain SGD, nobody reads the gradients) the update is folded in and nothing is
    written to the gradient views: ``W = -lr * X.T @ dZ + 1 * W`` is one gemm with beta = 1,
    after dX (which needs the old W), and ``b -= db * lr`` ends the bias pass.
    """
    w, bias, c, k = st[W_], st[B_], st[C_], st[K_]
    lr_ = w.dtype.type(lr)  # lr in the dtype, as NumPy's weak Python float
    act_back_bias(st[Z_][:n], dz, st[GB_], bias, lr_, fuse_sgd, k[0], c)
    dx = st[DX_][:n] if k[1] else st[DX_][:0]
    if k[1]:
        gemm(False, True, c[ONE], dz, w, c[ZERO], dx)
    if fuse_sgd:
        gemm(True, False, -lr_, x, dz, c[ONE], w)
    else:
        gemm(True, False, c[ONE], x, dz, c[ZERO], st[GW_])
    return dx


# ========================================================================== handgrad/_rowops.py
@inline
def row_sum_pairwise(e, k):
    """NumPy's pairwise sum of one contiguous row ``e[:k]`` (``_rowops.row_sum``'s order;
    numpy/_core/src/umath/loops_utils.h.src: -0.0 start below 8, 8 partial sums up to 128)."""
    if k < 8:
        s = e.dtype.type(-0.0)
        for j in range(k):
            s += e[j]
        return s
    r0, r1, r2, r3 = e[0], e[1], e[2], e[3]
    r4, r5, r6, r7 = e[4], e[5], e[6], e[7]
    stop = k - k % 8
    for j in range(8, stop, 8):
        r0 += e[j]
        r1 += e[j + 1]
        r2 += e[j + 2]
        r3 += e[j + 3]
        r4 += e[j + 4]
        r5 += e[j + 5]
        r6 += e[j + 6]
        r7 += e[j + 7]
    s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(stop, k):
        s += e[j]
    return s


@jit
def pairwise_sum(x, lo, n):
    """NumPy's pairwise sum of ``x[lo:lo+n]``: blocks of <= 128 summed as above, longer runs
    split in two halves (the first a multiple of 8) and added, recursively. The recursion is
    unrolled onto explicit stacks (numba cannot cache recursive functions)."""
    if n <= 128:
        return row_sum_pairwise(x[lo : lo + n], n)
    los = np.empty(64, np.int64)
    ns = np.empty(64, np.int64)
    st = np.zeros(64, np.int64)
    vals = np.empty(64, x.dtype)
    top, nv = 0, 0
    los[0], ns[0], st[0] = lo, n, 0
    while top >= 0:
        a, m = los[top], ns[top]
        if m <= 128:
            vals[nv] = row_sum_pairwise(x[a : a + m], m)
            nv += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        if st[top] == 0:
            st[top] = 1
            top += 1
            los[top], ns[top], st[top] = a, half, 0
        elif st[top] == 1:
            st[top] = 2
            top += 1
            los[top], ns[top], st[top] = a + half, m - half, 0
        else:
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
            top -= 1
    return vals[0]


# ============================================================================ handgrad/losses.py
@jit
def softmax_ce(z, labels, per_sample, out_a, c):
    """Softmax + categorical cross-entropy from logits and integer labels, in one pass.

    Reference (``CategoricalCrossentropy.fused_forward`` then ``logits_gradient``)::

        m = max_k z;  e = exp(z - m);  s = sum_k e (pairwise);  a = e / s
        loss = mean_i (log s + m - z[i, y_i])   (sum in the dtype, pairwise; / N in float64)
        dZ = (a - onehot(y)) * (1 / N)

    ``z`` is overwritten by dZ; ``out_a`` receives ``a`` when it has rows. Bits differ from
    NumPy's where ``exp``/``log`` do: NumPy's SIMD float32 exp is not correctly rounded in ~39%
    of arguments (within 2 ulp), numba calls glibc's ``expf`` (correctly rounded in 99.9%).
    """
    n, k = z.shape
    scale = z.dtype.type(1.0 / n)
    e = np.empty(k, z.dtype)
    for i in range(n):
        zi = z[i]
        m = zi[0]
        for j in range(1, k):
            if zi[j] > m:
                m = zi[j]
        for j in range(k):
            e[j] = np.exp(zi[j] - m)
        s = row_sum_pairwise(e, k)
        lse = np.log(s) + m
        per_sample[i] = lse - zi[labels[i]]
        for j in range(k):
            zi[j] = e[j] / s
        if out_a.shape[0]:
            out_a[i] = zi
        zi[labels[i]] -= c[ONE]
        for j in range(k):
            zi[j] *= scale
    total = pairwise_sum(per_sample, 0, n)
    return total / n  # float64, as _reduce's float32 sum / intp count (cast back by caller)


@jit
def softmax_rows(z, out, lo):
    """``activations.softmax`` for inference: rows of z into out[lo:], pairwise row sums."""
    k = z.shape[1]
    for i in range(z.shape[0]):
        zi, row = z[i], out[lo + i]
        m = zi[0]
        for j in range(1, k):
            if zi[j] > m:
                m = zi[j]
        for j in range(k):
            row[j] = np.exp(zi[j] - m)
        s = row_sum_pairwise(row, k)
        for j in range(k):
            row[j] /= s


# ======================================================================== handgrad/optimizers.py
# One pass over the flat parameter array per step. Reference: ``Optimizer._update`` of each
# class, statement for statement; the scalars are cast to the dtype first, as NumPy does with
# Python floats. ``h`` holds the hyper-parameters (float64).
SGD, MOMENTUM_SGD, RMSPROP, ADAM = 0, 1, 2, 3


@inline
def _opt_range(kind, p, g, s1, s2, lr, t, h, lo, hi):
    dt = p.dtype.type
    lr_ = dt(lr)
    if kind == SGD:  # param -= grad * lr
        for i in range(lo, hi):
            p[i] -= g[i] * lr_
    elif kind == MOMENTUM_SGD:  # v *= mu; v += g; param -= v * lr
        mu = dt(h[0])
        for i in range(lo, hi):
            v = s1[i] * mu + g[i]
            s1[i] = v
            p[i] -= v * lr_
    elif kind == RMSPROP:  # s = s*rho + (g*(1-rho))*g; param -= (g*lr) / (sqrt(s) + eps)
        rho, c, eps = dt(h[0]), dt(1.0 - h[0]), dt(h[1])
        for i in range(lo, hi):
            gi = g[i]
            si = s1[i] * rho + (gi * c) * gi
            s1[i] = si
            p[i] -= (gi * lr_) / (np.sqrt(si) + eps)
    else:  # Adam: m = m*b1 + g*(1-b1); v = v*b2 + (g*(1-b2))*g
        # param -= (m * (lr / (1 - b1^t))) / (sqrt(v * (1 / (1 - b2^t))) + eps)
        b1, b2 = dt(h[0]), dt(h[1])
        c1, c2, eps = dt(1.0 - h[0]), dt(1.0 - h[1]), dt(h[2])
        ms = dt(lr * (1.0 / (1.0 - math.pow(h[0], float(t)))))  # Python's float ** int
        vs = dt(1.0 / (1.0 - math.pow(h[1], float(t))))
        for i in range(lo, hi):
            gi = g[i]
            mi = s1[i] * b1 + gi * c1
            vi = s2[i] * b2 + (gi * c2) * gi
            s1[i] = mi
            s2[i] = vi
            p[i] -= (mi * ms) / (np.sqrt(vi * vs) + eps)


@jit
def optimizer_step(kind, p, g, s1, s2, lr, t, h):
    _opt_range(kind, p, g, s1, s2, lr, t, h, 0, p.size)


@pjit
def optimizer_step_par(kind, p, g, s1, s2, lr, t, h):
    shares = 2 * nb.get_num_threads()
    step = (p.size + shares - 1) // shares
    for s in nb.prange(shares):
        _opt_range(kind, p, g, s1, s2, lr, t, h, s * step, min(p.size, s * step + step))


@jit
def flush_subnormals(state, limit):
    """``Optimizer._flush_subnormals``: state entries with 0 < |x| < limit become 0."""
    for i in range(state.size):
        x = state[i]
        if x != 0 and abs(x) < limit:
            state[i] = 0


# ====================================================== handgrad/training (trainer, batching)
@jit
def forward_backward(hidden, head, x, y, n, lr, fuse_sgd):
    """One batch through the whole stack, from the layers' own kernels.

    ``hidden``: the tuple of the hidden layers' states, ``head``: the output layer's state plus
    the loss buffers. Forward in order, the fused loss, backward in reverse (each layer gets
    its input back from the layer below's output buffer). A non-finite loss returns before any
    backward, so nothing is updated (as ``_train_step``).
    """
    h = x
    for i in range(len(hidden)):
        h = dense_forward(hidden[i], h, n)
    out, per_sample, out_a = head[0], head[1], head[2]
    z = dense_forward(out, h, n)
    loss = softmax_ce(z, y, per_sample[:n], out_a, out[C_])
    if not math.isfinite(loss):
        return loss
    d = dense_backward(out, h, z, n, lr, fuse_sgd)
    for i in range(len(hidden) - 1, -1, -1):
        below = x if i == 0 else hidden[i - 1][Z_][:n]
        d = dense_backward(hidden[i], below, d, n, lr, fuse_sgd)
    return loss


@jit
def gather_rows(x, idx, out):
    """The batch's shuffled rows (reference: ``np.take(x, perm[...], axis=0, out=...)``)."""
    d = x.shape[1]
    for i in range(len(idx)):
        src, dst = x[idx[i]], out[i]
        for j in range(d):
            dst[j] = src[j]


@jit
def train_epoch(x, y, perm, bs, xbuf, ybuf, hidden, head, flat_p, flat_g, opt, h, s1, s2, lr,
                t0, losses, flush_every, flush_limit, fused_sgd):
    """A whole epoch in one compiled call: gather each shuffled batch, forward/backward, update.

    Reference: ``Sequential._run_epoch`` / ``_epoch_batches`` / ``_train_step``. The rows are
    gathered by the caller's permutation (drawn from the model's shuffle generator); the step
    counter advances per batch. With plain SGD the update is fused into the layers' backward,
    except on the last batch, whose gradients are written so that ``grads`` hold them after
    the epoch (as ``fit`` promises). Returns the number of batches done; fewer than ``steps``
    means batch ``done`` had a non-finite loss and was not applied.
    """
    n = x.shape[0]
    steps = (n + bs - 1) // bs
    for s in range(steps):
        lo = s * bs
        m = min(bs, n - lo)
        if perm.shape[0]:
            gather_rows(x, perm[lo : lo + m], xbuf)
            for i in range(m):
                ybuf[i] = y[perm[lo + i]]
            xb, yb = xbuf[:m], ybuf[:m]
        else:
            xb, yb = x[lo : lo + m], y[lo : lo + m]
        fuse = fused_sgd and s < steps - 1
        loss = forward_backward(hidden, head, xb, yb, m, lr, fuse)
        if not math.isfinite(loss):
            return s
        losses[s] = loss
        t = t0 + s + 1
        if not fuse:
            optimizer_step(opt, flat_p, flat_g, s1, s2, lr, t, h)
        if flush_every and t % flush_every == 0:
            flush_subnormals(s1, flush_limit)
            flush_subnormals(s2, flush_limit)
    return steps


@jit
def predict_rows(x, bs, hidden, out_state, out):
    """``Sequential.predict``: the layers' forward kernels on ``bs`` rows at a time, softmax."""
    n = x.shape[0]
    for lo in range(0, n, bs):
        m = min(bs, n - lo)
        h = x[lo : lo + m]
        for i in range(len(hidden)):
            h = dense_forward(hidden[i], h, m)
        softmax_rows(dense_forward(out_state, h, m), out, lo)
