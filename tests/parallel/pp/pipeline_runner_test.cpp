#include "parallel/pp/pipeline_runner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "parallel/mpi_test_env.h"
#include "parallel/pp/schedule.h"
#include "parallel/pp/step_runner.h"
#include "parallel/topology.h"

namespace ascent::parallel::pp {
namespace {

using testing::value;
using testing::world;

// A toy model of V = chunks * pp virtual stages: stage v maps x -> a_v * x + b_v elementwise;
// the loss is sum(y^2) / 2 of the last stage's output y. Micro-batch m has size(m) elements.
struct Toy {
  int stages = 1;
  std::function<int64_t(int64_t)> size;

  float a(int v) const { return 0.75f + 0.125f * static_cast<float>(v % 5); }
  float b(int v) const { return 0.0625f * static_cast<float>(v % 3 - 1); }
  float x0(int64_t m, int64_t i) const { return value(17, static_cast<int>(m), i); }
};

// One stage's math, shared by the pipelined model and the sequential reference.
void stage_forward(float a, float b, const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = a * x[i] + b;
}
// grad_a += sum(dy * x), grad_b += sum(dy); dx = a * dy (when dx is not null).
void stage_backward(float a, const float* x, const float* dy, int64_t n, float* dx, double* grad_a,
                    double* grad_b) {
  double ga = 0, gb = 0;
  for (int64_t i = 0; i < n; ++i) {
    ga += static_cast<double>(dy[i]) * x[i];
    gb += dy[i];
    if (dx) dx[i] = a * dy[i];
  }
  *grad_a += ga;
  *grad_b += gb;
}
double stage_loss(const float* y, int64_t n) {
  double l = 0;
  for (int64_t i = 0; i < n; ++i) l += 0.5 * static_cast<double>(y[i]) * y[i];
  return l;
}

struct Result {
  std::vector<double> grad_a, grad_b;  // [stages]
  double loss = 0;
};

// The same composition on one process: forward through every stage, backward back.
Result sequential(const Toy& toy, int64_t micro_batches) {
  Result r;
  r.grad_a.assign(toy.stages, 0.0);
  r.grad_b.assign(toy.stages, 0.0);
  for (int64_t m = 0; m < micro_batches; ++m) {
    const int64_t n = toy.size(m);
    std::vector<std::vector<float>> x(toy.stages + 1, std::vector<float>(n));
    for (int64_t i = 0; i < n; ++i) x[0][i] = toy.x0(m, i);
    for (int v = 0; v < toy.stages; ++v)
      stage_forward(toy.a(v), toy.b(v), x[v].data(), n, x[v + 1].data());
    r.loss += stage_loss(x[toy.stages].data(), n);
    std::vector<float> dy = x[toy.stages], dx(n);
    for (int v = toy.stages - 1; v >= 0; --v) {
      stage_backward(toy.a(v), x[v].data(), dy.data(), n, dx.data(), &r.grad_a[v], &r.grad_b[v]);
      dy = dx;
    }
  }
  return r;
}

struct Event {
  enum Kind { Forward, Backward, ChunkDone } kind;
  int chunk;
  int64_t micro_batch;
};

// This rank's chunks of the toy model. It holds the runner to its contract: inputs stay valid
// until their backward returns (it keeps the pointer and a copy to compare), and it scribbles
// NaN over each output when its backward starts and over the returned input gradient at every
// call (a runner that sent them too late or kept a pointer would pass NaN on).
class ToyModel : public StageModel {
 public:
  ToyModel(const Toy& toy, int pp_size, int pp_rank, int chunks)
      : toy_(toy), pp_size_(pp_size), pp_rank_(pp_rank), chunks_(chunks) {
    grad_a.assign(chunks, 0.0);
    grad_b.assign(chunks, 0.0);
  }

  int64_t boundary_elements(int64_t m) const override { return toy_.size(m); }

