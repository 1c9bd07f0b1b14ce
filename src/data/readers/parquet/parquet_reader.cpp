// .parquet: the footer's schema and row groups, then one row group at a time (only the requested
// columns' chunks), each row an object {column: value}. A row group that does not decode is
// reported (kParquetCorrupt, "file: row group g") and skipped; a cut file (no footer) is
// reported as kTruncated and yields nothing.
#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

#include "core/error.h"
#include "data/readers/formats.h"
#include "data/readers/input_file.h"
#include "data/readers/parquet/column_reader.h"
#include "data/readers/parquet/parquet_metadata.h"

namespace ascent::data::readers {
namespace {

using parquet::Corrupt;
using parquet::FileMeta;
using parquet::LeafColumn;

constexpr char kMagic[] = "PAR1";

class ParquetReader final : public RecordReader {
 public:
  ParquetReader(const std::string& path, const ReaderOptions& opts)
      : file_(path), wanted_(opts.columns) {
    char head[4] = {};
    if (file_.size() >= 4) file_.read_at(0, head, 4);
    if (file_.size() < 4 || std::memcmp(head, kMagic, 4) != 0)
      throw error("[preprocess] ", path, ": not a Parquet file (no PAR1 magic at the start)");
  }

  bool next_batch(std::vector<Record>& out, std::vector<ReaderProblem>& problems,
                  size_t max_bytes) override {
    if (ended_) return false;
    const size_t before = out.size() + problems.size();
    if (!opened_ && !open(problems)) {
      finish();
      return true;
    }
    size_t used = 0;
    while (used < max_bytes || used == 0) {
      if (row_ == rows_) {
        if (next_group_ == meta_.row_groups.size()) {
          finish();
          break;
        }
        load_group(next_group_++, problems);
        continue;
      }
      used += emit_row(out);
    }
    return !ended_ || out.size() + problems.size() > before;
  }

  int64_t bytes_done() const override { return done_; }
  int64_t bytes_total() const override { return file_.size(); }

 private:
  struct Column {
    const LeafColumn* leaf;
    size_t chunk_index;                  // in each row group
    std::vector<nlohmann::json> values;  // of the loaded row group
  };

  std::string where(const std::string& what) const { return file_.path() + ": " + what; }

  void finish() {
    ended_ = true;
    done_ = file_.size();
  }

  // Reads the footer and picks the columns; false (with a problem) when the file is cut or its
  // footer does not decode.
  bool open(std::vector<ReaderProblem>& problems) {
    opened_ = true;
    const int64_t size = file_.size();
    char tail[8];
    if (size >= 12) file_.read_at(size - 8, tail, 8);
    uint32_t footer_len = 0;
    std::memcpy(&footer_len, tail, 4);
    if (size < 12 || std::memcmp(tail + 4, kMagic, 4) != 0 || footer_len > size - 12) {
      if (size >= 12 && std::memcmp(tail + 4, "PARE", 4) == 0)
        throw error("[preprocess] ", file_.path(), ": encrypted Parquet files are not supported");
      problems.push_back({Problem::kTruncated, where("footer"),
                          "no Parquet footer at the end of the file (the file is cut short?); "
                          "nothing of it can be read"});
      return false;
    }
    std::vector<uint8_t> footer(footer_len);
    file_.read_at(size - 8 - footer_len, reinterpret_cast<char*>(footer.data()), footer_len);
    std::vector<LeafColumn> leaves;
    try {
      meta_ = parquet::parse_file_meta(footer.data(), footer.size());
      leaves = parquet::leaf_columns(meta_);
    } catch (const Corrupt& e) {
      problems.push_back({Problem::kParquetCorrupt, where("footer"),
                          std::string("the footer does not decode (") + e.what() +
                              "); nothing of the file can be read"});
      return false;
    }
    if (meta_.encrypted)
      throw error("[preprocess] ", file_.path(), ": encrypted Parquet files are not supported");
    leaves_ = std::move(leaves);
    data_end_ = size - 8 - footer_len;
    select_columns();
    return true;
  }

  void select_columns() {
    std::vector<std::string> names;  // top-level, in schema order
    for (const auto& l : leaves_)
      if (std::find(names.begin(), names.end(), l.name) == names.end()) names.push_back(l.name);
    const auto& wanted = wanted_.empty() ? names : wanted_;
    for (const std::string& name : wanted) {
      std::vector<size_t> idx;
      for (size_t i = 0; i < leaves_.size(); ++i)
        if (leaves_[i].name == name) idx.push_back(i);
      if (idx.empty()) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        throw error("[preprocess] ", file_.path(), ": no column '", name, "' (columns: ", list,
                    ")");
      }
      const LeafColumn& leaf = leaves_[idx[0]];
      if (idx.size() > 1 || !leaf.flat)
        throw error("[preprocess] ", file_.path(), ": column '", name,
                    "' is nested or repeated (a list, map or struct), which is not supported",
                    wanted_.empty() ? "; pass the columns to read" : "");
      const auto& e = meta_.schema[leaf.schema_index];
      if (e.type == parquet::kInt96)
        throw error("[preprocess] ", file_.path(), ": column '", name,
                    "' has the legacy INT96 type, which is not supported");
      if (std::find_if(columns_.begin(), columns_.end(),
                       [&](const Column& c) { return c.leaf->name == name; }) == columns_.end())
        columns_.push_back(Column{&leaf, idx[0], {}});
    }
  }

