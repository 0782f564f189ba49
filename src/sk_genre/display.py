"""Views of audio: waveform, log-mel spectrogram, the CNN's mel chunks, genre timelines.

Display apart from analysis, as :mod:`librosa.display` is apart from
librosa: these functions compute nothing the features do not, they draw.
Each draws on the Axes it is given, or on the current pyplot Axes
(:func:`matplotlib.pyplot.gca`) when ``ax`` is None, as
:func:`librosa.display.specshow` does, so a notebook shows the picture and
``plt.show()`` or ``plt.savefig()`` in a script see it. Each returns the Axes
it drew on.

matplotlib is an optional dependency (``pip install "sk_genre[plot]"``),
imported when a view is drawn, never by ``import sk_genre.display``.
The metric plots of an evaluation (confusion matrix, accuracy per genre,
training curves) are scikit-learn style Display objects in
:mod:`sk_genre.evaluation`.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> import numpy as np
>>> from sk_genre.display import plot_mel_spectrogram, plot_waveform
>>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
>>> fig, (ax_wave, ax_mel) = plt.subplots(2, 1, layout="constrained")
>>> ax = plot_waveform(y, sr=22050, ax=ax_wave)
>>> ax = plot_mel_spectrogram(y, sr=22050, ax=ax_mel)
>>> plt.close(fig)
"""

import os
from pathlib import Path

import numpy as np

from ._docstring import fill_doc
from ._plotting import current_axes, headless_axes, import_pyplot, save_figure
from .features import load_clip

__all__ = [
    "plot_chunks",
    "plot_mel_spectrogram",
    "plot_timeline",
    "plot_waveform",
    "save_audio_plots",
]


def _librosa_display():
    import_pyplot()  # the ImportError with the install hint, before librosa.display's own
    import librosa.display

    return librosa.display


def _title_of(audio, title, what):
    if title is not None:
        return title
    if isinstance(audio, (str, os.PathLike)):
        return f"{what}: {Path(audio).name}"
    return what


@fill_doc(title='"Waveform" and the file\'s name')
def plot_waveform(audio, *, sr=22050, ax=None, title=None):
    """Draw the waveform of a clip against time in seconds.

    Parameters
    ----------
    %(audio)s
    %(sr)s
    %(ax_current)s
    %(title)s

    Returns
    -------
    ax : matplotlib.axes.Axes
        x runs from 0 to the duration, ``n_samples / sr`` seconds.

    Raises
    ------
    AudioDecodeError
        ``audio`` is a path that cannot be decoded.
    ValueError
        ``audio`` is an empty, non-1-D or non-finite waveform.
    ImportError
        matplotlib is not installed.

    References
    ----------
    .. [1] :func:`librosa.display.waveshow` (librosa 0.11), which draws it.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre.display import plot_waveform
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> ax = plot_waveform(y, sr=22050)
    >>> [float(x) for x in ax.get_xlim()]  # seconds
    [0.0, 1.0]
    """
    display = _librosa_display()
    y = load_clip(audio, sr=sr)
    ax = current_axes(ax)
    display.waveshow(y, sr=sr, ax=ax, axis="s", color="tab:blue")
    ax.set_xlim(0.0, y.shape[0] / sr)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Amplitude")
    ax.set_title(_title_of(audio, title, "Waveform"))
    return ax


@fill_doc(title='"Log-mel spectrogram" and the file\'s name')
def plot_mel_spectrogram(
    audio, *, sr=22050, n_mels=128, n_fft=2048, hop_length=512, ax=None, title=None
):
    """Draw the log-mel spectrogram of a clip in dB, with a colorbar.

    Values are ``librosa.power_to_db(S, ref=np.max)`` of the mel power
    spectrogram ``S``: 0 dB is the loudest cell of the clip, floored at
    -80 dB. (:class:`~sk_genre.MelChunker` feeds the network absolute dB,
    without the per-clip reference; the picture is the same up to a shift.)

    Parameters
    ----------
    %(audio)s
    %(sr)s
    %(n_mels)s
    %(n_fft)s
    %(hop_length)s
    %(ax_current)s
    %(title)s

    Returns
    -------
    ax : matplotlib.axes.Axes
        ``ax.collections[0]`` is the image; its array has shape
        (n_mels, n_frames) with ``n_frames = 1 + n_samples // hop_length``.
        x is time in seconds, y frequency in Hz on the mel scale.

    Raises
    ------
    AudioDecodeError
        ``audio`` is a path that cannot be decoded.
    ValueError
        ``audio`` is an empty, non-1-D or non-finite waveform.
    ImportError
        matplotlib is not installed.

    References
    ----------
    .. [1] :func:`librosa.feature.melspectrogram`, :func:`librosa.power_to_db`
       and :func:`librosa.display.specshow` (librosa 0.11).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre.display import plot_mel_spectrogram
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> ax = plot_mel_spectrogram(y, sr=22050)
    >>> ax.collections[0].get_array().shape
    (128, 44)
    """
    display = _librosa_display()
    import librosa

    y = load_clip(audio, sr=sr)
    mel = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels
    )
    mel_db = librosa.power_to_db(mel, ref=np.max)
    ax = current_axes(ax)
    image = display.specshow(
        mel_db,
        sr=sr,
        hop_length=hop_length,
        n_fft=n_fft,
        x_axis="s",
        y_axis="mel",
        ax=ax,
        cmap="magma",
    )
    ax.figure.colorbar(image, ax=ax, format="%+2.0f dB", label="Level (dB re max)")
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Frequency (Hz, mel scale)")
    ax.set_title(_title_of(audio, title, "Log-mel spectrogram"))
    return ax


