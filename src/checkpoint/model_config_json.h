#pragma once
// ModelConfig <-> JSON with our own field names (every field, so any architecture round-trips,
// including ones no HF class can express). Used in checkpoint metadata and run directories.
#include <nlohmann/json.hpp>

#include "model/config.h"

namespace ascent {

nlohmann::json model_config_to_json(const ModelConfig& cfg);
// Throws ascent::Error "[checkpoint] <what>: ..." naming a missing or invalid field.
ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& what);

}  // namespace ascent
