#include "optim/precision.h"

#include "core/error.h"

namespace ascent {

flags::Table Precision::flags() {
  flags::Table t("train");
  t.add("--bf16", bf16, "bf16 matmul operands, fp32 master weights and optimizer state");
  t.add("--fp16", fp16,
        "f16 matmul operands with loss scaling, fp32 master weights and optimizer state");
  return t;
}

void Precision::validate(std::string_view scope) const {
  if (bf16 && fp16) throw error("[", scope, "] --bf16 and --fp16 exclude each other");
}

}  // namespace ascent
