"""Run the ORIGINAL musicnn TensorFlow 1 graph, for reference outputs only.

This is a tool, not part of sk_genre: it needs TensorFlow (``tensorflow-cpu``), which is never a
dependency of the library. Import it by putting ``tools/`` on ``sys.path``.

The musicnn 0.1.0 wheel ships each model (``MSD_musicnn``, ``MTT_musicnn``, ...) as a TF 1.12
training checkpoint: ``.meta`` (the MetaGraphDef of the *training* graph), ``.index``,
``.data-00000-of-00001`` and a ``checkpoint`` file that points to the author's home directory.
:class:`OriginalMusicnn` imports the stored graph itself with
``tf.compat.v1.train.import_meta_graph`` (nothing is rebuilt from ``models.py``), then restores
the variables from the file prefix ``<model_dir>/`` (not the folder, so that the ``checkpoint``
file is never read).

What has to be stripped from the MetaGraphDef
---------------------------------------------
Only the ``_output_shapes`` attribute of the 18 ``FusedBatchNormGrad`` nodes under
``gradients/`` (training-only nodes). TF 1.12 recorded their outputs #3 and #4 (reserve-space
placeholders) with shape ``[C]``; current TensorFlow infers ``[0]`` and refuses the import with
"has an _output_shapes attribute inconsistent with the GraphDef". ``_output_shapes`` is only a
hint; nothing in the forward (inference) path is touched, and no other attribute needs removing.

Tensor names in the stored graph (musicnn models; checked for MSD_musicnn and MTT_musicnn)
------------------------------------------------------------------------------------------
The training graph differs slightly from ``models.py`` (which is what ``extractor.py`` rebuilds):
it has a label placeholder and no final squeeze of the pools. Names used here:

- ``model/Placeholder:0``: input patches, float32 ``(None, 187, 96)`` (time frames, mel bands).
- ``model/Placeholder_2:0``: bool, unknown rank: the ``training`` flag of every batch norm and
  dropout ``cond``; fed ``False``.
- ``model/Placeholder_1:0`` (labels, ``(None, 50)``) and ``Placeholder:0`` (the Adam learning
  rate) are training-only and not fed.
- ``model/Sigmoid:0``: taggram, ``(None, 50)`` = sigmoid of the logits ``model/dense_1/BiasAdd:0``.
- ``model/batch_normalization_10/batchnorm/add_1:0``: penultimate, ``(None, 200)``: the batch norm
  after the 200-unit dense layer (``bn_dense`` in ``models.backend``).
- ``model/moments/Squeeze:0``: temporal mean of the mid-end features, ``(None, 753, 1)``.
- ``model/Max:0``: temporal max of the mid-end features, ``(None, 753, 1)``.
  Both are squeezed on axis 2 here, as ``models.build_musicnn`` does, giving ``(n, 753)``.
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

N_FRAMES = 187
N_MELS = 96

INPUT = "model/Placeholder:0"
TRAINING = "model/Placeholder_2:0"
OUTPUTS = {
    "taggram": "model/Sigmoid:0",
    "logits": "model/dense_1/BiasAdd:0",
    "penultimate": "model/batch_normalization_10/batchnorm/add_1:0",
    "mean_pool": "model/moments/Squeeze:0",
    "max_pool": "model/Max:0",
}
# outputs of shape (None, 753, 1) that are squeezed on axis 2
_SQUEEZE_AXIS2 = ("mean_pool", "max_pool")


def load_meta_graph_def(meta_path: str) -> tuple[tf.compat.v1.MetaGraphDef, list[str]]:
    """Read a ``.meta`` file and strip what current TensorFlow rejects.

    Returns the MetaGraphDef and the names of the nodes whose ``_output_shapes`` was removed.
    """
    meta = tf.compat.v1.MetaGraphDef()
    with open(meta_path, "rb") as f:
        meta.ParseFromString(f.read())
    stripped = []
    for node in meta.graph_def.node:
        if node.op == "FusedBatchNormGrad" and "_output_shapes" in node.attr:
            del node.attr["_output_shapes"]
            stripped.append(node.name)
    return meta, stripped


class OriginalMusicnn:
    """The original musicnn graph of one model folder, restored from its checkpoint.

    Parameters
    ----------
    model_dir:
        A musicnn model folder (e.g. ``.../musicnn/MTT_musicnn``) holding ``.meta``, ``.index``
        and ``.data-00000-of-00001``.
    intra_op_threads, inter_op_threads:
        Session thread pools; ``None`` (0) lets TensorFlow choose.
    """

    def __init__(
        self,
        model_dir: str,
        intra_op_threads: int | None = None,
        inter_op_threads: int | None = None,
    ) -> None:
        self.model_dir = os.path.abspath(model_dir)
        meta, self.stripped_nodes = load_meta_graph_def(os.path.join(self.model_dir, ".meta"))
        self.graph = tf.Graph()
        with self.graph.as_default():
            saver = tf.compat.v1.train.import_meta_graph(meta, clear_devices=True)
        self._x = self.graph.get_tensor_by_name(INPUT)
        self._training = self.graph.get_tensor_by_name(TRAINING)
        if self._x.shape.as_list() != [None, N_FRAMES, N_MELS]:
            raise ValueError(f"unexpected input shape {self._x.shape}")
        if self._training.dtype != tf.bool:
            raise ValueError(f"{TRAINING} is not the bool training flag")
        self._fetches = {k: self.graph.get_tensor_by_name(v) for k, v in OUTPUTS.items()}
        config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=intra_op_threads or 0,
            inter_op_parallelism_threads=inter_op_threads or 0,
        )
        self.session = tf.compat.v1.Session(graph=self.graph, config=config)
        # graph mode even where eager execution is on; the file prefix "<dir>/": the variables
        # are "<dir>/.index" and "<dir>/.data-*" (the "checkpoint" file is not read)
        with self.graph.as_default():
            saver.restore(self.session, self.model_dir + os.sep)

    def run(self, patches: np.ndarray) -> dict[str, np.ndarray]:
        """Run patches ``(n, 187, 96)`` through the graph with ``training=False``.

        Returns float32 arrays: ``taggram`` (n, 50), ``logits`` (n, 50), ``penultimate``
        (n, 200), ``mean_pool`` (n, 753) and ``max_pool`` (n, 753).
        """
        patches = np.asarray(patches, dtype=np.float32)
        if patches.ndim != 3 or patches.shape[1:] != (N_FRAMES, N_MELS):
            raise ValueError(f"patches must be (n, {N_FRAMES}, {N_MELS}), got {patches.shape}")
        out = self.session.run(self._fetches, feed_dict={self._x: patches, self._training: False})
        for key in _SQUEEZE_AXIS2:
            out[key] = np.squeeze(out[key], axis=2)
        return {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> OriginalMusicnn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
