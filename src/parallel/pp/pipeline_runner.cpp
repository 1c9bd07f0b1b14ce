#include "parallel/pp/pipeline_runner.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "core/error.h"
#include "parallel/pp/schedule.h"

namespace ascent::parallel::pp {
namespace {

// Tags. MPI guarantees tags up to 32767. A message is named by its direction, the chunk that
// sends it and its micro-batch modulo period = 16384 / chunks:
//   tag = direction + 2 * (sender_chunk + chunks * (m mod period))  <= 32767.
// With the source rank this tells every message between two ranks apart within a window of
// `period` micro-batches (far more than a stage has in flight). Micro-batches m and m + period
// share a tag, which is still unambiguous by MPI's non-overtaking rule: for one (direction,
// sending chunk) both schedules visit micro-batches in increasing order, so for one (source,
// tag) the sender sends and the receiver posts its receives in the same order, and MPI matches
// them in that order.
constexpr int kForwardTag = 0, kBackwardTag = 1;
constexpr int kTagSpace = 16384;

// A boundary buffer (activation or gradient), reused across micro-batches and steps.
struct Slab {
  std::unique_ptr<float[]> data;
  int64_t capacity = 0;
};

// Forwarded (chunk, micro-batch) awaiting its backward.
struct InFlight {
  Slab input;           // received input (empty on virtual stage 0)
  Request output_send;  // the forward output on its way to the next stage
};

// A receive posted ahead for action `index` of the schedule.
struct PendingRecv {
  int64_t index = -1;
  Slab buf;
  Request request;
};

struct PendingSend {
  Slab buf;
  Request request;
};

// The boundary buffers of a runner: kept from micro-batch to micro-batch and step to step.
class BufferPool {
 public:
  // Smallest pooled buffer that fits, else the largest regrown, else a new one.
  Slab acquire(int64_t n) {
    int best = -1, largest = -1;
    for (int i = 0; i < static_cast<int>(free_.size()); ++i) {
      const int64_t c = free_[i].capacity;
      if (c >= n && (best < 0 || c < free_[best].capacity)) best = i;
      if (largest < 0 || c > free_[largest].capacity) largest = i;
    }
    const int pick = best >= 0 ? best : largest;
    Slab s;
    if (pick >= 0) {
      s = std::move(free_[pick]);
      free_.erase(free_.begin() + pick);
    } else {
      ++buffers_;
    }
    if (s.capacity < n || !s.data) {
      s.capacity = std::max<int64_t>(n, 1);
      s.data = std::make_unique_for_overwrite<float[]>(static_cast<size_t>(s.capacity));
    }
    return s;
  }
  void release(Slab&& s) {
    if (s.data) free_.push_back(std::move(s));
  }
  int buffers() const { return buffers_; }

 private:
  std::vector<Slab> free_;
  int buffers_ = 0;  // buffers that exist, pooled or in use
};

// One run(): walks the schedule, owning the transfers in flight.
//
// Why no rank can deadlock. Sends never block (isend); a rank blocks only in
//   1. the wait for a receive its current action needs (input or output gradient). These are
//      exactly the data dependencies of the schedule, which schedule_test simulates for all
//      ranks under a blocking-receive model and finds free of cycles;
//   2. the wait for its forward output's send just before backward(chunk, m). It comes after
//      the wait for the gradient of (chunk, m): the next stage produced that gradient after its
//      forward on this output, so the send has been matched and the wait returns;
//   3. the waits for gradient sends at the end of run(). Every receiver gets to its end by (1)
//      and (2) alone, posting all its receives on the way.
// Receives are posted one action ahead (before the current action computes), so a transfer
// can proceed while this rank computes; neither neighbour ever waits for the other's send.
class Step {
 public:
  Step(const Comm& pp, int chunks, BufferPool& pool, int64_t& bytes_sent, StageModel& model,
       int64_t micro_batches, std::vector<Action> actions, bool forward_only = false)
      : pp_(pp),
        pool_(pool),
        bytes_sent_(bytes_sent),
        model_(model),
        chunks_(chunks),
        rank_(pp.rank()),
        stages_(pp.size()),
        next_((pp.rank() + 1) % pp.size()),
        prev_((pp.rank() + pp.size() - 1) % pp.size()),
        micro_batches_(micro_batches),
        actions_(std::move(actions)),
        in_flight_(static_cast<size_t>(chunks) * micro_batches),
        last_backward_(chunks, -1),
        forward_only_(forward_only) {
    for (int64_t i = 0; i < static_cast<int64_t>(actions_.size()); ++i)
      if (actions_[i].op == Op::Backward) last_backward_[actions_[i].chunk] = i;
  }

