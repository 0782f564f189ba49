"""mkdocs-gallery base configuration (``conf_script`` in mkdocs.yml).

Before each example runs, deprecation warnings raised by third-party code are silenced: they
say nothing about sk_genre, and the gallery would otherwise print them into the published
page with the builder's paths (``.../site-packages/keras/src/backend/common/variables.py:252:
DeprecationWarning: __array__ implementation doesn't accept a copy keyword ...``). Warnings
raised by sk_genre itself, and every other warning category, still show.
"""

import warnings

_THIRD_PARTY = r"(?!sk_genre(\.|$))"  # any module but sk_genre and its submodules


def _quiet_third_party_deprecations(gallery_conf, fname):
    """A mkdocs-gallery module resetter: runs before each example."""
    for category in (DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=_THIRD_PARTY)


conf = {"reset_modules": ("matplotlib", _quiet_third_party_deprecations)}
