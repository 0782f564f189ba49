"""matplotlib as an optional dependency: import it, find the Axes, write a figure.

Shared by :mod:`sk_genre.display` (audio views) and :mod:`sk_genre.evaluation`
(metric Displays), which do not import each other. Nothing here imports
matplotlib at module import time.
"""

from ._atomic import atomic_path

INSTALL_HINT = 'pip install "sk_genre[plot]"'


def import_pyplot():
    """Import :mod:`matplotlib.pyplot` or raise an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"plotting needs matplotlib, an optional dependency of sk_genre: {INSTALL_HINT}"
        ) from exc
    return plt


def current_axes(ax):
    """``ax``, or the current pyplot Axes when it is None (as :mod:`librosa.display` does)."""
    plt = import_pyplot()
    return plt.gca() if ax is None else ax


def new_axes(ax, figsize, ncols=1):
    """``ax``, or the Axes of a new pyplot figure when it is None (as scikit-learn's Displays do).

    A new figure is sized for the plot (``figsize`` in inches, constrained
    layout); with ``ncols > 1`` the result is an ndarray of that many Axes
    side by side.
    """
    plt = import_pyplot()
    if ax is not None:
        return ax
    _, ax = plt.subplots(1, ncols, figsize=figsize, layout="constrained")
    return ax


def headless_axes(figsize, ncols=1):
    """Axes on a new :class:`matplotlib.figure.Figure` that pyplot does not manage.

    For writing files: no GUI backend is needed, nothing is left open in
    pyplot's figure registry, and the figure is freed with its last reference.
    """
    import_pyplot()  # the ImportError with the install hint
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    return figure.subplots(1, ncols)


def save_figure(figure, path, *, dpi):
    """Write ``figure`` to ``path`` as PNG atomically (a full disk leaves the old file)."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=dpi, format="png")
    figure.clear()
    return path
