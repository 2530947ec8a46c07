#!/usr/bin/env bash
# Reproducible rebuild of the test contracts in tests/fixtures/.
#
#   contracts/build.sh           build both workspaces, refresh tests/fixtures/*.wasm,
#                                SHA256SUMS and TOOLCHAIN (installs a toolchain if none)
#   contracts/build.sh --check   compare this machine's toolchain with tests/fixtures/TOOLCHAIN:
#                                - the same: rebuild into a temp dir and compare byte for
#                                  byte with tests/fixtures/SHA256SUMS; exit 1 if stale;
#                                - another one: print "fixtures were built with X, this
#                                  machine has Y: byte-for-byte check skipped", exit 0 (the
#                                  bytes depend on compiler and linker: nothing to compare);
#                                - no Debian wasm toolchain: "skipped: ...", exit 0.
#
# Reference toolchain. The committed fixtures were built with Debian 12's rustc-web,
# cargo-web, rust-web-src and rust-web-llvm 1.96.0+dfsg1-1~deb12u2 (bookworm-security) and
# lld-22 1:22.1.8-1~deb12u1, as tests/fixtures/TOOLCHAIN records; with exactly that
# toolchain this script reproduces them byte for byte. Only where no usable Debian
# toolchain is installed does the script install one: the versions the committed TOOLCHAIN
# records if apt offers them, else apt's candidates. It leaves an installed toolchain as it is, and
# says when apt offers the recorded versions (`apt-get install rustc-web=VERSION ...`).
#
# Other toolchains (fallback): the script builds with what is there.
# - rustc older than soroban-sdk 27.0.6's rust-version 1.91 (Debian 12 main's rustc-web
#   1.85, Debian 13's rustc 1.85): cargo --ignore-rust-version, and
#   -Zcrate-attr=feature(round_char_boundary) for the host crates (soroban-sdk-macros uses
#   str::floor_char_boundary, stable since 1.91; through cargo's -Zhost-config).
#   wasm32v1-none needs rustc >= 1.84.
# - no working /usr/bin/rust-lld (rust-web-llvm, or the lld-22 it points to, missing): the
#   rust-lld of rustup's toolchain (sysroot of `rustup which rustc`), else Debian's newest
#   /usr/bin/wasm-ld-NN. CONTRACTS_WASM_LINKER=/path/to/rust-lld chooses one.
# Such a build gives working contracts, but their bytes may differ from the committed ones.
# It writes tests/fixtures/*.wasm and SHA256SUMS as usual and records in TOOLCHAIN the
# toolchain actually used (packages, linker, extra flags), so that `--check` compares byte
# for byte on the same machine and reports a mismatch (and skips) anywhere else. It ends
# with a note naming the toolchain of the committed fixtures: commit fallback fixtures only
# to change the reference toolchain on purpose; `git checkout -- tests/fixtures` restores
# the committed ones.
#
# Toolchain: Debian's rustc-web/cargo-web (/usr/bin; Debian 13: rustc/cargo), which ships
# the wasm32v1-none target, and rust-web-src for -Zbuild-std (unlocked with
# RUSTC_BOOTSTRAP=1). rustup's cargo in ~/.cargo/bin has no wasm std, so /usr/bin goes
# first in PATH.
#
# contracts/plain   stock soroban-sdk contracts (no [patch]; env interface protocol 27):
#                   follower (v1, v2), token (v1, v2), account (a custom account
#                   recording __check_auth), vault (v1, v2, and with token and follower
#                   one deliberately incompatible build per `extref check-upgrade` rule)
# contracts/extref  contracts calling the fork's host functions through crates/extref-sdk:
#                   manager, factory, pinnable (v1, v2); [patch.crates-io] points at
#                   ../../materialized (env interface protocol 28); the script runs
#                   `cargo fork materialize` first.
#
# Determinism: --locked, CARGO_INCREMENTAL=0, SOURCE_DATE_EPOCH, and --remap-path-prefix
# for $CARGO_HOME, the repo and the target dir, so the output does not depend on where
# the repo, the cargo cache or the build dir live. Cargo hashes the absolute path of a
# path dependency outside the workspace (here materialized/ and crates/extref-sdk) into
# the crate's metadata, which changes symbol names and so function order in the Wasm:
# builds therefore go through one fixed path, $BUILD_ROOT, a symlink to the repo
# (taken under a lock, so concurrent builds from different clones wait).
#
# Environment: CONTRACTS_FIXTURES=DIR reads and writes DIR instead of tests/fixtures;
# CONTRACTS_WASM_LINKER (above). For contracts/test-build-sh.sh only:
# CONTRACTS_FAKE_TOOLCHAIN=TEXT stands for this machine's toolchain description (empty: no
# toolchain), CONTRACTS_DRY_RUN=1 stops before installing or building anything.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURES="${CONTRACTS_FIXTURES:-$ROOT/tests/fixtures}"
[[ $FIXTURES == /* ]] || FIXTURES="$PWD/$FIXTURES"
RECORD="$FIXTURES/TOOLCHAIN"
RECORDED=""
[[ -f $RECORD ]] && RECORDED="$(cat "$RECORD")"
TARGET=wasm32v1-none
# The reference toolchain's packages, and Debian 13's names for the same parts.
DEBIAN_PKGS=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
DEBIAN13_PKGS=(rustc cargo rust-src rust-llvm)
SDK_RUST_VERSION=1.91 # soroban-sdk 27.0.6's rust-version
MIN_RUST_VERSION=1.84 # wasm32v1-none
# Library features stable in SDK_RUST_VERSION that the build uses (in host crates),
# enabled with -Zcrate-attr for an older rustc.
OLD_RUSTC_FEATURES=(round_char_boundary)

MODE=build
case "${1:-}" in
  "") ;;
  --check) MODE=check ;;
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/!p}' "$0"; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
DRY_RUN="${CONTRACTS_DRY_RUN:-}"

# The committed fixtures' toolchain and sums: HEAD's for tests/fixtures, else RECORD's. A
# build installs and compares with these; --check compares with RECORD.
COMMITTED="$RECORDED" COMMITTED_SUMS=""
[[ -f $FIXTURES/SHA256SUMS ]] && COMMITTED_SUMS="$(cat "$FIXTURES/SHA256SUMS")"
if [[ $MODE == build && $FIXTURES == "$ROOT/tests/fixtures" ]] &&
   git -C "$ROOT" cat-file -e HEAD:tests/fixtures/TOOLCHAIN 2>/dev/null; then
  COMMITTED="$(git -C "$ROOT" show HEAD:tests/fixtures/TOOLCHAIN)"
  COMMITTED_SUMS="$(git -C "$ROOT" show HEAD:tests/fixtures/SHA256SUMS 2>/dev/null || true)"
fi

# "pkg version" for each installed package among the arguments, in dpkg's order.
installed_pkgs() {
  { dpkg-query -W -f='${Status}\t${Package} ${Version}\n' "$@" 2>/dev/null || true; } |
    awk -F'\t' '$1 ~ / ok installed$/ { print $2 }'
}

# Empty when the Debian toolchain is usable, else what is missing.
toolchain_problem() {
  if [[ -n ${CONTRACTS_FAKE_TOOLCHAIN+x} ]]; then
    [[ -n $CONTRACTS_FAKE_TOOLCHAIN ]] || echo "none (CONTRACTS_FAKE_TOOLCHAIN is empty)"
    return 0
  fi
  if [[ ! -x /usr/bin/rustc || ! -x /usr/bin/cargo ]]; then
    echo "no /usr/bin/rustc or /usr/bin/cargo"
  elif [[ -z $(installed_pkgs rustc-web rustc) ]]; then
    echo "/usr/bin/rustc is not Debian's rustc-web or rustc"
  elif [[ ! -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library" ]]; then
    echo "no Rust library sources for -Zbuild-std (rust-web-src)"
  fi
}

rustc_version() { /usr/bin/rustc --version | awk '{ print $2 }'; }
version_lt() { [[ $1 != "$2" && $(printf '%s\n' "$1" "$2" | sort -V | head -n1) == "$1" ]]; }

# The lld package that /usr/bin/rust-lld points to (Debian: rust-lld -> lld-NN), if any.
rust_lld_target_pkg() {
  local t
  t="$(readlink /usr/bin/rust-lld 2>/dev/null)" || return 0
  t="${t##*/}"
  if [[ $t =~ ^lld-[0-9]+$ ]]; then echo "$t"; fi
}

