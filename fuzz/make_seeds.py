#!/usr/bin/env python3
"""Regenerates the seed corpus fuzz/corpus/<harness>/ (committed; run only to refresh it).

  python3 fuzz/make_seeds.py ASCENT_BINARY FUZZ_BUILD_DIR

Everything comes from the public-domain tiny Shakespeare of data/ and from ascent itself (a
SentencePiece model it trains, a dataset it preprocesses, a one-layer checkpoint it trains and
converts to HF). Parquet seeds need DuckDB (tests/oracle/node, `bash scripts/install-deps.sh`).
No Llama-licensed or other third-party file is copied. Seeds stay a few KB each.
"""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
TEXT = open(os.path.join(ROOT, "data", "tinyshakespeare.txt"), encoding="utf-8").read()[:6000]
LINES = [l for l in TEXT.split("\n") if l.strip()][:12]


def put(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def split_two(a, b):
    return struct.pack("<I", len(a)) + a + b


def run(*cmd, **kw):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, **kw)


def ascent_files(ascent, tmp):
    """SentencePiece models, a dataset, a checkpoint and an HF directory, all made by ascent."""
    corpus = os.path.join(tmp, "corpus.txt")
    open(corpus, "w").write(TEXT)
    common = ["--input", corpus, "--normalization", "identity", "--num-threads", "1"]
    run(ascent, "tokenizer", "train", *common, "--vocab-size", "120", "--output", tmp + "/bpe")
    run(ascent, "tokenizer", "train", *common, "--vocab-size", "90", "--model-type", "unigram",
        "--output", tmp + "/unigram")
    jsonl = os.path.join(tmp, "in.jsonl")
    with open(jsonl, "w") as f:
        for l in LINES[:4]:
            f.write(json.dumps({"text": l}) + "\n")
    for dtype in ("auto", "int32"):
        run(ascent, "preprocess", "--input", jsonl, "--tokenizer-name-or-path", tmp + "/bpe.model",
            "--output-prefix", f"{tmp}/{dtype}", "--append-eod", "--token-dtype", dtype,
            "--workers", "1")
    run(ascent, "train", "--model", "tiny-llama", "--num-layers", "1", "--hidden-size", "8",
        "--ffn-hidden-size", "16", "--num-attention-heads", "2", "--seq-length", "8",
        "--micro-batch-size", "1", "--data-path", tmp + "/int32_text_document",
        "--tokenizer-name-or-path", tmp + "/bpe.model", "--train-iters", "1", "--save",
        tmp + "/ckpt")
    run(ascent, "convert", "--load", tmp + "/ckpt", "--save", tmp + "/hf", "--to-hf",
        "--dtype", "bf16")


def seeds_from_ascent(tmp):
    put("sentencepiece", "bpe.model", open(tmp + "/bpe.model", "rb").read())
    put("sentencepiece", "unigram.model", open(tmp + "/unigram.model", "rb").read())
    for dtype in ("auto", "int32"):
        p = f"{tmp}/{dtype}_text_document"
        put("indexed_dataset", dtype, split_two(open(p + ".idx", "rb").read(),
                                                open(p + ".bin", "rb").read()))
    meta = json.load(open(tmp + "/ckpt/iter_0000001/metadata.json"))
    put("checkpoint_metadata", "tiny_llama.json", json.dumps(meta, indent=1, sort_keys=True))
    old = {k: v for k, v in meta.items() if k not in ("shards", "format", "version")}
    put("checkpoint_metadata", "version1.json", json.dumps(old, sort_keys=True))
    put("hf_config", "llama.json", open(tmp + "/hf/config.json", "rb").read())
    put("safetensors", "hf_bf16.safetensors", open(tmp + "/hf/model.safetensors", "rb").read())


def hf_configs():
    put("hf_config", "gpt2.json", json.dumps({
        "architectures": ["GPT2LMHeadModel"], "n_embd": 8, "n_layer": 1, "n_head": 2,
        "n_positions": 16, "n_inner": None, "vocab_size": 50, "layer_norm_epsilon": 1e-5,
        "activation_function": "gelu_new"}))
    put("hf_config", "bloom.json", json.dumps({
        "architectures": ["BloomForCausalLM"], "hidden_size": 8, "n_layer": 1, "n_head": 2,
        "vocab_size": 50, "layer_norm_epsilon": 1e-5}))
    put("hf_config", "baichuan.json", json.dumps({
        "architectures": ["BaichuanForCausalLM"], "hidden_size": 8, "intermediate_size": 16,
        "num_hidden_layers": 2, "num_attention_heads": 2, "vocab_size": 50,
        "model_max_length": 32, "rms_norm_eps": 1e-6, "position_embedding_type": "alibi"}))
    put("hf_config", "internlm.json", json.dumps({
        "architectures": ["InternLMForCausalLM"], "hidden_size": 8, "intermediate_size": 16,
        "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 50, "bias": True,
        "max_position_embeddings": 32, "rms_norm_eps": 1e-6, "rotary": {"base": 10000}}))


