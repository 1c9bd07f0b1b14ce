#!/usr/bin/env python3
"""What AscendSpeed's preprocess_data.py writes for a SentencePiece tokenizer, in plain Python.

Written from the behavior of AscendSpeed's dataset handlers (ascendspeed/data/data_handler.py,
ascendspeed/data/prompter.py), with Python's own str.split / str.strip / str.rsplit /
str.format, and Debian's python3-sentencepiece for the ids (Megatron's SentencePiece tokenizer
adds no BOS/EOS; EOD = the EOS id).

  preprocess_oracle.py --model M.model --handler NAME --input RECORDS.jsonl --output OUT.json
      [--append-eod] [--json-keys K ...] [--map-keys JSON] [--seq-length N]

RECORDS.jsonl holds one JSON object per line, all of them good records. OUT.json is
{"datasets": {KEY: [[sequence, ...] per document]}} with KEY the dataset key: the json keys for
pretraining handlers, input_ids / attention_mask / labels for instruction handlers. Sequences of
--seq-length tokens or more are left out (and a document left without sequences is left out).
"""
import argparse
import json

import sentencepiece as spm

ALPACA_SYSTEM = ("Below is an instruction that describes a task, paired with an input that "
                 "provides further context. Write a response that appropriately completes the "
                 "request. Please note that you need to think through your response logically "
                 "and step by step.")
USER_TOKEN = "### Instruction:"
ASSISTANT_TOKEN = "### Response:"
IGNORE = -100


def alpaca_prompt(messages):
    prompt = "\n" + ALPACA_SYSTEM + "\n"
    for role, content in messages:
        prompt += (USER_TOKEN if role == "user" else ASSISTANT_TOKEN) + "\n" + content + "\n"
    return prompt


class Oracle:
    def __init__(self, args):
        self.sp = spm.SentencePieceProcessor(model_file=args.model)
        self.args = args
        self.keys = dict(json.loads(args.map_keys)) if args.map_keys else {}

    def field(self, record, name):
        return record.get(self.keys.get(name, name))

    def tok(self, text):
        return self.sp.encode(text)

    # ---- pretraining: {key: [sequences]} per record
    def general_pretrain(self, record):
        out = {}
        for key in self.args.json_keys:
            text = self.field(record, key)
            seqs = []
            if len(text) > 0:
                ids = self.tok(text)
                if self.args.append_eod:
                    ids.append(self.sp.eos_id())
                seqs.append(ids)
            out[key] = seqs
        return out

    def alpaca_pretrain(self, record):
        fmt = ("A chat between a curious user and an artificial intelligence assistant. "
               "The assistant gives helpful, detailed, and polite answers to the user's questions."
               "USER: Below is an instruction that describes a task. Write a response that "
               "appropriately completes the request.\n\n"
               "### Instruction:\n{instruction}\n\n###{inputs}\n\n### Response: ASSISTANT: {response}")
        inp = self.field(record, "input")
        text = fmt.format(instruction=self.field(record, "instruction"),
                          inputs=f" Input:\n{inp}" if inp else None,
                          response=self.field(record, "output"))
        ids = self.tok(text)
        if self.args.append_eod:
            ids.append(self.sp.eos_id())
        return {"text": [ids]}

    # ---- instruction: list of (input_ids, labels) per record
    def masked(self, messages, append_eod):
        full = alpaca_prompt(messages)
        ids = self.tok(full)
        labels = list(ids)
        if append_eod:
            ids.append(self.sp.eos_id())
            labels.append(self.sp.eos_id())
        user = full.rsplit(ASSISTANT_TOKEN, maxsplit=1)[0] + ASSISTANT_TOKEN + "\n"
        n = len(self.tok(user))
        labels[:n] = [IGNORE] * n
        return ids, labels

    def general_instruction(self, record):
        inp = self.field(record, "input") or ""
        messages = [("user", self.field(record, "instruction") + "\n" + inp),
                    ("assistant", self.field(record, "output"))]
        return [self.masked(messages, self.args.append_eod)]

    def belle(self, record):
        messages = []
        for msg in self.field(record, "instruction").split("Human:"):
            if not msg:
                continue
            tmp = msg.split("Assistant:")
            if len(tmp) > 1:
                messages.append(("user", tmp[0].strip()))
                messages.append(("assistant", tmp[1].strip()))
            else:
                messages.append(("assistant", tmp[0].strip()))
        messages.pop()
        messages.append(("assistant", self.field(record, "output").strip()))
        return [self.masked(messages, self.args.append_eod)]

    def leetcode(self, record):
        messages = [("user", self.field(record, "code_with_problem").split("```", maxsplit=1)[0].strip()),
                    ("assistant", self.field(record, "code_only") + "\n" +
                     self.field(record, "explanation_only"))]
        return [self.masked(messages, self.args.append_eod)]

    def moss_turns(self, record):
        if "chat" in record:
            raw = [(t["Human"], t["MOSS"]) for t in record["chat"].values() if t]
        else:
            raw = [(t["human"], t["assistant"]) for t in record["conversation"] if t]
        return [(h.replace("<eoh>", "").replace("<|Human|>: ", "").strip(),
                 m.replace("<|MOSS|>:", "").replace("<eom>", "").strip()) for h, m in raw]

    def moss_instruction(self, record):
        messages, out = [], []
        for user, bot in self.moss_turns(record):
            messages += [("user", user), ("assistant", bot)]
            out.append(self.masked(messages, False))
        return out

    def moss_multiturn(self, record):
        ids, labels = [], []
        eos = self.sp.eos_id()
        for user, bot in self.moss_turns(record):
            u, b = self.tok(user), self.tok(bot)
            ids += [195] + u + [196] + b
            labels += [eos] + [IGNORE] * len(u) + [IGNORE] + b
        ids.append(eos)
        labels.append(eos)
        return [(ids, labels)]


PRETRAIN = {"GeneralPretrainHandler": Oracle.general_pretrain,
            "AlpacaPretrainHandler": Oracle.alpaca_pretrain}
INSTRUCTION = {"GeneralInstructionHandler": Oracle.general_instruction,
               "BelleMultiTurnInstructionHandler": Oracle.belle,
               "LeetcodePythonInstructionHandler": Oracle.leetcode,
               "MOSSInstructionHandler": Oracle.moss_instruction,
               "MOSSMultiTurnHandler": Oracle.moss_multiturn}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--handler", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--append-eod", action="store_true")
    p.add_argument("--json-keys", nargs="+", default=["text"])
    p.add_argument("--map-keys", default="")
    p.add_argument("--seq-length", type=int, default=0)
    args = p.parse_args()
    oracle = Oracle(args)
    limit = args.seq_length
    with open(args.input, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    datasets = {}
    if args.handler in PRETRAIN:
        keys = args.json_keys if args.handler == "GeneralPretrainHandler" else ["text"]
        datasets = {k: [] for k in keys}
        for r in records:
            for key, seqs in PRETRAIN[args.handler](oracle, r).items():
                seqs = [s for s in seqs if not limit or len(s) < limit]
                if seqs:
                    datasets[key].append(seqs)
    else:
        datasets = {"input_ids": [], "attention_mask": [], "labels": []}
        for r in records:
            samples = [(i, l) for i, l in INSTRUCTION[args.handler](oracle, r)
                       if not limit or len(i) < limit]
            if samples:
                datasets["input_ids"].append([i for i, _ in samples])
                datasets["attention_mask"].append([[1] * len(i) for i, _ in samples])
                datasets["labels"].append([l for _, l in samples])
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump({"datasets": datasets}, f)


if __name__ == "__main__":
    main()
