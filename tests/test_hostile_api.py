"""Hostile input through the Python API: waveforms, batches and labels (issue 13, items 2, 10,
12 and 13).

Each case is built here from real gtzan-mini audio or synthetic audio, and asserts the clear
error (naming the clip or file) or the correct result.
"""

import warnings

import numpy as np
import pytest
import soundfile as sf

from sk_genre import AudioDecodeError, MelChunker, MFCCTransformer, make_pipeline
from sk_genre.features import MAX_AMPLITUDE
from sk_genre.io import load_audio

from .conftest import SR, music_like

TRANSFORMERS = [
    lambda **kw: MFCCTransformer(verbose=0, **kw),
    lambda **kw: MelChunker(verbose=0, **kw),
]
IDS = ["mfcc", "mel"]


# ---------------------------------------------------------------- item 10: huge finite values


@pytest.mark.parametrize("make", TRANSFORMERS, ids=IDS)
@pytest.mark.parametrize("scale", [1e19, 1e30])
def test_huge_finite_samples_are_refused_naming_the_clip(make, scale):
    y = music_like(2.0).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        with pytest.raises(ValueError, match=r"clip 1 samples must be at most 1e\+10 in magnitude"):
            make().fit_transform([y, y * scale])


@pytest.mark.parametrize("make", TRANSFORMERS, ids=IDS)
def test_float64_beyond_float32_range_is_refused_after_the_cast(make):
    y = music_like(2.0).astype(np.float64)
    y[100] = 1e39  # finite in float64, inf in float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"clip 0 samples must be within float32's range"):
            make().fit_transform([y])


def test_integer_scaled_float_audio_still_passes():
    """Floats holding 16- or 32-bit PCM values (up to 2**31) are below the bound."""
    y = music_like(2.0).astype(np.float64)
    assert 2.0**31 < MAX_AMPLITUDE
    X = MFCCTransformer(verbose=0).fit_transform([y * 2.0**31, y * 32768.0])
    assert np.isfinite(X).all()


def test_huge_float_wav_file_is_an_audio_decode_error(tmp_path):
    path = tmp_path / "loud.wav"
    sf.write(path, music_like(2.0) * np.float32(1e19), SR, subtype="FLOAT")
    assert np.isfinite(load_audio(path)).all()  # decodable: the values are finite float32
    with pytest.raises(AudioDecodeError, match=r"loud\.wav.*samples must be at most 1e\+10"):
        MFCCTransformer(verbose=0).fit_transform([str(path)])


@pytest.mark.parametrize("make", TRANSFORMERS, ids=IDS)
def test_skip_keeps_the_good_clips_and_names_the_huge_one(make, gtzan_mini):
    good = load_audio(gtzan_mini.paths[0], duration=5.0)
    transformer = make(on_error="skip")
    X = transformer.fit_transform([good, good * np.float32(1e19), good])
    assert len(X) == 3 and np.isfinite(X[[0, 2]]).all() and np.isnan(X[1]).all()
    assert transformer.kept_indices_.tolist() == [0, 2]
    assert "clip 1 samples must be at most" in str(transformer.errors_[1])


