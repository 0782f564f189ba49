"""musicnn in Keras 3: the port equals the original graph, the weights, the transformers.

The reference outputs (tests/data/musicnn_reference.npz) were made by the ORIGINAL
musicnn TF1 graph (tools/make_musicnn_reference.py, run once in a throwaway TensorFlow
environment): 20 log-mel patches (the first two of ten gtzan-mini clips, audio resampled
with resampy's kaiser_best as musicnn was trained) and, for MSD_musicnn and MTT_musicnn, the
taggram, penultimate, mean_pool and max_pool outputs of each patch.

Tolerances promised (float32 convolutions whose summation order differs by backend, batch
and kernel): taggram, penultimate and mean_pool within 1e-4 absolute; max_pool (values up
to ~150) within 1e-5 of the layer's largest value (the original graph itself moves max_pool
by 2.3e-4 between a batch of 1 and a batch of 20).
"""

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

from sk_genre import make_pipeline
from sk_genre.exceptions import AudioDecodeError
from sk_genre.pretrained import (
    GENRE_TAGS,
    TAGS,
    MusicnnEmbedding,
    MusicnnPatches,
    TagGenreClassifier,
    load_weights,
    log_mel,
    patches,
    top_tags,
)
from sk_genre.pretrained._weights import MODELS, verified

from .conftest import REPO, music_like, write_audio

REFERENCE = REPO / "tests" / "data" / "musicnn_reference.npz"
OUTPUTS = ("taggram", "penultimate", "mean_pool", "max_pool")
SR = 16000


def tolerance(name, reference):
    """Absolute tolerance promised for output ``name`` (see the module docstring)."""
    return 1e-5 * float(np.abs(reference).max()) if name == "max_pool" else 1e-4


@pytest.fixture(scope="module")
def reference():
    with np.load(REFERENCE) as data:
        return {name: data[name] for name in data.files}


# ---------------------------------------------------------------- weights


def test_weights_are_the_checkpoints_inference_variables():
    for model in MODELS:
        weights = load_weights(model)
        assert len(weights) == 64  # 42 trainable + 22 batch-norm moving statistics
        assert sum(w.size for w in weights.values()) == 792_079
        assert all(w.dtype == np.float32 for w in weights.values())
        assert weights["conv2d/kernel"].shape == (7, 38, 1, 204)
        assert weights["dense_1/kernel"].shape == (200, 50)
    # the two models are different networks
    msd, mtt = load_weights("MSD_musicnn"), load_weights("MTT_musicnn")
    assert not np.array_equal(msd["dense_1/kernel"], mtt["dense_1/kernel"])


def test_a_corrupt_weight_file_is_refused():
    path = REPO / "src" / "sk_genre" / "pretrained" / "data" / "MSD_musicnn.npz"
    data = bytearray(path.read_bytes())
    assert verified(bytes(data), "MSD_musicnn").keys() == load_weights("MSD_musicnn").keys()
    data[len(data) // 2] ^= 1
    with pytest.raises(OSError, match="weight file of MSD_musicnn is corrupt: sha256 must be"):
        verified(bytes(data), "MSD_musicnn")
    with pytest.raises(ValueError, match="model must be one of"):
        load_weights("MSD_vgg")


def test_licence_notice_ships_with_the_weights():
    notice = (REPO / "src" / "sk_genre" / "pretrained" / "data" / "LICENSE-musicnn.md").read_text()
    assert "Music Technology Group, Universitat Pompeu Fabra 2019" in notice
    assert "Permission to use, copy, modify, and/or distribute" in notice  # ISC


@pytest.mark.skipif(
    not os.environ.get("SK_GENRE_MUSICNN_WHEEL"),
    reason="set SK_GENRE_MUSICNN_WHEEL to the musicnn-0.1.0 wheel to re-run the conversion",
)
def test_conversion_reproduces_the_shipped_files(tmp_path):
    """tools/convert_musicnn.py on the wheel gives the shipped bytes (reproducible)."""
    wheel = Path(os.environ["SK_GENRE_MUSICNN_WHEEL"])
    assert zipfile.is_zipfile(wheel)
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "convert_musicnn.py"), str(wheel), "--out", tmp_path],
        check=True,
        capture_output=True,
    )
    for model in MODELS:
        shipped = REPO / "src" / "sk_genre" / "pretrained" / "data" / f"{model}.npz"
        assert (tmp_path / f"{model}.npz").read_bytes() == shipped.read_bytes()


