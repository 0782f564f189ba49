"""Convert the musicnn checkpoints of the ``musicnn`` wheel into sk_genre's package data.

Run once, by hand, when the shipped weights are (re)made::

    pip download --no-deps musicnn==0.1.0 -d /tmp/musicnn
    python tools/convert_musicnn.py /tmp/musicnn/musicnn-0.1.0-py3-none-any.whl

It needs only the standard library and NumPy (no TensorFlow): the checkpoints are TensorFlow
tensor bundles, read here directly. A bundle is two files (format: tensorflow/core/util/
tensor_bundle/tensor_bundle.h): ``<prefix>.index``, a LevelDB SSTable mapping each variable's
name to a ``BundleEntryProto`` (dtype, shape, offset and size in the data file, masked CRC32C of
the bytes), and ``<prefix>.data-00000-of-00001``, the raw little-endian tensor bytes. The
reader gives the same bytes as TensorFlow's own (``tf.compat.v1.train.NewCheckpointReader``)
for all 150 variables of MSD_musicnn and of MTT_musicnn: ``tools/check_bundle_reader.py``.

For each model it writes ``src/sk_genre/pretrained/data/<model>.npz``: the float32 variables
inference needs (weights, biases, batch-norm parameters and moving statistics; Adam slots,
``beta*_power`` and counters are dropped), under their checkpoint names. The archive is
written with fixed timestamps and sorted names, so the same wheel gives the same bytes on
every run; the script prints each file's sha256, which goes into
``sk_genre/pretrained/_weights.py`` (checked when the weights are loaded).
"""

import argparse
import hashlib
import io
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

#: The wheel's models that sk_genre ships (the vgg baselines are not ported).
MODELS = ("MSD_musicnn", "MTT_musicnn")
OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "sk_genre" / "pretrained" / "data"

_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_SIZE = 48  # two BlockHandles padded to 40 bytes, then the 8-byte magic
_BLOCK_TRAILER = 5  # compression type (1 byte) + masked CRC32C (4 bytes)
# tensorflow/core/framework/types.proto DataType -> NumPy dtype (those the checkpoints use)
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64, 10: np.bool_}


