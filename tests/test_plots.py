"""Plots: what is drawn equals what was measured; pyplot sees it; files are real PNGs."""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # headless, whatever MPLBACKEND says

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import sk_genre.evaluation  # noqa: E402
from sk_genre import MelChunker  # noqa: E402
from sk_genre.display import (  # noqa: E402
    plot_chunks,
    plot_mel_spectrogram,
    plot_waveform,
    save_audio_plots,
)
from sk_genre.evaluation import (  # noqa: E402
    GenreAccuracyDisplay,
    GenreConfusionMatrixDisplay,
    TrainingCurveDisplay,
    evaluate,
    evaluate_predictions,
    save_evaluation_plots,
)

from .conftest import REPO, SR, music_like  # noqa: E402

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


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def result():
    y_true, y_pred = _labels()
    return evaluate_predictions(y_true, y_pred, history=HISTORY)


@pytest.fixture(scope="module")
def result_without_history():
    return evaluate_predictions(*_labels())


@pytest.fixture(scope="module")
def gtzan_table_model():
    """Logistic regression on the real GTZAN feature table's artist-aware train split."""
    from sk_genre.datasets import load_gtzan_features

    gtzan = load_gtzan_features()
    train, valid = gtzan.split == "train", gtzan.split == "valid"
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(gtzan.data[train], gtzan.target[train])
    return model, gtzan.data[valid], gtzan.target[valid]


def _in_pyplot(figure):
    return figure in [plt.figure(n) for n in plt.get_fignums()]


# --- confusion matrix ---------------------------------------------------------------------


def test_confusion_matrix_normalized_image_is_row_fractions(result):
    display = GenreConfusionMatrixDisplay.from_evaluation(result)
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


@pytest.mark.parametrize("normalize", ["true", "pred", "all", None])
def test_confusion_matrix_is_scikit_learns(normalize):
    y_true, y_pred = _labels()
    y_pred[:3] = "classical"  # columns with different sums, so "pred" differs from "true"
    display = GenreConfusionMatrixDisplay.from_predictions(y_true, y_pred, normalize=normalize)
    expected = confusion_matrix(y_true, y_pred, labels=GENRES, normalize=normalize)
    np.testing.assert_array_equal(display.im_.get_array(), expected)
    assert display.normalize == normalize and display.n_tracks == 60


def test_confusion_matrix_counts(result):
    display = GenreConfusionMatrixDisplay.from_evaluation(result, normalize=None, cmap="viridis")
    np.testing.assert_array_equal(display.im_.get_array(), result.confusion_matrix)
    assert display.im_.get_cmap().name == "viridis"
    assert display.text_[0, 0].get_text() == "5"  # 5 of 6 blues tracks right
    assert display.ax_.figure is display.figure_


def test_confusion_matrix_new_pyplot_figure_or_given_axes(result):
    display = GenreConfusionMatrixDisplay.from_evaluation(result)
    assert _in_pyplot(display.figure_)  # a notebook shows it, plt.show() sees it
    assert tuple(display.figure_.get_size_inches()) == (8.0, 6.5)
    ax = Figure().add_subplot()
    assert display.plot(ax=ax).ax_ is ax  # drawn again elsewhere
    assert GenreConfusionMatrixDisplay.from_evaluation(result, ax=ax).ax_ is ax


def test_confusion_matrix_rejects_bad_input(result):
    with pytest.raises(ValueError, match="normalize must be"):
        GenreConfusionMatrixDisplay.from_evaluation(result, normalize="rows")
    with pytest.raises(TypeError, match="result must be a GenreEvaluation"):
        GenreConfusionMatrixDisplay.from_evaluation(result.confusion_matrix)


@pytest.mark.real_data
def test_displays_from_estimator_equal_evaluate(gtzan_table_model):
    model, X_valid, y_valid = gtzan_table_model
    measured = evaluate(model, X_valid, y_valid)
    cm = GenreConfusionMatrixDisplay.from_estimator(model, X_valid, y_valid, normalize=None)
    np.testing.assert_array_equal(cm.im_.get_array(), measured.confusion_matrix)
    assert f"on {len(y_valid)} tracks" in cm.ax_.get_title()
    bars = GenreAccuracyDisplay.from_estimator(model, X_valid, y_valid)
    np.testing.assert_allclose([b.get_width() for b in bars.bars_], measured.genre_accuracy)
    assert bars.accuracy == pytest.approx(measured.accuracy)
    assert [t.get_text() for t in bars.ax_.get_yticklabels()] == list(measured.labels)


