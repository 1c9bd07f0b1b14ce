#include "preprocess/dataset_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace ascent::preprocess {

std::vector<std::string> output_prefixes(const std::string& output_prefix, OutputKind kind,
                                         const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  // AscendSpeed's instruction handlers append "_packed" to the output prefix.
  const std::string base =
      kind == OutputKind::kInstruction ? output_prefix + "_packed" : output_prefix;
  for (const std::string& key : keys) out.push_back(base + "_" + key + "_document");
  return out;
}

namespace {

// Applies the policy to one list of sequences; `length` gives a sequence's token count and `cut`
// shortens one to n tokens.
template <typename Seq, typename Length, typename Cut>
void limit_list(std::vector<Seq>& seqs, size_t n, SeqLengthPolicy policy, Length length, Cut cut,
                LengthLimitCounts& counts) {
  for (size_t i = 0; i < seqs.size();) {
    const size_t len = length(seqs[i]);
    if (policy == SeqLengthPolicy::kDrop && len >= n) {  // AscendSpeed-era rule: n or more
      seqs.erase(seqs.begin() + static_cast<std::ptrdiff_t>(i));
      ++counts.dropped;
      continue;
    }
    if (len > n) {
      if (policy == SeqLengthPolicy::kTruncate) {
        cut(seqs[i], n);
        ++counts.truncated;
      } else {
        ++counts.kept_long;
      }
    }
    ++i;
  }
}

}  // namespace

void limit_sequences(HandledRecord& rec, int64_t seq_length, SeqLengthPolicy policy,
                     LengthLimitCounts& counts) {
  if (seq_length <= 0) return;
  const auto n = static_cast<size_t>(seq_length);
  for (auto& doc : rec.docs)
    limit_list(
        doc, n, policy, [](const std::vector<int32_t>& s) { return s.size(); },
        [](std::vector<int32_t>& s, size_t k) { s.resize(k); }, counts);
  limit_list(
      rec.samples, n, policy, [](const InstructionSample& s) { return s.input_ids.size(); },
      [](InstructionSample& s, size_t k) {
        s.input_ids.resize(k);
        s.labels.resize(k);
      },
      counts);
}

DatasetWriter::DatasetWriter(OutputKind kind, std::vector<std::string> prefixes,
                             data::TokenType type)
    : kind_(kind), prefixes_(std::move(prefixes)) {
  for (const std::string& prefix : prefixes_) {
    const std::filesystem::path parent = std::filesystem::path(prefix).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) throw error("[preprocess] --output-prefix ", prefix, ": ", ec.message());
  }
  const std::string tag = ".partial." + std::to_string(::getpid());
  for (const std::string& prefix : prefixes_) {
    staging_.push_back(prefix + tag);
    builders_.push_back(std::make_unique<data::IndexedDatasetBuilder>(staging_.back(), type));
  }
}

DatasetWriter::~DatasetWriter() {
  builders_.clear();  // removes the builders' own temporaries
  if (committed_) return;
  for (const std::string& s : staging_) {
    std::remove((s + ".bin").c_str());
    std::remove((s + ".idx").c_str());
  }
}

void DatasetWriter::write(const HandledRecord& rec, int64_t* documents, int64_t* sequences,
                          int64_t* tokens) {
  if (kind_ == OutputKind::kPretrain) {
    bool any = false;
    for (size_t k = 0; k < rec.docs.size() && k < builders_.size(); ++k) {
      if (rec.docs[k].empty()) continue;
      for (const auto& seq : rec.docs[k]) {
        builders_[k]->add_sequence(seq);
        ++*sequences;
        *tokens += static_cast<int64_t>(seq.size());
      }
      builders_[k]->end_document();
      any = true;
    }
    if (any) ++*documents;
    return;
  }
  if (rec.samples.empty()) return;
  for (const InstructionSample& s : rec.samples) {
    if (ones_.size() < s.input_ids.size()) ones_.resize(s.input_ids.size(), 1);
    builders_[0]->add_sequence(s.input_ids);
    builders_[1]->add_sequence(std::span<const int32_t>(ones_.data(), s.input_ids.size()));
    builders_[2]->add_sequence(s.labels);
    ++*sequences;
    *tokens += static_cast<int64_t>(s.input_ids.size());
  }
  for (auto& b : builders_) b->end_document();
  ++*documents;
}

void DatasetWriter::commit() {
  for (auto& b : builders_) b->finalize();
  // Every .bin first, then every .idx: a dataset is visible only once its index is in place.
  for (const char* ext : {".bin", ".idx"}) {
    for (size_t k = 0; k < prefixes_.size(); ++k) {
      const std::string from = staging_[k] + ext, to = prefixes_[k] + ext;
      if (std::rename(from.c_str(), to.c_str()) != 0)
        throw error("[preprocess] ", to, ": cannot rename into place: ", std::strerror(errno));
    }
  }
  committed_ = true;
}

}  // namespace ascent::preprocess
