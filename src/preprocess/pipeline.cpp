#include "preprocess/pipeline.h"

#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "core/timer.h"
#include "data/indexed_dataset.h"
#include "data/readers/record_reader.h"
#include "preprocess/dataset_writer.h"
#include "preprocess/empty_output.h"
#include "preprocess/handlers/handler.h"
#include "preprocess/progress.h"
#include "preprocess/text_encoder.h"
#include "preprocess/text_utils.h"
#include "tokenizer/tokenizer.h"

namespace ascent::preprocess {
using data::readers::Problem;
using data::readers::ReaderProblem;
using data::readers::Record;
namespace {

// Decompressed input bytes per batch: big enough that queue traffic is noise, small enough that
// batches spread evenly over the workers.
constexpr size_t kBatchBytes = 1 << 20;

// What became of one record.
struct Outcome {
  bool ok = false;
  HandledRecord rec;      // ok
  ReaderProblem problem;  // !ok
};

struct Batch {
  int64_t seq = 0;
  std::vector<Record> records;
  std::vector<ReaderProblem> reader_problems;  // found by the reader while reading the batch
  int64_t bytes_done = 0;                      // reader position after the batch
  std::vector<Outcome> outcomes;               // one per record, filled by a worker
  LengthLimitCounts lengths;                   // --seq-length
};

// Worker side: parse, handle and limit every record of a batch.
class BatchProcessor {
 public:
  BatchProcessor(const Handler& handler, const PreprocessOptions& opts)
      : handler_(handler), opts_(opts) {}

  void process(Batch& b) const {
    b.outcomes.resize(b.records.size());
    nlohmann::json parsed;
    for (size_t i = 0; i < b.records.size(); ++i) {
      const Record& r = b.records[i];
      Outcome& o = b.outcomes[i];
      std::optional<HandlerProblem> hp;
      if (r.kind == Record::Kind::kText) {
        hp = handler_.handle_text(r.text, o.rec);
      } else if (auto rp = data::readers::parse_record(r, parsed)) {
        // nlohmann rejects ill-formed UTF-8 inside strings as a parse error; name it for what it
        // is.
        if (rp->reason == Problem::kInvalidJson && !text::valid_utf8(r.text))
          rp->reason = Problem::kInvalidUtf8;
        o.problem = std::move(*rp);
        continue;
      } else {
        hp = handler_.handle(parsed, o.rec);
      }
      if (hp) {
        o.problem = ReaderProblem{hp->reason, r.location(), std::move(hp->message)};
        continue;
      }
      limit_sequences(o.rec, opts_.seq_length, opts_.seq_length_policy, b.lengths);
      o.ok = true;
    }
    b.records.clear();
    b.records.shrink_to_fit();
  }

 private:
  const Handler& handler_;
  const PreprocessOptions& opts_;
};

// The reader thread, the workers and the in-order hand-over to the writing thread.
class Stages {
 public:
  Stages(data::readers::RecordReader& reader, const BatchProcessor& processor, int workers)
      : reader_(reader), processor_(processor), max_in_flight_(2 * workers + 2) {
    threads_.emplace_back([this] { read_loop(); });
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this] { work_loop(); });
  }
  ~Stages() { stop(); }

