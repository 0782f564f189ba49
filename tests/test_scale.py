"""Parallelism (joblib processes, Dask), the per-clip feature cache and pandas output."""

import logging
import shutil

import joblib
import numpy as np
import pytest

import sk_genre.features._base as _base
from sk_genre import AudioDecodeError, MelChunker, MFCCTransformer, SpectralFeatureUnion
from sk_genre.features import GTZAN_COLUMNS

from .conftest import music_like, write_audio


def write_clips(folder, n, seconds, seed=0):
    """``n`` distinct float WAV files; returns their paths as str."""
    folder.mkdir(exist_ok=True)
    return [
        str(
            write_audio(
                folder / f"clip{i}.wav", music_like(seconds, seed=seed + i), subtype="FLOAT"
            )
        )
        for i in range(n)
    ]


def cache_entries(location):
    """Each cached result file -> (inode, mtime): joblib rewrites (renames) it on a recompute."""
    return {
        str(p.relative_to(location)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in location.rglob("output.pkl")
    }


@pytest.fixture
def extract_calls(monkeypatch):
    """Spy on the per-clip computation (in this process): records each clip, calls through."""
    calls = []
    real_extract = _base._extract

    def spy(transformer, clip, index):
        calls.append(clip)
        return real_extract(transformer, clip, index)

    monkeypatch.setattr(_base, "_extract", spy)
    return calls


# ---------------------------------------------------------------- parallelism


def test_union_parallel_equals_serial(tmp_path):
    paths = write_clips(tmp_path, 4, 4.0)
    serial = SpectralFeatureUnion(n_jobs=1, verbose=0).fit(paths).transform(paths)
    parallel = SpectralFeatureUnion(n_jobs=2, verbose=0).fit(paths).transform(paths)
    assert serial.shape == (4, SpectralFeatureUnion().fit(paths).n_features_out_)
    assert np.isfinite(serial).all()
    assert len({row.tobytes() for row in serial}) == 4  # the clips differ
    assert np.array_equal(parallel, serial)


# ---------------------------------------------------------------- cache


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: MFCCTransformer(verbose=0, **kw),
        lambda **kw: SpectralFeatureUnion(include=("centroid", "mfcc", "tempo"), verbose=0, **kw),
        lambda **kw: MelChunker(verbose=0, **kw),
    ],
    ids=["mfcc", "union", "mel"],
)
def test_second_transform_reads_the_cache(make, tmp_path, extract_calls):
    paths = write_clips(tmp_path / "audio", 3, 1.5)
    cache = tmp_path / "cache"  # passed as str: a pathlib.Path fails, see test_memory_as_path
    uncached = make().fit_transform(paths)
    assert len(extract_calls) == 3
    extract_calls.clear()

    first = make(memory=str(cache)).fit(paths).transform(paths)
    assert sorted(extract_calls) == sorted(paths)
    entries = cache_entries(cache)
    assert len(entries) == 3  # one entry per distinct clip
    np.testing.assert_array_equal(first, uncached)

    # same files, a new instance (the folder as a joblib.Memory): nothing is recomputed
    second = make(memory=joblib.Memory(str(cache), verbose=0)).fit(paths).transform(paths)
    assert len(extract_calls) == 3
    assert cache_entries(cache) == entries
    assert np.array_equal(second, first)


def test_changed_parameter_misses_the_cache(tmp_path, extract_calls):
    paths = write_clips(tmp_path / "audio", 2, 1.5)
    cache = tmp_path / "cache"
    X20 = MFCCTransformer(n_mfcc=20, memory=str(cache), verbose=0).fit_transform(paths)
    assert len(extract_calls) == 2

    X13 = MFCCTransformer(n_mfcc=13, memory=str(cache), verbose=0).fit_transform(paths)
    assert len(extract_calls) == 4
    assert X20.shape == (2, 40) and X13.shape == (2, 26)
    np.testing.assert_array_equal(X13, MFCCTransformer(n_mfcc=13, verbose=0).fit_transform(paths))
    assert len(cache_entries(cache)) == 4

    # both parameter sets are now cached
    calls = len(extract_calls)
    np.testing.assert_array_equal(
        MFCCTransformer(n_mfcc=20, memory=str(cache), verbose=0).fit_transform(paths), X20
    )
    assert len(extract_calls) == calls


def test_changed_file_content_misses_the_cache(tmp_path, extract_calls):
    paths = write_clips(tmp_path / "audio", 3, 1.5)
    cache = tmp_path / "cache"
    union = SpectralFeatureUnion(include=("centroid", "mfcc"), memory=str(cache), verbose=0)
    before = union.fit_transform(paths)
    assert len(extract_calls) == 3

    # same bytes written again (new mtime): still a hit, the key is the content
    write_audio(paths[1], music_like(1.5, seed=1), subtype="FLOAT")
    np.testing.assert_array_equal(union.transform(paths), before)
    assert len(extract_calls) == 3

    # new audio under the same path: recomputed, and correct
    write_audio(paths[0], music_like(1.5, seed=10), subtype="FLOAT")
    after = union.transform(paths)
    assert extract_calls[3:] == [paths[0]]
    fresh = SpectralFeatureUnion(include=("centroid", "mfcc"), verbose=0).fit_transform(paths)
    np.testing.assert_array_equal(after, fresh)
    assert not np.allclose(after[0], before[0])
    np.testing.assert_array_equal(after[1:], before[1:])


