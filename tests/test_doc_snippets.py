"""Every Python snippet and ``sk-genre`` command of README.md and docs/*.md runs, and prints
what its page says it prints.

How a page is run
-----------------
* The ```` ```python ```` blocks of one page run in order in one fresh Python process, in one
  namespace (as a reader pastes them into one session), from the repository root (so
  ``../shared/data`` is the shared GTZAN data), with ``MPLBACKEND=Agg``. A traceback names the
  page and the page's own line.
* ``sk-genre`` lines of ```` ```bash ```` blocks run after the page's Python, from the same
  folder, with the ``sk-genre`` of this environment. Other shell lines (``pip install``,
  ``mkdocs serve``) are not run here: CI runs the install itself, and the README's set-up
  commands are ``.ci/run``'s. docs/cli.md is not run here yet (its commands chain model files
  and need minutes of training each; tests/test_cli_train.py runs its ``train`` command).
* A page may hold hidden set-up code in an HTML comment, ``<!-- snippet: setup`` ... ``-->``:
  it runs where it stands, before the blocks after it, and gives the names that the page's
  prose assumes (``paths``, ``genres``: gtzan-mini's tracks). It is not shown on the site.
* A block right after ``<!-- snippet: skip REASON -->`` is not run (the reason says why: e.g.
  it needs TensorFlow, a GPU or a Dask cluster).
* The working folder is a fresh temporary one whose ``../shared/data`` is the GTZAN data and
  whose ``tests/``, ``tools/``, ``examples/`` and ``benchmarks/`` are the repository's, so
  ``../shared/data/gtzan-mini`` and ``tests/data/...`` mean what they say, and files a
  snippet writes (caches, models) land outside the repository.

What is checked
---------------
A ``print(...)`` line, or an ``sk-genre`` command line, whose comment holds numbers is a claim,
and so is a one-line expression whose comment starts with its value, as a REPL shows it
(``X.shape  # (4, 26): 13 coefficients x (mean, std)`` claims ``(4, 26)``):
the numbers printed must equal the comment's, in order, within the tolerance we promise for
documented figures:

* integers (no decimal point): exactly;
* decimals of magnitude >= 0.01 (accuracies, probabilities, seconds of audio): within 0.03
  absolute, what one or two tracks of a small held-out set move between librosa 0.11 and 1.x
  or between Keras backends;
* smaller magnitudes (differences, errors such as ``1.5e-06``): within a factor of 3, the same
  order of magnitude;
* a comment may state its own tolerance as ``(± 0.05)``; a trailing ``...`` means more
  numbers follow (only the quoted ones are compared).

A ```` ```text ```` block right after ``<!-- snippet: output -->`` is the whole standard output
of the block before it (Python or ``sk-genre``), compared number for number by the same rules.
Run times (a number followed by ``s``: ``(45 s)``, ``1.5s``) are never compared: they are the
machine's, not the code's.

Pages with no figures to check still run: a snippet that raises fails its page. Pages whose
snippets train networks on audio are ``slow``.
"""

import ast
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from .conftest import REPO

SK_GENRE = str(Path(sys.executable).with_name("sk-genre"))
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
OWN_TOLERANCE = re.compile(r"\(±\s*(\d[\d.]*(?:[eE]-?\d+)?)\)")
SKIP = re.compile(r"<!--\s*snippet:\s*skip\b")
VALUE_START = re.compile(r"^[-\d(\[{'\"]")
SECONDS = re.compile(r"(?<![\w.])\d+(?:\.\d+)? ?s\b")  # run times: machines differ
OUTPUT = re.compile(r"<!--\s*snippet:\s*output\s*-->")
SETUP = re.compile(r"^<!--\s*snippet:\s*setup\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")

#: pages whose snippets train networks on audio or run musicnn over folders (minutes each)
SLOW = {"pretrained.md", "evaluation.md", "pipelines.md", "models.md", "timeline.md"}
#: not run here (see the module docstring) or holding no snippets
NOT_HERE = {"cli.md", "changelog.md"}

PAGES = [REPO / "README.md"] + sorted(
    p for p in (REPO / "docs").glob("*.md") if p.name not in NOT_HERE
)


