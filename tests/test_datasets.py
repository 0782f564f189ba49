import warnings
from pathlib import Path

import numpy as np
import pytest

from sk_genre.datasets import load_audio_folder, load_gtzan_features

from .conftest import DATA, music_like, write_audio


def test_gtzan_features_table():
    g = load_gtzan_features()
    assert g.data.shape == (1000, 57) and g.data.dtype == np.float64
    assert g.feature_names[:3] == ["chroma_stft_mean", "chroma_stft_var", "rms_mean"]
    assert g.feature_names[-1] == "mfcc20_var" and "tempo" in g.feature_names
    assert g.target_names == sorted(set(g.target)) and len(g.target_names) == 10
    assert all((g.target == genre).sum() == 100 for genre in g.target_names)
    assert g.track_ids[0] == "blues.00000"
    assert all(t.split(".")[0] == genre for t, genre in zip(g.track_ids, g.target, strict=True))
    counts = {s: int((g.split == s).sum()) for s in ("train", "valid", "other")}
    assert counts == {"train": 443, "valid": 197, "other": 360}
    assert np.isfinite(g.data).all()


def test_gtzan_features_as_frame():
    pytest.importorskip("pandas")
    g = load_gtzan_features(as_frame=True)
    assert g.frame.shape == (1000, 59)
    assert g.frame.loc["blues.00000", "split"] == "valid"
    assert list(g.data.columns) == g.feature_names


@pytest.mark.real_data
def test_bundled_split_lists_match_shared():
    if DATA is None or not (DATA / "gtzan-splits").is_dir():
        pytest.skip(f"gtzan-splits/ not found in the data folder ({DATA})")
    g = load_gtzan_features()
    for split, name in (("train", "train_filtered.txt"), ("valid", "valid_filtered.txt")):
        listed = {Path(line.strip()).stem for line in (DATA / "gtzan-splits" / name).open()}
        assert set(g.track_ids[g.split == split]) == listed


def test_audio_folder(tmp_path):
    for genre in ("rock", "jazz"):
        (tmp_path / genre / "sub").mkdir(parents=True)
        write_audio(tmp_path / genre / f"{genre}.00001.wav", music_like(0.1))
        write_audio(tmp_path / genre / "sub" / f"{genre}.00002.FLAC", music_like(0.1))
    (tmp_path / "rock" / "cover.png").write_bytes(b"\x89PNG")
    (tmp_path / "README.txt").write_text("hi")
    with pytest.warns(UserWarning, match=r"skipped 2 non-audio.*README.txt.*cover.png"):
        tracks = load_audio_folder(tmp_path)
    assert tracks.target.tolist() == ["jazz", "jazz", "rock", "rock"]
    assert tracks.track_ids.tolist() == ["jazz.00001", "jazz.00002", "rock.00001", "rock.00002"]
    assert tracks.target_names == ["jazz", "rock"]
    assert all(Path(p).is_file() for p in tracks.paths)


def test_audio_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_audio_folder(tmp_path / "nowhere")
    (tmp_path / "pop").mkdir()
    with pytest.raises(ValueError, match="found none"):
        load_audio_folder(tmp_path)


@pytest.mark.real_data
def test_audio_folder_gtzan_mini(gtzan_mini):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tracks = load_audio_folder(gtzan_mini.root)
    assert not caught, [str(w.message) for w in caught]  # manifest.csv is expected
    assert len(tracks.paths) == 59 and len(tracks.target_names) == 10
    assert sorted(tracks.paths) == sorted(gtzan_mini.paths)
