// `ascent --version` / `ascent version` (what was built) and `ascent env` (that, plus the machine
// and the environment: what a bug report needs).
#include <mpi.h>
#include <omp.h>
#include <sys/utsname.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "kernels/cpu_features.h"

extern char** environ;

namespace ascent::cli {
namespace {

// Set by CMake for this file (the commit at configure time).
#ifndef ASCENT_VERSION
#define ASCENT_VERSION "unknown"
#endif
#ifndef ASCENT_GIT_COMMIT
#define ASCENT_GIT_COMMIT "unknown"
#endif
#ifndef ASCENT_BUILD_TYPE
#define ASCENT_BUILD_TYPE "unknown"
#endif

std::string compiler() {
#if defined(__clang__)
  return std::string("Clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("GCC ") + __VERSION__;
#else
  return "unknown compiler";
#endif
}

// The first line of MPI's own description (callable before MPI_Init).
std::string mpi_library() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int len = 0;
  MPI_Get_library_version(text, &len);
  std::string s(text, static_cast<size_t>(len));
  const size_t end = s.find_first_of(",\n");
  return s.substr(0, end);
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string os_name() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

bool relevant_variable(const char* entry) {
  for (const char* prefix : {"ASCENT_", "OMP_", "OMPI_", "PMIX_RANK", "PMI_RANK", "KMP_", "GOMP_",
                             "DNNL_", "ONEDNN_", "SLURM_JOB_ID", "SLURM_NTASKS"})
    if (std::strncmp(entry, prefix, std::strlen(prefix)) == 0) return true;
  return false;
}

}  // namespace

std::string version_text() {
  std::string s = std::string("ascent ") + ASCENT_VERSION + "\n";
  s += std::string("commit   ") + ASCENT_GIT_COMMIT + " (at configure time)\n";
  s += std::string("build    ") + ASCENT_BUILD_TYPE + ", " + compiler() + ", C++20\n";
  s += "oneDNN   " + kernels::onednn_version() + " (matmul ISA " + kernels::onednn_isa() + ")\n";
  s += "MPI      " + mpi_library() + "\n";
  s += "CPU code " + kernels::vector_code_in_use();
  return s;
}

std::string env_text() {
  std::string s = version_text() + "\n";
  s += "OS       " + os_name() + "\n";
  s += "CPU      " + cpu_model() + "\n";
  s += "threads  " + std::to_string(std::thread::hardware_concurrency()) + " hardware, " +
       std::to_string(omp_get_max_threads()) + " OpenMP\n";
  s += "environment:";
  bool any = false;
  for (char** e = environ; *e != nullptr; ++e)
    if (relevant_variable(*e)) {
      s += std::string("\n  ") + *e;
      any = true;
    }
  if (!any) s += " (no ASCENT_*, OMP_*, OMPI_*, KMP_*, DNNL_* variables set)";
  return s;
}

void add_version_commands(CLI::App& app) {
  app.set_version_flag(
      "--version", [] { return version_text(); },
      "print the version, commit, build and libraries, then exit");
  CLI::App* version = app.add_subcommand("version", "the same as --version");
  version->callback([] { std::printf("%s\n", version_text().c_str()); });
  CLI::App* env = app.add_subcommand(
      "env", "version, machine, threads and ASCENT_/OMP_/OMPI_ variables: paste into bug reports");
  env->callback([] { std::printf("%s\n", env_text().c_str()); });
}

}  // namespace ascent::cli
