"""sk_genre uses scikit-learn's public API only (issue 14 item 5).

A scikit-learn minor release may rename or remove anything private (a module
or name starting with ``_``) without a deprecation cycle; sk_genre must not be
broken by one. An AST scan of every module of ``src/sk_genre`` refuses:

* an import of a private scikit-learn module or name
  (``from sklearn.utils._param_validation import ...``,
  ``from sklearn.utils import _safe_indexing``, ``import sklearn._config``);
* a private attribute of an imported scikit-learn object
  (``BaseEstimator._get_param_names``, ``vars(BaseEstimator)["_get_param_names"]``,
  ``getattr(Pipeline, "_final_estimator")``);
* a call of the private scikit-learn methods sk_genre used to inherit
  (``self._validate_params()``, ``self._validate_data(...)``,
  ``self._check_n_features(...)``, ``self._check_feature_names(...)``,
  ``@_fit_context``), unless sk_genre defines that method itself.

Then the replacement, ``sk_genre._param_validation``, is checked on real
estimators of each family: the messages have scikit-learn's shape and the
error is :class:`sk_genre.exceptions.InvalidParameterError` (a ValueError and
a TypeError, as scikit-learn's).
"""

import ast
import inspect
import os
from numbers import Integral, Real
from pathlib import Path

import joblib
import numpy as np
import pytest
import sklearn

import sk_genre
from sk_genre import MelChunker, MFCCTransformer, SpectralFeatureUnion
from sk_genre._param_validation import HasMethods, Interval, StrOptions, check_parameter
from sk_genre.exceptions import InvalidParameterError

SRC = Path(sk_genre.__file__).parent

#: Private methods of scikit-learn's estimators (BaseEstimator, mixins) sk_genre must not call.
PRIVATE_METHODS = {
    "_validate_params",
    "_validate_data",
    "_check_n_features",
    "_check_feature_names",
    "_fit_context",
    "_get_output_config",
    "_more_tags",
    "_get_tags",
}


#: Calls of a listed name that resolve to another library's method, by file.
ALLOWED = {
    # _Core overrides scikeras' BaseWrapper._validate_data (scikeras calls it)
    # and delegates to it with super(); BaseEstimator has had no _validate_data since 1.6
    "sk_genre/models/_classifiers.py": {"_validate_data"},
}


def _private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_super(call):
    return isinstance(call.func, ast.Name) and call.func.id == "super"


def _sklearn_module(module):
    return module == "sklearn" or module.startswith("sklearn.")