def blocks(page):
    """``(language, first_line, source)`` of each fenced block not marked as skipped.

    A hidden ``<!-- snippet: setup`` comment is a ``python`` block too.
    """
    lines = page.read_text().splitlines()
    found, inside, language, start, body = [], False, None, 0, []
    setup = None
    for number, line in enumerate(lines, start=1):
        match = FENCE.match(line)
        if setup is not None:
            if line.strip() == "-->":
                found.append(("python", setup[0], "\n".join(setup[1])))
                setup = None
            else:
                setup[1].append(line)
        elif not inside and SETUP.match(line):
            setup = (number + 1, [])
        elif not inside and match and match.group(1):
            before = lines[number - 2] if number > 1 else ""
            inside, language, start, body = True, match.group(1), number + 1, []
            if SKIP.search(before):
                language = None
            elif OUTPUT.search(before):
                language = "output"  # what the block before it prints
        elif inside and line.strip() == "```":
            inside = False
            if language:
                found.append((language, start, "\n".join(body)))
        elif inside:
            body.append(line)
    return found


def _value_part(comment):
    """The comment up to its first ``": "`` outside brackets (``"(4, 26): 13"``: ``(4, 26)``)."""
    depth = 0
    for i, char in enumerate(comment):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth == 0 and comment.startswith(": ", i):
            return comment[:i]
    return comment


def claims(source):
    """``{line_index: (kind, comment, expression)}`` of the lines of ``source`` that claim output.

    ``"print"``: a ``print(...)`` line whose comment holds numbers. ``"expr"``: a one-line
    expression whose comment starts with a value (a number, bracket or quote), as a
    REPL would show it (``X.shape  # (4, 26): 13 coefficients x 2`` claims ``(4, 26)``).
    """
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source + "\n").readline):
        if token.type == tokenize.COMMENT and NUMBER.search(token.string):
            comments[token.start[0]] = token.string.lstrip("#").strip()
    found = {}
    for node in ast.parse(source).body:
        comment = comments.get(node.lineno)
        if comment is None or not isinstance(node, ast.Expr) or node.lineno != node.end_lineno:
            continue
        call = node.value
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "print":
            found[node.lineno - 1] = ("print", comment, None)
        elif VALUE_START.match(comment):
            code = ast.get_source_segment(source, node)
            found[node.lineno - 1] = ("expr", _value_part(comment), code)
    return found


def instrumented(source, first_line):
    """``source`` with each claiming line replaced by one that also records what it shows."""
    lines = source.splitlines()
    for index, (kind, comment, code) in claims(source).items():
        line = lines[index]
        indent = line[: len(line) - len(line.lstrip())]
        where = first_line + index
        if kind == "print":
            at = line.index("print(")
            lines[index] = f"{line[:at]}_snippet_print({where}, {comment!r}, {line[at + 6 :]}"
        else:
            lines[index] = f"{indent}_snippet_print({where}, {comment!r}, repr(({code})))"
    return "\n" * (first_line - 1) + "\n".join(lines)


RUNNER = """\
import builtins, io, json, sys
_records = []
def _snippet_print(line, claim, *args, **kwargs):
    text = io.StringIO()
    builtins.print(*args, **{**kwargs, "file": text})
    builtins.print(text.getvalue(), end="")
    _records.append({"line": line, "claim": claim, "printed": text.getvalue()})
class _Tee(io.StringIO):
    def write(self, text):
        sys.__stdout__.write(text)
        return super().write(text)
namespace = {"_snippet_print": _snippet_print, "__name__": "__main__"}
outputs = {}
for name, source in json.load(open(sys.argv[1])):
    sys.stdout = _Tee()
    try:
        exec(compile(source, name, "exec"), namespace)
    finally:
        outputs[name], sys.stdout = sys.stdout.getvalue(), sys.__stdout__
json.dump({"records": _records, "outputs": outputs}, open(sys.argv[2], "w"))
"""


def close(printed, claimed, tolerance):
    text = f"{claimed:g}" if isinstance(claimed, float) else str(claimed)
    if tolerance is not None:
        return abs(printed - claimed) <= tolerance
    if "." not in text and "e" not in text:
        return printed == claimed
    if abs(claimed) >= 0.01:
        return abs(printed - claimed) <= 0.03
    if claimed == 0:
        return abs(printed) < 0.01
    return claimed / 3 <= abs(printed) <= abs(claimed) * 3


