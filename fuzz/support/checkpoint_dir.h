#pragma once
// A tiny ascent checkpoint directory for the checkpoint harnesses: metadata.json, one shard file
// rank_00000.safetensors holding the whole model of the fixture's config (parameters only), and
// manifest.json.
#include <string>
#include <string_view>

namespace ascent::fuzz {

// fuzz/corpus/checkpoint_metadata/tiny_llama.json: the metadata of a real one-layer checkpoint.
std::string fixture_metadata();

// Makes (once) dir with the shard file of the fixture's model and returns dir.
const std::string& checkpoint_dir();
// dir/metadata.json = bytes.
void write_metadata(std::string_view bytes);
// dir/manifest.json = bytes, or (computed) every file of dir with its size and XXH3-64.
void write_manifest(std::string_view bytes);
void write_true_manifest();

// Opens the checkpoint and, when it opens, reads its parameters (and each optimizer state it
// names) into the layout of its own model config, as a resume would. Small models only.
void open_and_read_checkpoint();

}  // namespace ascent::fuzz
