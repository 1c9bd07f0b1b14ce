#include "model/layers/attention_positions.h"

#include <limits>
#include <vector>

#include "kernels/kernels.h"

namespace ascent {
namespace {

// Learned absolute positions: added to the embeddings, attention does nothing.
class InputPositions : public AttentionPositions {
 public:
  explicit InputPositions(int64_t max_positions) : max_positions_(max_positions) {}
  void rotate(const Tensor&, int64_t, const int32_t*) const override {}
  void unrotate(const Tensor&, int64_t, const int32_t*) const override {}
  const float* alibi_slopes() const override { return nullptr; }
  int64_t max_positions() const override { return max_positions_; }

 private:
  int64_t max_positions_;
};

class Rope : public InputPositions {
 public:
  explicit Rope(const ModelConfig& cfg)
      : InputPositions(cfg.max_position_embeddings),
        table_(kernels::rope_table(cfg.max_position_embeddings, cfg.head_size(), cfg.rope_theta)) {}
  void rotate(const Tensor& qkv, int64_t heads, const int32_t* positions) const override {
    kernels::rope_apply(qkv, heads, positions, table_, /*inverse=*/false);
  }
  void unrotate(const Tensor& qkv, int64_t heads, const int32_t* positions) const override {
    kernels::rope_apply(qkv, heads, positions, table_, /*inverse=*/true);
  }

 private:
  kernels::RopeTable table_;
};

class Alibi : public InputPositions {
 public:
  Alibi(const ModelConfig& cfg, int64_t head_offset, int64_t heads)
      : InputPositions(std::numeric_limits<int64_t>::max()) {
    // Slopes depend on the global head index.
    const std::vector<float> all = kernels::alibi_slopes(cfg.num_attention_heads);
    slopes_.assign(all.begin() + head_offset, all.begin() + head_offset + heads);
  }
  const float* alibi_slopes() const override { return slopes_.data(); }

 private:
  std::vector<float> slopes_;
};

}  // namespace

std::unique_ptr<AttentionPositions> make_attention_positions(const ModelConfig& cfg,
                                                             int64_t head_offset, int64_t heads) {
  switch (cfg.position) {
    case PositionType::Rope:
      return std::make_unique<Rope>(cfg);
    case PositionType::Alibi:
      return std::make_unique<Alibi>(cfg, head_offset, heads);
    case PositionType::Absolute:
      break;
  }
  return std::make_unique<InputPositions>(cfg.max_position_embeddings);
}

}  // namespace ascent
