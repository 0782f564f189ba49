"""mkdocs hook: turn the Sphinx roles of sk_genre's numpydoc docstrings into links.

The docstrings follow scikit-learn's house style (``:class:`~sk_genre.MFCCTransformer```),
which mkdocstrings' numpy parser leaves as text (``.. [1]`` references and reST tables are
converted before rendering, by ``griffe_numpydoc.py``). After each page is rendered, every
role becomes an *optional* mkdocs-autorefs cross-reference: a link when the object is
documented on the site, plain code otherwise (sklearn, librosa, keras ...). Names without a
module (``:func:`load_audio```) are looked up among sk_genre's public names.
"""

import importlib
import re

_ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|attr|mod|data|obj|exc|const):"
    r"<code>(?P<tilde>~?)(?P<target>[\w.]+?)(?P<call>\(\))?</code>"
)

# where the API pages document each public name (docs/api/*.md)
_TOP_LEVEL = ("make_pipeline", "MFCCTransformer", "SpectralFeatureUnion", "MelChunker")
_MODULES = (
    "sk_genre.pipeline",
    "sk_genre.features",
    "sk_genre.models",
    "sk_genre.pretrained",
    "sk_genre.evaluation",
    "sk_genre.datasets",
    "sk_genre.io",
    "sk_genre.exceptions",
)
_PUBLIC = {}


def on_config(config, **kwargs):
    for module_name in _MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            _PUBLIC.setdefault(name, f"{module_name}.{name}")
    for name in _TOP_LEVEL:
        _PUBLIC[name] = f"sk_genre.{name}"
    return config


def _identifier(target):
    if target.startswith("."):
        target = target.lstrip(".")
    head, _, rest = target.partition(".")
    if head in _PUBLIC:  # load_audio, GenrePipeline.fit, ...
        return _PUBLIC[head] + (f".{rest}" if rest else "")
    for name in _TOP_LEVEL:  # sk_genre.features.MFCCTransformer is documented as sk_genre.X
        if target in (f"sk_genre.features.{name}", f"sk_genre.pipeline.{name}"):
            return f"sk_genre.{name}"
    if target.startswith("sk_genre.") and target.count(".") == 1:
        name = target.split(".")[1]
        if name in _PUBLIC:  # sk_genre.DenseClassifier -> sk_genre.models.DenseClassifier
            return _PUBLIC[name]
    return target


def _link(match):
    target = match["target"]
    title = target.rsplit(".", 1)[-1] if match["tilde"] else target.lstrip(".")
    title += match["call"] or ""
    return f'<autoref identifier="{_identifier(target)}" optional><code>{title}</code></autoref>'


def on_page_content(html, page, **kwargs):
    return _ROLE.sub(_link, html)
