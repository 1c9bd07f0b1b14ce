#pragma once
// `ascent train --load`: the model is the loaded one (an ascent checkpoint, or an HF directory's
// config.json). The architecture flags left out are taken from it silently, as Megatron does
// with --use-checkpoint-args; those given explicitly must agree with it, since training another
// shape than the one asked for is a surprise nobody wants.
#include <string>

#include "core/flags.h"
#include "model/config.h"
#include "model/model_overrides.h"

namespace ascent {

// `loaded` with the training-only model flags given applied (dropout, --init-method-std,
// --make-vocab-size-divisible-by). Throws "[train] --load <load_dir>: ..." listing, one line per
// field, every architecture flag given whose value differs from the loaded model's
// ("--num-layers 2 vs checkpoint 6"); with --model given, every field of the preset (with the
// other flags given applied) except the vocabulary and position count, unless those flags were
// given too. `source` names the loaded model in those lines: "checkpoint", "HF config".
ModelConfig check_loaded_model(const ModelOverrides& flags, const flags::GivenFlags& given,
                               const ModelConfig& loaded, const std::string& load_dir,
                               const std::string& source);

}  // namespace ascent
