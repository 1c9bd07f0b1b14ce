// Writes test files with DuckDB (the Parquet and CSV writer the reader tests check against).
//
//   node tests/oracle/parquet_writer.mjs JOB.json
//
// JOB.json: {"statements": ["COPY (...) TO 'x.parquet' (FORMAT parquet, ...)", ...]}. The
// statements run in order in one in-memory database; the rows of the last one are printed as JSON
// on stdout (handy for reading Parquet metadata back). Exit 0 on success.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('./node/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const connection = await (await DuckDBInstance.create(':memory:')).connect();
let rows = [];
for (const sql of job.statements) {
  const reader = await connection.runAndReadAll(sql);
  rows = reader.getRowObjectsJson();
}
process.stdout.write(JSON.stringify(rows) + '\n');
