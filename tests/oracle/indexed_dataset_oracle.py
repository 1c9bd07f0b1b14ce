#!/usr/bin/env python3
"""Megatron indexed dataset (.bin/.idx) writer and reader, from the format spec, `struct` only.

Format (DESIGN.md section 6):
  PREFIX.bin  token arrays of all sequences back to back, little-endian, no header
  PREFIX.idx  b"MMIDIDX\\x00\\x00"  (9 bytes)
              <Q version = 1
              <B dtype code (1 u8, 2 i8, 3 i16, 4 i32, 5 i64, 6 f64, 7 f32, 8 u16)
              <Q N sequences
              <Q D = documents + 1
              <i sizes[N]
              <q pointers[N]   byte offsets: exclusive prefix sum of size * itemsize
              <q doc_idx[D]    starts at 0, non-decreasing, ends at N

Usage:
  indexed_dataset_oracle.py write PREFIX DTYPE JSON   JSON: a file (or - for stdin) holding
                                                       [[seq, seq, ...], ...], one list of
                                                       sequences (lists of ints) per document
  indexed_dataset_oracle.py read PREFIX               prints {"dtype": ..., "documents": ...}
                                                       in the same shape; exits 1 with a
                                                       message if the files are invalid
"""
import json
import os
import struct
import sys

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
# name -> (code, struct format, itemsize)
DTYPES = {
    "u8": (1, "B", 1),
    "i8": (2, "b", 1),
    "i16": (3, "h", 2),
    "i32": (4, "i", 4),
    "i64": (5, "q", 8),
    "f64": (6, "d", 8),
    "f32": (7, "f", 4),
    "u16": (8, "H", 2),
}
BY_CODE = {code: (name, fmt, size) for name, (code, fmt, size) in DTYPES.items()}


def write(prefix, dtype, documents):
    """documents: list of documents, each a list of sequences (lists of numbers)."""
    code, fmt, itemsize = DTYPES[dtype]
    sizes, doc_idx = [], [0]
    with open(prefix + ".bin", "wb") as f:
        for doc in documents:
            for seq in doc:
                f.write(struct.pack("<%d%s" % (len(seq), fmt), *seq))
                sizes.append(len(seq))
            doc_idx.append(len(sizes))
    pointers, p = [], 0
    for s in sizes:
        pointers.append(p)
        p += s * itemsize
    n, d = len(sizes), len(doc_idx)
    with open(prefix + ".idx", "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<Q", VERSION))
        f.write(struct.pack("<B", code))
        f.write(struct.pack("<Q", n))
        f.write(struct.pack("<Q", d))
        f.write(struct.pack("<%di" % n, *sizes))
        f.write(struct.pack("<%dq" % n, *pointers))
        f.write(struct.pack("<%dq" % d, *doc_idx))


class FormatError(Exception):
    pass


def read(prefix):
    """Returns (dtype name, documents) after validating every field against the spec."""
    with open(prefix + ".idx", "rb") as f:
        idx = f.read()
    header = struct.calcsize("<9sQBQQ")
    if len(idx) < header:
        raise FormatError("%s.idx: truncated header" % prefix)
    magic, version, code, n, d = struct.unpack_from("<9sQBQQ", idx, 0)
    if magic != MAGIC:
        raise FormatError("%s.idx: bad magic" % prefix)
    if version != VERSION:
        raise FormatError("%s.idx: version %d" % (prefix, version))
    if code not in BY_CODE:
        raise FormatError("%s.idx: dtype code %d" % (prefix, code))
    name, fmt, itemsize = BY_CODE[code]
    if d < 1 or len(idx) != header + 12 * n + 8 * d:
        raise FormatError("%s.idx: size %d does not match N=%d D=%d" % (prefix, len(idx), n, d))
    off = header
    sizes = struct.unpack_from("<%di" % n, idx, off)
    off += 4 * n
    pointers = struct.unpack_from("<%dq" % n, idx, off)
    off += 8 * n
    doc_idx = struct.unpack_from("<%dq" % d, idx, off)
    p = 0
    for i in range(n):
        if sizes[i] < 0 or pointers[i] != p:
            raise FormatError("%s.idx: sizes/pointers at %d" % (prefix, i))
        p += sizes[i] * itemsize
    if doc_idx[0] != 0 or doc_idx[-1] != n or any(a > b for a, b in zip(doc_idx, doc_idx[1:])):
        raise FormatError("%s.idx: doc_idx" % prefix)
    with open(prefix + ".bin", "rb") as f:
        data = f.read()
    if len(data) != p:
        raise FormatError("%s.bin: size %d, index says %d" % (prefix, len(data), p))
    seqs = [list(struct.unpack_from("<%d%s" % (sizes[i], fmt), data, pointers[i]))
            for i in range(n)]
    documents = [seqs[doc_idx[k]:doc_idx[k + 1]] for k in range(d - 1)]
    return name, documents


def main(argv):
    if len(argv) == 5 and argv[1] == "write":
        _, _, prefix, dtype, src = argv
        if dtype not in DTYPES:
            sys.exit("unknown dtype %s" % dtype)
        text = sys.stdin.read() if src == "-" else open(src).read()
        write(prefix, dtype, json.loads(text))
        return 0
    if len(argv) == 3 and argv[1] == "read":
        try:
            name, documents = read(argv[2])
        except (FormatError, OSError) as e:
            print(e, file=sys.stderr)
            return 1
        json.dump({"dtype": name, "documents": documents}, sys.stdout)
        print()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
