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

void limit_sequences(HandledRecord& rec, int64_t seq_length, SeqLengthPolicy policy,
                     int64_t* dropped, int64_t* truncated) {
  if (seq_length <= 0) return;
  const auto n = static_cast<size_t>(seq_length);
  const bool truncate = policy == SeqLengthPolicy::kTruncate;
  // Too long: n or more tokens when skipping (AscendSpeed's rule), more than n when cutting.
  const size_t keep = truncate ? n + 1 : n;
  for (auto& doc : rec.docs) {
    for (size_t i = 0; i < doc.size();) {
      if (doc[i].size() < keep) {
        ++i;
      } else if (truncate) {
        doc[i].resize(n);
        ++*truncated;
        ++i;
      } else {
        doc.erase(doc.begin() + static_cast<std::ptrdiff_t>(i));
        ++*dropped;
      }
    }
  }
  auto& samples = rec.samples;
  for (size_t i = 0; i < samples.size();) {
    if (samples[i].input_ids.size() < keep) {
      ++i;
    } else if (truncate) {
      samples[i].input_ids.resize(n);
      samples[i].labels.resize(n);
      ++*truncated;
      ++i;
    } else {
      samples.erase(samples.begin() + static_cast<std::ptrdiff_t>(i));
      ++*dropped;
    }
  }
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