def _varint(buf, pos):
    """Decode a base-128 varint at ``pos``; return (value, new position)."""
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _block_entries(data, offset, size):
    """Key/value pairs of one SSTable block (prefix-compressed keys, restart array at the end)."""
    block = data[offset : offset + size]
    if data[offset + size] != 0:
        raise ValueError(f"compressed SSTable block at offset {offset}: not supported")
    (n_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * n_restarts
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        value_len, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        yield key, block[pos : pos + value_len]
        pos += value_len


def _sstable(data):
    """All key/value pairs of a LevelDB SSTable held in ``data`` (bytes)."""
    footer = data[-_FOOTER_SIZE:]
    (magic,) = struct.unpack_from("<Q", footer, _FOOTER_SIZE - 8)
    if magic != _TABLE_MAGIC:
        raise ValueError("not a TensorFlow bundle index (bad SSTable magic)")
    _, pos = _varint(footer, 0)  # metaindex handle: unused
    _, pos = _varint(footer, pos)
    index_offset, pos = _varint(footer, pos)
    index_size, pos = _varint(footer, pos)
    for _, handle in _block_entries(data, index_offset, index_size):
        block_offset, p = _varint(handle, 0)
        block_size, _ = _varint(handle, p)
        yield from _block_entries(data, block_offset, block_size)


def _fields(message):
    """Protobuf wire-format fields of ``message``: (field number, value) in order."""
    pos = 0
    while pos < len(message):
        tag, pos = _varint(message, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:  # varint
            value, pos = _varint(message, pos)
        elif wire == 1:  # 64-bit
            value, pos = message[pos : pos + 8], pos + 8
        elif wire == 2:  # length-delimited
            length, pos = _varint(message, pos)
            value, pos = message[pos : pos + length], pos + length
        elif wire == 5:  # 32-bit
            value, pos = message[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, value


def _entry(message):
    """Decode a BundleEntryProto: dtype, shape, shard_id, offset, size, crc32c."""
    entry = {"dtype": 0, "shape": (), "shard_id": 0, "offset": 0, "size": 0, "crc32c": None}
    for number, value in _fields(message):
        if number == 1:
            entry["dtype"] = value
        elif number == 2:  # TensorShapeProto: repeated Dim (field 2) {int64 size = 1}
            dims = []
            for dim_number, dim in _fields(value):
                if dim_number == 2:
                    dims.append(dict(_fields(dim)).get(1, 0))
            entry["shape"] = tuple(dims)
        elif number == 3:
            entry["shard_id"] = value
        elif number == 4:
            entry["offset"] = value
        elif number == 5:
            entry["size"] = value
        elif number == 6:
            (entry["crc32c"],) = struct.unpack("<I", value)
        elif number == 7:
            raise ValueError("sliced (partitioned) variables are not supported")
    return entry


def _crc32c_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def _masked_crc32c(data):
    """LevelDB's masked CRC32C (Castagnoli) of ``data``, as stored in a BundleEntryProto."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_bundle(prefix):
    """Read every tensor of a TensorFlow checkpoint (tensor bundle) without TensorFlow.

    Parameters
    ----------
    prefix : str or Path
        The checkpoint prefix: ``<prefix>.index`` and ``<prefix>.data-00000-of-00001`` are
        read (for musicnn's folders the prefix is ``<folder>/``, the files being ``.index``).

    Returns
    -------
    tensors : dict of str -> ndarray
        Every variable, by its checkpoint name, with its stored dtype and shape.

    Raises
    ------
    ValueError
        The index is not an SSTable, a tensor is sliced, of an unknown dtype, in another
        shard, or its bytes fail the stored CRC32C.
    """
    prefix = str(prefix)
    index = Path(prefix + ".index").read_bytes()
    data = Path(prefix + ".data-00000-of-00001").read_bytes()
    tensors = {}
    for key, value in _sstable(index):
        if key == b"":  # the BundleHeaderProto
            continue
        name = key.decode()
        entry = _entry(value)
        if entry["dtype"] not in _DTYPES:
            raise ValueError(f"{name}: unsupported dtype enum {entry['dtype']}")
        if entry["shard_id"] != 0:
            raise ValueError(f"{name}: stored in shard {entry['shard_id']}, only one is read")
        raw = data[entry["offset"] : entry["offset"] + entry["size"]]
        if entry["crc32c"] is not None and _masked_crc32c(raw) != entry["crc32c"]:
            raise ValueError(f"{name}: CRC32C mismatch (corrupt data file)")
        array = np.frombuffer(raw, dtype=np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<"))
        tensors[name] = array.reshape(entry["shape"]).copy()
    return tensors


def inference_variables(tensors):
    """The float32 variables inference needs: no optimiser slots, powers or step counters."""
    skip = ("/Adam", "beta1_power", "beta2_power", "global_step")
    return {
        name: array.astype(np.float32)
        for name, array in sorted(tensors.items())
        if array.dtype == np.float32 and not any(s in name for s in skip)
    }


def write_npz(path, arrays):
    """Write ``arrays`` as an uncompressed ``.npz`` with fixed timestamps (reproducible bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]))
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue())
    Path(path).write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="musicnn-0.1.0-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(args.wheel) as wheel:
        for model in MODELS:
            for suffix in (".index", ".data-00000-of-00001"):
                wheel.extract(f"musicnn/{model}/{suffix}", tmp)
            tensors = read_bundle(f"{Path(tmp, 'musicnn', model)}/")
            weights = inference_variables(tensors)
            digest = write_npz(args.out / f"{model}.npz", weights)
            n_values = sum(a.size for a in weights.values())
            print(
                f"{model}: {len(tensors)} variables in the checkpoint, {len(weights)} kept "
                f"({n_values} float32 values) -> {args.out / (model + '.npz')}\n  sha256 {digest}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