def safetensors_file(tensors, metadata=None):
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def safetensors_seeds():
    put("safetensors", "mixed.safetensors", safetensors_file([
        ("a.f32", "F32", [2, 2], struct.pack("<4f", 1, -2, 0.5, 3)),
        ("b.f16", "F16", [3], struct.pack("<3H", 0x3c00, 0xc000, 0x7e00)),
        ("c.bf16", "BF16", [2], struct.pack("<2H", 0x3f80, 0xff80)),
        ("d.f64", "F64", [1], struct.pack("<d", 2.5)),
        ("e.i64", "I64", [2], struct.pack("<2q", -1, 7)),
        ("f.u8", "U8", [0], b""),
        ("g.bool", "BOOL", [], b"\x01")], {"format": "pt"}))
    a = safetensors_file([("model.embed_tokens.weight", "F32", [3, 2], struct.pack("<6f", *[1] * 6))])
    index = {"metadata": {"total_size": 40}, "weight_map": {
        "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
        "model.norm.weight": "model-00002-of-00002.safetensors"}}
    put("safetensors_index", "index.json", json.dumps(index, indent=2))
    del a


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def learn_merges(words, count):
    """A plain BPE over word symbol lists: the `count` most frequent pairs, in order."""
    words = [list(w) for w in words]
    merges = []
    for _ in range(count):
        pairs = {}
        for w in words:
            for p in zip(w, w[1:]):
                pairs[p] = pairs.get(p, 0) + 1
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda p: pairs[p])
        merges.append(best)
        for w in words:
            i = 0
            while i < len(w) - 1:
                if (w[i], w[i + 1]) == best:
                    w[i:i + 2] = [w[i] + w[i + 1]]
                else:
                    i += 1
    return merges


def byte_level_tokenizer():
    b2u = bytes_to_unicode()
    words = ["".join(b2u[b] for b in (" " + w).encode()) for w in TEXT.split()[:400]]
    merges = learn_merges(words, 40)
    vocab = {b2u[b]: b for b in range(256)}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    eot = len(vocab)
    vocab["<|endoftext|>"] = eot
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": eot, "content": "<|endoftext|>", "single_word": False,
                              "lstrip": False, "rstrip": False, "normalized": True,
                              "special": True}],
            "normalizer": None, "pre_tokenizer": bl, "post_processor": bl, "decoder": bl,
            "model": {"type": "BPE", "dropout": None, "unk_token": None,
                      "continuing_subword_prefix": None, "end_of_word_suffix": None,
                      "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]}}, (vocab, merges)


def metaspace_tokenizer():
    """SentencePiece-style BPE as HF writes it for LLaMA-like models: prepend and replace the
    space with U+2581, byte fallback, a BOS template."""
    sp = "\u2581"
    words = [sp + w for w in TEXT.split()[:400]]
    merges = learn_merges(words, 30)
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for ch in sorted(set("".join(words))):
        vocab.setdefault(ch, len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    special = lambda i, c: {"id": i, "content": c, "single_word": False, "lstrip": False,
                            "rstrip": False, "normalized": False, "special": True}
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")],
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": sp},
                {"type": "Replace", "pattern": {"String": " "}, "content": sp}]},
            "pre_tokenizer": None,
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                          {"Sequence": {"id": "A", "type_id": 0}}],
                               "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                        {"Sequence": {"id": "A", "type_id": 0}},
                                        {"SpecialToken": {"id": "<s>", "type_id": 1}},
                                        {"Sequence": {"id": "B", "type_id": 1}}],
                               "special_tokens": {"<s>": {"id": "<s>", "ids": [1],
                                                          "tokens": ["<s>"]}}},
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": sp}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
            "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>",
                      "continuing_subword_prefix": None, "end_of_word_suffix": None,
                      "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                      "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]}}