# --- per-genre accuracy -------------------------------------------------------------------


def test_genre_accuracy_bars_equal_recall(result):
    display = GenreAccuracyDisplay.from_evaluation(result)
    ax, bars = display.ax_, display.bars_
    assert len(bars) == len(GENRES) and list(bars) == list(ax.patches)
    np.testing.assert_allclose([b.get_width() for b in bars], result.genre_accuracy)
    assert [t.get_text() for t in ax.get_yticklabels()] == GENRES
    # first genre on top
    assert bars[0].get_y() < bars[-1].get_y() and ax.yaxis_inverted()
    lines = {line.get_label(): line.get_xdata()[0] for line in ax.get_lines()}
    assert lines[f"overall {result.accuracy:.1%}"] == pytest.approx(result.accuracy)
    assert lines["chance 10.0%"] == pytest.approx(1 / len(GENRES))
    labels = [t.get_text() for t in ax.texts]
    assert "50% (3/6)" in labels and "100% (6/6)" in labels
    assert _in_pyplot(display.figure_)


def test_genre_accuracy_from_predictions_equals_from_evaluation(result):
    display = GenreAccuracyDisplay.from_predictions(result.y_true, result.y_pred)
    np.testing.assert_array_equal(display.genre_accuracy, result.genre_accuracy)
    np.testing.assert_array_equal(display.support, result.confusion_matrix.sum(axis=1))
    ax = Figure().add_subplot()
    assert display.plot(ax=ax).ax_ is ax and display.figure_ is ax.figure


def test_genre_accuracy_marks_genre_without_tracks():
    display = GenreAccuracyDisplay.from_predictions(
        ["jazz", "jazz", "rock"], ["jazz", "rock", "rock"], labels=["jazz", "pop", "rock"]
    )
    widths = [b.get_width() for b in display.bars_]
    assert widths[0] == 0.5 and np.isnan(widths[1]) and widths[2] == 1.0
    assert "no tracks" in [t.get_text() for t in display.ax_.texts]


# --- training history ---------------------------------------------------------------------


def _assert_history_drawn(display, history=HISTORY):
    ax_loss, ax_acc = display.ax_
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == ["training", "hold-out"]
        assert list(display.lines_[key].values()) == lines
        np.testing.assert_allclose(lines[0].get_ydata(), history[key])
        np.testing.assert_allclose(lines[1].get_ydata(), history["val_" + key])
        np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(1, 6))  # epochs from 1


def test_history_from_dict():
    display = TrainingCurveDisplay.from_history(HISTORY)
    assert display.ax_.shape == (2,) and display.ax_[1].figure is display.figure_
    _assert_history_drawn(display)
    assert [ax.get_title() for ax in display.ax_] == ["Loss", "Accuracy"]
    assert _in_pyplot(display.figure_)


def test_history_from_evaluation_estimator_and_keras_history(result):
    _assert_history_drawn(TrainingCurveDisplay.from_evaluation(result))

    y_true, _ = _labels()
    X = np.random.default_rng(0).standard_normal((len(y_true), 4))
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y_true)
    pipe.steps[-1][1].history_ = HISTORY  # what a fitted scikeras network carries
    _assert_history_drawn(TrainingCurveDisplay.from_estimator(pipe))

    class History:  # keras.callbacks.History
        history = HISTORY

    _assert_history_drawn(TrainingCurveDisplay.from_history(History()))


def test_history_without_validation_or_accuracy():
    display = TrainingCurveDisplay.from_history(
        {"loss": [1.0, 0.5], "sparse_categorical_accuracy": [0.4, 0.6]}
    )
    assert list(display.lines_["loss"]) == ["training"]
    np.testing.assert_allclose(display.lines_["accuracy"]["training"].get_ydata(), [0.4, 0.6])

    display = TrainingCurveDisplay.from_history({"loss": [1.0, 0.5]})
    assert display.lines_["accuracy"] == {} and len(display.ax_[1].get_lines()) == 0
    assert "no accuracy recorded" in [t.get_text() for t in display.ax_[1].texts]