  // The next batch in input order, or nullptr at the end of the input. Rethrows a reader or
  // worker failure; throws "[preprocess] interrupted" once *interrupt is set.
  std::unique_ptr<Batch> next(const std::atomic<bool>* interrupt) {
    std::unique_lock lock(mu_);
    for (;;) {
      if (error_) std::rethrow_exception(error_);
      if (interrupt && interrupt->load())
        throw error("[preprocess] interrupted; no output written");
      if (const auto it = done_.find(next_seq_); it != done_.end()) {
        std::unique_ptr<Batch> b = std::move(it->second);
        done_.erase(it);
        ++next_seq_;
        return b;
      }
      if (reader_finished_ && next_seq_ == batches_read_) return nullptr;
      done_cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
  // The writer is done with a batch: the reader may read another.
  void release() {
    {
      std::lock_guard lock(mu_);
      --in_flight_;
    }
    slot_cv_.notify_one();
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    slot_cv_.notify_all();
    work_cv_.notify_all();
    for (std::thread& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  void fail(std::exception_ptr e) {
    {
      std::lock_guard lock(mu_);
      if (!error_) error_ = e;
      stopped_ = true;
    }
    slot_cv_.notify_all();
    work_cv_.notify_all();
    done_cv_.notify_all();
  }

  void read_loop() {
    for (int64_t seq = 0;; ++seq) {
      {
        std::unique_lock lock(mu_);
        slot_cv_.wait(lock, [&] { return stopped_ || in_flight_ < max_in_flight_; });
        if (stopped_) return;
        ++in_flight_;
      }
      auto b = std::make_unique<Batch>();
      b->seq = seq;
      bool more = false;
      try {
        more = reader_.next_batch(b->records, b->reader_problems, kBatchBytes);
        b->bytes_done = reader_.bytes_done();
      } catch (...) {
        fail(std::current_exception());
        return;
      }
      const bool empty = b->records.empty() && b->reader_problems.empty();
      {
        std::lock_guard lock(mu_);
        if (empty) {
          --in_flight_;
        } else {
          work_.push_back(std::move(b));
          ++batches_read_;
        }
        if (!more) reader_finished_ = true;
      }
      work_cv_.notify_one();
      if (!more) {
        work_cv_.notify_all();
        done_cv_.notify_all();
        return;
      }
    }
  }

  void work_loop() {
    for (;;) {
      std::unique_ptr<Batch> b;
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [&] { return stopped_ || !work_.empty() || reader_finished_; });
        if (stopped_ || work_.empty()) return;
        b = std::move(work_.front());
        work_.pop_front();
      }
      try {
        processor_.process(*b);
      } catch (...) {
        fail(std::current_exception());
        return;
      }
      {
        std::lock_guard lock(mu_);
        done_[b->seq] = std::move(b);
      }
      done_cv_.notify_all();
    }
  }

  data::readers::RecordReader& reader_;
  const BatchProcessor& processor_;
  const int max_in_flight_;
  std::vector<std::thread> threads_;

  std::mutex mu_;
  std::condition_variable slot_cv_, work_cv_, done_cv_;
  std::deque<std::unique_ptr<Batch>> work_;
  std::map<int64_t, std::unique_ptr<Batch>> done_;
  int in_flight_ = 0;
  int64_t batches_read_ = 0, next_seq_ = 0;
  bool reader_finished_ = false, stopped_ = false;
  std::exception_ptr error_;
};

// Counts a rejected piece of input, or stops the run on it with --strict.
void reject(const PreprocessOptions& opts, const ReaderProblem& p, PreprocessStats& stats) {
  if (opts.strict) throw error("[preprocess] ", describe(p), " (--strict)");
  stats.add_problem(p, opts.max_examples);
}

void write_batch(const PreprocessOptions& opts, Batch& b, DatasetWriter& writer,
                 PreprocessStats& stats) {
  for (const ReaderProblem& p : b.reader_problems) reject(opts, p, stats);
  for (Outcome& o : b.outcomes) {
    ++stats.records;
    if (!o.ok) {
      reject(opts, o.problem, stats);
      continue;
    }
    writer.write(o.rec, &stats.documents, &stats.sequences, &stats.tokens);
  }
  stats.dropped_too_long += b.lengths.dropped;
  stats.truncated += b.lengths.truncated;
  stats.kept_long += b.lengths.kept_long;
}

// --vocab-file / --merge-file by name (Megatron's GPT2BPETokenizer), else --tokenizer-name-or-path.
std::unique_ptr<tokenizer::Tokenizer> load_tokenizer(const PreprocessOptions& opts) {
  if (!opts.vocab_file.empty())
    return tokenizer::load_gpt2_bpe_files(opts.vocab_file, opts.merge_file);
  return tokenizer::load_tokenizer(opts.tokenizer_type, opts.tokenizer_path);
}

}  // namespace

PreprocessStats run_preprocess(const PreprocessOptions& opts, const std::atomic<bool>* interrupt) {
  opts.validate();
  const std::unique_ptr<tokenizer::Tokenizer> tok = load_tokenizer(opts);
  const TextEncoder encoder(*tok, opts.tokenizer_type);
  const std::unique_ptr<Handler> handler = make_handler(opts, encoder);
  if ((opts.append_eod || handler->writes_eos()) && tok->eos_id() < 0)
    throw error("[preprocess] ", opts.append_eod ? "--append-eod" : opts.handler_name.c_str(),
                ": tokenizer ", opts.tokenizer_path, " has no EOS token");

  data::readers::ReaderOptions reader_opts;
  reader_opts.document_per_file = opts.document_per_file;
  reader_opts.columns = handler->input_fields();
  const std::unique_ptr<data::readers::RecordReader> reader =
      data::readers::open_input(opts.input, reader_opts);

  const OutputKind kind = handler->kind();
  const data::TokenType type = kind == OutputKind::kInstruction || opts.token_dtype == "int32"
                                   ? data::TokenType::I32
                                   : data::token_type_for_vocab(tok->vocab_size());
  DatasetWriter writer(kind, output_prefixes(opts.output_prefix, kind, handler->output_keys()),
                       type);

  PreprocessStats stats;
  stats.input_bytes = reader->bytes_total();
  const int workers = opts.workers > 0 ? opts.workers : std::max(1, omp_get_max_threads());
  Progress progress(reader->bytes_total(), opts.log_interval,
                    ::isatty(::fileno(stderr)) ? stderr : nullptr);
  const Timer timer;
  const BatchProcessor processor(*handler, opts);
  {
    Stages stages(*reader, processor, workers);
    int64_t bytes_done = 0;
    while (std::unique_ptr<Batch> b = stages.next(interrupt)) {
      write_batch(opts, *b, writer, stats);
      bytes_done = b->bytes_done;
      b.reset();
      stages.release();
      progress.update(stats.documents, stats.tokens, bytes_done);
    }
    stats.input_bytes = std::max(stats.input_bytes, bytes_done);
  }
  progress.finish();
  if (interrupt && interrupt->load()) throw error("[preprocess] interrupted; no output written");
  throw_if_nothing_written(opts, stats);
  writer.commit();
  stats.seconds = timer.seconds();
  stats.outputs = writer.prefixes();
  return stats;
}

}  // namespace ascent::preprocess