  const float* forward(int chunk, int64_t m, const float* input) override {
    events.push_back({Event::Forward, chunk, m});
    scribble(dx_);
    const int v = stage(chunk);
    const int64_t n = toy_.size(m);
    Stash& s = stash_[{chunk, m}];
    if (v == 0) {
      problems += input != nullptr;
      s.own_input.resize(n);
      for (int64_t i = 0; i < n; ++i) s.own_input[i] = toy_.x0(m, i);
      s.input = s.own_input.data();
    } else {
      if (input == nullptr) {
        ++problems;
        return nullptr;
      }
      s.input = input;
      s.input_copy.assign(input, input + n);
    }
    s.output.resize(n);
    stage_forward(toy_.a(v), toy_.b(v), s.input, n, s.output.data());
    if (v == toy_.stages - 1) {
      loss += stage_loss(s.output.data(), n);
      return nullptr;  // allowed on the last stage
    }
    return s.output.data();
  }

  const float* backward(int chunk, int64_t m, const float* doutput) override {
    events.push_back({Event::Backward, chunk, m});
    scribble(dx_);
    const int v = stage(chunk);
    const int64_t n = toy_.size(m);
    auto it = stash_.find({chunk, m});
    if (it == stash_.end()) {
      ++problems;
      return nullptr;
    }
    Stash& s = it->second;
    if (v > 0 && std::vector<float>(s.input, s.input + n) != s.input_copy) ++problems;
    const bool last = v == toy_.stages - 1;
    if (last != (doutput == nullptr)) {
      ++problems;
      return nullptr;
    }
    std::vector<float> dy = last ? s.output : std::vector<float>(doutput, doutput + n);
    scribble(s.output);
    dx_.resize(n);
    stage_backward(toy_.a(v), s.input, dy.data(), n, v > 0 ? dx_.data() : nullptr, &grad_a[chunk],
                   &grad_b[chunk]);
    stash_.erase(it);
    return v > 0 ? dx_.data() : nullptr;  // nullptr allowed on virtual stage 0
  }

  void chunk_backward_done(int chunk) override { events.push_back({Event::ChunkDone, chunk, -1}); }

  int stage(int chunk) const { return chunk * pp_size_ + pp_rank_; }
  size_t stashed() const { return stash_.size(); }

  std::vector<double> grad_a, grad_b;  // [chunks]
  double loss = 0;                     // on the rank holding the last stage
  std::vector<Event> events;
  int problems = 0;  // contract violations seen

 private:
  struct Stash {
    const float* input = nullptr;
    std::vector<float> own_input, input_copy, output;
  };
  static void scribble(std::vector<float>& v) {
    std::fill(v.begin(), v.end(), std::numeric_limits<float>::quiet_NaN());
  }

