"""BLAS ``gemm`` callable from numba code: ``C = alpha * op(A) @ op(B) + beta * C`` (row-major).

Two routes, chosen once at import:

* ``numpy`` (default): the CBLAS ``sgemm``/``dgemm`` of the very OpenBLAS that NumPy loaded
  (``scipy_cblas_sgemm64_`` in NumPy's wheels, found through threadpoolctl's file path).
  ``np.matmul`` calls the same function with the same arguments, so the products come out with
  the same bits as handgrad's NumPy reference, and threadpoolctl's limit on NumPy's BLAS
  applies to both.
* ``scipy``: ``scipy.linalg.cython_blas`` (Fortran interface, arguments by pointer), which is
  what numba's own ``np.dot`` uses. SciPy ships a second OpenBLAS (0.3.30 here, NumPy's is
  0.3.31), so its products may differ from ``np.matmul`` in the last bits.

``HANDGRAD_PROTO_BLAS=scipy`` selects the second route.

The call is a numba *intrinsic* that declares an external symbol by name, registered with
LLVM (``llvmlite.binding.add_symbol``) when this module is imported. Compiled code that calls
it can therefore be cached on disk (``cache=True``): a ctypes function pointer would put a
process-specific address into the machine code, which numba refuses to cache.

All arrays must be C-contiguous 2-D (row slices ``a[:n]`` of one are fine).
"""

from __future__ import annotations

import ctypes
import glob
import os

import llvmlite.binding as llb
import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def _numpy_openblas_path() -> str | None:
    try:
        import threadpoolctl

        for pool in threadpoolctl.threadpool_info():
            path = pool.get("filepath", "")
            if pool.get("internal_api") == "openblas" and "numpy" in path:
                return path
    except Exception:  # noqa: BLE001 - only a way to find the file
        pass
    hits = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*"))
    return hits[0] if hits else None


ROUTE = os.environ.get("HANDGRAD_PROTO_BLAS", "numpy")
_path = _numpy_openblas_path() if ROUTE == "numpy" else None
if ROUTE == "numpy" and _path is None:
    ROUTE = "scipy"

_SYMBOLS = {}
if ROUTE == "numpy":
    _lib = ctypes.CDLL(_path)
    for prec in "sd":
        name = f"scipy_cblas_{prec}gemm64_"
        _SYMBOLS[prec] = name
        llb.add_symbol(name, ctypes.cast(getattr(_lib, name), ctypes.c_void_p).value)
else:
    from numba.extending import get_cython_function_address

    for prec in "sd":
        name = f"handgrad_proto_scipy_{prec}gemm"
        _SYMBOLS[prec] = name
        llb.add_symbol(name, get_cython_function_address("scipy.linalg.cython_blas", f"{prec}gemm"))


@intrinsic
def _gemm_call(typingctx, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """One sgemm/dgemm call (the precision of ``c``); integers by value (CBLAS, 64-bit)."""
    real = c.dtype
    sig = types.void(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

    def codegen(context, builder, signature, args):
        (ta_v, tb_v, m_v, n_v, k_v, al_v, a_v, lda_v, b_v, ldb_v, be_v, c_v, ldc_v) = args
        tys = signature.args
        i32, i64 = ir.IntType(32), ir.IntType(64)
        fl = ir.FloatType() if real == types.float32 else ir.DoubleType()
        ptr = ir.IntType(8).as_pointer()

        def data(val, ty):
            return builder.bitcast(context.make_array(ty)(context, builder, val).data, ptr)

        def as_int(val, ty, width):
            return context.cast(builder, val, ty, types.int32 if width == 32 else types.int64)

        def as_real(val, ty):
            return context.cast(builder, val, ty, real)

        prec = "s" if real == types.float32 else "d"
        if ROUTE == "numpy":
            fnty = ir.FunctionType(
                ir.VoidType(), [i32, i32, i32, i64, i64, i64, fl, ptr, i64, ptr, i64, fl, ptr, i64]
            )
            fn = cgutils.get_or_insert_function(builder.module, fnty, _SYMBOLS[prec])
            builder.call(fn, [
                ir.Constant(i32, ROW_MAJOR), as_int(ta_v, tys[0], 32), as_int(tb_v, tys[1], 32),
                as_int(m_v, tys[2], 64), as_int(n_v, tys[3], 64), as_int(k_v, tys[4], 64),
                as_real(al_v, tys[5]), data(a_v, tys[6]), as_int(lda_v, tys[7], 64),
                data(b_v, tys[8]), as_int(ldb_v, tys[9], 64), as_real(be_v, tys[10]),
                data(c_v, tys[11]), as_int(ldc_v, tys[12], 64),
            ])
        else:  # Fortran: column-major C^T = op(B)^T op(A)^T, every argument by pointer
            fnty = ir.FunctionType(ir.VoidType(), [ptr] * 13)
            fn = cgutils.get_or_insert_function(builder.module, fnty, _SYMBOLS[prec])

            def slot(val, ty, llty):
                p = cgutils.alloca_once(builder, llty)
                builder.store(val, p)
                return builder.bitcast(p, ptr)

            def flag(val, ty):  # 111 -> 'N', 112 -> 'T'
                is_t = builder.icmp_signed("==", as_int(val, ty, 32), ir.Constant(i32, TRANS))
                ch = builder.select(is_t, ir.Constant(ir.IntType(8), ord("T")),
                                    ir.Constant(ir.IntType(8), ord("N")))
                return slot(ch, None, ir.IntType(8))

            builder.call(fn, [
                flag(tb_v, tys[1]), flag(ta_v, tys[0]),
                slot(as_int(n_v, tys[3], 32), None, i32), slot(as_int(m_v, tys[2], 32), None, i32),
                slot(as_int(k_v, tys[4], 32), None, i32), slot(as_real(al_v, tys[5]), None, fl),
                data(b_v, tys[8]), slot(as_int(ldb_v, tys[9], 32), None, i32),
                data(a_v, tys[6]), slot(as_int(lda_v, tys[7], 32), None, i32),
                slot(as_real(be_v, tys[10]), None, fl), data(c_v, tys[11]),
                slot(as_int(ldc_v, tys[12], 32), None, i32),
            ])
        return context.get_dummy_value()

    return sig, codegen


@nb.njit(cache=True, inline="always")
def gemm(trans_a, trans_b, alpha, a, b, beta, c):
    """``c = alpha * op(a) @ op(b) + beta * c``; ``op(x)`` is ``x.T`` when ``trans_x``."""
    m, n = c.shape
    k = a.shape[0] if trans_a else a.shape[1]
    ta = TRANS if trans_a else NO_TRANS
    tb = TRANS if trans_b else NO_TRANS
    _gemm_call(ta, tb, m, n, k, alpha, a, a.shape[1], b, b.shape[1], beta, c, n)


def blas_controller():
    """threadpoolctl's controller of the BLAS that ``gemm`` calls (to set its threads)."""
    import threadpoolctl

    ctl = threadpoolctl.ThreadpoolController()
    want = "numpy" if ROUTE == "numpy" else "scipy"
    for lib in ctl.lib_controllers:
        if lib.internal_api == "openblas" and want in lib.filepath:
            return lib
    return None
