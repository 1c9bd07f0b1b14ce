"""Minimal safetensors writer/reader (numpy only; no `safetensors` package).

File layout (https://github.com/huggingface/safetensors, "Format" section):
  8 bytes   little-endian u64 N = length of the JSON header in bytes
  N bytes   UTF-8 JSON: {name: {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...,
                         "__metadata__": {str: str}}
            We pad the header with trailing spaces so that N % 8 == 0, which keeps
            the data section 8-byte aligned (the reference implementation does the same).
  rest      raw little-endian row-major tensor bytes; data_offsets are relative to
            the start of this section, tensors are packed back to back.

BF16 has no numpy dtype: it is handled as the upper 16 bits of an IEEE f32,
rounded to nearest-even on write (same as torch's f32 -> bf16 conversion) and
widened exactly on read.
"""
import json
import struct

import numpy as np

# safetensors dtype string -> numpy dtype of one element (BF16 stored as raw uint16).
_NP_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_DEFAULT_TAG = {
    np.dtype("float64"): "F64",
    np.dtype("float32"): "F32",
    np.dtype("float16"): "F16",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
    np.dtype("int16"): "I16",
    np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8",
    np.dtype("bool"): "BOOL",
}


def f32_to_bf16_bits(x):
    """float32 array -> uint16 bf16 bit patterns, round-to-nearest-even (NaN kept NaN)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(x, dtype=np.float32))
    # Truncation of a NaN could yield Inf; force a quiet NaN instead.
    rounded[nan] = ((u[nan] >> 16).astype(np.uint16)) | np.uint16(0x0040)
    return rounded


def bf16_bits_to_f32(bits):
    """uint16 bf16 bit patterns -> float32 (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def round_to_bf16(x):
    """float array -> float32 array holding the bf16-rounded values."""
    return bf16_bits_to_f32(f32_to_bf16_bits(x))


def write_safetensors(path, tensors, dtypes=None, metadata=None):
    """Write `tensors` (ordered dict name -> numpy array) to `path`.

    dtypes: optional {name: tag} overriding the tag derived from the array dtype;
            the only conversion performed is float -> "BF16" (round-nearest-even).
    metadata: optional {str: str}, stored under "__metadata__".
    """
    dtypes = dtypes or {}
    header = {}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.asarray(arr)
        tag = dtypes.get(name) or _DEFAULT_TAG[arr.dtype]
        if tag == "BF16":
            raw = f32_to_bf16_bits(arr.astype(np.float32))
        else:
            raw = np.ascontiguousarray(arr, dtype=_NP_DTYPES[tag])
        data = raw.tobytes(order="C")
        header[name] = {
            "dtype": tag,
            "shape": [int(s) for s in arr.shape],
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    meta = {"format": "pt"}
    meta.update({str(k): str(v) for k, v in (metadata or {}).items()})
    header["__metadata__"] = meta
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((-len(hbytes)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


def read_safetensors(path, upcast_bf16=True):
    """Read a safetensors file.

    Returns (tensors, dtypes, metadata): tensors is an ordered dict name -> numpy
    array (BF16 widened to float32 unless upcast_bf16=False, in which case the raw
    uint16 bits are returned), dtypes maps name -> safetensors dtype tag.
    """
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n :]
    metadata = header.pop("__metadata__", {}) or {}
    tensors, dtypes = {}, {}
    # Return tensors in file (offset) order, which for our writer is insertion order.
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        tag = info["dtype"]
        begin, end = info["data_offsets"]
        dt = _NP_DTYPES[tag]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * dt.itemsize:
            raise ValueError(f"{path}: {name}: byte size {end - begin} does not match {tag}{list(shape)}")
        arr = np.frombuffer(data[begin:end], dtype=dt).reshape(shape).copy()
        if tag == "BF16" and upcast_bf16:
            arr = bf16_bits_to_f32(arr).reshape(shape)
        tensors[name] = arr
        dtypes[name] = tag
    return tensors, dtypes, metadata


if __name__ == "__main__":
    # `python3 safetensors_io.py FILE` prints the table of contents.
    import sys

    for p in sys.argv[1:]:
        ts, dts, md = read_safetensors(p)
        print(f"{p}: metadata={md}")
        for k, v in ts.items():
            print(f"  {k:60s} {dts[k]:5s} {list(v.shape)}")
