#include "parallel/parallel_config.h"

#include "core/error.h"

namespace ascent::parallel {

flags::Table ParallelConfig::flags() {
  flags::Table t("train");
  t.add("--tensor-model-parallel-size", tensor_model_parallel_size,
        "TP: heads, FFN columns and vocabulary split over this many ranks")
      .check(flags::at_least(1));
  t.add("--pipeline-model-parallel-size", pipeline_model_parallel_size,
        "PP: layers split into this many stages (1F1B schedule)")
      .check(flags::at_least(1));
  t.add("--sequence-parallel", sequence_parallel,
        "with TP: norms, dropout and residuals on 1/TP of the tokens per rank");
  t.add("--num-layers-per-virtual-pipeline-stage", num_layers_per_virtual_pipeline_stage,
        "interleaved pipeline: chunks of this many layers per virtual stage");
  t.add("--manual-layers", manual_layers,
        "layers per pipeline stage, e.g. 5,6,6,5 (empty: an even split)");
  t.add("--optimized-pipeline", optimized_pipeline, "per-micro-batch sizes from --manual-mbs");
  t.add("--manual-mbs", manual_mbs,
        "example-config-1, example-config-2 or n1,n2,...: the micro-batch sizes of a step "
        "(empty: all --micro-batch-size)");
  t.add("--use-distributed-optimizer", use_distributed_optimizer,
        "ZeRO-1: optimizer state sharded over data-parallel ranks");
  t.add("--zero-stage", zero_stage,
        "0-3 (1 = --use-distributed-optimizer; 2: gradients sharded too; 3: master "
        "weights too, each layer gathered when used; needs PP 1)")
      .check(flags::holds([](const nlohmann::json& v) { return v >= 0 && v <= 3; },
                          "must be 0, 1, 2 or 3"));
  t.add("--foldx-mode", foldx_mode,
        "aiao: reduce each virtual stage's gradients as soon as its backward is done (empty: "
        "after the whole step's backward)")
      .check([](const nlohmann::json& v) -> std::string {
        const std::string mode = v.get<std::string>();
        return mode.empty() || mode == "aiao" ? "" : "'" + mode + "': only aiao";
      });
  t.add("--distributed-timeout-minutes", distributed_timeout_minutes,
        "a rank blocked this long in a collective aborts the job (fractions allowed)")
      .check(flags::at_least(0));
  t.add("--ddp-bucket-size", ddp_bucket_size,
        "gradient elements per data-parallel all-reduce bucket (0: max(40M, 1M x DP))")
      .check(flags::at_least(0));
  return t;
}

void ParallelConfig::validate_flags() const {
  flags::validate(flags::read_only(*this));
  if (sequence_parallel && tensor_model_parallel_size == 1)
    throw error("[train] --sequence-parallel needs --tensor-model-parallel-size > 1");
  if (zero_stage == 3 && pipeline_model_parallel_size > 1)
    throw error(
        "[train] --zero-stage 3 needs --pipeline-model-parallel-size 1 (ZeRO-3 shards "
        "every parameter over data-parallel ranks; use ZeRO-1/2 with pipelines)");
  if (!foldx_mode.empty() && num_layers_per_virtual_pipeline_stage == 0)
    throw error("[train] --foldx-mode aiao needs --num-layers-per-virtual-pipeline-stage");
  if (optimized_pipeline != !manual_mbs.empty())
    throw error("[train] --optimized-pipeline and --manual-mbs go together");
}

ModelParallelConfig ParallelConfig::model_parallel() const {
  ModelParallelConfig mp;
  mp.tensor_model_parallel_size = tensor_model_parallel_size;
  mp.pipeline_model_parallel_size = pipeline_model_parallel_size;
  mp.num_layers_per_virtual_pipeline_stage = num_layers_per_virtual_pipeline_stage;
  if (!manual_layers.empty()) mp.manual_layers = parse_manual_layers(manual_layers);
  return mp;
}

}  // namespace ascent::parallel
