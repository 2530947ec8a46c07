#!/usr/bin/env bash
# Tests of contracts/build.sh's toolchain logic, without building anything: the installed
# toolchain is faked (CONTRACTS_FAKE_TOOLCHAIN), the fixtures dir is a temp dir
# (CONTRACTS_FIXTURES) and CONTRACTS_DRY_RUN=1 stops before any install or build; stubs of
# cargo, rustc, rustup, apt-get, dpkg-query and sudo first on PATH record any call, which
# fails the test. Takes about a second, needs no network, and does not depend on which
# toolchain this machine has (none included). Exits 1 if any case fails.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$HERE/build.sh"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT

mkdir -p "$T/bin"
for tool in cargo rustc rustup apt-get apt-cache dpkg-query sudo; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\nexit 99\n' "$tool" "$T" > "$T/bin/$tool"
  chmod +x "$T/bin/$tool"
done

# The toolchain of the committed fixtures, and Debian 12 main's (rustc-web 1.85 without
# rust-web-llvm and lld-22, linking with rustup's rust-lld), as build.sh describes them.
REF='rustc 1.96.0 (ac68faa20 2026-05-25) (built from a source tarball)
cargo 1.96.0 (30a34c682 2026-05-25) (built from a source tarball)
cargo-web 1.96.0+dfsg1-1~deb12u2
lld-22 1:22.1.8-1~deb12u1
rust-web-llvm 1.96.0+dfsg1-1~deb12u2
rust-web-src 1.96.0+dfsg1-1~deb12u2
rustc-web 1.96.0+dfsg1-1~deb12u2'
OLD='rustc 1.85.0 (4d91de4e4 2025-02-17) (built from a source tarball)
cargo 1.85.0 (d73d2caf9 2024-12-31)
cargo-web 1.85.0+dfsg3-1~deb12u3
rust-web-src 1.85.0+dfsg3-1~deb12u3
rustc-web 1.85.0+dfsg3-1~deb12u3
linker: rust-lld of rustup'"'"'s rustc 1.95.0 (59807616e 2026-04-14) (LLD 22.1.2)
flags: rustc < 1.91: cargo --ignore-rust-version, host crates -Zcrate-attr=feature(round_char_boundary)'
join() { local out="" line; while IFS= read -r line; do out+="${out:+; }$line"; done <<< "$1"; echo "$out"; }
REF_LINE="$(join "$REF")"
OLD_LINE="$(join "$OLD")"

