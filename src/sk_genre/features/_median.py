"""Exact, fast running median along one axis of a spectrogram.

The harmonic/percussive separation (:func:`librosa.decompose.hpss`) median
filters the magnitude spectrogram twice, along time and along frequency, with
:func:`scipy.ndimage.median_filter`. SciPy's generic n-D rank filter re-selects
the median of every window from scratch: about 600 ms per call on a
(1025, 1293) float32 spectrogram, so the two calls (~1.2 s of the ~1.4 s of an
HPSS) dominate the feature time of a 30-s GTZAN clip.

:func:`median_filter_axis` computes the same numbers (not approximately: the
same elements of the input) about 60 times faster with a sliding sorted window
per line, updated without branches and vectorized across a block of lines by
numba. numba (a librosa dependency) is imported and the kernel compiled on the
first call only (``cache=True``: once per install), so importing this module
stays cheap.
"""

from numbers import Integral

import numpy as np

__all__ = ["median_filter_axis"]

#: Lines filtered together; the update of their windows is SIMD across lines.
_BLOCK = 64


def _median_lines(X, idx, size, lines_are_rows, line_major_out, out):
    """Running median of every line of the C-contiguous 2-D array ``X`` (numba kernel).

    The lines are the rows of ``X`` (``lines_are_rows``) or its columns. Line
    ``l`` is extended by ``ext[k] = line[idx[k]]`` (``k < n + size - 1``) and
    output ``i`` is the element of rank ``size // 2`` of ``ext[i:i + size]``;
    it is written to ``out[l, i]`` (``line_major_out``) or ``out[i, l]``.

    Each line keeps its window sorted in ``W[:size, c]``, with ``W[size]``
    a +inf sentinel row. One step removes the outgoing value ``a`` and inserts
    the incoming ``b``: with ``u`` the window without ``a``
    (``u[j] = w[j] if w[j] < a else w[j + 1]``), the new window is
    ``w'[j] = min(u[j], max(u[j - 1], b))`` (``u[-1] = -inf``). min, max and
    selects only move values, so the window stays an exact multiset of inputs,
    and the same instructions serve every line of the block (SIMD). The window
    starts full of +inf; the first ``size`` steps replace that +inf by the
    first ``size`` values, after which every step emits one output.
    """
    if lines_are_rows:
        n_lines, n = X.shape
    else:
        n, n_lines = X.shape
    rank = size // 2
    inf = np.inf
    block = min(_BLOCK, n_lines)
    W = np.empty((size + 1, block), X.dtype)
    up = np.empty(block, X.dtype)
    a = np.empty(block, X.dtype)
    b = np.empty(block, X.dtype)
    for l0 in range(0, n_lines, block):
        B = min(block, n_lines - l0)
        for j in range(size + 1):
            wj = W[j]
            for c in range(B):
                wj[c] = inf
        for c in range(B):
            a[c] = inf
        for t in range(n + size - 1):
            # outgoing a = ext[t - size] (+inf while filling), incoming b = ext[t]
            if lines_are_rows:
                kb = idx[t]
                for c in range(B):
                    b[c] = X[l0 + c, kb]
                if t >= size:
                    ka = idx[t - size]
                    for c in range(B):
                        a[c] = X[l0 + c, ka]
            else:
                xb = X[idx[t]]
                for c in range(B):
                    b[c] = xb[l0 + c]
                if t >= size:
                    xa = X[idx[t - size]]
                    for c in range(B):
                        a[c] = xa[l0 + c]
            for c in range(B):
                up[c] = -inf
            for j in range(size):
                wj = W[j]
                wj1 = W[j + 1]
                for c in range(B):
                    x = wj[c]
                    u = x if x < a[c] else wj1[c]
                    v = up[c]
                    bc = b[c]
                    v = v if v > bc else bc
                    wj[c] = u if u < v else v
                    up[c] = u
            i = t - size + 1
            if i >= 0:
                wr = W[rank]
                if line_major_out:
                    for c in range(B):
                        out[l0 + c, i] = wr[c]
                else:
                    orow = out[i]
                    for c in range(B):
                        orow[l0 + c] = wr[c]


_kernel = None


def _get_kernel():
    """The numba-compiled :func:`_median_lines` (numba imported on first use)."""
    global _kernel
    if _kernel is None:
        from numba import njit

        _kernel = njit(cache=True, nogil=True)(_median_lines)
    return _kernel


def _reflect_index(n, size):
    """Input index of each sample of a line of length ``n`` extended for a ``size`` window.

    Position ``k`` (``0 <= k < n + size - 1``) of the extended line is sample
    ``k - size // 2`` of the input, reflected about the edges with the edge
    sample repeated (``d c b a | a b c d | d c b a``) and reflected again as
    often as needed (period ``2 n``), like ``numpy.pad(mode="symmetric")``.
    """
    p = np.arange(n + size - 1, dtype=np.int64) - size // 2
    if n == 1:
        return np.zeros_like(p)
    p %= 2 * n
    return np.where(p >= n, 2 * n - 1 - p, p)


