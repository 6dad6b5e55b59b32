# Sourced by the shell tests with their arguments (SVGEN WORKDIR): sets $svgen (absolute), enters a
# fresh $work, and gives fail(), which counts into $failures.
set -u
svgen=$(realpath "$1")
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
