"""The GTZAN feature table and the fault-filtered artist-aware split, bundled."""

import csv
import os
import re
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = ["fault_filtered_split", "gtzan_track_id", "load_gtzan_features"]

_DATA = resources.files("sk_genre.datasets") / "data"

_DESCR = """\
GTZAN feature table (Kaggle "features_30_sec.csv")
--------------------------------------------------
1000 30-second excerpts, 100 per genre, 10 genres (G. Tzanetakis and P. Cook,
"Musical genre classification of audio signals", IEEE Trans. Speech and Audio
Processing, 2002). 57 librosa summary features per track: chroma_stft, rms,
spectral centroid / bandwidth / rolloff, zero-crossing rate, harmonic and
percussive components (mean and variance), tempo, 20 MFCCs (mean and variance).

split: membership in the fault-filtered, artist-aware split of Kereliuk, Sturm
and Larsen (2015), as published in jongpillee/music_dataset_split: "train"
(443 tracks), "valid" (197), "other" (360: the published test list, which is
not bundled, and the tracks left out for known faults). No artist is in both
train and valid. GTZAN has duplicates, mislabellings and repeated artists
(Sturm 2013), so random splits of this table overstate accuracy: report the
train -> valid accuracy beside any random cross-validation.
"""


def _read_split(name):
    with (_DATA / name).open() as f:
        # lines look like "blues/blues.00012.wav"
        return {line.strip().rsplit("/", 1)[-1].removesuffix(".wav") for line in f if line.strip()}


_TRACK_ID = re.compile(r"(?:^|[/\\])([a-z]+\.\d{5})(?:\.|$)")


def gtzan_track_id(name):
    """The GTZAN track id (``"blues.00012"``) in a file name, path or segment name.

    Parameters
    ----------
    name : str or os.PathLike
        ``"blues.00012"``, ``"blues.00012.wav"``, ``"gtzan/blues/blues.00012.ogg"``,
        or a segment of that track: ``"blues.00012.3.wav"`` (the Kaggle 3-s
        table) or ``"blues.00012.004.wav"`` (``sk-genre segment``).

    Returns
    -------
    track_id : str

    Raises
    ------
    ValueError
        ``name`` holds no GTZAN track id (``<genre>.<5 digits>``).
    """
    match = _TRACK_ID.search(os.fspath(name))
    if match is None:
        raise ValueError(
            f"name must contain a GTZAN track id like 'blues.00012'; got {os.fspath(name)!r}"
        )
    return match.group(1)


def fault_filtered_split(names):
    """Fold of each GTZAN track in the fault-filtered, artist-aware split.

    Parameters
    ----------
    names : sequence of str or os.PathLike
        Track ids, file names or paths of GTZAN tracks or of their segments
        (see :func:`gtzan_track_id`).

    Returns
    -------
    split : ndarray of shape (n_tracks,), dtype object
        ``"train"`` (443 GTZAN tracks), ``"valid"`` (197) or ``"other"``
        (listed in neither: the split's test tracks, and faulty tracks it
        excludes).

    Raises
    ------
    ValueError
        A name holds no GTZAN track id.

    References
    ----------
    .. [1] C. Kereliuk, B. L. Sturm and J. Larsen, "Deep learning and music
       adversaries", IEEE Trans. Multimedia 17(11), 2015.
    """
    train, valid = _read_split("gtzan_ff_train.txt"), _read_split("gtzan_ff_valid.txt")
    ids = [gtzan_track_id(n) for n in names]
    return np.array(
        ["train" if t in train else "valid" if t in valid else "other" for t in ids],
        dtype=object,
    )


def load_gtzan_features(*, as_frame=False):
    """Load the GTZAN feature table bundled with sk_genre.

    Parameters
    ----------
    as_frame : bool, default=False
        Also return the table as a pandas DataFrame in ``frame`` (and
        ``data`` / ``target`` as DataFrame / Series). Needs pandas.

    Returns
    -------
    data : sklearn.utils.Bunch
        With fields:

        data : ndarray of shape (1000, 57), dtype float64
            The feature values (column ``length`` of the CSV is left out: it
            is the clip length in samples, not a feature).
        target : ndarray of shape (1000,), dtype object
            Genre of each track (``"blues"``, ...).
        feature_names : list of str
            The 57 column names, e.g. ``"chroma_stft_mean"``, ``"mfcc1_var"``.
        target_names : list of str
            The 10 genres, sorted.
        track_ids : ndarray of shape (1000,), dtype object
            GTZAN track names, e.g. ``"blues.00000"``.
        split : ndarray of shape (1000,), dtype object
            ``"train"``, ``"valid"`` or ``"other"`` (fault-filtered split).
        frame : pandas.DataFrame or None
            Only with ``as_frame=True``.
        DESCR : str
            Description and provenance.

    Raises
    ------
    ImportError
        ``as_frame=True`` without pandas installed.

    References
    ----------
    .. [1] C. Kereliuk, B. L. Sturm and J. Larsen, "Deep Learning and Music
       Adversaries", IEEE Trans. Multimedia 17(11), 2015.
    .. [2] B. L. Sturm, "The GTZAN dataset: its contents, its faults, their
       effects on evaluation, and its future use", arXiv:1306.1461, 2013.

    Examples
    --------
    >>> from sk_genre.datasets import load_gtzan_features
    >>> gtzan = load_gtzan_features()
    >>> gtzan.data.shape
    (1000, 57)
    >>> (gtzan.split == "train").sum(), (gtzan.split == "valid").sum()
    (np.int64(443), np.int64(197))
    """
    with (_DATA / "gtzan_features_30_sec.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if header[:2] != ["filename", "length"] or header[-1] != "label":
        raise RuntimeError(f"bundled GTZAN table has an unexpected header: {header[:3]}...")
    feature_names = header[2:-1]
    data = np.array([[float(v) for v in r[2:-1]] for r in body])
    target = np.array([r[-1] for r in body], dtype=object)
    track_ids = np.array([r[0].removesuffix(".wav") for r in body], dtype=object)
    split = fault_filtered_split(track_ids)
    bunch = Bunch(
        data=data,
        target=target,
        feature_names=feature_names,
        target_names=sorted(set(target)),
        track_ids=track_ids,
        split=split,
        frame=None,
        DESCR=_DESCR,
    )
    if as_frame:
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("load_gtzan_features(as_frame=True) needs pandas") from exc
        frame = pd.DataFrame(data, columns=feature_names, index=pd.Index(track_ids, name="track"))
        frame["genre"] = target
        frame["split"] = split
        bunch.frame = frame
        bunch.data = frame[feature_names]
        bunch.target = frame["genre"]
    return bunch