def test_history_on_given_axes():
    given = Figure().subplots(2, 1)
    assert list(TrainingCurveDisplay.from_history(HISTORY, ax=given).ax_) == list(given)
    with pytest.raises(ValueError, match="ax must be 2 Axes"):
        TrainingCurveDisplay.from_history(HISTORY, ax=Figure().subplots(1, 3))


def test_missing_history_raises(result_without_history):
    pipe = make_pipeline(LogisticRegression())
    for source in ({}, None, result_without_history, pipe, LogisticRegression()):
        with pytest.raises(ValueError, match="history must be"):
            TrainingCurveDisplay.from_history(source)
    with pytest.raises(ValueError, match="'loss' or an accuracy curve"):
        TrainingCurveDisplay.from_history({"learning_rate": [0.1, 0.1]})


# --- audio views (sk_genre.display) -------------------------------------------------------


def test_waveform_draws_on_current_axes():
    fig, (ax_top, ax_bottom) = plt.subplots(2, 1)
    plt.sca(ax_bottom)
    y = music_like(seconds=1.5)
    ax = plot_waveform(y, sr=SR, title="synthetic")
    assert ax is ax_bottom and not ax_top.has_data()  # plt.gca(), as librosa.display does
    assert ax.get_xlim() == pytest.approx((0.0, 1.5))
    assert ax.get_xlabel() == "Time (s)" and ax.get_title() == "synthetic"