  const Toy& toy_;
  int pp_size_, pp_rank_, chunks_;
  std::map<std::pair<int, int64_t>, Stash> stash_;
  std::vector<float> dx_;
};

double rel_diff(double x, double y) { return std::fabs(x - y) / std::max(1e-30, std::fabs(y)); }

// Runs two steps of the toy model on pipeline group `pp` and checks them against the sequential
// computation: parameter gradients, loss, call order, chunk_backward_done, bytes and buffers.
void check_pipeline(const Comm& pp, int chunks, int64_t micro_batches,
                    std::function<int64_t(int64_t)> size, bool small_messages) {
  SCOPED_TRACE("pp " + std::to_string(pp.size()) + " chunks " + std::to_string(chunks) + " M " +
               std::to_string(micro_batches));
  Toy toy{chunks * pp.size(), std::move(size)};
  const Result ref = sequential(toy, micro_batches);
  const std::vector<Action> schedule =
      chunks == 1 ? one_f_one_b(pp.size(), pp.rank(), micro_batches)
                  : interleaved(pp.size(), pp.rank(), chunks, micro_batches);
  PipelineRunner runner(pp, chunks);
  for (int step = 0; step < 2; ++step) {
    ToyModel model(toy, pp.size(), pp.rank(), chunks);
    runner.run(model, micro_batches);
    EXPECT_EQ(model.problems, 0);
    EXPECT_EQ(model.stashed(), 0u);
    for (int c = 0; c < chunks; ++c) {
      const int v = model.stage(c);
      EXPECT_LE(rel_diff(model.grad_a[c], ref.grad_a[v]), 1e-12) << "grad a, stage " << v;
      EXPECT_LE(rel_diff(model.grad_b[c], ref.grad_b[v]), 1e-12) << "grad b, stage " << v;
    }
    if (model.stage(chunks - 1) == toy.stages - 1) {
      EXPECT_LE(rel_diff(model.loss, ref.loss), 1e-12) << "loss";
    } else {
      EXPECT_EQ(model.loss, 0.0);
    }

    // Calls in the schedule's order; chunk_backward_done(c) right after c's last backward.
    std::vector<Action> calls;
    std::vector<int> done(chunks, 0);
    for (size_t e = 0; e < model.events.size(); ++e) {
      const Event& ev = model.events[e];
      if (ev.kind == Event::ChunkDone) {
        ASSERT_TRUE(ev.chunk >= 0 && ev.chunk < chunks);
        ++done[ev.chunk];
        int64_t backwards = 0;
        for (const Event& p : model.events)
          backwards += p.kind == Event::Backward && p.chunk == ev.chunk;
        EXPECT_EQ(backwards, micro_batches);
        ASSERT_GT(e, 0u);
        const Event& prev = model.events[e - 1];
        EXPECT_TRUE(prev.kind == Event::Backward && prev.chunk == ev.chunk &&
                    prev.micro_batch == micro_batches - 1)
            << "chunk_backward_done(" << ev.chunk << ") not right after its last backward";
        continue;
      }
      calls.push_back(
          {ev.kind == Event::Forward ? Op::Forward : Op::Backward, ev.chunk, ev.micro_batch});
    }
    EXPECT_EQ(calls, schedule);
    EXPECT_EQ(done, std::vector<int>(chunks, 1));

    // Outputs leave every stage but the last; input gradients every stage but the first.
    int64_t bytes = 0;
    for (int c = 0; c < chunks; ++c)
      for (int64_t m = 0; m < micro_batches; ++m) {
        const int v = model.stage(c);
        bytes += (v < toy.stages - 1 ? toy.size(m) : 0) + (v > 0 ? toy.size(m) : 0);
      }
    EXPECT_EQ(runner.bytes_sent(), bytes * static_cast<int64_t>(sizeof(float)));
  }
  // Small messages go out eagerly, so at most one gradient send is in flight at a time.
  if (small_messages) {
    EXPECT_LE(runner.buffers(), max_in_flight(schedule) + 4);
  }
}

int64_t variable_size(int64_t m) { return 5 + 3 * m; }
int64_t fixed_size(int64_t) { return 11; }
// Large enough for the rendezvous protocol (not copied out eagerly).
int64_t large_size(int64_t m) { return 20000 + 1000 * (m % 3); }

TEST(PipelineRunner, OneFOneBMatchesSequential) {
  const Comm& pp = world();
  const int p = pp.size();
  for (int64_t m : {int64_t{1}, int64_t{2}, int64_t{p}, int64_t{p + 3}, int64_t{2 * p + 1}}) {
    check_pipeline(pp, 1, m, variable_size, true);
    check_pipeline(pp, 1, m, fixed_size, true);
  }
}

TEST(PipelineRunner, InterleavedMatchesSequential) {
  const Comm& pp = world();
  const int p = pp.size();
  for (int chunks : {2, 3})
    for (int64_t m : {int64_t{p}, int64_t{2 * p}, int64_t{3 * p}}) {
      check_pipeline(pp, chunks, m, variable_size, true);
      check_pipeline(pp, chunks, m, fixed_size, true);
    }
}

TEST(PipelineRunner, LargeMessages) {
  const Comm& pp = world();
  check_pipeline(pp, 1, pp.size() + 2, large_size, false);
  check_pipeline(pp, 2, 2 * pp.size(), large_size, false);
}

// Several pipelines side by side (the PP groups of a TP1 x DP x PP2 topology).
TEST(PipelineRunner, PipelineGroupsOfATopology) {
  if (world().size() % 2 != 0 || world().size() < 4) GTEST_SKIP() << "needs an even world >= 4";
  ParallelConfig cfg;
  cfg.pipeline_model_parallel_size = 2;
  Topology topo(cfg, testing::watchdog());
  check_pipeline(topo.pp(), 1, 5, variable_size, true);
  check_pipeline(topo.pp(), 2, 4, variable_size, true);
}

// Evaluation: forwards only, in micro-batch order. The model reuses one output buffer per chunk
// (overwritten at its next forward) and reads its input only during the call, as the trainer's
// chunks do; a runner that sent an output after the next forward would pass the wrong values on.
class ForwardOnlyToy : public StageModel {
 public:
  ForwardOnlyToy(const Toy& toy, int pp_size, int pp_rank, int chunks)
      : toy_(toy), pp_size_(pp_size), pp_rank_(pp_rank), out_(chunks) {}
  int64_t boundary_elements(int64_t m) const override { return toy_.size(m); }
  const float* forward(int chunk, int64_t m, const float* input) override {
    calls.push_back({Op::Forward, chunk, m});
    const int v = chunk * pp_size_ + pp_rank_;
    const int64_t n = toy_.size(m);
    std::vector<float> x(n);
    for (int64_t i = 0; i < n; ++i) x[i] = v == 0 ? toy_.x0(m, i) : input[i];
    out_[chunk].assign(n, 0.f);
    stage_forward(toy_.a(v), toy_.b(v), x.data(), n, out_[chunk].data());
    if (v == toy_.stages - 1) loss += stage_loss(out_[chunk].data(), n);
    return out_[chunk].data();
  }
  const float* backward(int, int64_t, const float*) override {
    ++backwards;
    return nullptr;
  }
  std::vector<Action> calls;
  double loss = 0;
  int backwards = 0;

