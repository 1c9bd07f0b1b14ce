#pragma once
// The start-up report of a distributed run: the layout, and each rank's model-state memory
// (compute copy, master weights, gradients, optimizer state) from the buffers actually allocated,
// next to the analytic count (parallel/memory_report.h). Collective over the world.
#include "model/weights.h"
#include "optim/optimizer.h"
#include "parallel/dp/grad_sync.h"
#include "parallel/topology.h"
#include "train/train_args.h"

namespace ascent {

void log_layout(const TrainArgs& args, const parallel::Topology& topo, const ModelWeights& weights,
                Optimizer& optimizer, const parallel::dp::GradSync& sync, int chunks);

}  // namespace ascent