def test_identical_content_is_computed_once(tmp_path, extract_calls):
    (original,) = write_clips(tmp_path / "a", 1, 1.5)
    (tmp_path / "b").mkdir()
    copy = str(shutil.copyfile(original, tmp_path / "b" / "renamed.wav"))
    cache = tmp_path / "cache"
    X = MFCCTransformer(memory=str(cache), verbose=0).fit_transform([original, copy])
    assert extract_calls == [original]
    assert len(cache_entries(cache)) == 1
    np.testing.assert_array_equal(X[0], X[1])

    # waveforms are keyed by their samples the same way
    y = music_like(1.5, seed=7)
    W = MFCCTransformer(memory=str(cache), verbose=0).fit_transform(np.stack([y, y]))
    assert len(extract_calls) == 2
    np.testing.assert_array_equal(W[0], W[1])
    np.testing.assert_array_equal(W, MFCCTransformer(verbose=0).fit_transform([y, y]))


def test_decode_errors_are_raised_and_not_cached(tmp_path):
    (good,) = write_clips(tmp_path / "audio", 1, 1.0)
    bad = tmp_path / "audio" / "bad.wav"
    bad.write_text("definitely not a wav file")
    missing = tmp_path / "audio" / "missing.wav"
    cache = tmp_path / "cache"
    mfcc = MFCCTransformer(memory=str(cache), verbose=0)
    for _ in range(2):  # the second attempt fails the same way: no cached failure
        with pytest.raises(AudioDecodeError, match="bad.wav"):
            mfcc.fit_transform([good, bad])
        with pytest.raises(AudioDecodeError, match="missing.wav"):
            mfcc.fit_transform([good, missing])
    assert len(cache_entries(cache)) == 1  # only the good clip

    # once the file is repaired it is computed, not served from a cached error
    write_audio(bad, music_like(1.0, seed=5), subtype="FLOAT")
    X = mfcc.fit_transform([good, bad])
    np.testing.assert_array_equal(X, MFCCTransformer(verbose=0).fit_transform([good, bad]))
    assert len(cache_entries(cache)) == 2


def test_memory_as_path(tmp_path, extract_calls):
    paths = write_clips(tmp_path / "audio", 2, 1.0)
    cache = tmp_path / "cache"
    X = MFCCTransformer(memory=str(cache), verbose=0).fit_transform(paths)
    assert len(extract_calls) == 2
    # the same folder as a pathlib.Path: the same store, so nothing is recomputed
    np.testing.assert_array_equal(MFCCTransformer(memory=cache, verbose=0).fit_transform(paths), X)
    assert len(extract_calls) == 2


def test_execution_parameters_are_not_part_of_the_key(tmp_path, extract_calls):
    paths = write_clips(tmp_path / "audio", 3, 1.5)
    cache = tmp_path / "cache"
    serial = MFCCTransformer(n_jobs=1, verbose=0, memory=str(cache)).fit_transform(paths)
    entries = cache_entries(cache)
    assert len(entries) == 3 and len(extract_calls) == 3

    # n_jobs=2 in threads (the spy sees them), verbose and another memory object: all hits
    with joblib.parallel_config(backend="threading"):
        threaded = MFCCTransformer(
            n_jobs=2, verbose=1, memory=joblib.Memory(str(cache), verbose=0)
        ).fit_transform(paths)
    assert len(extract_calls) == 3
    assert cache_entries(cache) == entries
    assert np.array_equal(threaded, serial)

    # n_jobs=2 in loky worker processes: the same keys, so no new entry and the same features.
    # (Not asserted: that no entry is rewritten. joblib writes func_code.py into a cache folder
    # only from a process that has not checked the function's code before, so a folder first
    # filled by this process lacks it and a fresh worker recomputes its first clip.)
    parallel = MFCCTransformer(n_jobs=2, verbose=0, memory=str(cache)).fit_transform(paths)
    assert cache_entries(cache).keys() == entries.keys()
    assert np.array_equal(parallel, serial)


# ---------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="Dask tests need dask[distributed]")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster, timeout="60s") as client,
    ):
        client.wait_for_workers(2, timeout=60)
        yield client


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: SpectralFeatureUnion(verbose=0, **kw),
        lambda **kw: MFCCTransformer(verbose=0, **kw),
    ],
    ids=["union", "mfcc"],
)
def test_dask_backend_equals_serial(make, dask_client, tmp_path):
    from distributed import get_task_stream

    paths = write_clips(tmp_path, 4, 3.0)
    serial = make(n_jobs=1).fit(paths).transform(paths)
    with get_task_stream(dask_client) as tasks, joblib.parallel_config(backend="dask"):
        distributed = make(n_jobs=-1).fit(paths).transform(paths)
    assert len(tasks.data) >= 1  # the clips really went through the Dask scheduler
    assert np.array_equal(distributed, serial)


# ---------------------------------------------------------------- set_output


def test_pandas_output_columns():
    pd = pytest.importorskip("pandas")
    X = np.stack([music_like(2.0, seed=s) for s in range(2)])
    union = SpectralFeatureUnion(include=("centroid", "tempo"), verbose=0)
    df = union.set_output(transform="pandas").fit_transform(X)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["spectral_centroid_mean", "spectral_centroid_std", "tempo"]
    plain = SpectralFeatureUnion(include=("centroid", "tempo"), verbose=0).fit_transform(X)
    np.testing.assert_array_equal(df.to_numpy(), plain)


def test_pandas_output_gtzan_columns():
    pd = pytest.importorskip("pandas")
    X = np.stack([music_like(2.0, seed=s) for s in range(2)])
    union = SpectralFeatureUnion(include="gtzan", verbose=0).set_output(transform="pandas")
    df = union.fit_transform(X)
    assert isinstance(df, pd.DataFrame) and df.shape == (2, 57)
    assert tuple(df.columns) == GTZAN_COLUMNS
    assert np.isfinite(df.to_numpy()).all()