def test_mel_spectrogram_of_array_shape():
    y = music_like(seconds=1.0)
    ax = plot_mel_spectrogram(y, sr=SR, n_mels=64, hop_length=256)
    assert ax is plt.gca()
    image = ax.collections[0].get_array()
    assert image.shape == (64, 1 + len(y) // 256)
    assert image.max() == pytest.approx(0.0) and image.min() >= -80.0  # dB re max, top_db 80
    assert len(ax.figure.axes) == 2  # the colorbar


@pytest.mark.real_data
def test_waveform_mel_and_chunks_of_real_track(gtzan_mini):
    import soundfile as sf

    path = gtzan_mini.paths[0]
    info = sf.info(path)
    assert info.samplerate == SR  # gtzan-mini is stored at 22050 Hz: no resampling
    n_samples = info.frames
    ax = plot_waveform(path, ax=Figure().add_subplot())
    assert ax.get_xlim()[1] == pytest.approx(n_samples / SR, abs=1e-3)
    assert ax.get_xlim()[1] == pytest.approx(30.0, abs=0.1)  # GTZAN: 30-s excerpts
    assert ax.get_title().endswith(path.rsplit("/", 1)[-1])

    ax = plot_mel_spectrogram(path, ax=Figure().add_subplot())
    assert ax.collections[0].get_array().shape == (128, 1 + n_samples // 512)
    assert ax.get_xlim() == pytest.approx((0.0, n_samples / SR), abs=512 / SR)

    chunks = MelChunker(verbose=0).fit_transform([path])[0]  # 14 chunks of 4 s every 2 s
    ax = plot_chunks(chunks)
    n_chunks, n_mels, n_frames = chunks.shape
    strip = ax.images[0].get_array()
    assert strip.shape == (n_mels, n_chunks * n_frames)
    np.testing.assert_array_equal(strip[:, n_frames : 2 * n_frames], chunks[1])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "0-4 s" and labels[-1] == "26-30 s" and len(labels) == n_chunks == 14
    assert ax.images[0].get_clim() == (
        pytest.approx(chunks.max() - 80),
        pytest.approx(chunks.max()),
    )


def test_chunks_reject_bad_input():
    with pytest.raises(ValueError, match=r"chunks must be .* got shape \(2, 3\)"):
        plot_chunks(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="top_db must be > 0; got 0"):
        plot_chunks(np.zeros((2, 3, 4)), top_db=0)


# --- files --------------------------------------------------------------------------------


def _assert_png(path, min_bytes=10_000):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert len(data) > min_bytes, (path, len(data))


def test_save_evaluation_and_audio_plots_write_pngs_headless(result, tmp_path):
    out = tmp_path / "new" / "plots"
    paths = save_evaluation_plots(result, out, dpi=60)
    paths.update(save_audio_plots(music_like(seconds=2.0), out, dpi=60))
    names = ["confusion_matrix", "genre_accuracy", "history", "waveform", "mel_spectrogram"]
    assert list(paths) == names
    for name in names:
        assert paths[name] == out / f"{name}.png"
        _assert_png(paths[name])
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.png" for n in names)
    assert plt.get_fignums() == []  # nothing left open in pyplot


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


# --- the 0.1.0 names, deprecated ----------------------------------------------------------


def test_old_names_warn_and_keep_their_return_types(result, tmp_path):
    with pytest.warns(FutureWarning, match="GenreConfusionMatrixDisplay.from_evaluation"):
        from sk_genre.evaluation import plot_confusion_matrix
    assert isinstance(plot_confusion_matrix(result), GenreConfusionMatrixDisplay)
    with pytest.warns(FutureWarning, match="GenreAccuracyDisplay"):
        ax = sk_genre.evaluation.plot_genre_accuracy(result)
    assert ax.patches and _in_pyplot(ax.figure)
    with pytest.warns(FutureWarning, match="TrainingCurveDisplay"):
        axes = sk_genre.evaluation.plot_history(HISTORY)
    assert axes.shape == (2,) and len(axes[0].get_lines()) == 2
    for name in ("plot_waveform", "plot_mel_spectrogram"):
        with pytest.warns(FutureWarning, match=f"use sk_genre.display.{name}"):
            old = getattr(sk_genre.evaluation, name)
        assert old is getattr(sk_genre.display, name)
    with pytest.warns(FutureWarning, match=r"track=\.\.\.\) is deprecated"):
        paths = save_evaluation_plots(result, tmp_path, track=music_like(seconds=1.0), dpi=40)
    assert {"waveform", "mel_spectrogram"} <= set(paths)
    with pytest.raises(AttributeError, match="has no attribute 'plot_nothing'"):
        sk_genre.evaluation.plot_nothing  # noqa: B018


# --- layering and the optional dependency -------------------------------------------------


def test_evaluation_does_not_import_audio_code():
    """Analysis apart from display: evaluation reaches sk_genre.display (and so io) nowhere
    but in the deprecated ``track=`` branch of save_evaluation_plots."""
    found = []
    for path in sorted((REPO / "src" / "sk_genre" / "evaluation").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                if node.module in ("io", "display"):
                    found.append((path.name, node.module, node.lineno))
            elif isinstance(node, ast.Import):
                found += [(path.name, a.name, node.lineno) for a in node.names
                          if a.name in ("sk_genre.io", "sk_genre.display")]  # fmt: skip
    assert [(name, module) for name, module, _ in found] == [("_plots.py", "display")], found
    source = Path(REPO / "src" / "sk_genre" / "evaluation" / "_plots.py").read_text()
    line = source.splitlines()[found[0][2] - 1]
    assert "from ..display import save_audio_plots" in line and line.startswith(" " * 8)


def test_import_does_not_import_matplotlib():
    code = textwrap.dedent(
        """
        import sys
        import sk_genre, sk_genre.evaluation, sk_genre.display
        loaded = sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib")
        assert not loaded, loaded
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_matplotlib_says_how_to_install(result, monkeypatch, tmp_path):
    for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)  # import matplotlib -> ImportError
    y_true, y_pred = _labels()
    for call in (
        lambda: GenreConfusionMatrixDisplay.from_predictions(y_true, y_pred),
        lambda: GenreConfusionMatrixDisplay(result.confusion_matrix).plot(),
        lambda: GenreAccuracyDisplay.from_evaluation(result),
        lambda: TrainingCurveDisplay.from_history(HISTORY),
        lambda: plot_waveform(music_like(seconds=0.1)),
        lambda: plot_chunks(np.zeros((2, 3, 4))),
        lambda: save_evaluation_plots(result, tmp_path / "unused"),
        lambda: save_audio_plots(music_like(seconds=0.1), tmp_path / "unused"),
    ):
        with pytest.raises(ImportError, match=r'pip install "sk_genre\[plot\]"'):
            call()
