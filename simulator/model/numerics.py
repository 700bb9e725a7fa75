"""Shared numerics of the compiled kernels: the compile switch, numpy's pairwise sum, sums per group.

Every mechanism keeps its compiled kernels (numba) in its own module, beside the rule they compute, decorated with
``jit`` from here: ``cache=True`` keeps the compiled code in ``__pycache__`` (only the first run on a machine pays the
compilation, a few seconds), ``nogil=True``, and every kernel is sequential (``parallel=False``), so results never
depend on the thread count. A kernel computes what a numpy expression computes, in one pass and without temporaries,
and sums in the same order as ``np.bincount`` (link or slot order), so results agree with the numpy form bit for bit
or up to floating-point reassociation at most (``tests/test_model_kernels.py`` checks each kernel against a numpy
oracle on random inputs). Kernels are plain functions of arrays, and of named tuples of arrays where many travel
together (``population.FirmArrays``, ``trade.TradeLinks``, ...): they know nothing of the model's classes. A call
passes at most 8 arguments by position, scalars by keyword (``tests/test_model_house.py``). A named tuple's class
name is part of numba's argument fingerprint: two classes of the same name and items would share it, so keep them
distinct.

``DLSIM_NO_JIT=1`` in the environment before the package is imported leaves every kernel a plain Python function (for
a debugger or a profiler; far slower): what numba's own ``NUMBA_DISABLE_JIT`` does, for the model's kernels only.
"""

from __future__ import annotations

import os
import re
import types
import warnings

import numba as nb
import numpy as np

NO_JIT_VARIABLE = "DLSIM_NO_JIT"
NO_JIT = os.environ.get(NO_JIT_VARIABLE, "").strip() not in ("", "0")
_JIT = {"cache": True, "nogil": True}
if NO_JIT:  # ``jit`` then returns each function itself; integers wrap silently, as compiled
    nb = types.SimpleNamespace(njit=lambda **_options: lambda func: func)
    # the kernels of every module of this package (``simulator.model.*``)
    warnings.filterwarnings(
        "ignore", "overflow encountered in scalar", RuntimeWarning, re.escape(__name__.rpartition(".")[0]) + r"\."
    )

jit = nb.njit(**_JIT)
"""Decorator of every compiled kernel of the model (``cache=True``, ``nogil=True``; the identity under ``NO_JIT``)."""


@jit
def _pairwise_block(a, lo, n):
    """Pairwise sum of ``a[lo:lo + n]`` in numpy's order for ``n`` ≤ 128 (its block size), without the initial +0.

    Below 8 entries one running sum; else eight running sums combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) +
    (r6 + r7)), then the remainder one by one.
    """
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    m = n - n % 8
    for j in range(lo + 8, lo + m, 8):
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(lo + m, lo + n):
        res += a[i]
    return res


@jit
def _pairwise_from(a, lo, n):
    """Pairwise sum of ``a[lo:lo + n]`` (contiguous float64) in numpy's order, any ``n``, without the initial +0.

    Above numpy's block of 128 entries, the two halves (the first a multiple of 8 entries) are summed alike and
    added: numpy's recursion, here with an explicit stack (numba's on-disk cache does not keep recursive functions).
    """
    if n <= 128:
        return _pairwise_block(a, lo, n)
    # tasks: (lo, n) to sum, or n = -1 to add the two sums on top of the value stack (left + right)
    t_lo = np.empty(256, np.int64)
    t_n = np.empty(256, np.int64)
    vals = np.empty(128)
    nt = 1
    nv = 0
    t_lo[0] = lo
    t_n[0] = n
    while nt > 0:
        nt -= 1
        l0 = t_lo[nt]
        m = t_n[nt]
        if m < 0:
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
        elif m <= 128:
            vals[nv] = _pairwise_block(a, l0, m)
            nv += 1
        else:
            n2 = m // 2
            n2 -= n2 % 8
            t_n[nt] = -1
            t_lo[nt + 1] = l0 + n2
            t_n[nt + 1] = m - n2
            t_lo[nt + 2] = l0
            t_n[nt + 2] = n2
            nt += 3
    return vals[0]


@jit
def alive_sums(group, values, alive, n_g):
    """``np.bincount(group, weights=values * alive, minlength=n_g)`` (the same additions, in slot order)."""
    out = np.zeros(n_g)
    for i in range(group.size):
        out[group[i]] += values[i] * (1.0 if alive[i] else 0.0)
    return out
