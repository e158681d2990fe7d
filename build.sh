#!/bin/sh
# Builds the npe-lens page and runs its tests.
#
#   ./build.sh          install what is missing, build www/pkg/, the
#                       page's sample and dist/npe-lens.html
#   ./build.sh serve    build, then serve www/ on http://127.0.0.1:8080
#   ./build.sh test     build, then run every test: native, wasm in
#                       headless Chromium, the page end to end, and
#                       the fuzzers for FUZZ_SECONDS (45) each
#   ./build.sh bench    build, then the benchmarks: native
#                       (tools/bench-native.sh), then the page in
#                       headless Chromium (tools/bench-browser.mjs);
#                       arguments are log sizes in MB (default 100 1000)
set -eu

cd "$(dirname "$0")"

TARGET=wasm32-unknown-unknown
WASM=target/$TARGET/wasm/npe_lens.wasm

# The wasm-bindgen CLI must match the library version Cargo.lock pins,
# or the glue it writes does not fit the module.
wasm_bindgen_version() {
  sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' \
    Cargo.lock
}

# Runs a step and says how long it took: the whole test run has a time
# budget, and these lines show where it goes.
timed() {
  started=$(date +%s)
  "$@"
  echo "build.sh: $* took $(($(date +%s) - started)) s" >&2
}

install_build_tools() {
  if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
  fi
  version=$(wasm_bindgen_version)
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]
  then
    # The CLI's own lock file names exact versions of its dependencies,
    # and a registry mirror may lack one of them (webpki-roots 1.0.11 was
    # missing on one): then resolve afresh within the same semver ranges.
    cargo install wasm-bindgen-cli --version "$version" --locked ||
      cargo install wasm-bindgen-cli --version "$version"
  fi
}

install_test_tools() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    apt-get update
    apt-get install -y chromium chromium-driver
  fi
  # playwright-core drives the system Chromium; it never downloads one.
  npm ci --no-audit --no-fund
}

build_wasm() {
  # The `wasm` profile is release with fat LTO and one codegen unit;
  # .cargo/config.toml turns on WebAssembly SIMD.
  cargo build --target "$TARGET" --profile wasm --lib
  wasm-bindgen --target web --out-dir www/pkg "$WASM"
}

build_sample() {
  cargo build --release --bin npe-lens
  rm -rf www/sample
  target/release/npe-lens generate --scenario mixed --seed 7 \
    --messages 4000 --files 2 --out www/sample
  write_sample_index
}

# www/sample/index.json lists the sample's files for "Try a sample".
write_sample_index() {
  list=''
  for f in www/sample/*; do
    case "$f" in
      */index.json) continue ;;
    esac
    list="$list${list:+, }\"${f##*/}\""
  done
  printf '{"files": [%s]}\n' "$list" > www/sample/index.json
}

build() {
  timed install_build_tools
  timed build_wasm
  timed build_sample
  node tools/single-file.mjs www dist/npe-lens.html
}

# wasm-bindgen-test-runner drives headless Chromium through chromedriver
# and adds --headless and --no-sandbox itself. --no-default-features
# leaves out the CLI, which is native only.
wasm_tests() {
  CHROMEDRIVER=/usr/bin/chromedriver \
    WASM_BINDGEN_TEST_TIMEOUT=120 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --target "$TARGET" --no-default-features --test wasm
}

run_tests() {
  timed install_test_tools
  timed cargo test
  timed wasm_tests
  timed node --test tests/e2e/
  # Each fuzz target runs for a bounded time; any crash fails the run.
  timed tools/fuzz.sh "${FUZZ_SECONDS:-45}"
}

case "${1:-}" in
  '')
    build
    ;;
  serve)
    build
    echo 'Serving www/ on http://127.0.0.1:8080 (Ctrl-C to stop)'
    exec python3 -m http.server --bind 127.0.0.1 8080 --directory www
    ;;
  test)
    build
    run_tests
    ;;
  bench)
    shift
    build
    install_test_tools
    tools/bench-native.sh "$@"
    exec node tools/bench-browser.mjs "$@"
    ;;
  *)
    echo "usage: $0 [serve|test|bench]" >&2
    exit 2
    ;;
esac
