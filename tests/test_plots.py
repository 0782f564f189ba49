"""Plots of an evaluation: what is drawn equals what was measured; files are real PNGs."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sk_genre.evaluation import evaluate_predictions  # noqa: E402
from sk_genre.evaluation._plots import (  # noqa: E402
    plot_confusion_matrix,
    plot_genre_accuracy,
    plot_history,
    plot_mel_spectrogram,
    plot_waveform,
    save_evaluation_plots,
)

from .conftest import SR, music_like  # noqa: E402

GENRES = ["blues", "classical", "country", "disco", "hiphop",
          "jazz", "metal", "pop", "reggae", "rock"]  # fmt: skip
# the confusions GTZAN classifiers typically make (true -> predicted, how many of 6)
CONFUSIONS = {"rock": ("disco", 3), "country": ("pop", 2), "blues": ("jazz", 1),
              "reggae": ("hiphop", 2), "hiphop": ("metal", 1)}  # fmt: skip
HISTORY = {
    "loss": [2.1, 1.4, 1.0, 0.8, 0.7],
    "accuracy": [0.25, 0.5, 0.65, 0.72, 0.78],
    "val_loss": [2.0, 1.6, 1.4, 1.35, 1.4],
    "val_accuracy": [0.3, 0.45, 0.52, 0.55, 0.54],
    "learning_rate": [1e-3] * 5,
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _labels():
    y_true, y_pred = [], []
    for genre in GENRES:
        wrong, n_wrong = CONFUSIONS.get(genre, (None, 0))
        y_true += [genre] * 6
        y_pred += [wrong] * n_wrong + [genre] * (6 - n_wrong)
    return np.array(y_true), np.array(y_pred)


@pytest.fixture(scope="module")
def result():
    y_true, y_pred = _labels()
    return evaluate_predictions(y_true, y_pred, history=HISTORY)


@pytest.fixture(scope="module")
def result_without_history():
    return evaluate_predictions(*_labels())


# --- confusion matrix ---------------------------------------------------------------------


def test_confusion_matrix_normalized_image_is_row_fractions(result):
    display = plot_confusion_matrix(result)
    ax = display.ax_
    counts = result.confusion_matrix
    expected = counts / counts.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(display.im_.get_array(), expected)
    np.testing.assert_allclose(np.diag(display.im_.get_array()), result.genre_accuracy)
    assert display.im_.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == GENRES
    assert [t.get_text() for t in ax.get_yticklabels()] == GENRES
    assert all(t.get_rotation() == 45 for t in ax.get_xticklabels())
    assert f"{result.accuracy:.1%}" in ax.get_title() and "60 tracks" in ax.get_title()
    # zero cells are blank, the others carry the fraction
    texts = np.array([t.get_text() for t in display.text_.ravel()]).reshape(counts.shape)
    assert texts[GENRES.index("rock"), GENRES.index("disco")] == "0.50"
    assert texts[GENRES.index("rock"), GENRES.index("blues")] == ""


def test_confusion_matrix_counts(result):
    display = plot_confusion_matrix(result, normalize=None, cmap="viridis")
    np.testing.assert_array_equal(display.im_.get_array(), result.confusion_matrix)
    assert display.im_.get_cmap().name == "viridis"
    assert display.text_[0, 0].get_text() == "5"  # 5 of 6 blues tracks right
    assert display.ax_.figure is display.figure_


def test_confusion_matrix_on_given_axes(result):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert plot_confusion_matrix(result, ax=ax).ax_ is ax


def test_confusion_matrix_rejects_bad_input(result):
    with pytest.raises(ValueError, match="normalize must be"):
        plot_confusion_matrix(result, normalize="rows")
    with pytest.raises(TypeError, match="result must be a GenreEvaluation"):
        plot_confusion_matrix(result.confusion_matrix)


# --- per-genre accuracy -------------------------------------------------------------------


def test_genre_accuracy_bars_equal_recall(result):
    ax = plot_genre_accuracy(result)
    bars = ax.patches
    assert len(bars) == len(GENRES)
    np.testing.assert_allclose([b.get_width() for b in bars], result.genre_accuracy)
    assert [t.get_text() for t in ax.get_yticklabels()] == GENRES
    # first genre on top
    assert bars[0].get_y() < bars[-1].get_y() and ax.yaxis_inverted()
    lines = {line.get_label(): line.get_xdata()[0] for line in ax.get_lines()}
    assert lines[f"overall {result.accuracy:.1%}"] == pytest.approx(result.accuracy)
    assert lines["chance 10.0%"] == pytest.approx(1 / len(GENRES))
    labels = [t.get_text() for t in ax.texts]
    assert "50% (3/6)" in labels and "100% (6/6)" in labels


def test_genre_accuracy_marks_genre_without_tracks():
    result = evaluate_predictions(["jazz", "jazz", "rock"], ["jazz", "rock", "rock"],
                                  labels=["jazz", "pop", "rock"])  # fmt: skip
    ax = plot_genre_accuracy(result)
    widths = [b.get_width() for b in ax.patches]
    assert widths[0] == 0.5 and np.isnan(widths[1]) and widths[2] == 1.0
    assert "no tracks" in [t.get_text() for t in ax.texts]


# --- training history ---------------------------------------------------------------------


def _assert_history_drawn(axes, history=HISTORY):
    ax_loss, ax_acc = axes
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == ["training", "hold-out"]
        np.testing.assert_allclose(lines[0].get_ydata(), history[key])
        np.testing.assert_allclose(lines[1].get_ydata(), history["val_" + key])
        np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(1, 6))  # epochs from 1


def test_history_from_dict(result):
    axes = plot_history(HISTORY)
    assert axes.shape == (2,) and axes[0].figure is axes[1].figure
    _assert_history_drawn(axes)
    assert [ax.get_title() for ax in axes] == ["Loss", "Accuracy"]


def test_history_from_evaluation_estimator_and_keras_history(result, result_without_history):
    _assert_history_drawn(plot_history(result))

    y_true, _ = _labels()
    X = np.random.default_rng(0).standard_normal((len(y_true), 4))
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y_true)
    pipe.steps[-1][1].history_ = HISTORY  # what a fitted scikeras network carries
    _assert_history_drawn(plot_history(pipe))

    class History:  # keras.callbacks.History
        history = HISTORY

    _assert_history_drawn(plot_history(History()))


def test_history_without_validation_or_accuracy():
    ax_loss, ax_acc = plot_history({"loss": [1.0, 0.5], "sparse_categorical_accuracy": [0.4, 0.6]})
    assert len(ax_loss.get_lines()) == 1 and len(ax_acc.get_lines()) == 1
    np.testing.assert_allclose(ax_acc.get_lines()[0].get_ydata(), [0.4, 0.6])

    ax_loss, ax_acc = plot_history({"loss": [1.0, 0.5]})
    assert len(ax_acc.get_lines()) == 0
    assert "no accuracy recorded" in [t.get_text() for t in ax_acc.texts]


def test_history_on_given_axes():
    from matplotlib.figure import Figure

    given = Figure().subplots(2, 1)
    assert list(plot_history(HISTORY, axes=given)) == list(given)
    with pytest.raises(ValueError, match="axes must be 2 Axes"):
        plot_history(HISTORY, axes=Figure().subplots(1, 3))


def test_missing_history_raises(result_without_history):
    pipe = make_pipeline(LogisticRegression())
    for source in ({}, None, result_without_history, pipe, LogisticRegression()):
        with pytest.raises(ValueError, match="history must be"):
            plot_history(source)
    with pytest.raises(ValueError, match="'loss' or an accuracy curve"):
        plot_history({"learning_rate": [0.1, 0.1]})


# --- audio --------------------------------------------------------------------------------


def test_waveform_of_array_spans_its_duration():
    y = music_like(seconds=1.5)
    ax = plot_waveform(y, sr=SR, title="synthetic")
    assert ax.get_xlim() == pytest.approx((0.0, 1.5))
    assert ax.get_xlabel() == "Time (s)" and ax.get_title() == "synthetic"


def test_mel_spectrogram_of_array_shape():
    y = music_like(seconds=1.0)
    ax = plot_mel_spectrogram(y, sr=SR, n_mels=64, hop_length=256)
    image = ax.collections[0].get_array()
    assert image.shape == (64, 1 + len(y) // 256)
    assert image.max() == pytest.approx(0.0) and image.min() >= -80.0  # dB re max, top_db 80
    assert len(ax.figure.axes) == 2  # the colorbar


@pytest.mark.real_data
def test_waveform_and_mel_of_real_track(gtzan_mini):
    import soundfile as sf

    path = gtzan_mini.paths[0]
    info = sf.info(path)
    assert info.samplerate == SR  # gtzan-mini is stored at 22050 Hz: no resampling
    n_samples = info.frames
    ax = plot_waveform(path)
    assert ax.get_xlim()[1] == pytest.approx(n_samples / SR, abs=1e-3)
    assert ax.get_xlim()[1] == pytest.approx(30.0, abs=0.1)  # GTZAN: 30-s excerpts
    assert ax.get_title().endswith(path.rsplit("/", 1)[-1])

    ax = plot_mel_spectrogram(path)
    assert ax.collections[0].get_array().shape == (128, 1 + n_samples // 512)
    assert ax.get_xlim() == pytest.approx((0.0, n_samples / SR), abs=512 / SR)


# --- files --------------------------------------------------------------------------------


def _assert_png(path, min_bytes=10_000):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert len(data) > min_bytes, (path, len(data))


def test_save_evaluation_plots_writes_pngs(result, tmp_path):
    out = tmp_path / "new" / "plots"
    paths = save_evaluation_plots(result, out, track=music_like(seconds=2.0), dpi=60)
    names = ["confusion_matrix", "genre_accuracy", "history", "waveform", "mel_spectrogram"]
    assert list(paths) == names
    for name in names:
        assert paths[name] == out / f"{name}.png"
        _assert_png(paths[name])
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.png" for n in names)


def test_save_evaluation_plots_history_from_estimator_or_skipped(result_without_history, tmp_path):
    paths = save_evaluation_plots(result_without_history, tmp_path / "a")
    assert list(paths) == ["confusion_matrix", "genre_accuracy"]
    assert not (tmp_path / "a" / "history.png").exists()

    y_true, _ = _labels()
    clf = LogisticRegression().fit(np.eye(len(y_true)), y_true)
    clf.history_ = HISTORY
    paths = save_evaluation_plots(result_without_history, tmp_path / "b", estimator=clf)
    assert list(paths) == ["confusion_matrix", "genre_accuracy", "history"]
    _assert_png(paths["history"])


# --- optional dependency ------------------------------------------------------------------


def test_import_does_not_import_matplotlib():
    code = textwrap.dedent(
        """
        import sys
        import sk_genre, sk_genre.evaluation, sk_genre.evaluation._plots
        loaded = sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib")
        assert not loaded, loaded
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_matplotlib_says_how_to_install(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    for call in (
        lambda: plot_confusion_matrix(result),
        lambda: plot_genre_accuracy(result),
        lambda: plot_history(HISTORY),
        lambda: plot_waveform(music_like(seconds=0.1)),
        lambda: save_evaluation_plots(result, "unused"),
    ):
        with pytest.raises(ImportError, match=r'pip install "sk_genre\[plot\]"'):
            call()
