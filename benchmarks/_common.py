"""Helpers shared by the benchmark scripts (imported as ``_common`` from this folder)."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def locate_data(data_arg):
    """(gtzan-mini folder or None, the folder looked in, where that came from).

    The folder is :func:`sk_genre.datasets.get_data_home` of ``--data``: ``--data``, else
    ``$SK_GENRE_DATA``, else ``../shared/data`` beside the repository; ``--data`` may also be
    gtzan-mini/ itself. Exits with a message when ``--data`` or ``$SK_GENRE_DATA`` is no folder.
    """
    from sk_genre.datasets import get_data_home

    source = "--data" if data_arg is not None else "$SK_GENRE_DATA"
    try:
        base = get_data_home(data_arg)
    except FileNotFoundError as exc:
        sys.exit(f"error: {source}: {exc}")
    if base is None:
        return None, "../shared/data beside the repository", "default"  # base: for messages
    if data_arg is None and not os.environ.get("SK_GENRE_DATA"):
        source = "default"
    for root in (base / "gtzan-mini", base):
        if root.is_dir() and any(root.glob("*/*.ogg")):
            return root, base, source
    return None, base, source


def find_data(data_arg):
    """The gtzan-mini folder, or exit with a message saying where it was looked for."""
    root, base, source = locate_data(data_arg)
    if root is None:
        sys.exit(
            f"error: GTZAN audio not found: no gtzan-mini/<genre>/<stem>.ogg under {base} "
            f"({source}).\nPass --data DIR or set SK_GENRE_DATA to the folder that holds "
            "gtzan-mini/."
        )
    return root


def load_average():
    """1-minute load average (None where the platform has none): other work skews timings."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def format_table(headers, rows, align):
    """Plain-text table; ``align`` has one letter per column, "l" (left) or "r" (right)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    right = [a == "r" for a in align]

    def line(values):
        return "  ".join(
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in cells)])


def seconds_text(seconds):
    """Seconds for a table: 3 decimals below 10 s, 1 above; "-" for None."""
    if seconds is None:
        return "-"
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def heading(text):
    print(f"\n{text}\n{'=' * len(text)}")


def available_cpus():
    """The CPUs this process may run on (sorted ids)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def busy_cpu_seconds():
    """CPU seconds all processes have used since boot (Linux /proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal ...: all but idle and iowait
    ticks = [int(v) for v in fields[:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def dist_versions(names):
    from importlib import metadata

    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out
