"""griffe extension: the reST parts of sk_genre's numpydoc docstrings render on the API pages.

mkdocstrings renders docstring text as Markdown, and griffe's numpy parser reads a few numpydoc
forms differently from numpydoc/Sphinx. For every sk_genre object this extension

- turns reST *simple tables* (``====  ====`` borders) into Markdown tables; a row whose first
  cell is empty continues the row above;
- turns ``.. [1] ...`` reference entries (with their indented continuation lines) into a
  Markdown list, one entry per reference;
- keeps the type of a parameter or attribute as written when it starts with a set of choices
  (``{"raise", "skip", "warn"}, default="raise"`` or ``{"mfcc", ...}, None or transformer``):
  griffe keeps only the text inside the braces, parses it as a tuple and takes the first choice
  as the default. Here the type is the docstring's text up to ``, default=``, and the default
  the docstring's (else the signature's).

The docstrings in the source stay untouched numpydoc. Registered in mkdocs.yml after FillDoc
(``plugins: mkdocstrings: handlers: python: options: extensions``), so that filled shared
paragraphs are converted too.
"""

import re

import griffe

_BORDER = re.compile(r"^ *=+(?: +=+)+ *$")
_REFERENCE = re.compile(r"^(?P<indent> *)\.\. \[(?P<label>[^\]]+)\] (?P<text>.*)$")
_HEADER = re.compile(r"^ *(?P<names>\*{0,2}\w+(?:, *\*{0,2}\w+)*) : (?P<type>\{.*)$")
_DEFAULT = re.compile(r"^(?P<type>.+?),\s+default(?: |: |=)(?P<default>.+)$")
_TYPED_SECTIONS = ("parameters", "other parameters", "attributes")


def _columns(border):
    """(start, end) of each ``====`` run of a simple-table border; the last one is open."""
    spans = [match.span() for match in re.finditer(r"=+", border)]
    spans[-1] = (spans[-1][0], None)
    return spans


def _cells(line, spans):
    return [line[start:end].strip() for start, end in spans]


def _markdown_row(cells):
    return "| " + " | ".join(cell.replace("|", r"\|") for cell in cells) + " |"


def _simple_table(lines, start):
    """The Markdown lines of the simple table whose top border is ``lines[start]``.

    Returns ``(markdown_lines, index after the table)``, or ``(None, start)`` when the lines
    are not a table (three borders: top, under the header, bottom).
    """
    borders = [start]
    for index in range(start + 1, len(lines)):
        if _BORDER.match(lines[index]):
            borders.append(index)
            if len(borders) == 3:
                break
        elif not lines[index].strip():
            return None, start
    if len(borders) < 3:
        return None, start
    spans = _columns(lines[start])
    rows = []
    for index in range(borders[0] + 1, borders[2]):
        if index == borders[1]:
            continue
        cells = _cells(lines[index], spans)
        if rows and not cells[0] and index != borders[1] + 1:
            rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    header, body = rows[0], rows[1:]
    indent = " " * (len(lines[start]) - len(lines[start].lstrip()))
    table = [_markdown_row(header), "| " + " | ".join("---" for _ in header) + " |"]
    table += [_markdown_row(row) for row in body]
    return ["", *(indent + row for row in table), ""], borders[2] + 1


def _references(lines, start):
    """The ``.. [n]`` entries from ``lines[start]`` on as one Markdown list."""
    entries = []
    index = start
    while index < len(lines) and (match := _REFERENCE.match(lines[index])):
        indent, text = len(match["indent"]), [match["text"].strip()]
        index += 1
        while (
            index < len(lines)
            and lines[index].strip()
            and len(lines[index]) - len(lines[index].lstrip()) > indent
        ):
            text.append(lines[index].strip())
            index += 1
        entries.append((match["indent"], match["label"], " ".join(text)))
        while index < len(lines) and not lines[index].strip():  # blank lines between entries
            if index + 1 < len(lines) and _REFERENCE.match(lines[index + 1]):
                index += 1
            else:
                break
    labels = [label for _, label, _ in entries]
    numbered = labels == [str(n) for n in range(1, len(labels) + 1)]
    items = [
        f"{indent}{label}. {text}" if numbered else rf"{indent}- \[{label}\] {text}"
        for indent, label, text in entries
    ]
    return ["", *items, ""], index


def convert_rst(text):
    """Markdown for the reST simple tables and ``.. [n]`` references of a docstring."""
    lines = text.splitlines()
    out = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _BORDER.match(line):
            table, after = _simple_table(lines, index)
            if table is not None:
                out += table
                index = after
                continue
        if _REFERENCE.match(line):
            items, index = _references(lines, index)
            out += items
            continue
        out.append(line)
        index += 1
    return "\n".join(out)


def _written_types(text):
    """``{name: (type, default or None)}`` for each parameter whose type starts with ``{``."""
    types = {}
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match is None:
            continue
        written, default = match["type"].strip(), None
        if found := _DEFAULT.match(written):
            written, default = found["type"], found["default"]
        written = written.removesuffix(", optional")
        for name in re.split(r", *", match["names"]):
            types.setdefault(name.lstrip("*"), (written, default))
    return types


class _NumpydocDocstring(griffe.Docstring):
    """A docstring whose parsed choice-typed parameters keep the type text as written."""

    def parse(self, parser=None, **options):
        sections = super().parse(parser, **options)
        types = _written_types(self.value)
        if not types:
            return sections
        parent_parameters = getattr(self.parent, "parameters", None)
        for section in sections:
            if section.kind.value not in _TYPED_SECTIONS:
                continue
            for item in section.value:
                if item.name not in types:
                    continue
                written, default = types[item.name]
                item.annotation = written
                if default is None and parent_parameters is not None:
                    try:
                        default = parent_parameters[item.name].default
                    except KeyError:
                        default = None
                if hasattr(item, "value"):
                    item.value = default
        return sections


class NumpydocRst(griffe.Extension):
    """Convert reST tables and references, keep choice types as written (see module doc)."""

    def on_package(self, *, pkg, **kwargs):
        self._convert(pkg, set())

    def _convert(self, obj, seen):
        if obj.path in seen:
            return
        seen.add(obj.path)
        docstring = obj.docstring
        if docstring is not None:
            docstring.value = convert_rst(docstring.value)
            if type(docstring) is griffe.Docstring:
                docstring.__class__ = _NumpydocDocstring
        for member in obj.members.values():
            if not member.is_alias:
                self._convert(member, seen)