lld_version() { "$1" -flavor wasm --version 2>/dev/null | head -n1; }

# Chooses the linker: sets LINKER (empty: rustc's default, /usr/bin/rust-lld) and
# LINKER_DESC (a TOOLCHAIN line, empty for the default); else sets WHY and fails.
choose_linker() {
  LINKER="" LINKER_DESC=""
  if [[ -n ${CONTRACTS_WASM_LINKER:-} ]]; then
    LINKER="$CONTRACTS_WASM_LINKER"
    LINKER_DESC="linker: $LINKER ($(lld_version "$LINKER"))"
    [[ -x $LINKER ]] && return 0
    WHY="CONTRACTS_WASM_LINKER=$LINKER is not executable"; return 1
  fi
  [[ -n $(lld_version /usr/bin/rust-lld) ]] && return 0
  local rustup rustc f
  rustup="$(command -v rustup 2>/dev/null || echo "$HOME/.cargo/bin/rustup")"
  if [[ -x $rustup ]] && rustc="$(cd "$ROOT" && "$rustup" which rustc 2>/dev/null)"; then
    for f in "${rustc%/bin/rustc}"/lib/rustlib/*/bin/rust-lld; do
      if [[ -x $f && -n $(lld_version "$f") ]]; then
        LINKER="$f"
        LINKER_DESC="linker: rust-lld of rustup's $("$rustc" --version) ($(lld_version "$f"))"
        return 0
      fi
    done
  fi
  f="$(printf '%s\n' /usr/bin/wasm-ld-* | sort -V | tail -n1)"
  if [[ -n $f && -n $(lld_version "$f") ]]; then
    LINKER="$f"
    LINKER_DESC="linker: $f ($(installed_pkgs "lld-${f##*-}"): $(lld_version "$f"))"
    return 0
  fi
  WHY="no wasm linker: /usr/bin/rust-lld does not run (rust-web-llvm, lld-22), no rustup"
  WHY+=" rust-lld, no /usr/bin/wasm-ld-NN; set CONTRACTS_WASM_LINKER"
  return 1
}

# Sets OLD_RUSTC (non-empty below SDK_RUST_VERSION) and FLAGS_DESC; sets WHY and fails
# for a rustc without the target.
choose_flags() {
  local v
  v="$(rustc_version)"
  if version_lt "$v" "$MIN_RUST_VERSION"; then
    WHY="rustc $v is too old for $TARGET (needs $MIN_RUST_VERSION or later)"; return 1
  fi
  OLD_RUSTC="" FLAGS_DESC=""
  if version_lt "$v" "$SDK_RUST_VERSION"; then
    OLD_RUSTC=1
    FLAGS_DESC="flags: rustc < $SDK_RUST_VERSION: cargo --ignore-rust-version,"
    FLAGS_DESC+=" host crates -Zcrate-attr=feature(${OLD_RUSTC_FEATURES[*]})"
  fi
}

# This machine's toolchain, in TOOLCHAIN's format: rustc and cargo versions, the Debian
# packages, then the linker and extra flags when they are not the reference's defaults.
toolchain_desc() {
  if [[ -n ${CONTRACTS_FAKE_TOOLCHAIN+x} ]]; then printf '%s\n' "$CONTRACTS_FAKE_TOOLCHAIN"; return; fi
  local pkgs=("${DEBIAN_PKGS[@]}" "${DEBIAN13_PKGS[@]}") lld
  lld="$(rust_lld_target_pkg)"
  [[ -z $lld || $lld == lld-22 ]] || pkgs+=("$lld")
  /usr/bin/rustc --version
  /usr/bin/cargo --version
  installed_pkgs "${pkgs[@]}"
  if [[ -n $LINKER_DESC ]]; then echo "$LINKER_DESC"; fi
  if [[ -n $FLAGS_DESC ]]; then echo "$FLAGS_DESC"; fi
}

oneline() { # the lines of a toolchain description, joined by "; "
  local line out=""
  while IFS= read -r line; do out+="${out:+; }$line"; done <<< "$1"
  printf '%s\n' "$out"
}

# "pkg=version" for each package line ("pkg version") of a TOOLCHAIN text.
recorded_specs() { printf '%s\n' "$1" | awk 'NF == 2 && $1 !~ /:$/ { print $1 "=" $2 }'; }

apt_candidate() { # apt_candidate <pkg>: apt can install it
  local c
  c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
  [[ -n $c && $c != "(none)" ]]
}

apt_has() { # apt_has <pkg=version>...: apt offers each of them
  local spec
  for spec in "$@"; do
    apt-cache madison "${spec%%=*}" 2>/dev/null |
      awk -F' *[|] *' -v v="${spec#*=}" '$2 == v { f = 1 } END { exit !f }' || return 1
  done
}

install_toolchain() {
  local SUDO=() specs=() pkgs=() llvm lld
  [[ $(id -u) -ne 0 ]] && SUDO=(sudo)
  local apt=(env DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y)
  "${SUDO[@]}" apt-get update
  mapfile -t specs < <(recorded_specs "$COMMITTED")
  if [[ ${#specs[@]} -gt 0 ]] && apt_has "${specs[@]}"; then
    echo "installing the recorded Debian wasm toolchain: ${specs[*]}" >&2
    "${apt[@]}" "${specs[@]}"
    return 0
  fi
  echo "apt does not offer the recorded toolchain (${specs[*]:-no TOOLCHAIN}):" \
       "installing its candidates; the Wasm may differ from the committed bytes" >&2
  if apt_candidate rustc-web; then pkgs=(rustc-web cargo-web rust-web-src); llvm=rust-web-llvm
  elif apt_candidate rustc; then pkgs=(rustc cargo rust-src); llvm=rust-llvm
  else echo "error: apt offers neither rustc-web nor rustc" >&2; exit 1
  fi
  apt_candidate "$llvm" && pkgs+=("$llvm")
  echo "installing a Debian wasm toolchain: ${pkgs[*]}" >&2
  "${apt[@]}" "${pkgs[@]}"
  # Debian's rust-lld is a symlink to lld-NN, which the llvm package does not pull in.
  lld="$(rust_lld_target_pkg)"
  if [[ -n $lld ]] && apt_candidate "$lld"; then "${apt[@]}" "$lld"; fi
}

problem="$(toolchain_problem)"
if [[ -n $problem ]]; then
  if [[ $MODE == check ]]; then
    echo "skipped: Debian wasm toolchain not installed ($problem; ${DEBIAN_PKGS[*]});" \
         "run contracts/build.sh to install it"
    exit 0
  fi
  if [[ -n $DRY_RUN ]]; then echo "dry run: would install a Debian wasm toolchain ($problem)"; exit 0; fi
  install_toolchain
  problem="$(toolchain_problem)"
  [[ -z $problem ]] || { echo "error: toolchain still unusable after apt-get install: $problem" >&2; exit 1; }
fi

LINKER="" LINKER_DESC="" OLD_RUSTC="" FLAGS_DESC="" WHY=""
if [[ -z ${CONTRACTS_FAKE_TOOLCHAIN+x} ]]; then
  if ! choose_linker || ! choose_flags; then
    if [[ $MODE == check ]]; then echo "skipped: unusable Debian wasm toolchain: $WHY"; exit 0; fi
    echo "error: $WHY" >&2; exit 1
  fi
fi
INSTALLED="$(toolchain_desc)"

if [[ $MODE == check ]]; then
  [[ -f $FIXTURES/SHA256SUMS ]] || { echo "stale: $FIXTURES/SHA256SUMS missing; run contracts/build.sh" >&2; exit 1; }
  [[ -f $RECORD ]] || { echo "stale: $RECORD missing; run contracts/build.sh" >&2; exit 1; }
  if [[ $INSTALLED != "$RECORDED" ]]; then
    echo "fixtures were built with $(oneline "$RECORDED"), this machine has" \
         "$(oneline "$INSTALLED"): byte-for-byte check skipped"
    diff <(printf '%s\n' "$RECORDED") <(printf '%s\n' "$INSTALLED") |
      sed -n 's/^< /  fixtures: /p; s/^> /  here:     /p' || true
    exit 0
  fi
  if [[ -n $DRY_RUN ]]; then
    echo "dry run: same toolchain as the fixtures ($(oneline "$INSTALLED")): would rebuild and compare byte for byte"
    exit 0
  fi
else
  echo "building with: $(oneline "$INSTALLED")"
  if [[ -n $COMMITTED && $INSTALLED != "$COMMITTED" ]]; then
    echo "note: not the toolchain of the committed fixtures ($(oneline "$COMMITTED")):" \
         "the Wasm may differ from the committed bytes"
    mapfile -t specs < <(recorded_specs "$COMMITTED")
    if [[ -z ${CONTRACTS_FAKE_TOOLCHAIN+x} && ${#specs[@]} -gt 0 ]] && apt_has "${specs[@]}"; then
      echo "note: apt offers the committed fixtures' packages: apt-get install --allow-downgrades ${specs[*]}"
    fi
  fi
  if [[ -n $DRY_RUN ]]; then echo "dry run: would build into $FIXTURES"; exit 0; fi
fi

# contracts/extref builds against the fork's materialized crates: bring them up to date
# (a no-op when they are) with the project's own toolchain before switching PATH.
(cd "$ROOT" && cargo fork materialize)

export PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1
export CARGO_INCREMENTAL=0 SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
unset RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
unset CARGO_TARGET_WASM32V1_NONE_LINKER CARGO_TARGET_WASM32V1_NONE_RUSTFLAGS
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
[[ -z $LINKER ]] || export CARGO_TARGET_WASM32V1_NONE_LINKER="$LINKER"
# Fallback for rustc < SDK_RUST_VERSION (nothing for the reference toolchain).
CARGO_EXTRA=()
if [[ -n $OLD_RUSTC ]]; then
  host_flags="$(printf '"-Zcrate-attr=feature(%s)",' "${OLD_RUSTC_FEATURES[@]}")"
  CARGO_EXTRA=(--ignore-rust-version -Zhost-config -Ztarget-applies-to-host
               --config target-applies-to-host=false --config "host.rustflags=[${host_flags%,}]")
fi

if [[ $MODE == check ]]; then
  WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
  OUT="$WORK/out"; TARGET_BASE="$WORK/target"
else
  OUT="$FIXTURES"; TARGET_BASE=""
fi
mkdir -p "$OUT"

BUILD_ROOT=/tmp/soroban-extref-contracts
exec 9>"$BUILD_ROOT.lock"
flock 9
ln -sfn "$ROOT" "$BUILD_ROOT"

build_ws() { # build_ws <workspace dir under $ROOT> <target dir> [cargo args...]
  local ws="$1" tdir="$2"; shift 2
  # rustc applies the last matching remap, so the most specific prefixes come last.
  local flags="--remap-path-prefix=$CARGO_HOME=/cargo"
  flags+=" --remap-path-prefix=$ROOT=/soroban-extref"
  flags+=" --remap-path-prefix=$BUILD_ROOT=/soroban-extref"
  flags+=" --remap-path-prefix=$tdir=/target"
  # --manifest-path through $BUILD_ROOT (cargo does not resolve the symlink; the
  # process's cwd would be resolved).
  RUSTFLAGS="$flags" CARGO_TARGET_DIR="$tdir" \
    cargo build --locked --release --target "$TARGET" \
      --manifest-path "$BUILD_ROOT/${ws#"$ROOT"/}/Cargo.toml" \
      -Zbuild-std=core,alloc ${CARGO_EXTRA[@]+"${CARGO_EXTRA[@]}"} "$@"
}

tdir_for() { if [[ -n $TARGET_BASE ]]; then echo "$TARGET_BASE/$1"; else echo "$ROOT/contracts/$1/target"; fi; }

PLAIN_T="$(tdir_for plain)"; EXTREF_T="$(tdir_for extref)"
mkdir -p "$PLAIN_T" "$EXTREF_T"
PLAIN_T="$(cd "$PLAIN_T" && pwd)"; EXTREF_T="$(cd "$EXTREF_T" && pwd)"

# build_pkg <workspace> <target dir> <package> <fixture name> [cargo args...]
build_pkg() {
  local ws="$1" tdir="$2" pkg="$3" name="$4"; shift 4
  build_ws "$ROOT/contracts/$ws" "$tdir" -p "$pkg" "$@"
  install -m 0644 "$tdir/$TARGET/release/$pkg.wasm" "$OUT/$name"
}

# One package (and one feature set) per cargo invocation: a v2 build must not unify
# features with anything else.
build_pkg plain "$PLAIN_T" follower follower_v1.wasm
build_pkg plain "$PLAIN_T" follower follower_v2.wasm --features v2
build_pkg plain "$PLAIN_T" account account.wasm
build_pkg plain "$PLAIN_T" token token_v1.wasm
build_pkg plain "$PLAIN_T" token token_v2.wasm --features v2
build_pkg plain "$PLAIN_T" token token_paused.wasm --features v2,paused
for rule in fn_removed fn_signature struct union error; do
  build_pkg plain "$PLAIN_T" token "token_break_$rule.wasm" --features "break_$rule"
done
# `extref check-upgrade`'s fixtures (tests/tests/check_upgrade.rs): a constructor added
# to the follower; the vault's compatible upgrade, its storage hidden from the check, and
# one build per rule it breaks.
build_pkg plain "$PLAIN_T" follower follower_break_constructor_added.wasm --features break_constructor_added
build_pkg plain "$PLAIN_T" vault vault_v1.wasm
build_pkg plain "$PLAIN_T" vault vault_v2.wasm --features v2
build_pkg plain "$PLAIN_T" vault vault_hidden_v1.wasm --features hidden
build_pkg plain "$PLAIN_T" vault vault_hidden_break.wasm --features hidden,break_union_case_removed
VAULT_BREAKS=(union_case_removed enum_case_removed enum_case_renumbered enum_value_reused
              error_code_removed error_code_renumbered type_removed type_kind_changed
              duplicate_type event_removed event_changed constructor_changed
              constructor_removed storage_undeclared)
for rule in "${VAULT_BREAKS[@]}"; do
  build_pkg plain "$PLAIN_T" vault "vault_break_$rule.wasm" --features "break_$rule"
done
build_pkg extref "$EXTREF_T" manager manager.wasm
build_pkg extref "$EXTREF_T" factory factory.wasm
build_pkg extref "$EXTREF_T" pinnable pinnable_v1.wasm
build_pkg extref "$EXTREF_T" pinnable pinnable_v2.wasm --features v2

NAMES=(follower_v1.wasm follower_v2.wasm manager.wasm factory.wasm account.wasm
       token_v1.wasm token_v2.wasm token_paused.wasm
       token_break_fn_removed.wasm token_break_fn_signature.wasm token_break_struct.wasm
       token_break_union.wasm token_break_error.wasm
       pinnable_v1.wasm pinnable_v2.wasm
       follower_break_constructor_added.wasm vault_v1.wasm vault_v2.wasm
       vault_hidden_v1.wasm vault_hidden_break.wasm)
for rule in "${VAULT_BREAKS[@]}"; do NAMES+=("vault_break_$rule.wasm"); done
(cd "$OUT" && sha256sum "${NAMES[@]}") > "$OUT/SHA256SUMS.new"

if [[ $MODE == check ]]; then
  if diff -u "$FIXTURES/SHA256SUMS" "$OUT/SHA256SUMS.new"; then
    # Also make sure the committed files are the ones the sums describe.
    (cd "$FIXTURES" && sha256sum --quiet -c SHA256SUMS) || { echo "stale: fixture files differ from SHA256SUMS" >&2; exit 1; }
    echo "fixtures up to date ($(oneline "$INSTALLED"))"
  else
    echo "stale: rebuilt contracts differ from $FIXTURES/SHA256SUMS, with the toolchain" \
         "they record ($(oneline "$INSTALLED")); run contracts/build.sh" >&2
    exit 1
  fi
else
  mv "$OUT/SHA256SUMS.new" "$OUT/SHA256SUMS"
  printf '%s\n' "$INSTALLED" > "$RECORD"
  cat "$OUT/SHA256SUMS"
  if [[ -n $COMMITTED && $INSTALLED != "$COMMITTED" ]]; then
    same="differ from"; [[ $(cat "$OUT/SHA256SUMS") == "$COMMITTED_SUMS" ]] && same="are identical to"
    cat >&2 <<EOF
note: fixtures built with a toolchain other than the committed fixtures':
  committed: $(oneline "$COMMITTED")
  this build: $(oneline "$INSTALLED")
  The new Wasm files $same the committed ones. TOOLCHAIN and SHA256SUMS now record
  this build, so \`contracts/build.sh --check\` compares byte for byte with this toolchain
  and skips with any other. Commit them only to change the reference toolchain;
  \`git checkout -- tests/fixtures\` restores the committed fixtures.
EOF
  fi
fi