def check(record, where):
    """The numbers printed equal the claim's (see the module docstring); else a message."""
    claim = record["claim"]
    own = OWN_TOLERANCE.search(claim)
    tolerance = float(own.group(1)) if own else None
    claim_text = SECONDS.sub("", OWN_TOLERANCE.sub("", claim))
    claimed = NUMBER.findall(claim_text)
    printed = NUMBER.findall(SECONDS.sub("", record["printed"]))
    more = claim_text.rstrip().endswith("...")
    problem = None
    if len(printed) < len(claimed) or (not more and len(printed) != len(claimed)):
        problem = f"{len(claimed)} number(s) claimed, {len(printed)} printed"
    else:
        for got, want in zip(printed, claimed, strict=False):
            if not close(float(got), float(want) if "." in want else int(want), tolerance):
                problem = f"{got} printed where the page says {want}"
                break
    if problem:
        return (
            f"{where}:{record['line']}: {problem}\n  page: {claim}\n  printed: {record['printed']}"
        )
    return None


def run_page(page, tmp_path, data):
    """Run ``page``'s snippets from ``tmp_path/work``, whose ``../shared/data`` is ``data``."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "data").symlink_to(data, target_is_directory=True)
    work = tmp_path / "work"
    work.mkdir()
    for folder in ("tests", "tools", "examples", "benchmarks"):  # files pages name
        if (REPO / folder).is_dir():
            (work / folder).symlink_to(REPO / folder, target_is_directory=True)
    python = [
        (f"{page.name}:{start}", src) for lang, start, src in blocks(page) if lang == "python"
    ]
    records, outputs = [], {}
    env = {**os.environ, "MPLBACKEND": "Agg"}
    if python:
        script = tmp_path / "snippets.json"
        script.write_text(
            json.dumps(
                [(name, instrumented(src, int(name.rsplit(":", 1)[1]))) for name, src in python]
            )
        )
        out = tmp_path / "records.json"
        result = subprocess.run(
            [sys.executable, "-c", RUNNER, str(script), str(out)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"{page.name}: a snippet failed\n{result.stderr[-4000:]}"
        ran = json.loads(out.read_text())
        records += ran["records"]
        outputs.update(ran["outputs"])
    previous = None
    for lang, start, src in blocks(page):
        name = f"{page.name}:{start}"
        if lang == "output":  # the whole stdout of the block before, number for number
            assert previous in outputs, f"{name}: an output block must follow a run block"
            records.append({"line": start, "claim": src, "printed": outputs[previous]})
            continue
        previous = name
        if lang != "bash":
            continue
        outputs[name] = ""
        for offset, line in enumerate(src.splitlines()):
            if not line.startswith("sk-genre "):
                continue
            command, _, comment = line.partition("  # ")
            result = subprocess.run(
                [SK_GENRE, *shlex.split(command)[1:]],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, f"{page.name}:{start + offset}: {line}\n{result.stderr}"
            outputs[name] += result.stdout
            if NUMBER.search(comment):
                records.append({"line": start + offset, "claim": comment, "printed": result.stdout})
    return records


def _params():
    for page in PAGES:
        marks = [pytest.mark.real_data]
        if page.name in SLOW:
            marks.append(pytest.mark.slow)
        yield pytest.param(page, marks=marks, id=page.name)


@pytest.mark.parametrize("page", list(_params()))
def test_page_snippets_run_and_print_what_the_page_says(page, tmp_path, gtzan_mini):
    records = run_page(page, tmp_path, gtzan_mini.root.parent)
    problems = [p for p in (check(r, page.name) for r in records) if p]
    assert not problems, "\n".join(problems)


def test_the_checker_catches_a_wrong_figure():
    """check() itself: a stale figure, a missing number and each tolerance rule."""
    assert check({"line": 1, "claim": "0.747", "printed": "0.7466\n"}, "p") is None
    assert "0.80 printed" in check({"line": 1, "claim": "0.747", "printed": "0.80\n"}, "p")
    assert check({"line": 1, "claim": "[0.45  0.55  0.263]", "printed": "[0.45 0.55]"}, "p")
    assert check({"line": 1, "claim": "443 tracks", "printed": "444"}, "p")
    assert check({"line": 1, "claim": "2.8e-07", "printed": "1.46e-06"}, "p")
    assert check({"line": 1, "claim": "1.5e-06", "printed": "1.46e-06"}, "p") is None
    assert check({"line": 1, "claim": "0.70 (± 0.1)", "printed": "0.78"}, "p") is None
    assert check({"line": 1, "claim": "2.8e-07 (± 1e-05)", "printed": "1.46e-06"}, "p") is None
    assert check({"line": 1, "claim": "0.44 (45 s)", "printed": "0.44 (52 s)"}, "p") is None
    assert (
        check({"line": 1, "claim": "metal 0.32, rock 0.24, ...", "printed": "0.32 0.24 0.1"}, "p")
        is None
    )
