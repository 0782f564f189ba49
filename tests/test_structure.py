"""One module, one job: the package's import structure, the data-home lookup, the moved names.

Data flows one way (docs: DESIGN.md): ``sk_genre.io`` decodes and imports neither features nor
datasets; ``sk_genre.features`` validates estimator input and imports io; ``sk_genre.datasets``
imports io (and may import features). These tests read the source (ast), so a violation is
found whether or not the import runs.
"""

import ast
import warnings
from pathlib import Path

import pytest

import sk_genre.datasets
import sk_genre.features
import sk_genre.io
from sk_genre.datasets import get_data_home

from .conftest import REPO

SRC = REPO / "src"
PACKAGE = SRC / "sk_genre"


def module_name(path):
    """``src/sk_genre/features/_base.py`` -> ``sk_genre.features._base``."""
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path):
    """(absolute module, imported names, line) of every import statement in ``path``.

    Relative imports are resolved; ``import a.b`` gives ``("a.b", [], line)``. Imports inside
    functions count too.
    """
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            if node.module is None:  # from . import _headers: the module sk_genre._headers
                found += [(".".join([*base, a.name]), [], node.lineno) for a in node.names]
            else:
                module = ".".join([*base, node.module])
                found.append((module, [alias.name for alias in node.names], node.lineno))
    return found


def sources(*parts):
    root = PACKAGE.joinpath(*parts)
    return [root] if root.suffix == ".py" else sorted(root.rglob("*.py"))


def test_imports_resolve_to_real_modules():
    # the resolver itself: a wrong level would make every test below pass vacuously
    found = {m for m, _, _ in imports(PACKAGE / "features" / "_base.py")}
    assert {"sk_genre.features._validation", "sk_genre.exceptions"} <= found
    assert "sk_genre.io" in {m for m, _, _ in imports(PACKAGE / "features" / "_validation.py")}
    folder = {m for m, _, _ in imports(PACKAGE / "datasets" / "_folder.py")}
    assert {"sk_genre.io", "sk_genre.datasets._segment"} <= folder


def test_io_decodes_only():
    """sk_genre.io imports no higher layer: not features, datasets, models, pipeline ..."""
    allowed = {"sk_genre._headers", "sk_genre.exceptions"}
    inside = [
        (module, line)
        for module, _, line in imports(PACKAGE / "io.py")
        if module.split(".")[0] == "sk_genre" and module not in allowed
    ]
    assert inside == []
    # the one way back up is the deprecation shim, by name and only on access
    assert {module for module, _ in sk_genre.io._MOVED.values()} == {
        "sk_genre.features",
        "sk_genre.datasets",
    }


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("features", "sk_genre.datasets"),  # features import io, never datasets
        ("features", "sk_genre.pipeline"),
        ("datasets", "sk_genre.pipeline"),
        ("datasets", "sk_genre.models"),
    ],
)
def test_data_flows_one_way(importer, forbidden):
    found = [
        (path.name, module, line)
        for path in sources(importer)
        for module, _, line in imports(path)
        if module == forbidden or module.startswith(forbidden + ".")
    ]
    assert found == []


@pytest.mark.parametrize(("importer", "imported"), [("datasets", "io"), ("features", "io")])
def test_no_private_names_across_the_io_boundary(importer, imported):
    """datasets used to import io's private _write_segments and _check_segment_args; the
    segmenting code now lives in datasets and reads files through the public io.open_audio."""
    target = f"sk_genre.{imported}"
    found = [
        (path.name, name, line)
        for path in sources(importer)
        for module, names, line in imports(path)
        if module == target or module.startswith(target + ".")
        for name in names
        if name.startswith("_")
    ]
    assert found == []


def test_segmenting_and_input_checks_left_io():
    for name in ("segment_audio", "_write_segments", "check_clips", "load_clip", "_peak"):
        assert name not in vars(sk_genre.io), name
    assert sk_genre.datasets.segment_audio.__module__ == "sk_genre.datasets._segment"
    assert sk_genre.features.check_clips.__module__ == "sk_genre.features._validation"
    assert set(sk_genre.io.__all__) == {
        "AUDIO_EXTENSIONS",
        "AudioReader",
        "load_audio",
        "open_audio",
        "probe_audio",
        "stream_audio",
    }


# --- the names that left sk_genre.io: importable for one release, with a FutureWarning -----