  // Decodes the chunks of the selected columns of row group g; a failure skips the group.
  void load_group(size_t g, std::vector<ReaderProblem>& problems) {
    const auto& rg = meta_.row_groups[g];
    row_ = rows_ = 0;
    group_ = static_cast<int64_t>(g);
    try {
      if (rg.columns.size() != leaves_.size())
        throw Corrupt(std::to_string(rg.columns.size()) + " column chunks for " +
                      std::to_string(leaves_.size()) + " columns");
      if (rg.num_rows < 0) throw Corrupt("a negative row count");
      for (Column& c : columns_) {
        c.values.clear();
        const auto& chunk = rg.columns[c.chunk_index];
        const auto& e = meta_.schema[c.leaf->schema_index];
        if (!chunk.has_meta) throw Corrupt("column '" + c.leaf->path + "' has no metadata");
        if (chunk.type != e.type)
          throw Corrupt("column '" + c.leaf->path + "': chunk type differs from the schema");
        if (!parquet::codec_supported(chunk.codec) && chunk.codec >= 0 &&
            chunk.codec <= parquet::kLz4Raw)
          throw error("[preprocess] ", file_.path(), ": column '", c.leaf->path, "' uses ",
                      parquet::codec_name(chunk.codec),
                      " compression, which is not supported (use snappy, gzip, zstd or none)");
        int64_t start = chunk.data_page_offset;
        if (chunk.dictionary_page_offset > 0 && chunk.dictionary_page_offset < start)
          start = chunk.dictionary_page_offset;
        const int64_t len = chunk.total_compressed_size;
        if (start < 4 || len < 0 || start > data_end_ || len > data_end_ - start)
          throw Corrupt("column '" + c.leaf->path + "': chunk bytes outside the file");
        buf_.resize(static_cast<size_t>(len));
        file_.read_at(start, reinterpret_cast<char*>(buf_.data()), buf_.size());
        parquet::read_column_chunk(buf_.data(), buf_.size(), e, *c.leaf, chunk, rg.num_rows,
                                   c.values);
        done_ = std::max(done_, std::min(start + len, data_end_));
      }
      rows_ = rg.num_rows;
    } catch (const Corrupt& e) {
      skip_group(g, e.what(), problems);
    } catch (const std::bad_alloc&) {  // sizes in a damaged file can ask for anything
      skip_group(g, "sizes beyond the memory available", problems);
    } catch (const std::length_error&) {
      skip_group(g, "sizes beyond the memory available", problems);
    }
    buf_.clear();
    buf_.shrink_to_fit();
  }

  void skip_group(size_t g, const std::string& why, std::vector<ReaderProblem>& problems) {
    for (Column& c : columns_) std::vector<nlohmann::json>().swap(c.values);
    problems.push_back(
        {Problem::kParquetCorrupt, where("row group " + std::to_string(g)),
         why + "; its " + std::to_string(meta_.row_groups[g].num_rows) + " rows are skipped"});
  }

  // Appends row row_ of the loaded group; returns about how many bytes it holds.
  size_t emit_row(std::vector<Record>& out) {
    Record& r = out.emplace_back();
    r.kind = Record::Kind::kFields;
    r.fields = nlohmann::json::object();
    size_t bytes = 16;
    for (Column& c : columns_) {
      nlohmann::json& v = c.values[static_cast<size_t>(row_)];
      bytes += v.is_string() ? v.get_ref<const std::string&>().size() : 8;
      r.fields[c.leaf->name] = std::move(v);
    }
    r.file = file_.path();
    r.row_group = group_;
    r.line = row_++;
    if (row_ == rows_)
      for (Column& c : columns_) std::vector<nlohmann::json>().swap(c.values);
    return bytes;
  }

  InputFile file_;
  std::vector<std::string> wanted_;
  FileMeta meta_;
  std::vector<LeafColumn> leaves_;
  std::vector<Column> columns_;
  std::vector<uint8_t> buf_;
  int64_t data_end_ = 0;
  size_t next_group_ = 0;
  int64_t group_ = -1, row_ = 0, rows_ = 0;
  int64_t done_ = 0;
  bool opened_ = false, ended_ = false;
};

}  // namespace

std::unique_ptr<RecordReader> open_parquet(const std::string& path, const ReaderOptions& opts) {
  return std::make_unique<ParquetReader>(path, opts);
}

}  // namespace ascent::data::readers