def median_filter_axis(S, size, axis):
    """Median filter along one axis of a 2-D array, exactly as SciPy computes it.

    Parameters
    ----------
    S : ndarray of shape (n_rows, n_cols), float32 or float64
        Input array (any memory layout; not modified). Must not contain NaN.
    size : int >= 1
        Window length along ``axis``, odd or even.
    axis : {0, 1, -1, -2}
        Axis filtered: 1 or -1 filters each row (along time for a
        spectrogram), 0 or -2 each column (along frequency).

    Returns
    -------
    ndarray of shape (n_rows, n_cols)
        The filtered array: new, C-contiguous, of the dtype of ``S`` (in native
        byte order).

    Raises
    ------
    ValueError
        If ``S`` is not 2-D, ``size`` is not an integer >= 1 or ``axis`` is
        not one of 0, 1, -1, -2.
    TypeError
        If ``S`` is not float32 or float64.

    Notes
    -----
    The result equals ``scipy.ndimage.median_filter(S, size=shape,
    mode="reflect")`` with the 1-D footprint ``shape = (1, size)`` (axis 1)
    or ``(size, 1)`` (axis 0), element for element (``np.array_equal``; where
    a window mixes ``-0.0`` and ``+0.0`` either zero may come out). As in
    SciPy, output ``i`` is the element of rank ``size // 2`` (0-based) of the
    sorted window of inputs ``i - size // 2`` to ``i - size // 2 + size - 1``:
    the middle one for odd ``size``; for even ``size`` the upper of the two
    middle ones (no averaging), with one more sample before ``i`` than after.
    Outside the line the input is reflected with the edge sample repeated
    (``d c b a | a b c d | d c b a``), periodically when the window is longer
    than the line.

    One exception, in SciPy: when ``size // 2 >= 4 * n`` for a line of
    ``2 <= n`` samples, ``scipy.ndimage.median_filter`` (1.17) maps the
    reflected positions ``-2 * (2 n)``, ``-3 * (2 n)``, ... to index -1 and
    reads the value just before the line (the end of the previous row, or
    memory outside the array), so its result depends on unrelated memory.
    This function reflects those positions correctly (to index 0), as SciPy's
    own minimum, maximum and generic filters and ``numpy.pad(mode="symmetric")``
    do. Spectrogram lines (hundreds of samples, ``size`` ~31) are far from this
    case.

    Algorithm: every line keeps its window sorted; each step removes the
    outgoing sample and inserts the incoming one with a branch-free
    compare/select/min/max merge (``O(size)`` operations, no sorting and no
    data-dependent branches), vectorized across a block of 64 lines. Lines
    are taken along contiguous memory when ``S`` is C- or F-contiguous (a
    transposed view is not copied); other layouts are copied once. Cost is
    ``O(n_rows * n_cols * size)``: about 10 ms per call with ``size=31`` on a
    (1025, 1293) float32 array on one core, against ~600 ms for SciPy. The
    numba kernel is compiled on the first call and cached on disk.

    References
    ----------
    .. [1] :func:`scipy.ndimage.median_filter`, the reference implementation.
    .. [2] :func:`librosa.decompose.hpss`, which calls it with
       ``size=(1, kernel_size)`` and ``size=(kernel_size, 1)``.
    .. [3] D. Fitzgerald, "Harmonic/percussive separation using median
       filtering", Proc. 13th Int. Conf. on Digital Audio Effects (DAFx-10),
       Graz, 2010.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[1.0, 9.0, 2.0, 8.0, 3.0]])
    >>> median_filter_axis(S, 3, axis=1)
    array([[1., 2., 8., 3., 3.]])
    """
    S = np.asarray(S)
    if S.ndim != 2:
        raise ValueError(f"S must be 2-D (n_rows, n_cols); got {S.ndim}-D of shape {S.shape}")
    if S.dtype.type not in (np.float32, np.float64):
        raise TypeError(f"S must be float32 or float64; got {S.dtype}")
    if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
        raise ValueError(f"size must be an integer >= 1; got {size!r}")
    if isinstance(axis, bool) or not isinstance(axis, Integral) or axis not in (0, 1, -1, -2):
        raise ValueError(f"axis must be one of 0, 1, -1, -2; got {axis!r}")
    size = int(size)
    along_rows = axis % 2 == 1  # each row is a line
    if not S.dtype.isnative:
        S = S.astype(S.dtype.newbyteorder("="))
    out = np.empty(S.shape, dtype=S.dtype)
    if S.size == 0:
        return out
    if S.flags.c_contiguous:
        X, lines_are_rows = S, along_rows
    elif S.flags.f_contiguous:
        X, lines_are_rows = S.T, not along_rows
    else:
        X, lines_are_rows = np.ascontiguousarray(S), along_rows
    n = S.shape[1] if along_rows else S.shape[0]
    _get_kernel()(X, _reflect_index(n, size), size, lines_are_rows, along_rows, out)
    return out