# ---------------------------------------------------------------- the port is musicnn

PORT_SCRIPT = """
import json, sys
import numpy as np
import sk_genre, keras
from sk_genre.pretrained import build_musicnn
ref = np.load(sys.argv[1])
result = {"backend": keras.backend.backend()}
for model in ("MSD_musicnn", "MTT_musicnn"):
    outputs = ("taggram", "penultimate", "mean_pool", "max_pool")
    got = build_musicnn(model, outputs=outputs).predict_on_batch(ref["inputs"])
    for name, values in zip(outputs, got):
        np.save(f"{sys.argv[2]}/{model}-{name}.npy", np.asarray(values))
print(json.dumps(result))
"""

BACKENDS = ("jax", "torch", "tensorflow")


@pytest.mark.parametrize("backend", BACKENDS)
def test_port_equals_the_original_graph(backend, reference, tmp_path):
    """On every installed backend: each output within tolerance, the same top tags per clip."""
    if importlib.util.find_spec(backend) is None:
        required = os.environ.get("SK_GENRE_REQUIRE_BACKENDS", "").split(",")
        if backend in required:
            pytest.fail(f"{backend} is required (SK_GENRE_REQUIRE_BACKENDS) but not installed")
        pytest.skip(f"{backend} is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend, "CUDA_VISIBLE_DEVICES": ""}
    run = subprocess.run(
        [sys.executable, "-c", PORT_SCRIPT, str(REFERENCE), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout.strip().splitlines()[-1])["backend"] == backend
    clips = reference["clip"]
    for model in MODELS:
        for name in OUTPUTS:
            expected = reference[f"{model}/{name}"]
            got = np.load(tmp_path / f"{model}-{name}.npy")
            assert got.shape == expected.shape
            np.testing.assert_allclose(
                got, expected, rtol=0, atol=tolerance(name, expected), err_msg=f"{model} {name}"
            )
        got = np.load(tmp_path / f"{model}-taggram.npy")
        for clip in np.unique(clips):
            rows = clips == clip
            mine = np.argsort(-got[rows].mean(axis=0))[:5]
            original = np.argsort(-reference[f"{model}/taggram"][rows].mean(axis=0))[:5]
            assert [TAGS[model][i] for i in mine] == [TAGS[model][i] for i in original], clip


@pytest.mark.real_data
def test_audio_to_patches_as_the_reference(gtzan_mini, reference):
    """Decoding with kaiser_best + log_mel + patches reproduces the reference inputs."""
    pytest.importorskip("resampy")
    from sk_genre.io import load_audio

    for clip in np.unique(reference["clip"]):
        genre = clip.split(".")[0]
        y = load_audio(gtzan_mini.root / genre / f"{clip}.ogg", sr=SR, res_type="kaiser_best")
        mine = patches(log_mel(y))[:2]
        np.testing.assert_allclose(mine, reference["inputs"][reference["clip"] == clip], atol=1e-4)


@pytest.mark.real_data
def test_embedding_end_to_end_equals_the_original(gtzan_mini, reference):
    """MusicnnEmbedding (kaiser_best, first two patches) = mean of the original's outputs."""
    pytest.importorskip("resampy")
    from sk_genre.io import load_audio

    stems = list(np.unique(reference["clip"]))[:4]
    waves = [
        load_audio(gtzan_mini.root / s.split(".")[0] / f"{s}.ogg", sr=SR, res_type="kaiser_best")
        for s in stems
    ]
    # 375 frames, two whole patches; frames 0..373 have their whole window inside the cut
    first_two = [w[: 2 * 187 * 256 + 255] for w in waves]
    assert all(len(patches(log_mel(w))) == 2 for w in first_two)
    for layer in ("penultimate", "taggram"):
        got = MusicnnEmbedding(layer=layer, pooling="mean").fit_transform(first_two)
        for row, stem in zip(got, stems, strict=True):
            expected = reference[f"MSD_musicnn/{layer}"][reference["clip"] == stem].mean(axis=0)
            np.testing.assert_allclose(row, expected, atol=1e-4, err_msg=f"{stem} {layer}")


# ---------------------------------------------------------------- input


def test_log_mel_and_patches_shapes():
    y = music_like(7.0, sr=SR)
    spectrogram = log_mel(y)
    assert spectrogram.shape == (1 + len(y) // 256, 96) and spectrogram.dtype == np.float32
    assert spectrogram.min() >= 0  # log10(10000 * mel + 1) of a power >= 0
    cut = patches(spectrogram)
    assert cut.shape == (2, 187, 96)  # 438 frames: two whole patches, the rest left out
    np.testing.assert_array_equal(cut[1], spectrogram[187:374])
    assert patches(spectrogram, hop=100).shape == (3, 187, 96)
    short = patches(log_mel(y[:4000]))  # 16 frames, repeated to one patch
    assert short.shape == (1, 187, 96)
    np.testing.assert_array_equal(short[0, 16:32], short[0, :16])
    assert log_mel(np.zeros(10, dtype=np.float32)).shape == (3, 96)  # padded to 512 samples


def test_patches_transformer_spreads_patches_over_the_clip():
    clips = np.stack([music_like(30.0, sr=SR, seed=s) for s in range(2)])
    X = MusicnnPatches().fit_transform(clips)
    assert X.shape == (2, 10, 187, 96) and X.dtype == np.float32
    spectrogram = log_mel(clips[0])
    # the batch's mel projection may sum in another order than one clip's (BLAS picks its
    # kernel by shape and load; measured up to 2.4e-7 on a busy CI machine), so the float32
    # rounding of log-mel values near 1 is the tolerance, not bit-identity
    np.testing.assert_allclose(X[0, 0], spectrogram[:187], rtol=0, atol=1e-5)
    np.testing.assert_allclose(X[0, -1], spectrogram[-187:], rtol=0, atol=1e-5)
    assert MusicnnPatches(n_patches=3).fit_transform([clips[0][:8000]]).shape == (1, 3, 187, 96)


# ---------------------------------------------------------------- MusicnnEmbedding


def waves(n=3, seconds=7.0):
    return [music_like(seconds, sr=SR, seed=s) for s in range(n)]


@pytest.mark.parametrize(
    ("layer", "pooling", "width"),
    [
        ("penultimate", "mean", 200),
        ("taggram", "max", 50),
        ("mean_pool", "mean_std", 1506),
        ("max_pool", "mean", 753),
    ],
)
def test_embedding_shapes_and_names(layer, pooling, width):
    embedding = MusicnnEmbedding(layer=layer, pooling=pooling)
    X = embedding.fit_transform(waves(2))
    names = embedding.get_feature_names_out()
    assert X.shape == (2, width) and X.dtype == np.float64 and np.isfinite(X).all()
    assert len(names) == width == embedding.n_features_out_ and len(set(names)) == width
    if layer == "taggram":
        assert names[0] == "msd_rock_max" and "msd_hiphop_max" in names
        assert ((X >= 0) & (X <= 1)).all()


def test_pooling_is_over_the_patch_outputs():
    clip = waves(1, seconds=10.0)
    per_patch = MusicnnEmbedding(layer="penultimate")
    cut = patches(log_mel(clip[0]))
    outputs = per_patch._patch_outputs(cut)
    np.testing.assert_allclose(per_patch.fit_transform(clip)[0], outputs.mean(axis=0), atol=1e-6)
    stats = MusicnnEmbedding(pooling="mean_std").fit_transform(clip)[0]
    np.testing.assert_allclose(stats[200:], outputs.std(axis=0), atol=1e-6)


def test_batching_across_clips_does_not_change_the_embedding():
    """Batches of 3 patches (straddling clips) vs 16: the promised tolerance, per clip order."""
    clips = waves(4, seconds=10.0)  # 3 patches each
    small = MusicnnEmbedding(batch_size=3).fit_transform(clips)
    large = MusicnnEmbedding(batch_size=16).fit_transform(clips)
    single = np.vstack([MusicnnEmbedding().fit_transform([c]) for c in clips])
    np.testing.assert_allclose(small, large, atol=1e-4)
    np.testing.assert_allclose(single, large, atol=1e-4)
    parallel = MusicnnEmbedding(n_jobs=2).fit_transform(clips)
    np.testing.assert_allclose(parallel, large, atol=1e-4)


def test_patch_hop_gives_overlapping_patches():
    clip = waves(1, seconds=6.0)
    X = MusicnnEmbedding(layer="taggram", patch_hop=1.0).fit_transform(clip)
    plain = MusicnnEmbedding(layer="taggram").fit_transform(clip)
    assert X.shape == plain.shape and not np.allclose(X, plain)


def test_bad_files_are_named_and_skipped(tmp_path):
    good = write_audio(tmp_path / "good.wav", music_like(4.0, sr=22050), sr=22050)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really")
    with pytest.raises(AudioDecodeError, match="bad.wav"):
        MusicnnEmbedding().fit_transform([str(good), str(bad)])
    embedding = MusicnnEmbedding(on_error="skip")
    X = embedding.fit_transform([str(bad), str(good), str(bad)])
    assert X.shape == (3, 200) and np.isnan(X[[0, 2]]).all() and np.isfinite(X[1]).all()
    assert embedding.kept_indices_.tolist() == [1]
    assert sorted(embedding.errors_) == [0, 2]
    parallel = MusicnnEmbedding(on_error="skip", n_jobs=2)  # failures come back from workers
    np.testing.assert_allclose(
        parallel.fit_transform([str(bad), str(good), str(bad)]), X, atol=1e-4
    )
    assert parallel.kept_indices_.tolist() == [1] and sorted(parallel.errors_) == [0, 2]
    with pytest.raises(AudioDecodeError, match="bad.wav"):
        MusicnnEmbedding(n_jobs=2).fit_transform([str(good), str(bad)])
    with pytest.warns(UserWarning, match=r"could not read 1 of 2 clip\(s\).*bad.wav"):
        MusicnnEmbedding(on_error="warn").fit_transform([str(good), str(bad)])
    with pytest.raises(ValueError, match="clip 0 must contain only finite samples"):
        MusicnnEmbedding().fit_transform([np.full(1000, np.nan, dtype=np.float32)])


def test_files_are_resampled_to_16_khz(tmp_path):
    y = music_like(5.0, sr=22050)
    path = write_audio(tmp_path / "clip.wav", y, sr=22050, subtype="FLOAT")
    import librosa

    at_16k = librosa.resample(y, orig_sr=22050, target_sr=SR, res_type="soxr_hq")
    np.testing.assert_allclose(
        MusicnnEmbedding().fit_transform([str(path)]),
        MusicnnEmbedding().fit_transform([at_16k]),
        atol=1e-4,
    )


def test_memory_caches_each_clip(tmp_path):
    clips = waves(2)
    embedding = MusicnnEmbedding(memory=tmp_path / "cache")
    first = embedding.fit_transform(clips)
    assert any((tmp_path / "cache").rglob("output.pkl"))
    embedding._patch_outputs = None  # a cache hit never runs the network
    np.testing.assert_array_equal(embedding.transform(clips), first)
    other = MusicnnEmbedding(memory=tmp_path / "cache", layer="taggram").fit_transform(clips)
    assert other.shape == (2, 50)  # other parameters: another cache entry


def test_importing_and_building_the_pipeline_does_not_import_keras():
    code = (
        "import sys; from sk_genre import make_pipeline; "
        "make_pipeline(features='musicnn'); make_pipeline(features='musicnn', model='zero_shot'); "
        "import sk_genre.pretrained; print('keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- tags, zero-shot


@pytest.mark.real_data
def test_top_tags_of_real_music(gtzan_mini):
    paths = [str(gtzan_mini.root / g / f"{g}.00000.ogg") for g in ("metal", "classical", "jazz")]
    msd = top_tags(paths, top_k=3)
    assert [len(t) for t in msd] == [3, 3, 3]
    assert "metal" in [tag for tag, _ in msd[0]]
    assert "jazz" in [tag for tag, _ in msd[2]]
    mtt = top_tags(paths, model="MTT_musicnn", top_k=3)
    assert mtt[1][0][0] == "classical"
    for tags in msd:  # most likely first, probabilities in [0, 1]
        probabilities = [p for _, p in tags]
        assert probabilities == sorted(probabilities, reverse=True)
        assert 0 <= probabilities[-1] <= probabilities[0] <= 1
    with pytest.raises(ValueError, match="top_k must be an integer in 1..50"):
        top_tags(paths, top_k=0)


def test_tag_classifier_maps_tags_to_genres():
    names = list(TAGS["MSD_musicnn"])
    X = np.zeros((3, 50))
    X[0, names.index("heavy metal")] = 0.9
    X[1, names.index("Hip-Hop")] = 0.4
    X[1, names.index("pop")] = 0.3
    clf = TagGenreClassifier().fit(X, ["metal", "hiphop", "classical"])
    # the third row fires no tag: equal probabilities for the genres that have tags
    assert clf.predict(X).tolist() == ["metal", "hiphop", "hiphop"]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert proba[:, list(clf.classes_).index("classical")].max() == 0  # no MSD tag: never
    np.testing.assert_allclose(proba[2], [0, 0.5, 0.5])  # classes_: classical, hiphop, metal
    with pytest.raises(ValueError, match="X must have 50 columns"):
        TagGenreClassifier().fit(np.zeros((2, 5)), ["a", "b"])
    with pytest.raises(ValueError, match=r"genre_tags\['x'\] must name tags"):
        TagGenreClassifier(genre_tags={"x": ["nope"]}).fit(X, ["x", "x", "y"])
    assert GENRE_TAGS["MSD_musicnn"]["reggae"] == ()


def artist_groups(stems):
    """Artist proxy: the block of ten consecutive GTZAN numbers within a genre."""
    return np.array([s[:-1] for s in stems])


@pytest.mark.real_data
def test_pretrained_pipelines_classify_gtzan_mini(gtzan_mini, tmp_path):
    """Artist-grouped 3-fold CV on the 59 real tracks: well above chance (0.1) and MFCC."""
    groups = artist_groups(gtzan_mini.stems)
    cv = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
    cache = tmp_path / "cache"
    embed = make_pipeline(features="musicnn", memory=cache, verbose=0)
    scores = cross_val_score(embed, gtzan_mini.paths, gtzan_mini.target, groups=groups, cv=cv)
    zero = make_pipeline(features="musicnn", model="zero_shot", memory=cache, verbose=0)
    zero_scores = cross_val_score(zero, gtzan_mini.paths, gtzan_mini.target, groups=groups, cv=cv)
    assert scores.mean() > 0.55, scores
    assert zero_scores.mean() > 0.35, zero_scores


# ---------------------------------------------------------------- fine-tuning


def musicnn_layer(model, name):
    """Layer ``name`` of musicnn inside a fine-tuned model (nested for trainable="head")."""
    try:
        return model.get_layer(name)
    except ValueError:
        return model.get_layer("MSD_musicnn").get_layer(name)


@pytest.mark.parametrize("trainable", ["head", "backend"])
def test_fine_tuning_trains_only_what_it_says(trainable):
    import pickle

    from sk_genre.pretrained import MusicnnClassifier

    rng = np.random.default_rng(0)
    X = MusicnnPatches(n_patches=2).fit_transform(
        [music_like(4.0, sr=SR, seed=s) * rng.uniform(0.2, 1) for s in range(4)]
    )
    y = np.array(["a", "b", "a", "b"])
    clf = MusicnnClassifier(trainable=trainable, epochs=2, batch_size=4, random_state=0)
    clf.fit(X, y)
    pretrained = load_weights("MSD_musicnn")
    conv = np.asarray(musicnn_layer(clf.model_, "conv2d").kernel)
    np.testing.assert_array_equal(conv, pretrained["conv2d/kernel"])  # front-end frozen
    dense = np.asarray(musicnn_layer(clf.model_, "dense").kernel)
    dense_changed = not np.array_equal(dense, pretrained["dense/kernel"])
    assert dense_changed == (trainable == "backend")
    assert clf.n_chunks_ == 2 and clf.classes_.tolist() == ["a", "b"]
    proba = clf.predict_proba(X)
    assert proba.shape == (4, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), proba)