@fill_doc(title='"Log-mel chunks" and their number')
def plot_chunks(chunks, *, chunk_duration=4.0, chunk_hop=2.0, top_db=80.0, ax=None, title=None):
    """Draw the log-mel chunks of one clip side by side, as the CNN sees them.

    :class:`~sk_genre.MelChunker` turns each clip into ``n_chunks`` chunks of
    ``chunk_duration`` seconds every ``chunk_hop`` seconds; the chunks
    overlap in time, so they are drawn next to each other, not on a time
    axis, separated by white lines and labelled with the seconds they cover.
    One colour scale for all chunks: the ``top_db`` dB below the loudest cell.

    Parameters
    ----------
    chunks : array-like of shape (n_chunks, n_mels, n_frames)
        The chunks of one clip in dB, e.g. ``MelChunker().fit_transform(X)[i]``.
    %(chunk_duration)s
        As ``MelChunker(chunk_duration=...)``, for the labels.
    %(chunk_hop)s
        As ``MelChunker(chunk_hop=...)``, for the labels.
    top_db : float, default=80.0
        Range of the colour scale in dB, down from the loudest cell.
    %(ax_current)s
    %(title)s

    Returns
    -------
    ax : matplotlib.axes.Axes
        ``ax.images[0]`` holds the chunks concatenated along time, an array
        of shape (n_mels, n_chunks * n_frames); x tick ``k`` is chunk ``k``.

    Raises
    ------
    ValueError
        ``chunks`` is not a non-empty 3-D array of finite values, or
        ``top_db`` is not positive.
    ImportError
        matplotlib is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre import MelChunker
    >>> from sk_genre.display import plot_chunks
    >>> y = np.sin(2 * np.pi * 440 * np.arange(8 * 22050) / 22050)
    >>> chunker = MelChunker(track_duration=8.0, verbose=0)
    >>> X = chunker.fit_transform([y])
    >>> ax = plot_chunks(X[0])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['0-4 s', '2-6 s', '4-8 s']
    """
    chunks = np.asarray(chunks, dtype=float)
    if chunks.ndim != 3 or chunks.size == 0 or not np.isfinite(chunks).all():
        raise ValueError(
            "chunks must be a non-empty, finite array of shape (n_chunks, n_mels, n_frames) "
            f"(one clip of MelChunker's output); got shape {chunks.shape}"
        )
    if not top_db > 0:
        raise ValueError(f"top_db must be > 0; got {top_db!r}")
    n_chunks, n_mels, n_frames = chunks.shape
    ax = current_axes(ax)
    strip = np.concatenate(list(chunks), axis=1)  # (n_mels, n_chunks * n_frames)
    vmax = float(strip.max())
    image = ax.imshow(
        strip,
        origin="lower",
        aspect="auto",
        cmap="magma",
        vmin=vmax - top_db,
        vmax=vmax,
        extent=(-0.5, n_chunks - 0.5, -0.5, n_mels - 0.5),
        interpolation="nearest",
    )
    for k in range(1, n_chunks):
        ax.axvline(k - 0.5, color="white", lw=1.5)
    ax.set_xticks(
        np.arange(n_chunks),
        [f"{k * chunk_hop:g}-{k * chunk_hop + chunk_duration:g} s" for k in range(n_chunks)],
    )
    ax.set_xlabel(f"Chunk ({n_frames} frames each)")
    ax.set_ylabel("Mel band")
    ax.figure.colorbar(image, ax=ax, label=f"dB (absolute, {top_db:g} dB range shown)")
    ax.set_title(title if title is not None else f"Log-mel chunks ({n_chunks})")
    return ax


