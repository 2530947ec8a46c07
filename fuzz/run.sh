#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, one after the other (CI: `fuzz/run.sh 60`).
#
#   fuzz/run.sh SECONDS [TARGET...]
#
# Needs a nightly toolchain (rustup); without one it says "skipped: no nightly toolchain"
# and exits 0. Installs cargo-fuzz (stable cargo) when missing, materializes the fork,
# builds the targets (release, debug assertions and overflow checks on, no sanitizer:
# the targets are safe Rust, see docs/fuzzing.md), then runs each target from the
# committed seeds (fuzz/corpus/<target>) into a scratch corpus under fuzz/target/, so the
# committed corpus is never written. Prints executions, corpus size and crashes per
# target; exits 1 if any target crashed (its input is in fuzz/target/artifacts/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: fuzz/run.sh SECONDS [TARGET...]"
secs=${1:?$usage}
[[ $secs =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(xdr_roundtrip host_fns e2e_follower)

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "skipped: no nightly toolchain"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo +stable install cargo-fuzz --locked
fi

start=$(date +%s)
# EXTREF_FUZZ_NO_MATERIALIZE=1 keeps materialized/ as it is (to fuzz unsaved edits there).
if [ -z "${EXTREF_FUZZ_NO_MATERIALIZE:-}" ]; then
  cargo fork materialize
fi
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
flags=(--release --debug-assertions --sanitizer none --fuzz-dir fuzz --target "$triple")
if [ $# -eq 0 ]; then
  cargo +nightly fuzz build "${flags[@]}"   # all targets, one cargo build
else
  for t in "${targets[@]}"; do cargo +nightly fuzz build "${flags[@]}" "$t"; done
fi
built=$(date +%s)
echo "build: $((built - start)) s"

work=fuzz/target/run
crashed=0
summary=()
for t in "${targets[@]}"; do
  corpus=$work/corpus/$t
  artifacts=fuzz/target/artifacts/$t
  log=$work/$t.log
  mkdir -p "$corpus" "$artifacts"
  t0=$(date +%s)
  marker=$work/.started-$t
  touch "$marker"
  set +e
  # The binary built above, run directly: `cargo fuzz run` would rebuild first, and
  # a tree edited meanwhile would change what is fuzzed, or fail to build.
  "fuzz/target/$triple/release/$t" "$corpus" "fuzz/corpus/$t" \
    -max_total_time="$secs" -timeout=60 -rss_limit_mb=4096 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
  rc=$?
  set -e
  took=$(( $(date +%s) - t0 ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  crashes=$(find "$artifacts" -type f -newer "$marker" \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes=1  # libFuzzer failed without an artifact: show the log
  fi
  line="$t: ${execs:-?} execs in ${took} s, corpus $(find "$corpus" -type f | wc -l) inputs (+ $(find "fuzz/corpus/$t" -type f | wc -l) seeds) (${cov:-no coverage line}), $crashes crashes"
  echo "$line"
  summary+=("$line")
  if [ "$crashes" -ne 0 ]; then
    crashed=1
    tail -n 60 "$log"
    find "$artifacts" -type f -newer "$marker"
  fi
done

echo "---- fuzz/run.sh $secs: $(( $(date +%s) - start )) s in all"
printf '%s\n' "${summary[@]}"
exit $crashed
