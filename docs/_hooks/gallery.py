"""mkdocs hook: tidy the pages and navigation that mkdocs-gallery generates.

- The printed output of an example is plain text: mkdocs-gallery fences it as ``shell``, so
  Pygments colours numbers and quotes in it (every ``0.333`` got a red leading zero). It is
  fenced as ``text`` instead.
- mkdocs-gallery nests the root examples in a section named like the gallery itself when the
  gallery has subsections ("Examples > Examples"); that section is flattened into its parent.
"""

from mkdocs.structure.nav import Section

_SHELL_OUTPUT = "```{.shell .mkd-glr-script-out-disp }"
_TEXT_OUTPUT = "```{.text .mkd-glr-script-out-disp }"


def on_page_markdown(markdown, page, **kwargs):
    if page.file.src_uri.startswith("generated/gallery/"):
        markdown = markdown.replace(_SHELL_OUTPUT, _TEXT_OUTPUT)
    return markdown


def _flatten(items, parent=None):
    flat = []
    for item in items:
        if isinstance(item, Section):
            if parent is not None and item.title == parent.title:
                for child in item.children:
                    child.parent = parent
                flat += _flatten(item.children, parent)
                continue
            item.children = _flatten(item.children, item)
        flat.append(item)
    return flat


def on_nav(nav, **kwargs):
    nav.items = _flatten(nav.items)
    return nav