  // After an exception (from the model, or a check), transfers may still be in flight: leak
  // their buffers rather than let MPI write into freed memory.
  ~Step() {
    if (input_recv_.request.pending()) (void)input_recv_.buf.data.release();
    if (grad_recv_.request.pending()) (void)grad_recv_.buf.data.release();
    for (PendingSend& s : sends_)
      if (s.request.pending()) (void)s.buf.data.release();
  }
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

  void execute() {
    post_input_recv(0);
    post_grad_recv(0);
    for (int64_t i = 0; i < static_cast<int64_t>(actions_.size()); ++i) {
      reclaim_sends();
      if (actions_[i].op == Op::Forward)
        forward(i);
      else
        backward(i);
    }
    for (PendingSend& s : sends_) {
      pp_.wait(s.request);
      pool_.release(std::move(s.buf));
    }
    sends_.clear();
  }

 private:
  int virtual_stage(int chunk) const { return chunk * stages_ + rank_; }
  bool first(int chunk) const { return virtual_stage(chunk) == 0; }
  bool last(int chunk) const { return virtual_stage(chunk) == chunks_ * stages_ - 1; }
  bool needs_input(const Action& a) const { return a.op == Op::Forward && !first(a.chunk); }
  bool needs_grad(const Action& a) const { return a.op == Op::Backward && !last(a.chunk); }
  int tag(int direction, int sender_chunk, int64_t m) const {
    const int64_t period = kTagSpace / chunks_;
    return direction + 2 * (sender_chunk + chunks_ * static_cast<int>(m % period));
  }
  InFlight& slot(const Action& a) {
    return in_flight_[static_cast<size_t>(a.chunk) * micro_batches_ + a.micro_batch];
  }

  // Posts the receive of the first action at or after `from` that needs an input (a forward
  // from the previous stage) or, with `grad`, an output gradient (a backward from the next one).
  void post_recv(int64_t from, bool grad) {
    for (int64_t j = from; j < static_cast<int64_t>(actions_.size()); ++j) {
      const Action& a = actions_[j];
      if (!(grad ? needs_grad(a) : needs_input(a))) continue;
      const int64_t n = model_.boundary_elements(a.micro_batch);
      const int sender_chunk = (virtual_stage(a.chunk) + (grad ? 1 : -1)) / stages_;
      PendingRecv& r = grad ? grad_recv_ : input_recv_;
      r.index = j;
      r.buf = pool_.acquire(n);
      r.request = pp_.irecv(r.buf.data.get(), n, grad ? next_ : prev_,
                            tag(grad ? kBackwardTag : kForwardTag, sender_chunk, a.micro_batch));
      return;
    }
  }
  void post_input_recv(int64_t from) { post_recv(from, false); }
  void post_grad_recv(int64_t from) { post_recv(from, true); }

  void forward(int64_t i) {
    const Action& a = actions_[i];
    InFlight& s = slot(a);
    const float* input = nullptr;
    if (needs_input(a)) {
      ASCENT_CHECK(input_recv_.index == i) << "[pp] forward input not posted for action " << i;
      pp_.wait(input_recv_.request);
      s.input = std::move(input_recv_.buf);
      input_recv_.index = -1;
      input = s.input.data.get();
      post_input_recv(i + 1);
    }
    const float* output = model_.forward(a.chunk, a.micro_batch, input);
    if (!last(a.chunk)) {
      ASCENT_CHECK(output != nullptr)
          << "[pp] forward of chunk " << a.chunk << " returned no output";
      const int64_t n = model_.boundary_elements(a.micro_batch);
      s.output_send = pp_.isend(output, n, next_, tag(kForwardTag, a.chunk, a.micro_batch));
      bytes_sent_ += n * static_cast<int64_t>(sizeof(float));
    }
    if (forward_only_) {
      // No backward will come: the model reuses its output buffer at its next forward.
      pp_.wait(s.output_send);
      pool_.release(std::move(s.input));
    }
  }