def tokenizer_seeds():
    tok, (vocab, merges) = byte_level_tokenizer()
    put("tokenizer_json", "byte_level_bpe.json", json.dumps(tok, ensure_ascii=False))
    put("tokenizer_json", "metaspace_bpe.json", json.dumps(metaspace_tokenizer(), ensure_ascii=False))
    merges_txt = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    put("tokenizer_gpt2_files", "gpt2", split_two(json.dumps(vocab, ensure_ascii=False).encode(),
                                                  merges_txt.encode()))
    put("tokenizer_encode", "shakespeare.txt", "\n".join(LINES[:6]))
    put("tokenizer_encode", "mixed.txt", "Hello  world!\t\u4f60\u597d\uff0c\u4e16\u754c 1234567 "
        "<|endoftext|><s></s> caf\u00e9 \U0001F600 \r\n\u2581x")
    put("tokenizer_encode", "bytes.bin", bytes(range(256)))


def reader_seeds():
    records = [{"text": l, "id": i} for i, l in enumerate(LINES[:4])]
    jsonl = "".join(json.dumps(r) + "\n" for r in records)
    put("reader_jsonl", "records.jsonl", jsonl)
    put("reader_jsonl", "instruction.jsonl", json.dumps(
        {"instruction": "Say it.", "input": LINES[0], "output": LINES[1]}) + "\n\n{bad json}\n[1]\n")
    put("reader_json", "array.json", json.dumps(records, indent=1))
    put("reader_json", "lines.json", jsonl)
    put("reader_json", "nested.json", '\ufeff[{"text": "a\\"b", "x": [1, {"y": null}]}, {}, 3]')
    csv = "text,id,note\n" + "".join(f'"{l.replace(chr(34), chr(34) * 2)}",{i},\n'
                                      for i, l in enumerate(LINES[:4]))
    put("reader_csv", "records.csv", csv)
    put("reader_csv", "quoted.csv", 'text,b\r\n"multi\nline, ""quoted""",x\r\nshort\r\n"open,y\n')
    put("reader_compressed", "gzip", b"\x00" + gzip.compress(jsonl.encode(), mtime=0))
    zst = shutil.which("zstd")
    if zst:
        out = subprocess.run([zst, "-q", "-c"], input=jsonl.encode(), stdout=subprocess.PIPE,
                             check=True).stdout
        put("reader_compressed", "zstd", b"\x01" + out)


def parquet_seeds(tmp):
    writer = os.environ.get("ASCENT_PARQUET_WRITER",
                            os.path.join(ROOT, "tests", "oracle", "parquet_writer.mjs"))
    rows = ", ".join(f"({json.dumps(l)}, {i}, {'NULL' if i % 2 else i * 0.5})"
                     for i, l in enumerate(LINES[:4])).replace('"', "'")
    src = f"(VALUES {rows}) t(text, id, score)"
    jobs = {"plain": "(FORMAT parquet, COMPRESSION uncompressed)",
            "snappy": "(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 2)",
            "zstd": "(FORMAT parquet, COMPRESSION zstd)",
            "gzip": "(FORMAT parquet, COMPRESSION gzip)"}
    for name, opts in jobs.items():
        out = os.path.join(tmp, name + ".parquet")
        job = os.path.join(tmp, "job.json")
        json.dump({"statements": [f"COPY (SELECT * FROM {src}) TO '{out}' {opts}"]}, open(job, "w"))
        run("node", writer, job)
        put("reader_parquet", name + ".parquet", open(out, "rb").read())


def manifest_seed(build):
    out = os.path.join(CORPUS, "checkpoint_manifest", "manifest.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    env = dict(os.environ, ASCENT_FUZZ_WRITE_MANIFEST=out)
    subprocess.run([os.path.join(build, "fuzz", "fuzz_checkpoint_manifest"), "-runs=0"], env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def toml_seeds():
    put("toml_config", "run.toml", "# a run\nmodel = \"tiny-llama\"\nseq-length = 256\nbf16 = true\n"
        "fp16 = false\ndata-path = [\"1\", \"a\", \"2\", \"b\"]\nlr = 3e-4\n")
    put("toml_config", "sections.toml", "[train]\nmicro-batch-size = 4\n'quoted' = 'x y'\n"
        "name = \"\"\"multi\nline\"\"\"\n[[arr]]\nk = 1\nempty = []\n")


def main():
    ascent, build = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        ascent_files(os.path.abspath(ascent), tmp)
        seeds_from_ascent(tmp)
        parquet_seeds(tmp)
    hf_configs()
    safetensors_seeds()
    tokenizer_seeds()
    reader_seeds()
    toml_seeds()
    manifest_seed(build)  # after checkpoint_metadata/tiny_llama.json, which the harness reads


if __name__ == "__main__":
    main()
