#!/usr/bin/env node
// HuggingFace `tokenizers` reference for the C++ tokenizer tests (the real Rust library through
// its napi binding, installed in tests/oracle/node/node_modules).
//
//   node hf_tokenizers_oracle.js encode --tokenizer T.json --input TEXTS.jsonl --output OUT.json
//       TEXTS.jsonl holds one JSON string per line. OUT.json is one object:
//       {"vocab_size": getVocabSize(true),
//        "results": [{"ids": encode(text, addSpecialTokens=false),
//                     "ids_special": encode(text) (the library's default, post-processor applied),
//                     "decoded": decode(ids_special, skipSpecialTokens=true)} per line]}
//       (ids_special is computed as postProcess(encoding, null, true), which is what encode does
//       with addSpecialTokens=true.)
//
//   node hf_tokenizers_oracle.js encode-many --tokenizers FILES.jsonl --input TEXTS.jsonl
//                                            --output OUT.json
//       The same for several tokenizer files (one JSON string per line) in one process:
//       OUT.json maps each file to its object as above, or to {"error": message} when the
//       library rejects the file.
//
//   node hf_tokenizers_oracle.js decode --tokenizer T.json --input IDS.jsonl --output OUT.json
//       IDS.jsonl holds one JSON array of ids per line; OUT.json is
//       {"skip": [decode(ids, true) per line], "keep": [decode(ids, false) per line]}.
//
//   node hf_tokenizers_oracle.js train-gpt2 --corpus FILE --output-dir DIR
//       Trains a byte-level BPE on FILE with the library's default BPE trainer (ByteLevel
//       pre-tokenizer without prefix space), completes its alphabet with the 256 byte-level
//       characters, adds "<|endoftext|>" as a special token and writes DIR/tokenizer.json
//       (ByteLevel pre-tokenizer, post-processor and decoder: GPT-2's layout) plus GPT-2's original
//       files DIR/vocab.json and DIR/merges.txt holding the same vocabulary.
'use strict';
const fs = require('fs');
const path = require('path');
const {Tokenizer, BPE, byteLevelPreTokenizer} =
    require(path.join(__dirname, 'node', 'node_modules', 'tokenizers'));

function parseArgs(argv) {
  const args = {cmd: argv[0]};
  for (let i = 1; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  return args;
}

function readJsonLines(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

async function encodeTexts(tokenizerFile, texts) {
  const tok = Tokenizer.fromFile(tokenizerFile);
  const plain = await tok.encodeBatch(texts, {addSpecialTokens: false});
  // What encode(text) gives by default: the same encoding through the post-processor.
  const special = plain.map((e) => tok.postProcess(e, null, true).getIds());
  const decoded = await tok.decodeBatch(special, true);
  const results = plain.map((e, i) => ({ids: e.getIds(), ids_special: special[i], decoded: decoded[i]}));
  return {vocab_size: tok.getVocabSize(true), results};
}

async function encode(args) {
  const out = await encodeTexts(args.tokenizer, readJsonLines(args.input));
  fs.writeFileSync(args.output, JSON.stringify(out));
}

async function encodeMany(args) {
  const texts = readJsonLines(args.input);
  const outputs = {};
  for (const file of readJsonLines(args.tokenizers)) {
    try {
      outputs[file] = await encodeTexts(file, texts);
    } catch (e) {
      outputs[file] = {error: String(e)};
    }
  }
  fs.writeFileSync(args.output, JSON.stringify(outputs));
}

async function decode(args) {
  const tok = Tokenizer.fromFile(args.tokenizer);
  const lists = readJsonLines(args.input);
  const out = {skip: [], keep: []};
  for (const ids of lists) {
    out.skip.push(await tok.decode(ids, true));
    out.keep.push(await tok.decode(ids, false));
  }
  fs.writeFileSync(args.output, JSON.stringify(out));
}

// The 256 characters GPT-2's byte-level encoding maps bytes to.
function byteLevelAlphabet() {
  const chars = [];
  for (let b = 0; b < 256; ++b) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars.push(printable ? b : -1);
  }
  let next = 256;
  return chars.map((c) => String.fromCodePoint(c >= 0 ? c : next++));
}

function trainGpt2(args) {
  const trainer = new Tokenizer(BPE.empty());
  trainer.setPreTokenizer(byteLevelPreTokenizer(false, true));
  trainer.train([args.corpus]);
  const dir = args['output-dir'];
  fs.mkdirSync(dir, {recursive: true});
  const tmp = path.join(dir, 'trained.json');
  trainer.save(tmp, false);
  const model = JSON.parse(fs.readFileSync(tmp, 'utf8')).model;
  fs.unlinkSync(tmp);

  const vocab = model.vocab;
  let nextId = Math.max(...Object.values(vocab)) + 1;
  for (const c of byteLevelAlphabet()) {
    if (!(c in vocab)) vocab[c] = nextId++;
  }
  const merges = model.merges.map((m) => (Array.isArray(m) ? m : m.split(' ')));
  const byteLevel = {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true};
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{id: nextId, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false,
                    normalized: true, special: true}],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
            end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
            vocab, merges},
  };
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
  const gpt2Vocab = Object.assign({}, vocab, {'<|endoftext|>': nextId});
  fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(gpt2Vocab));
  fs.writeFileSync(path.join(dir, 'merges.txt'),
                   '#version: 0.2\n' + merges.map((m) => m.join(' ')).join('\n') + '\n');
}

const commands = {encode, 'encode-many': encodeMany, decode, 'train-gpt2': trainGpt2};
(async () => {
  const args = parseArgs(process.argv.slice(2));
  if (!commands[args.cmd]) throw new Error(`unknown command ${args.cmd}; expected ${Object.keys(commands)}`);
  await commands[args.cmd](args);
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
