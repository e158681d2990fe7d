#!/bin/sh
# Runs each fuzz target for a bounded time and fails on any crash.
#
# Usage: tools/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
#
# cargo-fuzz builds with flags that need a nightly compiler;
# RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them, which is all
# libFuzzer's instrumentation needs here. New inputs the fuzzer finds go
# to fuzz/found/ (ignored by git); the committed seeds in fuzz/corpus/ stay
# as they are.
set -eu

cd "$(dirname "$0")/.."
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for target in fields lines chunks; do
  mkdir -p "fuzz/found/$target"
  echo "fuzz: $target for ${seconds}s"
  log="fuzz/found/$target.log"
  if ! cargo fuzz run -O "$target" "fuzz/found/$target" \
    "fuzz/corpus/$target" -- -max_total_time="$seconds" \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$log" 2>&1
  then
    tail -n 40 "$log" >&2
    echo "fuzz: $target failed; the input is in fuzz/artifacts/$target" >&2
    exit 1
  fi
  grep -E 'stat::number_of_executed_units' "$log" || true
done
