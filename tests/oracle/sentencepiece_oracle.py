#!/usr/bin/env python3
"""SentencePiece reference for the C++ tokenizer tests (Debian's python3-sentencepiece).

  sentencepiece_oracle.py encode --model M.model --input TEXTS.jsonl --output OUT.json
      TEXTS.jsonl holds one JSON string per line. OUT.json is one object:
      {"vocab_size", "bos_id", "eos_id", "pad_id", "unk_id", "pieces": [every piece by id],
       "results": [{"ids": [...], "decoded": decode(ids)} per input line]}
      ids are sp.encode(text) with no BOS/EOS, as ascent's Tokenizer::encode.

  sentencepiece_oracle.py train --input CORPUS --model-prefix P --vocab-size N
      [--model-type bpe] [--character-coverage 1.0] [--byte-fallback] [--unk-id 0] [--bos-id 1]
      [--eos-id 2] [--pad-id -1] [--input-sentence-size 2000000] [--num-threads 2] [--seed 1234]
      Trains with the options ascent's train_sentencepiece passes, writing P.model / P.vocab.
"""
import argparse
import json
import sys

import sentencepiece as spm


def encode(args):
    sp = spm.SentencePieceProcessor(model_file=args.model)
    results = []
    with open(args.input, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            text = json.loads(line)
            ids = sp.encode(text)
            results.append({"ids": ids, "decoded": sp.decode(ids)})
    out = {
        "vocab_size": sp.get_piece_size(),
        "bos_id": sp.bos_id(),
        "eos_id": sp.eos_id(),
        "pad_id": sp.pad_id(),
        "unk_id": sp.unk_id(),
        "pieces": [sp.id_to_piece(i) for i in range(sp.get_piece_size())],
        "results": results,
    }
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(out, f)


def train(args):
    spm.set_random_generator_seed(args.seed)
    spm.SentencePieceTrainer.train(
        input=args.input,
        model_prefix=args.model_prefix,
        vocab_size=args.vocab_size,
        model_type=args.model_type,
        character_coverage=args.character_coverage,
        byte_fallback=args.byte_fallback,
        unk_id=args.unk_id,
        bos_id=args.bos_id,
        eos_id=args.eos_id,
        pad_id=args.pad_id,
        input_sentence_size=args.input_sentence_size,
        shuffle_input_sentence=True,
        num_threads=args.num_threads,
        minloglevel=1,
    )


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("encode")
    e.add_argument("--model", required=True)
    e.add_argument("--input", required=True)
    e.add_argument("--output", required=True)
    t = sub.add_parser("train")
    t.add_argument("--input", required=True)
    t.add_argument("--model-prefix", required=True)
    t.add_argument("--vocab-size", type=int, required=True)
    t.add_argument("--model-type", default="bpe")
    t.add_argument("--character-coverage", type=float, default=1.0)
    t.add_argument("--byte-fallback", action="store_true")
    t.add_argument("--unk-id", type=int, default=0)
    t.add_argument("--bos-id", type=int, default=1)
    t.add_argument("--eos-id", type=int, default=2)
    t.add_argument("--pad-id", type=int, default=-1)
    t.add_argument("--input-sentence-size", type=int, default=2000000)
    t.add_argument("--num-threads", type=int, default=2)
    t.add_argument("--seed", type=int, default=1234)
    args = p.parse_args()
    encode(args) if args.cmd == "encode" else train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
