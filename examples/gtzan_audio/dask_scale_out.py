"""
Feature extraction on a Dask cluster
====================================

sk_genre's feature steps parallelise over clips with joblib, so joblib's Dask
backend sends the clips to a Dask cluster with no change to sk_genre code:

```python
with joblib.parallel_config(backend="dask"):
    X = SpectralFeatureUnion(include="gtzan", n_jobs=-1).fit_transform(paths)
```

This script does that on a GTZAN-style folder, on the cluster whose scheduler
`--scheduler` names or, without it, on a `LocalCluster` of worker processes
on this machine. It checks that a few tracks give the same features as a
serial run, then classifies the tracks with a network trained on the
bundled GTZAN table: `include="gtzan"` computes the table's 57 columns.

The workers must see the audio under the same paths (a shared file system)
and have sk_genre installed. It needs audio and a cluster, so it is not run
when the documentation is built. Usage:

```text
python examples/gtzan_audio/dask_scale_out.py [DATA_DIR] [--scheduler tcp://HOST:8786]
    [--workers 2] [--limit N] [--check 4]
```

`DATA_DIR` defaults to `$SK_GENRE_DATA/gtzan-mini`, else
`../shared/data/gtzan-mini` beside the repository. On the 59 tracks of
gtzan-mini with two local workers it takes about 30 s on 2 CPU cores. A
local cluster on one machine gains nothing over `n_jobs=2` without Dask; the
point is that the same code runs unchanged on many machines.
"""

import argparse
import logging
import sys
import time
from pathlib import Path

import joblib
import numpy as np
from distributed import Client, LocalCluster

from sk_genre import SpectralFeatureUnion, make_pipeline
from sk_genre.datasets import (
    fault_filtered_split,
    get_data_home,
    load_audio_folder,
    load_gtzan_features,
)


def default_data_dir():
    """`gtzan-mini/` in `get_data_home()`: `$SK_GENRE_DATA`, else `../shared/data` (or None)."""
    home = get_data_home()
    return None if home is None else home / "gtzan-mini"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1].strip())
    parser.add_argument(
        "data",
        nargs="?",
        type=Path,
        default=default_data_dir(),
        help="folder laid out as root/<genre>/<track>.<ext>",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        help="address of a running dask-scheduler; default: a LocalCluster",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes of the LocalCluster (one thread each)",
    )
    parser.add_argument("--limit", type=int, default=None, help="use the first N tracks only")
    parser.add_argument(
        "--check", type=int, default=4, help="tracks also extracted serially, to compare (0: none)"
    )
    return parser.parse_args(argv)


def connect(args):
    """A Client of the named scheduler, or of a new LocalCluster (closed with the client)."""
    if args.scheduler is not None:
        return Client(args.scheduler, timeout="60s")
    cluster = LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(cluster, timeout="60s")
    client.wait_for_workers(args.workers, timeout=60)
    return client


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.data is None or not args.data.is_dir():
        sys.exit(f"no audio folder at {args.data}: pass DATA_DIR or set SK_GENRE_DATA")
    tracks = load_audio_folder(args.data, on_error="warn")
    paths, y = tracks.paths[: args.limit], np.asarray(tracks.target)[: args.limit]

    features = SpectralFeatureUnion(include="gtzan", n_jobs=-1, verbose=0)
    with connect(args) as client:
        n_workers = len(client.scheduler_info()["workers"])
        print(f"Dask cluster: {n_workers} workers at {client.scheduler.address}")
        start = time.perf_counter()
        with joblib.parallel_config(backend="dask"):
            X = features.fit_transform(paths)
        print(
            f"features of {len(paths)} tracks on the cluster: {X.shape} "
            f"in {time.perf_counter() - start:.1f} s"
        )

    if args.check:
        start = time.perf_counter()
        serial = features.set_params(n_jobs=1).fit_transform(paths[: args.check])
        same = np.array_equal(serial, X[: args.check])
        print(
            f"serial run on the first {len(serial)} tracks "
            f"({time.perf_counter() - start:.1f} s): identical features: {same}"
        )
        if not same:
            sys.exit("the cluster's features differ from the serial run's")

    # A network trained on the bundled table (the same 57 columns, from the original WAVs),
    # scored on the tracks of the fault-filtered validation list: artists it never trained on.
    try:
        valid = fault_filtered_split(paths) == "valid"
    except ValueError:  # file names without GTZAN track ids: not a GTZAN folder
        valid = np.zeros(len(paths), dtype=bool)
    if not valid.any():
        print("no track of the fault-filtered validation list here: nothing to score")
        return
    gtzan = load_gtzan_features()
    train = gtzan.split == "train"
    pipe = make_pipeline(features=None, model="dnn", random_state=0, verbose=0)
    pipe.fit(gtzan.data[train], gtzan.target[train])
    accuracy = pipe.score(X[valid], y[valid])
    print(
        f"table-trained dnn on the {valid.sum()} validation-list tracks of this folder, "
        f"from features computed on the cluster: accuracy {accuracy:.3f}"
    )


if __name__ == "__main__":
    main()
