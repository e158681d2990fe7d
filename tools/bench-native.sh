#!/bin/sh
# Native throughput and peak memory of `npe-lens analyze`, side by side
# with what an administrator would run today on the same file: mawk
# pulling rtime/dtime/mtime out of "Message complete" lines, and
# `grep -c`. Ratios are computed within one run, since the machine is
# noisy and an absolute time alone means little.
#
# Usage: tools/bench-native.sh [SIZES_MB...]   (default: 100 1000)
set -eu

cd "$(dirname "$0")/.."
sizes=${*:-100 1000}
data=bench-data
runs=${BENCH_RUNS:-3}
mkdir -p "$data"

command -v mawk >/dev/null && [ -x /usr/bin/time ] && command -v python3 \
  >/dev/null || {
  apt-get update -qq && apt-get install -y -qq mawk time python3 >/dev/null
}
cargo build --release --bin npe-lens -q
bin=target/release/npe-lens

# The one-liner: sum of send times over Message complete records.
AWK_PROG='/Message complete/ {
  for (i = 1; i <= NF; i++) {
    if ($i ~ /^rtime=/) r = substr($i, 7) + 0
    else if ($i ~ /^dtime=/) d = substr($i, 7) + 0
    else if ($i ~ /^mtime=/) m = substr($i, 7) + 0
  }
  n++; s += m - r - d
} END { print n, s }'

# Median wall time of a command over $runs runs, in seconds, with the
# fastest and slowest run as the spread.
median_time() {
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    # Not /dev/null: GNU grep stops at the first match when it sees it.
    "$@" >"$data/out"
    end=$(date +%s%N)
    echo $(((end - start) / 1000))
  done | sort -n | awk '{ a[NR] = $1 / 1e6 }
    END { printf "%.3f %.3f %.3f\n", a[int((NR + 1) / 2)], a[1], a[NR] }'
}

peak_mb() {
  /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1 |
    awk '{ printf "%.0f", $1 / 1024 }'
}

for format in operational detector; do
  for mb in $sizes; do
    dir="$data/$format-$mb"
    if [ ! -d "$dir" ]; then
      # About 1,000 bytes per message in the operational format and
      # 1,630 in the detector format with tracing noise.
      per=1000
      noise=
      [ "$format" = detector ] && per=1630 && noise=--noise
      "$bin" generate --scenario mixed --seed 42 --format "$format" \
        --messages $((mb * 1000000 / per)) --minutes 1440 $noise \
        --out "$dir" >/dev/null
    fi
    file=$(ls "$dir"/*.log)
    bytes=$(stat -c %s "$file")
    cat "$file" >/dev/null   # warm the page cache for every contender
    set -- $(median_time "$bin" analyze --json --tz UTC "$file")
    t_lens=$1 spread_lens="$2-$3"
    set -- $(median_time mawk "$AWK_PROG" "$file")
    t_awk=$1
    set -- $(median_time grep -c 'Message complete' "$file")
    t_grep=$1
    mem=$(peak_mb "$bin" analyze --json --tz UTC "$file")
    # Two floors under the npe-lens figure: reading the file in blocks as
    # large as npe-lens's, and first touching as much fresh memory as its
    # peak (python3 filling a buffer, less python3's own start). On a
    # virtual machine whose host backs guest memory only when it is
    # first touched, the second is much of npe-lens's system time.
    set -- $(median_time dd if="$file" of=/dev/null bs=4M status=none)
    t_read=$1
    set -- $(median_time python3 -c "b'\\x01' * ($mem << 20)")
    t_touch=$1
    set -- $(median_time python3 -c pass)
    t_touch=$(awk -v a="$t_touch" -v b="$1" 'BEGIN { printf "%.3f", a - b }')
    awk -v f="$format" -v b="$bytes" -v l="$t_lens" -v a="$t_awk" \
      -v g="$t_grep" -v m="$mem" -v sp="$spread_lens" 'BEGIN {
        mbs = b / 1e6
        printf "%-11s %5.0f MB | npe-lens %6.3f s (%s) %5.0f MB/s, peak %4d MB", \
          f, mbs, l, sp, mbs / l, m
        printf " | mawk %6.3f s %5.0f MB/s | grep -c %6.3f s", a, mbs / a, g
        printf " | vs mawk %.2fx, vs grep %.2fx\n", a / l, g / l
      }'
    printf '%20s floors: reading in 4 MiB blocks %.3f s,' '' "$t_read"
    printf ' first touch of %d MB of fresh memory %.3f s\n' "$mem" "$t_touch"
  done
done
