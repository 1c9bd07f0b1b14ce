#pragma once
// The checkpoint tests use the shared test helpers.
#include "support/test_dir.h"
