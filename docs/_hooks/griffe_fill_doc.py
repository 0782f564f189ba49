"""griffe extension: API pages show shared parameter paragraphs filled, not ``%(name)s``.

sk_genre writes the parameter paragraphs shared by several docstrings once
(``sk_genre._docstring``) and fills them in when a module is imported
(``@fill_doc``). griffe reads docstrings by static analysis, so it would show
the raw placeholder lines; for every object whose docstring holds one, this
extension takes the filled ``__doc__`` of the imported object instead. All
other docstrings stay static (griffe's default). Registered in mkdocs.yml
(``plugins: mkdocstrings: handlers: python: options: extensions``).
"""

import inspect

import griffe

from sk_genre._docstring import _PLACEHOLDER


class FillDoc(griffe.Extension):
    """Replace each docstring holding a ``%(name)s`` line by its imported, filled text."""

    def on_package(self, *, pkg, **kwargs):
        self._fill(pkg, set())

    def _fill(self, obj, seen):
        if obj.path in seen:
            return
        seen.add(obj.path)
        if obj.docstring is not None and _PLACEHOLDER.search(obj.docstring.value):
            runtime = griffe.dynamic_import(obj.path)
            runtime = getattr(runtime, "__func__", runtime)  # classmethod, staticmethod
            obj.docstring.value = inspect.cleandoc(runtime.__doc__)
        for member in obj.members.values():
            if not member.is_alias:
                self._fill(member, seen)