class _Scanner(ast.NodeVisitor):
    def __init__(self, path):
        self.path = path
        self.allowed = ALLOWED.get(path.as_posix(), set())
        self.sklearn_names = set()  # local names bound to scikit-learn objects
        self.problems = []

    def _problem(self, node, what):
        self.problems.append(f"{self.path}:{node.lineno}: {what}")

    def visit_Import(self, node):
        for alias in node.names:
            if _sklearn_module(alias.name):
                if any(_private(part) for part in alias.name.split(".")):
                    self._problem(node, f"imports private module {alias.name}")
                self.sklearn_names.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if node.level == 0 and _sklearn_module(module):
            if any(_private(part) for part in module.split(".")):
                self._problem(node, f"imports from private module {module}")
            for alias in node.names:
                if _private(alias.name):
                    self._problem(node, f"imports private name {module}.{alias.name}")
                self.sklearn_names.add(alias.asname or alias.name)

    def visit_Attribute(self, node):
        if (
            isinstance(node.value, ast.Name)
            and node.value.id in self.sklearn_names
            and _private(node.attr)
        ):
            self._problem(node, f"uses private {node.value.id}.{node.attr}")
        self.generic_visit(node)

    def visit_Subscript(self, node):  # vars(BaseEstimator)["_x"]
        value, key = node.value, node.slice
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "vars"
            and value.args
            and isinstance(value.args[0], ast.Name)
            and value.args[0].id in self.sklearn_names
            and isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and _private(key.value)
        ):
            self._problem(node, f"uses private vars({value.args[0].id})[{key.value!r}]")
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if (  # getattr(BaseEstimator, "_x")
            isinstance(func, ast.Name)
            and func.id in ("getattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in self.sklearn_names
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            self._problem(node, f"uses private {node.args[0].id}.{node.args[1].value}")
        if (  # self._validate_params(), super()._check_n_features(...)
            isinstance(func, ast.Attribute)
            and func.attr in PRIVATE_METHODS
            and func.attr not in self.allowed
            and (
                (isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"))
                or (
                    isinstance(func.value, ast.Call)
                    and getattr(func.value.func, "id", "") == "super"
                )
            )
        ):
            self._problem(node, f"calls scikit-learn's private method {func.attr}")
        self.generic_visit(node)

    def visit_Name(self, node):  # @_fit_context(...) or a bare reference
        if node.id in PRIVATE_METHODS and node.id not in self.allowed:
            self._problem(node, f"uses scikit-learn's private {node.id}")


def _modules():
    return sorted(SRC.rglob("*.py"))


def scan(paths, root=SRC.parent):
    """``"file:line: what"`` (relative to ``root``) for every private scikit-learn use."""
    problems = []
    for path in paths:
        scanner = _Scanner(path.relative_to(root))
        scanner.visit(ast.parse(path.read_text(), filename=str(path)))
        problems += scanner.problems
    return problems


def test_allowed_calls_are_not_sklearn_s():
    """The one allowed name is scikeras' method: scikit-learn's estimators no longer have it."""
    from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

    for name in set().union(*ALLOWED.values()):
        for cls in (BaseEstimator, ClassifierMixin, TransformerMixin):
            assert not hasattr(cls, name), f"{cls.__name__}.{name} exists: not allowed any more"


def test_no_private_sklearn_api():
    problems = scan(_modules())
    assert not problems, "private scikit-learn API in sk_genre:\n" + "\n".join(problems)


def test_scan_finds_each_kind(tmp_path):
    """The scan is not vacuous: each kind of private use in a module is reported with its line."""
    module = tmp_path / "sk_genre" / "bad.py"
    module.parent.mkdir()
    module.write_text(
        "import sklearn.utils._param_validation\n"
        "from sklearn.utils._set_output import _get_output_config\n"
        "from sklearn.utils import _safe_indexing\n"
        "from sklearn.base import BaseEstimator\n"
        "from sklearn.utils.validation import validate_data\n"
        "names = vars(BaseEstimator)['_get_param_names']\n"
        "names = BaseEstimator._get_param_names\n"
        "class T(BaseEstimator):\n"
        "    def fit(self, X):\n"
        "        self._validate_params()\n"
        "        super()._check_n_features(X, reset=True)\n"
        "        return validate_data(self, X)\n"
    )
    problems = scan([module], root=tmp_path)
    lines = sorted(int(p.split(":")[1]) for p in problems)
    # line 2 twice (private module and private name); line 5 (public validate_data) not at all
    assert lines == [1, 2, 2, 3, 6, 7, 10, 11], problems
    assert all(p.startswith(os.path.join("sk_genre", "bad.py") + ":") for p in problems)


# ------------------------------------------------------------ the replacement, on real estimators

WAVES = np.zeros((2, 22050), dtype=np.float32)


@pytest.mark.parametrize(
    ("estimator", "message"),
    [
        (
            MFCCTransformer(n_mfcc=0),
            "The 'n_mfcc' parameter of MFCCTransformer must be an int in the range [1, inf); "
            "got 0.",
        ),
        (
            MFCCTransformer(n_mfcc=2.0),
            "The 'n_mfcc' parameter of MFCCTransformer must be an int in the range [1, inf); "
            "got 2.0.",
        ),
        (
            MFCCTransformer(fmax=0.0),
            "The 'fmax' parameter of MFCCTransformer must be a float in the range (0.0, inf) "
            "or None; got 0.0.",
        ),
        (
            SpectralFeatureUnion(on_error="ignore"),
            "The 'on_error' parameter of SpectralFeatureUnion must be a str among "
            "{'raise', 'skip', 'warn'}; got 'ignore'.",
        ),
        (
            MelChunker(memory=3),
            "The 'memory' parameter of MelChunker must be None, an instance of 'str', an "
            "instance of 'os.PathLike' or an object implementing 'cache'; got 3.",
        ),
        (
            MelChunker(verbose=-1),
            "The 'verbose' parameter of MelChunker must be an int in the range [0, inf), an "
            "instance of 'bool' or an instance of 'numpy.bool'; got -1.",
        ),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else "",
)
def test_feature_transformers_refuse_bad_parameters(estimator, message):
    with pytest.raises(InvalidParameterError) as info:
        estimator.fit(WAVES)
    assert str(info.value) == message
    with pytest.raises(InvalidParameterError):  # stateless: transform validates too
        estimator.transform(WAVES)


def test_invalid_parameter_error_is_value_and_type_error():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)
    with pytest.raises(TypeError, match="'sr' parameter of MFCCTransformer"):
        MFCCTransformer(sr="22050").fit(WAVES)


def test_networks_refuse_bad_parameters():
    pytest.importorskip("keras")
    from sk_genre.models import CNNClassifier, DenseClassifier

    X, y = np.zeros((4, 3), dtype=np.float32), ["a", "b"] * 2
    with pytest.raises(InvalidParameterError) as info:
        DenseClassifier(epochs=0).fit(X, y)
    assert str(info.value) == (
        "The 'epochs' parameter of DenseClassifier must be an int in the range [1, inf); got 0."
    )
    with pytest.raises(
        InvalidParameterError,
        match=r"'class_weight' parameter of CNNClassifier "
        r"must be an instance of 'dict', a str among \{'balanced'\} or None; "
        r"got 'even'\.",
    ):
        CNNClassifier(class_weight="even").fit(np.zeros((2, 1, 4, 4), np.float32), ["a", "b"])
    with pytest.raises(InvalidParameterError, match="'random_state' parameter of DenseClassifier"):
        DenseClassifier(random_state=-1).partial_fit(X, y)
    # the networks' parameters are their signature's (sk_genre's own _get_param_names)
    assert sorted(DenseClassifier().get_params()) == sorted(
        inspect.signature(DenseClassifier).parameters
    )


def test_pretrained_refuse_bad_parameters():
    from sk_genre.pretrained import MusicnnEmbedding, TagGenreClassifier

    with pytest.raises(InvalidParameterError, match=r"'pooling' parameter of MusicnnEmbedding"):
        MusicnnEmbedding(pooling="median").fit(WAVES)
    with pytest.raises(InvalidParameterError, match=r"'model' parameter of TagGenreClassifier"):
        TagGenreClassifier(model="vgg").fit(np.zeros((2, 50)), ["rock", "jazz"])


def test_skip_parameter_validation_is_honoured():
    """As in scikit-learn: set_config(skip_parameter_validation=True) skips the checks."""
    t = MFCCTransformer(verbose="loud")  # wrong type, harmless for fit
    with pytest.raises(InvalidParameterError):
        t.fit(WAVES)
    with sklearn.config_context(skip_parameter_validation=True):
        assert t.fit(WAVES) is t


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        (Interval(Integral, 1, None, closed="left"), [1, 10**9, True], [0, 1.0, None, "1"]),
        (Interval(Real, 0, 1, closed="neither"), [0.5, 1e-9], [0, 1, 1.0, float("nan"), "0.5"]),
        (Interval(Real, 0, 1, closed="both"), [0, 1, 0.0, 1.0], [-1e-9, 1.0000001]),
        (StrOptions({"a", "b"}), ["a", "b"], ["c", b"a", None]),
        (HasMethods("cache"), [joblib.Memory(None)], ["x", 3]),
        ("boolean", [True, False, np.bool_(True)], [0, 1, "True"]),
        ("random_state", [None, 0, 2**32 - 1, np.random.RandomState(0)], [-1, 2**32, 0.5]),
        (os.PathLike, [Path(".")], ["."]),
    ],
)
def test_constraints(constraint, good, bad):
    for value in good:
        check_parameter("p", value, [constraint], "Caller")
    for value in bad:
        with pytest.raises(InvalidParameterError, match=r"^The 'p' parameter of Caller must be "):
            check_parameter("p", value, [constraint], "Caller")


def test_mel_chunker_output_choice_without_private_sklearn_state():
    """MelChunker reads set_output's choice and the global config through public API only."""
    from sklearn.base import clone

    waves = np.zeros((1, 22050 * 5), dtype=np.float32)
    chunker = MelChunker(n_mels=16, track_duration=5.0, verbose=0)
    with sklearn.config_context(transform_output="pandas"):
        with pytest.raises(ValueError, match="MelChunker output must be a NumPy array"):
            chunker.fit_transform(waves)
        chosen = clone(chunker.set_output(transform="default"))  # clone keeps the choice
        assert chosen.fit_transform(waves).shape == (1, 1, 16, 172)  # one 4-s chunk
        with pytest.raises(ValueError, match="MelChunker output must be a NumPy array"):
            MelChunker(n_mels=16, track_duration=5.0, verbose=0).fit_transform(waves)
