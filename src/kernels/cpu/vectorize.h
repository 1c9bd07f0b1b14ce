#pragma once
// Run-time CPU dispatch for hot loops. The project is compiled for the x86-64 baseline; a
// function marked ASCENT_VECTORIZE is cloned for AVX-512 and AVX2 and the best clone is chosen
// when the program loads (GCC function multiversioning).
//
// Put the attribute on a per-row (or per-block) worker, NOT on a function containing an
// `omp parallel` region: GCC outlines the region into a separate function that does not inherit
// the clone's target, so the loop body would run as baseline code.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ASCENT_VECTORIZE __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ASCENT_VECTORIZE
#endif
