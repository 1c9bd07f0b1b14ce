#!/usr/bin/env bash
# failure_test.sh MPIEXEC HELPER NP MODE MAX_SECONDS EXPECT_REGEX [HELPER ARGS...]
# Runs parallel_failure_helper MODE under mpirun and checks that the job ends with the right exit
# status (0 for mode "ok", non-zero otherwise) within MAX_SECONDS, that its output matches
# EXPECT_REGEX, and that no process of the job is left behind (stopped ones included).
set -u
mpiexec=$1 helper=$2 np=$3 mode=$4 max_s=$5 expect=$6
shift 6
tag="ascent-failure-test-$$-$RANDOM"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

start=$(date +%s.%N)
# timeout(1) is the last resort should mpirun itself hang; mpirun --timeout comes first.
timeout -s KILL $((max_s + 60)) "$mpiexec" --timeout $((max_s + 30)) --bind-to none -np "$np" \
  "$helper" "$mode" "$tag" "$@" >"$out" 2>&1
rc=$?
end=$(date +%s.%N)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

fail() {
  echo "FAIL ($mode, np $np): $*"
  echo "---- job output ----"
  cat "$out"
  exit 1
}

# Processes of this job, found by the unique tag on their command line (no pgrep needed).
# The pattern is spelled so that grep's own command line does not match it.
job_pids() {
  grep -als -- "${tag%-*}[-]${tag##*-}" /proc/[0-9]*/cmdline |
    sed 's#^/proc/\([0-9]*\)/cmdline$#\1#'
}

sleep 0.5
left=$(job_pids | tr '\n' ' ')
left=${left% }
if [ -n "$left" ]; then
  kill -KILL $left 2>/dev/null  # only the processes of this job, found by its unique tag
  fail "processes left behind: $left"
fi
if [ "$mode" = ok ]; then
  [ "$rc" -eq 0 ] || fail "exit status $rc, expected 0"
else
  [ "$rc" -ne 0 ] || fail "exit status 0, expected a failure"
fi
awk -v e="$elapsed" -v m="$max_s" 'BEGIN { exit !(e <= m) }' ||
  fail "took ${elapsed} s, more than ${max_s} s"
grep -Eq -- "$expect" "$out" || fail "output does not match '$expect'"
echo "ok ($mode, np $np): exit status $rc after ${elapsed} s"
