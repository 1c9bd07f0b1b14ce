#pragma once
// A clean stop on the signals a person or a batch scheduler sends to end a job: SIGTERM (a
// scheduler's preemption or time limit, `kill`), SIGINT (Ctrl-C), SIGHUP (the terminal went away)
// and SIGUSR1 (what Open MPI's mpirun forwards to every rank, and what schedulers send as an
// advance warning, e.g. Slurm's `--signal=USR1@120`).
//
// While a StopSignals object lives, the first of these signals only records itself and prints one
// line to stderr; the program polls received() where it can stop cleanly (`ascent train`: after
// the current iteration, then it saves a checkpoint and exits 0). A second signal restores the
// default action and re-raises itself, so the process ends at once. A signal that was ignored when
// the object was made (`nohup` ignores SIGHUP) stays ignored.
//
// Under mpirun: Open MPI forwards SIGUSR1 and SIGUSR2 to the ranks, but turns a SIGTERM, SIGINT or
// SIGHUP sent to mpirun itself into SIGTERM to the ranks followed by SIGKILL one second later
// (MCA odls_base_sigkill_timeout), too soon to save. So signal the ranks themselves (Slurm's
// scancel and srun do), or send SIGUSR1 to mpirun.
#include <atomic>
#include <string>

namespace ascent {

class StopSignals {
 public:
  // Installs the handlers. `what`: what the program does next, ending the line printed at the
  // first signal ("<who>: SIGTERM received; <what> (a second signal ends the process at once)";
  // `who` names the process, e.g. "ascent rank 3"). Only one StopSignals may live at a time (an
  // ascent::Error otherwise).
  explicit StopSignals(const std::string& what, const std::string& who = "ascent");
  ~StopSignals();  // restores the handlers that were there before
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first stop signal received while an object lived (SIGTERM, ...), or 0. It stays set after
  // the object is gone, until clear().
  static int received();
  // True from the first stop signal on: for code that polls a flag (preprocess's pipeline).
  static const std::atomic<bool>& flag();
  // Forgets a received signal (tests, and a process that handled it and carries on).
  static void clear();
};

// "SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", else "signal N".
std::string signal_name(int sig);

}  // namespace ascent
