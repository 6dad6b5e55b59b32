#!/bin/bash
# Signals as a service manager and a user send them (issue 23, item 9): SIGTERM ends any
# subcommand within its grace, even one that polls nothing (inspect blocked on a pipe); a run
# stopped by a signal leaves no output and no temporary file; the exit code names the signal.
# Usage: cli_signals.sh SVGEN WORKDIR
source "$(dirname "${BASH_SOURCE[0]}")/cli_test_lib.sh"

# Starts svgen in the background; sends the signals listed after "--" once `ready` (a shell test)
# holds; prints "<exit code> <milliseconds from the first signal to the exit>".
signal_run() {
  local ready=$1; shift
  local args=() signals=()
  while [ "$1" != "--" ]; do args+=("$1"); shift; done
  shift
  signals=("$@")
  "$svgen" "${args[@]}" >out.txt 2>err.txt &
  local pid=$!
  for _ in $(seq 1 600); do eval "$ready" && break; sleep 0.05; done
  local start=$(date +%s%N)
  for s in "${signals[@]}"; do kill -s "$s" $pid; sleep 0.1; done
  wait $pid
  local code=$?
  local end=$(date +%s%N)
  echo "$code $(( (end - start) / 1000000 ))"
}

# inspect blocked reading a pipe: nothing to poll, the grace ends it.
mkfifo blocked.safetensors
read -r code ms < <(signal_run "sleep 0.5; true" inspect blocked.safetensors -- TERM)
[ "$code" = 143 ] || fail "inspect after SIGTERM exited $code, want 143"
(( ms < 5000 )) || fail "inspect took ${ms} ms to end after SIGTERM"

# A long generation: SIGTERM stops it cleanly, within a layer.
long=(generate --prompt "a red circle moving right" --frames 8 --width 64 --height 64 --steps 500
      --out long.mp4)
read -r code ms < <(signal_run "grep -q 'step 1/' err.txt" "${long[@]}" -- TERM)
[ "$code" = 143 ] || fail "generate after SIGTERM exited $code, want 143: $(cat err.txt)"
(( ms < 3000 )) || fail "generate took ${ms} ms to end after SIGTERM"
grep -q "cancelled" err.txt || fail "generate after SIGTERM did not say it was cancelled"

# Ctrl+C twice: the second ends the process at once.
read -r code ms < <(signal_run "grep -q 'step 1/' err.txt" "${long[@]}" -- INT INT)
[ "$code" = 130 ] || fail "generate after two SIGINTs exited $code, want 130"

# SIGHUP (the terminal closed) is a stop too.
read -r code ms < <(signal_run "grep -q 'step 1/' err.txt" "${long[@]}" -- HUP)
[ "$code" = 129 ] || fail "generate after SIGHUP exited $code, want 129"

leftovers=$(ls -A | grep -v -e '^blocked.safetensors$' -e '^out.txt$' -e '^err.txt$')
[ -z "$leftovers" ] || fail "left behind: $leftovers"

[ $failures = 0 ] && echo "all signal cases passed"
exit $failures
