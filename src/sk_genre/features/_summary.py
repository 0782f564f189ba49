"""Summary statistics that turn a (n_rows, n_frames) feature matrix into one vector."""

import numpy as np

#: Statistic name -> reduction over frames (axis=-1).
STATISTICS = {
    "mean": np.mean,
    "std": np.std,
    "var": np.var,
    "min": np.min,
    "max": np.max,
    "median": np.median,
}


def check_stats(stats, owner):
    """Validate a ``stats`` parameter; return it as a tuple of names."""
    if isinstance(stats, str):
        stats = (stats,)
    stats = tuple(stats)
    unknown = [s for s in stats if s not in STATISTICS]
    if not stats or unknown:
        raise ValueError(
            f"{owner}: stats must be a non-empty subset of {sorted(STATISTICS)}; got {stats!r}"
        )
    if len(set(stats)) != len(stats):
        raise ValueError(f"{owner}: stats must not repeat a statistic; got {stats!r}")
    return stats


def summarize(frames, stats):
    """Reduce each row of ``frames`` over time with every statistic.

    Parameters
    ----------
    frames : ndarray of shape (n_rows, n_frames)
    stats : tuple of str
        Names from :data:`STATISTICS`.

    Returns
    -------
    ndarray of shape (n_rows * len(stats),), dtype float64
        Row-major: ``[row0_stat0, row0_stat1, ..., row1_stat0, ...]``, the
        column order of the GTZAN feature table (``mfcc1_mean, mfcc1_var``).
    """
    frames = np.asarray(frames, dtype=np.float64)
    out = np.stack([STATISTICS[s](frames, axis=-1) for s in stats], axis=-1)
    return out.reshape(-1)


def summary_names(row_names, stats):
    """Feature names matching :func:`summarize`'s order: ``f"{row}_{stat}"``."""
    return [f"{row}_{stat}" for row in row_names for stat in stats]
