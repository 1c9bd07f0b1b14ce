#include "parallel/topology.h"

#include <gtest/gtest.h>

#include <numeric>

#include "core/error.h"
#include "parallel/mpi_test_env.h"

namespace ascent::parallel {
namespace {

// Megatron-LM's initialize_model_parallel, written as its loops are, for world size w.
struct MegatronGroups {
  std::vector<std::vector<int>> tp, dp, pp, mp, embedding;
};

MegatronGroups megatron_groups(int w, int tp, int pp) {
  MegatronGroups g;
  const int dp = w / (tp * pp);
  const int num_pp_groups = w / pp;
  for (int i = 0; i < pp; ++i) {
    const int start = i * num_pp_groups, end = (i + 1) * num_pp_groups;
    for (int j = 0; j < tp; ++j) {
      std::vector<int> ranks;
      for (int r = start + j; r < end; r += tp) ranks.push_back(r);
      g.dp.push_back(ranks);
    }
  }
  for (int i = 0; i < dp; ++i) {  // model-parallel: the i-th member of every DP group
    std::vector<int> ranks;
    for (const auto& d : g.dp) ranks.push_back(d[i]);
    std::sort(ranks.begin(), ranks.end());
    g.mp.push_back(ranks);
  }
  for (int i = 0; i < w / tp; ++i) {
    std::vector<int> ranks(tp);
    std::iota(ranks.begin(), ranks.end(), i * tp);
    g.tp.push_back(ranks);
  }
  for (int i = 0; i < num_pp_groups; ++i) {
    std::vector<int> ranks;
    for (int r = i; r < w; r += num_pp_groups) ranks.push_back(r);
    g.pp.push_back(ranks);
    g.embedding.push_back(ranks.size() > 1 ? std::vector<int>{ranks.front(), ranks.back()} : ranks);
  }
  return g;
}

const std::vector<int>* group_of(const std::vector<std::vector<int>>& groups, int rank) {
  for (const auto& g : groups)
    if (std::find(g.begin(), g.end(), rank) != g.end()) return &g;
  return nullptr;
}

std::vector<std::pair<int, int>> layouts(int w) {  // every (tp, pp) with tp * pp dividing w
  std::vector<std::pair<int, int>> out;
  for (int tp = 1; tp <= w; ++tp)
    for (int pp = 1; pp * tp <= w; ++pp)
      if (w % (tp * pp) == 0) out.push_back({tp, pp});
  return out;
}

TEST(Topology, ValidateNamesTheFlags) {
  ParallelConfig c;
  c.tensor_model_parallel_size = 4;
  try {
    c.validate(6);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "[parallel] world size 6 is not divisible by --tensor-model-parallel-size 4 x "
                 "--pipeline-model-parallel-size 1");
  }
  c.tensor_model_parallel_size = 2;
  c.pipeline_model_parallel_size = 2;
  EXPECT_THROW(c.validate(6), Error);
  EXPECT_NO_THROW(c.validate(8));
  EXPECT_EQ(c.data_parallel_size(8), 2);
  c.tensor_model_parallel_size = 0;
  EXPECT_THROW(
      {
        try {
          c.validate(8);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("--tensor-model-parallel-size"), std::string::npos);
          throw;
        }
      },
      Error);
  c = ParallelConfig{};
  c.pipeline_model_parallel_size = -1;
  EXPECT_THROW(c.validate(1), Error);
  c = ParallelConfig{};
  c.distributed_timeout_minutes = std::numeric_limits<double>::infinity();
  EXPECT_THROW(c.validate(1), Error);
  c = ParallelConfig{};
  c.ddp_bucket_size = -5;
  EXPECT_THROW(c.validate(1), Error);
  c = ParallelConfig{};
  c.zero_stage = 4;
  EXPECT_THROW(c.validate(1), Error);
}

TEST(Topology, LayoutMatchesMegatronFormulas) {
  for (int w : {1, 2, 4, 6, 8, 12, 16}) {
    for (auto [tp, pp] : layouts(w)) {
      const Layout l{tp, w / (tp * pp), pp};
      const MegatronGroups m = megatron_groups(w, tp, pp);
      for (int r = 0; r < w; ++r) {
        SCOPED_TRACE(::testing::Message()
                     << "w " << w << " tp " << tp << " pp " << pp << " r " << r);
        EXPECT_EQ(l.rank(l.coord(r)), r);
        EXPECT_EQ(l.tp_group(r), *group_of(m.tp, r));
        EXPECT_EQ(l.dp_group(r), *group_of(m.dp, r));
        EXPECT_EQ(l.pp_group(r), *group_of(m.pp, r));
        EXPECT_EQ(l.model_parallel_group(r), *group_of(m.mp, r));
        const std::vector<int>* e = group_of(m.embedding, r);
        EXPECT_EQ(l.embedding_group(r), e ? *e : std::vector<int>{});
      }
    }
  }
}

TEST(Topology, CommunicatorsMatchTheLayout) {
  const int w = testing::world().size();
  for (auto [tp, pp] : layouts(w)) {
    SCOPED_TRACE(::testing::Message() << "tp " << tp << " pp " << pp);
    ParallelConfig cfg;
    cfg.tensor_model_parallel_size = tp;
    cfg.pipeline_model_parallel_size = pp;
    Topology t(cfg, testing::watchdog());
    const Layout& l = t.layout();
    const int r = t.world_rank();
    EXPECT_EQ(t.tp_size() * t.dp_size() * t.pp_size(), w);
    EXPECT_EQ(t.tp().world_ranks(), l.tp_group(r));
    EXPECT_EQ(t.dp().world_ranks(), l.dp_group(r));
    EXPECT_EQ(t.pp().world_ranks(), l.pp_group(r));
    EXPECT_EQ(t.model_parallel().world_ranks(), l.model_parallel_group(r));
    EXPECT_EQ(t.embedding().world_ranks(), l.embedding_group(r));
    EXPECT_EQ(t.embedding().member(), t.is_first_stage() || t.is_last_stage());
    EXPECT_EQ(t.tp().rank(), t.tp_rank());
    EXPECT_EQ(t.dp().rank(), t.dp_rank());
    EXPECT_EQ(t.pp().rank(), t.pp_rank());
    // Each group really communicates among exactly its members.
    for (const Comm* c : {&t.tp(), &t.dp(), &t.pp(), &t.model_parallel(), &t.embedding()}) {
      if (!c->member()) continue;
      int64_t sum = r;
      c->all_reduce(&sum, 1);
      const std::vector<int> members = c->world_ranks();
      EXPECT_EQ(sum, std::accumulate(members.begin(), members.end(), int64_t{0})) << c->name();
    }
  }
}

TEST(Topology, InvalidLayoutThrowsOnEveryRank) {
  const int w = testing::world().size();
  ParallelConfig cfg;
  cfg.tensor_model_parallel_size = w + 1;
  EXPECT_THROW(Topology(cfg, testing::watchdog()), Error);
}

}  // namespace
}  // namespace ascent::parallel
