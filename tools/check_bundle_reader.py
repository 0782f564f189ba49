"""Check tools/convert_musicnn.py's tensor-bundle reader against TensorFlow's own reader.

Run in the throwaway TensorFlow environment of tools/make_musicnn_reference.py::

    /tmp/tfenv/bin/python tools/check_bundle_reader.py musicnn-0.1.0-py3-none-any.whl

For each musicnn model in the wheel, every variable read by ``read_bundle`` must have the
same name, dtype, shape and bytes as ``tf.compat.v1.train.NewCheckpointReader`` gives.
On 2026-12-01 (TensorFlow 2.21.0): 150 of 150 variables bit-identical, MSD_musicnn and
MTT_musicnn.
"""

import sys
import tempfile
import zipfile
from pathlib import Path

import tensorflow as tf
from convert_musicnn import read_bundle

MODELS = ("MSD_musicnn", "MTT_musicnn")


def main(wheel):
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel) as archive:
        for model in MODELS:
            for suffix in (".index", ".data-00000-of-00001"):
                archive.extract(f"musicnn/{model}/{suffix}", tmp)
            prefix = f"{Path(tmp, 'musicnn', model)}/"
            mine = read_bundle(prefix)
            reader = tf.compat.v1.train.NewCheckpointReader(prefix)
            names = set(reader.get_variable_to_shape_map())
            if names != set(mine):
                raise SystemExit(f"{model}: names differ: {sorted(names ^ set(mine))}")
            for name in sorted(names):
                theirs = reader.get_tensor(name)
                ours = mine[name]
                if (theirs.dtype, theirs.shape) != (ours.dtype, ours.shape) or (
                    theirs.tobytes() != ours.tobytes()
                ):
                    raise SystemExit(f"{model}: {name} differs from TensorFlow's reader")
            print(f"{model}: {len(names)} of {len(names)} variables bit-identical")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
