#!/usr/bin/env python3
"""Writes a JSONL pretraining corpus of a given size for bench/preprocess_bench.sh.

Documents come from the shared data (not committed): tiny Shakespeare speaker blocks and GSM8K
question + answer texts, shuffled with a fixed seed and repeated (reshuffled each round) until
the file reaches --mb megabytes. Each line is {"text": ...}. Same arguments, same bytes.

  make_preprocess_corpus.py --data ../shared/data --mb 100 --out build/corpus_100mb.jsonl
"""
import argparse
import json
import os
import random


def documents(data):
    docs = []
    with open(os.path.join(data, "tinyshakespeare", "input.txt"), encoding="utf-8") as f:
        docs += [b.strip("\n") for b in f.read().split("\n\n") if b.strip()]
    with open(os.path.join(data, "gsm8k", "train.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            docs.append(r["question"] + "\n" + r["answer"])
    return docs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="the shared data directory")
    p.add_argument("--mb", type=float, required=True, help="size of the corpus in MB (1e6 bytes)")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1234)
    args = p.parse_args()
    docs = [json.dumps({"text": d}, ensure_ascii=False) + "\n" for d in documents(args.data)]
    rng = random.Random(args.seed)
    target = int(args.mb * 1e6)
    written = 0
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".tmp", "w", encoding="utf-8") as f:
        while written < target:
            rng.shuffle(docs)
            for d in docs:
                f.write(d)
                written += len(d.encode("utf-8"))
                if written >= target:
                    break
    os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