@pytest.mark.parametrize(
    ("name", "new_home"),
    [
        ("check_clips", sk_genre.features),
        ("clip_name", sk_genre.features),
        ("load_clip", sk_genre.features),
        ("MAX_AMPLITUDE", sk_genre.features),
        ("segment_audio", sk_genre.datasets),
    ],
)
def test_moved_io_names_warn_and_still_work(name, new_home):
    with pytest.warns(FutureWarning, match=rf"sk_genre\.io\.{name} is deprecated .* use "
                      rf"{new_home.__name__}\.{name}$"):  # fmt: skip
        old = getattr(sk_genre.io, name)
    assert old is getattr(new_home, name)
    with pytest.warns(FutureWarning, match=f"use {new_home.__name__}.{name}"):
        exec(f"from sk_genre.io import {name}", {})


def test_deprecation_warning_points_at_the_caller():
    with pytest.warns(FutureWarning) as record:
        sk_genre.io.load_clip  # noqa: B018
    assert record[0].filename == __file__


def test_unknown_io_attribute_is_an_attribute_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warning on the way
        with pytest.raises(AttributeError, match="has no attribute 'segment_audio_folder'"):
            sk_genre.io.segment_audio_folder  # noqa: B018
        assert not hasattr(sk_genre.io, "_write_segments")


def test_current_names_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from sk_genre.datasets import segment_audio  # noqa: F401
        from sk_genre.features import MAX_AMPLITUDE, check_clips, clip_name, load_clip  # noqa: F401
        from sk_genre.io import AUDIO_EXTENSIONS, load_audio, open_audio  # noqa: F401


# --- get_data_home: argument, else SK_GENRE_DATA, else ../shared/data beside the repository -


def test_get_data_home_argument_wins(tmp_path, monkeypatch):
    other = tmp_path / "env"
    other.mkdir()
    monkeypatch.setenv("SK_GENRE_DATA", str(other))
    assert get_data_home(tmp_path) == tmp_path
    assert get_data_home(str(tmp_path)) == tmp_path
    assert isinstance(get_data_home(str(tmp_path)), Path)


def test_get_data_home_expands_the_home_folder(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home("~/data") == tmp_path / "data"
    monkeypatch.setenv("SK_GENRE_DATA", "~/data")
    assert get_data_home() == tmp_path / "data"


def test_get_data_home_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("SK_GENRE_DATA", str(tmp_path))
    assert get_data_home() == tmp_path


def test_get_data_home_default_is_shared_data_beside_the_repository(monkeypatch):
    monkeypatch.delenv("SK_GENRE_DATA", raising=False)
    default = REPO.parent / "shared" / "data"
    assert get_data_home() == (default if default.is_dir() else None)
    monkeypatch.setenv("SK_GENRE_DATA", "")  # set but empty: unset
    assert get_data_home() == (default if default.is_dir() else None)


@pytest.mark.real_data
def test_get_data_home_finds_gtzan_mini(gtzan_mini):
    assert (get_data_home() / "gtzan-mini") == gtzan_mini.root


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_get_data_home_refuses_what_is_not_a_folder(tmp_path, monkeypatch, kind):
    bad = tmp_path / "nowhere"
    if kind == "file":
        bad.write_text("not a folder")
    reason = "not a folder" if kind == "file" else "it does not exist"
    with pytest.raises(FileNotFoundError, match=rf"^data_home must be an existing folder.*"
                       rf"'{bad}' \({reason}\)"):  # fmt: skip
        get_data_home(bad)
    monkeypatch.setenv("SK_GENRE_DATA", str(bad))
    with pytest.raises(FileNotFoundError, match=r"^SK_GENRE_DATA must be an existing folder"):
        get_data_home()


def test_data_home_is_looked_up_in_one_place():
    """No other module, test, benchmark or example reads SK_GENRE_DATA itself."""
    readers = []
    for folder in ("src", "tests", "benchmarks", "examples", "docs"):
        for path in sorted((REPO / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and node.value == "SK_GENRE_DATA":
                    readers.append(path.relative_to(REPO).as_posix())
    allowed = {
        "src/sk_genre/datasets/_home.py",  # the lookup
        "tests/test_structure.py",  # these tests
        "tests/test_examples.py",  # sets it for the example scripts it runs
        "benchmarks/_common.py",  # says which of --data / $SK_GENRE_DATA was wrong
    }
    assert set(readers) <= allowed, sorted(set(readers) - allowed)
