"""Every Python snippet and ``sk-genre`` command of README.md and docs/*.md runs, and prints
what its page says it prints.

How a page is run
-----------------
* The ```` ```python ```` blocks of one page run in order in one fresh Python process, in one
  namespace (as a reader pastes them into one session), from the repository root (so
  ``../shared/data`` is the shared GTZAN data), with ``MPLBACKEND=Agg``. A traceback names the
  page and the page's own line.
* ``sk-genre`` lines of ```` ```bash ```` blocks (``sk-genre ARGS``, optionally
  ``cd DIR && `` before and ``> FILE`` after) run after the page's Python, in page order, from
  the same folder, with the ``sk-genre`` of this environment, and must exit 0, or N after
  ``<!-- snippet: exit N -->``. Other shell lines (``pip install``, ``mkdocs serve``) are not
  run here: CI runs the install itself, and the README's set-up commands are ``.ci/run``'s.
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

A ```` ```text ```` block right after ``<!-- snippet: output -->`` is the whole output of the
block before it (Python or ``sk-genre``), compared line for line, each line's numbers by the
rules above: a line that is one of sk-genre's messages (``sk-genre: ...``) or a per-file error
(``PATH<TAB>error: ...``) with those lines of stderr, every other line with the next line of
stdout. A ``...`` line leaves out printed lines, up to the first whose words (numbers aside,
indentation kept) are those of the next line of the page, or all the rest. After
``<!-- snippet: output stderr -->`` the block is the whole stderr (progress bars aside), after
``<!-- snippet: output FILE -->`` the contents of ``FILE`` that the block before wrote.
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
OUTPUT = re.compile(r"<!--\s*snippet:\s*output(?:\s+(\S+))?\s*-->")
EXIT = re.compile(r"<!--\s*snippet:\s*exit\s+(\d+)\s*-->")
GAP = {"...", "…"}
COMMAND = re.compile(r"^(cd \S+ && )?sk-genre ")  # run; other shell lines are not
#: the lines sk-genre writes to stderr besides progress bars: messages and per-file errors
STDERR = re.compile(r"^sk-genre:|\terror: ")
PROGRESS = re.compile(r"\d+%\||\d+(?:it|s)/(?:s|it)\]|\| \d+/\d+ \[")  # tqdm bars
SETUP = re.compile(r"^<!--\s*snippet:\s*setup\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")

#: pages whose snippets train networks on audio or run musicnn over folders (a minute or more
#: each). .ci/run runs README.md, getting-started.md and cli.md after the default run.
SLOW = {
    "README.md",
    "getting-started.md",
    "cli.md",
    "pretrained.md",
    "evaluation.md",
    "pipelines.md",
    "models.md",
    "timeline.md",
}
#: holding no snippets
NOT_HERE = {"changelog.md"}

PAGES = [REPO / "README.md"] + sorted(
    p for p in (REPO / "docs").glob("*.md") if p.name not in NOT_HERE
)


def blocks(page):
    """``(language, first_line, source, option)`` of each fenced block not skipped.

    A hidden ``<!-- snippet: setup`` comment is a ``python`` block too. ``option`` is, for a
    ``bash`` block, the status its ``sk-genre`` commands must exit with (0 unless the comment
    before the block is ``<!-- snippet: exit N -->``) and, for an ``output`` block, what it
    shows: ``None`` (the printed output), ``"stderr"`` or a file's name.
    """
    lines = page.read_text().splitlines()
    found, inside, language, start, body, status = [], False, None, 0, [], 0
    setup = None
    for number, line in enumerate(lines, start=1):
        match = FENCE.match(line)
        if setup is not None:
            if line.strip() == "-->":
                found.append(("python", setup[0], "\n".join(setup[1]), 0))
                setup = None
            else:
                setup[1].append(line)
        elif not inside and SETUP.match(line):
            setup = (number + 1, [])
        elif not inside and match and match.group(1):
            before = lines[number - 2] if number > 1 else ""
            inside, language, start, body = True, match.group(1), number + 1, []
            exit_status = EXIT.search(before)
            status = int(exit_status.group(1)) if exit_status else 0
            if SKIP.search(before):
                language = None
            elif OUTPUT.search(before):
                language = "output"  # what the block before it prints, or writes
                status = OUTPUT.search(before).group(1)
        elif inside and line.strip() == "```":
            inside = False
            if language:
                found.append((language, start, "\n".join(body), status))
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


def _words(line):
    """``line`` without its numbers and run times, indentation kept: what must match for a
    ``...`` gap to end."""
    indent = line[: len(line) - len(line.lstrip())]
    return indent + " ".join(NUMBER.sub("#", SECONDS.sub("", line)).split())


def check_lines(claimed, printed, first_line, where):
    """An output block's lines against the printed ones, in order; a list of messages.

    ``claimed`` is ``[(line_number, text), ...]`` and ``printed`` the printed lines (blank
    lines left out of both). Each claimed line is compared with the next printed line by
    :func:`check`; a ``...`` line skips printed lines up to the first whose words (numbers
    aside) are those of the claimed line after it, or to the end when it is the last line.
    """
    problems, at, gap = [], 0, False
    for number, want in claimed:
        if want.strip() in GAP:
            gap = True
            continue
        if gap:
            at = next(
                (i for i in range(at, len(printed)) if _words(printed[i]) == _words(want)), None
            )
            if at is None:
                return problems + [f"{where}:{number}: no printed line like {want.strip()!r}"]
            gap = False
        if at >= len(printed):
            return problems + [f"{where}:{number}: the page shows more lines than were printed"]
        problem = check({"line": number, "claim": want, "printed": printed[at]}, where)
        if problem:
            problems.append(problem)
        at += 1
    if not gap and at < len(printed):
        problems.append(
            f"{where}:{first_line}: {len(printed) - at} more line(s) printed than the page "
            f"shows (end the block with ... if they are left out on purpose): {printed[at]!r}"
        )
    return problems


def stderr_lines(text):
    """The lines of a command's stderr that a reader sees once it ends: progress bars left
    out (each line's text after its last carriage return, tqdm bars dropped)."""
    lines = (line.rsplit("\r", 1)[-1].rstrip() for line in text.split("\n"))
    return [line for line in lines if line.strip() and not PROGRESS.search(line)]


def check_output(record, where):
    """An output block (see the module docstring); a list of messages.

    Its lines that are sk-genre's messages or per-file errors (:data:`STDERR`) are compared
    with those of stderr, the others with stdout; a block shown as stderr or as a file's
    contents with all of stderr (progress bars aside) or the file.
    """
    claimed = [
        (record["line"] + i, line)
        for i, line in enumerate(record["claim"].splitlines())
        if line.strip()
    ]
    printed = [line for line in record["printed"].splitlines() if line.strip()]
    if record.get("whole"):
        return check_lines(claimed, printed, record["line"], where)
    errors = [line for line in stderr_lines(record["stderr"]) if STDERR.search(line)]
    to_stderr = [(n, line) for n, line in claimed if STDERR.search(line)]
    to_stdout = [(n, line) for n, line in claimed if not STDERR.search(line)]
    return check_lines(to_stdout, printed, record["line"], where) + (
        check_lines(to_stderr, errors, record["line"], where) if to_stderr else []
    )


def run_command(line, work, env):
    """Run one ``sk-genre`` line of a bash block: ``[cd DIR &&] sk-genre ARGS [> FILE]``.

    Returns the finished process; with ``> FILE`` its stdout is also written to ``FILE``.
    """
    words = shlex.split(line)
    cwd = work
    if words[0] == "cd" and words[2] == "&&":
        cwd, words = work / words[1], words[3:]
    target = None
    if ">" in words:
        target = cwd / words[words.index(">") + 1]
        words = words[: words.index(">")]
    result = subprocess.run(
        [SK_GENRE, *words[1:]], cwd=cwd, env=env, capture_output=True, text=True
    )
    if target is not None:
        target.write_text(result.stdout)
    return result


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
        (f"{page.name}:{start}", src) for lang, start, src, _ in blocks(page) if lang == "python"
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
    stderr = {}
    for lang, start, src, option in blocks(page):
        name = f"{page.name}:{start}"
        if lang == "output":  # what the block before printed or wrote, line for line
            assert previous in outputs, f"{name}: an output block must follow a run block"
            record = {"line": start, "claim": src, "output": True, "whole": option is not None}
            if option is None:
                record.update(printed=outputs[previous], stderr=stderr.get(previous, ""))
            elif option == "stderr":
                record["printed"] = "\n".join(stderr_lines(stderr.get(previous, "")))
            else:
                assert (work / option).is_file(), f"{name}: the block before wrote no {option}"
                record["printed"] = (work / option).read_text()
            records.append(record)
            continue
        previous = name
        if lang != "bash":
            continue
        outputs[name] = stderr[name] = ""
        for offset, line in enumerate(src.splitlines()):
            command, _, comment = line.partition("  # ")
            if not COMMAND.match(command):
                continue
            result = run_command(command, work, env)
            assert result.returncode == option, (
                f"{page.name}:{start + offset}: {line}\nexit status {result.returncode}, "
                f"the page says {option}\n{result.stderr[-4000:]}"
            )
            outputs[name] += result.stdout
            stderr[name] += result.stderr
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
    problems = []
    for record in records:
        if record.get("output"):
            problems += check_output(record, page.name)
        elif problem := check(record, page.name):
            problems.append(problem)
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


def test_output_blocks_are_compared_line_for_line():
    """check_output(): lines in order, ``...`` gaps, stderr lines, progress bars left out."""
    record = {
        "line": 10,
        "claim": "accuracy 0.81\n...\nsaved 59 tracks\nempty.wav\terror: file is empty\n"
        "sk-genre: 1 of 3 file(s) could not be read",
        "printed": "accuracy 0.80\nreport 7 0.5\n\nsaved 59 tracks\n",
        "stderr": "features:  50%|#####     | 1/2 [00:01<00:01]\rfeatures: 100%|##########| 2/2\n"
        "empty.wav\terror: file is empty\nsk-genre: 1 of 3 file(s) could not be read\n",
        "whole": False,
    }
    assert check_output(record, "p") == []
    assert "0.70 printed" in check_output({**record, "printed": "accuracy 0.70\nsaved 59"}, "p")[0]
    stale = {**record, "claim": record["claim"].replace("saved 59", "wrote 59")}
    assert "no printed line like 'wrote 59 tracks'" in check_output(stale, "p")[0]
    extra = {**record, "claim": "accuracy 0.81", "stderr": ""}
    assert "2 more line(s) printed" in check_output(extra, "p")[0]
    assert (
        "2 of 3 file(s)"
        in check_output({**record, "stderr": "sk-genre: 2 of 3 file(s) could not be read"}, "p")[0]
    )
    assert stderr_lines(record["stderr"]) == [
        "empty.wav\terror: file is empty",
        "sk-genre: 1 of 3 file(s) could not be read",
    ]