  void backward(int64_t i) {
    const Action& a = actions_[i];
    InFlight& s = slot(a);
    Slab grad;
    if (needs_grad(a)) {
      ASCENT_CHECK(grad_recv_.index == i) << "[pp] output gradient not posted for action " << i;
      pp_.wait(grad_recv_.request);
      grad = std::move(grad_recv_.buf);
      grad_recv_.index = -1;
      post_grad_recv(i + 1);
    }
    // The model may overwrite its output during backward. The next stage has already finished
    // its forward on this output (its gradient just arrived), so this wait does not block on it.
    pp_.wait(s.output_send);
    const float* dinput = model_.backward(a.chunk, a.micro_batch, grad.data.get());
    pool_.release(std::move(grad));
    if (!first(a.chunk)) {
      ASCENT_CHECK(dinput != nullptr)
          << "[pp] backward of chunk " << a.chunk << " returned no input gradient";
      // dinput is valid only until the next model call: carry it out in the input's buffer,
      // which is free now and has the same size.
      const int64_t n = model_.boundary_elements(a.micro_batch);
      PendingSend send{std::move(s.input), {}};
      if (dinput != send.buf.data.get())
        std::memcpy(send.buf.data.get(), dinput, static_cast<size_t>(n) * sizeof(float));
      send.request =
          pp_.isend(send.buf.data.get(), n, prev_, tag(kBackwardTag, a.chunk, a.micro_batch));
      bytes_sent_ += n * static_cast<int64_t>(sizeof(float));
      sends_.push_back(std::move(send));
    }
    if (i == last_backward_[a.chunk]) model_.chunk_backward_done(a.chunk);
  }

  // Returns the buffers of completed gradient sends to the pool (and drives MPI progress).
  void reclaim_sends() {
    size_t kept = 0;
    for (size_t j = 0; j < sends_.size(); ++j) {
      if (pp_.test(sends_[j].request)) {
        pool_.release(std::move(sends_[j].buf));
      } else {
        if (kept != j) sends_[kept] = std::move(sends_[j]);
        ++kept;
      }
    }
    sends_.resize(kept);
  }

  const Comm& pp_;
  BufferPool& pool_;
  int64_t& bytes_sent_;
  StageModel& model_;
  const int chunks_, rank_, stages_, next_, prev_;
  const int64_t micro_batches_;
  const std::vector<Action> actions_;
  std::vector<InFlight> in_flight_;     // [chunks * micro_batches]
  std::vector<int64_t> last_backward_;  // [chunks] action index of each chunk's last backward
  PendingRecv input_recv_, grad_recv_;
  std::vector<PendingSend> sends_;  // gradient sends in flight, oldest first
  const bool forward_only_;
};

}  // namespace

struct PipelineRunner::State {
  BufferPool pool;
  int64_t bytes_sent = 0;
};

PipelineRunner::PipelineRunner(const Comm& pp, int chunks)
    : pp_(pp), chunks_(chunks), state_(std::make_unique<State>()) {
  ASCENT_CHECK(pp.member()) << "[pp] pipeline runner on group " << pp.name()
                            << ": this rank is not a member";
  ASCENT_CHECK(chunks >= 1 && chunks <= kTagSpace) << "[pp] " << chunks << " model chunks";
}

PipelineRunner::~PipelineRunner() = default;

void PipelineRunner::run(StageModel& model, int64_t micro_batches) {
  std::vector<Action> actions = chunks_ == 1
                                    ? one_f_one_b(pp_.size(), pp_.rank(), micro_batches)
                                    : interleaved(pp_.size(), pp_.rank(), chunks_, micro_batches);
  state_->bytes_sent = 0;
  Step step(pp_, chunks_, state_->pool, state_->bytes_sent, model, micro_batches,
            std::move(actions));
  step.execute();
}

void PipelineRunner::run_forward(StageModel& model, int64_t micro_batches) {
  Step step(pp_, chunks_, state_->pool, state_->bytes_sent, model, micro_batches,
            forward_only(chunks_, micro_batches), /*forward_only=*/true);
  step.execute();
}

int64_t PipelineRunner::bytes_sent() const { return state_->bytes_sent; }

int PipelineRunner::buffers() const { return state_->pool.buffers(); }

}  // namespace ascent::parallel::pp