 private:
  const Toy& toy_;
  int pp_size_, pp_rank_;
  std::vector<std::vector<float>> out_;
};

TEST(PipelineRunner, ForwardOnlyMatchesSequential) {
  const Comm& pp = world();
  for (int chunks : {1, 2})
    for (auto size : {variable_size, large_size}) {
      const int64_t micro_batches = 2 * pp.size() + 1;
      Toy toy{chunks * pp.size(), size};
      const Result ref = sequential(toy, micro_batches);
      PipelineRunner runner(pp, chunks);
      ForwardOnlyToy model(toy, pp.size(), pp.rank(), chunks);
      runner.run_forward(model, micro_batches);
      EXPECT_EQ(model.calls, forward_only(chunks, micro_batches));
      EXPECT_EQ(model.backwards, 0);
      const bool last = (chunks - 1) * pp.size() + pp.rank() == toy.stages - 1;
      if (last) {
        EXPECT_LE(rel_diff(model.loss, ref.loss), 1e-12) << "chunks " << chunks;
      } else {
        EXPECT_EQ(model.loss, 0.0);
      }
    }
}

TEST(PipelineRunner, LocalRunnerRunsForwardThenBackwardAndForwardOnly) {
  Toy toy{1, variable_size};
  const Result ref = sequential(toy, 3);
  std::unique_ptr<StepRunner> local = make_local_runner();
  ToyModel model(toy, 1, 0, 1);
  local->run(model, 3);
  EXPECT_EQ(model.problems, 0);
  EXPECT_LE(rel_diff(model.grad_a[0], ref.grad_a[0]), 1e-12);
  EXPECT_LE(rel_diff(model.loss, ref.loss), 1e-12);
  ASSERT_FALSE(model.events.empty());
  EXPECT_EQ(model.events.back().kind, Event::ChunkDone);
  ForwardOnlyToy eval(toy, 1, 0, 1);
  local->run_forward(eval, 3);
  EXPECT_EQ(eval.calls, forward_only(1, 3));
  EXPECT_LE(rel_diff(eval.loss, ref.loss), 1e-12);
}

TEST(PipelineRunner, InterleavedRejectsMicroBatchCountNotMultipleOfStages) {
  const Comm& pp = world();
  if (pp.size() == 1) GTEST_SKIP() << "every count is a multiple of one stage";
  Toy toy{2 * pp.size(), variable_size};
  ToyModel model(toy, pp.size(), pp.rank(), 2);
  PipelineRunner runner(pp, 2);
  EXPECT_THROW(runner.run(model, pp.size() + 1), Error);
  EXPECT_TRUE(model.events.empty());
}

}  // namespace
}  // namespace ascent::parallel::pp