# fixtures <dir> [TOOLCHAIN text]: a fixtures dir with SHA256SUMS and, if given, TOOLCHAIN.
fixtures() {
  mkdir -p "$1"
  echo "0000000000000000000000000000000000000000000000000000000000000000  follower_v1.wasm" > "$1/SHA256SUMS"
  if [[ $# -gt 1 ]]; then printf '%s\n' "$2" > "$1/TOOLCHAIN"; fi
}

pass=0 fail=0
# run <name> <expected exit code> <fixtures dir> <fake toolchain|-unset-> [build.sh args...]
# Leaves the output in $T/out.
run() {
  local name="$1" want="$2" dir="$3" fake="$4" rc=0; shift 4
  rm -f "$T/calls"
  local env=(CONTRACTS_FIXTURES="$dir" CONTRACTS_DRY_RUN=1 PATH="$T/bin:$PATH")
  [[ $fake == -unset- ]] || env+=(CONTRACTS_FAKE_TOOLCHAIN="$fake")
  env -u CONTRACTS_FAKE_TOOLCHAIN -u CONTRACTS_WASM_LINKER "${env[@]}" "$BUILD" "$@" > "$T/out" 2>&1 || rc=$?
  CASE="$name"
  if [[ $rc -ne $want ]]; then
    bad "exit $rc, expected $want"
  elif [[ -f $T/calls ]]; then
    bad "ran $(paste -sd, "$T/calls")"
  fi
}
bad() { echo "FAIL $CASE: $1"; sed 's/^/    | /' "$T/out"; fail=$((fail + 1)); CASE_FAILED=1; }
# expect_line <exact line>, expect_grep <regex>, expect_no_grep <regex>: on $T/out
expect_line() { grep -qxF -- "$1" "$T/out" || bad "no line: $1"; }
expect_grep() { grep -qE -- "$1" "$T/out" || bad "no match for: $1"; }
expect_no_grep() { if grep -qE -- "$1" "$T/out"; then bad "unexpected: $1"; fi; }
done_case() { if [[ -z ${CASE_FAILED:-} ]]; then echo "ok   $CASE"; pass=$((pass + 1)); fi; CASE_FAILED=""; }

# 1. Another toolchain than the fixtures': the exact sentence, exit 0, nothing built.
fixtures "$T/f1" "$REF"
run "--check, different toolchain (1.85 here, 1.96 recorded): skipped" 0 "$T/f1" "$OLD" --check
expect_line "fixtures were built with $REF_LINE, this machine has $OLD_LINE: byte-for-byte check skipped"
expect_grep '^  fixtures: lld-22 1:22\.1\.8-1~deb12u1$'
expect_grep '^  here:     rustc-web 1\.85\.0\+dfsg3-1~deb12u3$'
expect_no_grep 'would rebuild|stale'
done_case

# 2. Only the linker differs (rustc-web 1.96 without lld-22): still a different toolchain.
NOLLD="$(printf '%s\n' "$REF" | grep -v '^lld-22')
linker: rust-lld of rustup's rustc 1.95.0 (59807616e 2026-04-14) (LLD 22.1.2)"
run "--check, same rustc, other linker: skipped" 0 "$T/f1" "$NOLLD" --check
expect_grep 'byte-for-byte check skipped$'
expect_grep '^  here:     linker: rust-lld of rustup'
done_case

# 3. The recorded toolchain: goes on to the byte-for-byte check (stopped by the dry run).
run "--check, same toolchain: byte-for-byte" 0 "$T/f1" "$REF" --check
expect_line "dry run: same toolchain as the fixtures ($REF_LINE): would rebuild and compare byte for byte"
expect_no_grep 'skipped'
done_case

# 4. A fallback toolchain recorded by a fallback build is compared byte for byte too.
fixtures "$T/f4" "$OLD"
run "--check, fallback toolchain recorded and installed: byte-for-byte" 0 "$T/f4" "$OLD" --check
expect_grep '^dry run: same toolchain as the fixtures .*would rebuild and compare byte for byte$'
done_case

# 5. No toolchain at all: skipped, exit 0.
run "--check, no toolchain: skipped" 0 "$T/f1" "" --check
expect_grep '^skipped: Debian wasm toolchain not installed'
done_case

# 6. The committed TOOLCHAIN against the old rustc: skipped with the committed record.
if [[ -f $HERE/../tests/fixtures/TOOLCHAIN ]]; then
  mkdir -p "$T/f6"; cp "$HERE/../tests/fixtures/TOOLCHAIN" "$HERE/../tests/fixtures/SHA256SUMS" "$T/f6/"
  run "--check, committed TOOLCHAIN vs rustc-web 1.85: skipped" 0 "$T/f6" "$OLD" --check
  expect_grep "^fixtures were built with $(head -n1 "$T/f6/TOOLCHAIN" | sed 's/[][().+*?^$|\\]/\\&/g').*, this machine has rustc 1\.85\.0 .*: byte-for-byte check skipped$"
  done_case
fi

# 7. A missing TOOLCHAIN or SHA256SUMS is stale (exit 1), whatever the toolchain.
fixtures "$T/f7"
run "--check, TOOLCHAIN missing: stale" 1 "$T/f7" "$REF" --check
expect_grep "^stale: .*/f7/TOOLCHAIN missing"
done_case
mkdir -p "$T/f8"; printf '%s\n' "$REF" > "$T/f8/TOOLCHAIN"
run "--check, SHA256SUMS missing: stale" 1 "$T/f8" "$REF" --check
expect_grep "^stale: .*/f8/SHA256SUMS missing"
done_case

# 8. Build with another toolchain: says so, and (dry run) leaves the fixtures alone.
run "build, different toolchain: note" 0 "$T/f1" "$OLD"
expect_line "building with: $OLD_LINE"
expect_grep "^note: not the toolchain of the committed fixtures \\(rustc 1\\.96\\.0 "
[[ $(cat "$T/f1/TOOLCHAIN") == "$REF" ]] || bad "TOOLCHAIN changed by a dry run"
done_case
run "build, no toolchain: would install" 0 "$T/f1" ""
expect_grep '^dry run: would install a Debian wasm toolchain'
done_case

# 9. Usage.
run "unknown option: usage, exit 2" 2 "$T/f1" "$REF" --bogus
expect_grep '^usage: '
done_case

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