@fill_doc(title='"Genre over time" (stacked) or "Genre per window" (strip)')
def plot_timeline(timeline, *, kind="stacked", ax=None, title=None):
    """Draw a track's genre over time, as :func:`sk_genre.predict_timeline` gives it.

    Parameters
    ----------
    timeline : GenreTimeline
        From :func:`sk_genre.predict_timeline`.
    kind : {"stacked", "strip"}, default="stacked"
        ``"stacked"``: the genre probabilities of each window stacked to 1
        (:meth:`matplotlib.axes.Axes.stackplot`, one band per genre, each
        window drawn over its hop from its start). ``"strip"``: one bar per
        window in the colour of its genre (the ``timeline.genre`` strip).
    %(ax_current)s
    %(title)s

    Returns
    -------
    ax : matplotlib.axes.Axes
        x in seconds; the legend names the genres (one colour per class of
        ``timeline.classes``, the same in both kinds).

    Raises
    ------
    ValueError
        ``kind`` is not one of the two, or ``timeline`` has no windows.
    ImportError
        matplotlib is not installed.

    Examples
    --------
    >>> from sk_genre.display import plot_timeline
    >>> ax = plot_timeline(predict_timeline(pipe, "mix.mp3"))  # doctest: +SKIP
    """
    if kind not in ("stacked", "strip"):
        raise ValueError(f"kind must be 'stacked' or 'strip'; got {kind!r}")
    if len(timeline) == 0:
        raise ValueError("timeline has no windows")
    ax = current_axes(ax)
    import matplotlib as mpl

    classes = list(timeline.classes)
    cmap = mpl.colormaps["tab10" if len(classes) <= 10 else "tab20"]
    colours = [cmap(i % cmap.N) for i in range(len(classes))]
    # each window is drawn from its start to the next window's start (its own end for the last)
    edges = np.append(timeline.start, timeline.end[-1])
    if kind == "stacked":
        proba = np.vstack([timeline.proba, timeline.proba[-1:]])  # the last window's step
        ax.stackplot(edges, proba.T, labels=classes, colors=colours, step="post")
        ax.set_ylim(0, 1)
        ax.set_ylabel("Probability")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    else:
        index = np.argmax(timeline.proba, axis=1)
        widths = np.diff(edges)
        ax.bar(timeline.start, 1, width=widths, align="edge", color=[colours[i] for i in index])
        ax.set_yticks([])
        shown = sorted(set(index))
        handles = [mpl.patches.Patch(color=colours[i], label=classes[i]) for i in shown]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("Time (s)")
    default = "Genre over time" if kind == "stacked" else "Genre per window"
    ax.set_title(title if title is not None else default)
    return ax


@fill_doc
def save_audio_plots(audio, directory, *, sr=22050, dpi=100):
    """Write the waveform and the log-mel spectrogram of a clip as PNG files.

    ``waveform.png`` (:func:`plot_waveform`) and ``mel_spectrogram.png``
    (:func:`plot_mel_spectrogram`) in ``directory`` (created if missing;
    existing files of these names are replaced, atomically). The figures are
    not pyplot figures: no GUI backend is needed and nothing is left open.

    Parameters
    ----------
    %(audio)s
    directory : str or os.PathLike
        Output folder.
    %(sr)s
    %(dpi)s

    Returns
    -------
    paths : dict of str to pathlib.Path
        ``"waveform"`` and ``"mel_spectrogram"`` to the files written.

    Raises
    ------
    AudioDecodeError
        ``audio`` is a path that cannot be decoded.
    ImportError
        matplotlib is not installed.

    See Also
    --------
    sk_genre.evaluation.save_evaluation_plots : The metric plots of an evaluation.

    Examples
    --------
    >>> from sk_genre.display import save_audio_plots
    >>> save_audio_plots("blues.00000.ogg", "plots/")  # doctest: +SKIP
    {'waveform': PosixPath('plots/waveform.png'), 'mel_spectrogram': PosixPath('plots/mel_spectrogram.png')}
    """  # noqa: E501
    import_pyplot()
    y = load_clip(audio, sr=sr)  # decoded once for both plots
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, draw, what, size in (
        ("waveform", plot_waveform, "Waveform", (10, 3)),
        ("mel_spectrogram", plot_mel_spectrogram, "Log-mel spectrogram", (10, 4)),
    ):
        ax = draw(y, sr=sr, ax=headless_axes(size), title=_title_of(audio, None, what))
        paths[name] = save_figure(ax.figure, directory / f"{name}.png", dpi=dpi)
    return paths