def test_skip_pipeline_over_huge_values_fits_the_others(gtzan_mini):
    """Before: "Input X contains NaN." for the whole batch, naming no clip."""
    rows = [*np.flatnonzero(gtzan_mini.target == "blues")[:3]]
    rows += [*np.flatnonzero(gtzan_mini.target == "metal")[:3]]
    clips = [load_audio(gtzan_mini.paths[i], duration=5.0) for i in rows]
    genres = gtzan_mini.target[rows]
    clips[2] = clips[2] * np.float32(1e19)
    pipe = make_pipeline(features="mfcc", model="logistic", on_error="skip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a genre may lose its only track
        pipe.fit(clips, genres)
    assert sorted(pipe.errors_) == [2]
    assert len(pipe.predict(clips)) == 6  # one answer per clip, the huge one's a guess


# ---------------------------------------------------------------- item 2: any per-clip failure


class _FailsOnSilence(MFCCTransformer):
    """A user's transformer whose feature code raises a non-ValueError on one clip."""

    def _features(self, y):
        if not y.any():
            raise ZeroDivisionError("division by zero on a silent clip")
        return super()._features(y)


def test_any_exception_in_one_clip_is_that_clips_failure_under_skip():
    clips = [music_like(1.0), np.zeros(SR, dtype=np.float32), music_like(1.0, seed=1)]
    transformer = _FailsOnSilence(verbose=0, on_error="skip")
    X = transformer.fit_transform(clips)
    assert X.shape[0] == 3 and transformer.kept_indices_.tolist() == [0, 2]
    assert isinstance(transformer.errors_[1], ZeroDivisionError)
    with pytest.warns(UserWarning, match=r"clip 1 \(ZeroDivisionError: division by zero"):
        _FailsOnSilence(verbose=0, on_error="warn").fit_transform(clips)
    with pytest.raises(ZeroDivisionError):  # "raise" still raises it as it is
        _FailsOnSilence(verbose=0).fit_transform(clips)


def test_any_exception_is_a_per_clip_failure_in_parallel_workers():
    clips = [music_like(1.0), np.zeros(SR, dtype=np.float32)] * 2
    transformer = _FailsOnSilence(verbose=0, on_error="skip", n_jobs=2)
    transformer.fit_transform(clips)
    assert transformer.kept_indices_.tolist() == [0, 2]


# ---------------------------------------------------------------- item 12: channels as clips


def test_a_stereo_waveform_array_is_refused_not_read_as_clips(gtzan_mini):
    mono = load_audio(gtzan_mini.paths[0], duration=10.0)
    stereo = np.stack([mono, mono * 0.5], axis=1)  # (220500, 2): (n_samples, n_channels)
    with pytest.raises(ValueError, match=r"shape \(220500, 2\) .* \[y\.mean\(axis=1\)\]"):
        MFCCTransformer(verbose=0).fit_transform(stereo)


def test_a_small_array_of_few_columns_is_warned_about():
    with pytest.warns(UserWarning, match=r"X of shape \(500, 2\) is read as 500 clips"):
        MFCCTransformer(verbose=0).fit_transform(np.zeros((500, 2), dtype=np.float32))


def test_a_batch_of_real_clips_is_not_warned_about():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X = MFCCTransformer(verbose=0).fit_transform(np.stack([music_like(1.0)] * 3))
    assert X.shape[0] == 3


# ---------------------------------------------------------------- item 13: batches and labels


def test_a_generator_is_refused_with_what_to_do():
    """Before: "X must hold at least one clip; got 0 clips" (fit read the generator)."""
    clips = (music_like(1.0, seed=i) for i in range(3))
    with pytest.raises(TypeError, match=r"got a generator, which can be read only once.*list\(X\)"):
        MFCCTransformer(verbose=0).fit_transform(clips)


def _tiny_batch():
    clips = [music_like(1.5, seed=i) for i in range(8)]
    return clips, np.array(["rock", "jazz"] * 4, dtype=object)


@pytest.mark.parametrize("model", [None, "logistic"], ids=["network", "logistic"])
def test_none_in_labels_is_a_value_error_naming_the_position(model):
    """Before: TypeError: '<' not supported between instances of 'NoneType' and 'str'."""
    clips, y = _tiny_batch()
    y[3] = None
    with pytest.raises(
        ValueError, match=r"1 missing label\(s\) \(None or NaN\) at position\(s\) 3"
    ):
        make_pipeline(features="mfcc", model=model).fit(clips, y)


def test_nan_in_float_labels_is_a_value_error():
    clips, _ = _tiny_batch()
    y = np.array([0.0, 1.0] * 4)
    y[5] = np.nan
    with pytest.raises(ValueError, match=r"position\(s\) 5"):
        make_pipeline(features="mfcc", model="logistic").fit(clips, y)


@pytest.mark.parametrize("model", [None, "cnn"], ids=["dense", "cnn"])
def test_one_hot_labels_are_refused_with_what_to_do(model):
    """Before: a Keras shape error (target.shape=(8, 2), output.shape=(8, 2))."""
    clips, y = _tiny_batch()
    one_hot = np.eye(2)[(y == "jazz").astype(int)]
    features = "mel" if model == "cnn" else "mfcc"
    with pytest.raises(ValueError, match=r"y must be 1-D.*shape \(8, 2\).*argmax\(axis=1\)"):
        make_pipeline(features=features, model=model).fit(clips, one_hot)


def test_a_single_genre_left_after_skipping_is_warned_about(tmp_path):
    clips, y = _tiny_batch()
    for i in np.flatnonzero(y == "jazz"):  # every jazz track unreadable
        clips[i] = str(tmp_path / f"missing{i}.wav")
    pipe = make_pipeline(features="mfcc", model="baseline", on_error="skip")
    pipe.set_params(model__epochs=1)
    with pytest.warns(UserWarning) as record:
        pipe.fit(clips, y)
    messages = [str(w.message) for w in record]
    assert any("no track of genre(s) 'jazz' is left after leaving out 4" in m for m in messages)
    assert any("y holds a single genre ('rock')" in m for m in messages)
    assert set(pipe.predict(clips[::2])) == {"rock"}
