# Every fuzz harness, as name:library[:support file...]: fuzz/harnesses/<name>.cpp becomes the
# executable fuzz_<name>, linked with that library of fuzz/CMakeLists.txt and fuzz/support/
# harness.cpp plus the support files named. Read by fuzz/CMakeLists.txt (the clang build) and by
# cmake/fuzz_tests.cmake (the ctest entries of the main build).
set(fuzz_harnesses
  "indexed_dataset:fuzz_data"
  "safetensors:fuzz_checkpoint"
  "safetensors_index:fuzz_checkpoint"
  "hf_config:fuzz_checkpoint"
  "checkpoint_metadata:fuzz_checkpoint:checkpoint_dir"
  "checkpoint_manifest:fuzz_checkpoint:checkpoint_dir"
  "tokenizer_json:fuzz_tokenizer:tokenizer_use"
  "tokenizer_gpt2_files:fuzz_tokenizer:tokenizer_use"
  "tokenizer_encode:fuzz_tokenizer:tokenizer_use"
  "sentencepiece:fuzz_tokenizer:tokenizer_use"
  "reader_json:fuzz_data:read_records"
  "reader_jsonl:fuzz_data:read_records"
  "reader_csv:fuzz_data:read_records"
  "reader_parquet:fuzz_data:read_records"
  "reader_compressed:fuzz_data:read_records"
  "toml_config:fuzz_cli_config")
