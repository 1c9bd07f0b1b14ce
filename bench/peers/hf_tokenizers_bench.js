#!/usr/bin/env node
// The HF `tokenizers` library (Rust, through its napi binding) on the same work as
// bench/tokenizer_bench.cpp: the text cut into ~4 KB documents at line ends, every document
// encoded with addSpecialTokens=false by encodeBatch; first pass (cold cache) and best of the
// following passes. Run with RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false for one core.
//
//   node bench/peers/hf_tokenizers_bench.js --tokenizer tokenizer.json --input FILE
//        [--name NAME] [--repeat N]
'use strict';
const fs = require('fs');
const path = require('path');
const {Tokenizer} = require(path.join(__dirname, '..', '..', 'tests', 'oracle', 'node', 'node_modules',
                                      'tokenizers'));

function parseArgs(argv) {
  const args = {repeat: '5'};
  for (let i = 0; i + 1 < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!args.tokenizer || !args.input) throw new Error('usage: --tokenizer FILE --input FILE');
  return args;
}

function documents(text) {
  const docs = [];
  let cur = '';
  for (const line of text.split(/(?<=\n)/)) {
    cur += line;
    if (Buffer.byteLength(cur, 'utf8') >= 4096) {
      docs.push(cur);
      cur = '';
    }
  }
  if (cur.length) docs.push(cur);
  return docs;
}

(async () => {
  const args = parseArgs(process.argv.slice(2));
  const text = fs.readFileSync(args.input, 'utf8');
  const docs = documents(text);
  let t0 = process.hrtime.bigint();
  const tok = Tokenizer.fromFile(args.tokenizer);
  const loadS = Number(process.hrtime.bigint() - t0) / 1e9;
  let first = 0, best = Infinity, bestCpu = 0, tokens = 0;
  for (let r = 0; r < Math.max(2, Number(args.repeat)); ++r) {
    const cpu0 = process.cpuUsage();
    t0 = process.hrtime.bigint();
    const encodings = await tok.encodeBatch(docs, {addSpecialTokens: false});
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    tokens = encodings.reduce((n, e) => n + e.getLength(), 0);
    if (r === 0) {
      first = s;
    } else if (s < best) {
      best = s;
      bestCpu = (cpu.user + cpu.system) / 1e6;
    }
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  const mb = bytes / 1e6;
  console.log(JSON.stringify({
    peer: 'hf_tokenizers', tokenizer: args.name || args.tokenizer, threads: 1, bytes, tokens,
    load_s: loadS, first_pass_mb_per_s: mb / first, seconds: best, cpu_seconds: bestCpu,
    mb_per_s: mb / best, tokens_per_s: tokens / best,
  }));
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
