// KV cache bookkeeping: per-slot lengths and the [L, max_batch, KVH, max_T, HS] layout.
#include "inference/kv_cache.h"

#include <gtest/gtest.h>

namespace ascent::inference {
namespace {

TEST(KvCache, LengthsAndLayout) {
  ModelConfig cfg;
  cfg.num_layers = 2;
  cfg.hidden_size = 16;
  cfg.num_attention_heads = 4;
  cfg.num_query_groups = 2;
  KvCache c(cfg, 3, 5);
  EXPECT_EQ(c.head_size(), 4);
  EXPECT_EQ(c.bytes(), size_t{2} * 2 * 3 * 2 * 5 * 4 * sizeof(float));
  EXPECT_EQ(c.k(0, 0, 1) - c.k(0, 0, 0), 5 * 4);  // [max_T, HS] per (layer, slot, group)
  EXPECT_EQ(c.k(0, 1, 0) - c.k(0, 0, 0), 2 * 5 * 4);
  EXPECT_EQ(c.k(1, 0, 0) - c.k(0, 0, 0), 3 * 2 * 5 * 4);
  EXPECT_NE(c.k(0, 0, 0), c.v(0, 0, 0));
  c.advance(1, 3);
  c.advance(1, 2);
  EXPECT_EQ(c.length(1), 5);
  EXPECT_EQ(c.length(0), 0);
  c.reset(1);
  EXPECT_EQ(c.length(1), 0);
  c.advance(2, 1);
  c.reset_all();
  EXPECT_EQ(c.length(2), 0);
}

}  // namespace
}  // namespace ascent::inference
