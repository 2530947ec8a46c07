#!/usr/bin/env bash
# Reproducible rebuild of the test contracts in tests/fixtures/.
#
#   contracts/build.sh           build both workspaces, refresh tests/fixtures/*.wasm,
#                                SHA256SUMS and TOOLCHAIN (installs the toolchain if missing)
#   contracts/build.sh --check   rebuild into a temp dir and compare with the committed
#                                tests/fixtures/SHA256SUMS; exit 1 if stale. Exits 0 with
#                                "skipped: ..." when the Debian wasm toolchain is absent.
#
# Toolchain: Debian's rustc-web/cargo-web (/usr/bin), which ships the wasm32v1-none target
# and rust-src for -Zbuild-std (unlocked with RUSTC_BOOTSTRAP=1). rustup's cargo in
# ~/.cargo/bin has no wasm std, so /usr/bin goes first in PATH.
#
# contracts/plain   stock soroban-sdk contracts (no [patch]; env interface protocol 27):
#                   follower (v1, v2), token (v1, v2) and account (a custom account
#                   recording __check_auth)
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
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURES="$ROOT/tests/fixtures"
TARGET=wasm32v1-none
DEBIAN_PKGS=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)

MODE=build
case "${1:-}" in
  "") ;;
  --check) MODE=check ;;
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/!p}' "$0"; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

have_toolchain() {
  [[ -x /usr/bin/rustc && -x /usr/bin/cargo ]] &&
    dpkg-query -W -f='${Status}' rustc-web 2>/dev/null | grep -q 'ok installed' &&
    [[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library" ]]
}

if ! have_toolchain; then
  if [[ $MODE == check ]]; then
    echo "skipped: Debian wasm toolchain not installed (${DEBIAN_PKGS[*]}); run contracts/build.sh to install it"
    exit 0
  fi
  echo "installing Debian wasm toolchain: ${DEBIAN_PKGS[*]}" >&2
  SUDO=(); [[ $(id -u) -ne 0 ]] && SUDO=(sudo)
  "${SUDO[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y "${DEBIAN_PKGS[@]}"
  have_toolchain || { echo "error: toolchain still missing after apt-get install" >&2; exit 1; }
fi

# contracts/extref builds against the fork's materialized crates: bring them up to date
# (a no-op when they are) with the project's own toolchain before switching PATH.
(cd "$ROOT" && cargo fork materialize)

export PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1
export CARGO_INCREMENTAL=0 SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
unset RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"

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
      -Zbuild-std=core,alloc "$@"
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
build_pkg extref "$EXTREF_T" manager manager.wasm
build_pkg extref "$EXTREF_T" factory factory.wasm
build_pkg extref "$EXTREF_T" pinnable pinnable_v1.wasm
build_pkg extref "$EXTREF_T" pinnable pinnable_v2.wasm --features v2

NAMES=(follower_v1.wasm follower_v2.wasm manager.wasm factory.wasm account.wasm
       token_v1.wasm token_v2.wasm pinnable_v1.wasm pinnable_v2.wasm)
(cd "$OUT" && sha256sum "${NAMES[@]}") > "$OUT/SHA256SUMS.new"
toolchain_info() { rustc --version; cargo --version; dpkg-query -W -f='${Package} ${Version}\n' "${DEBIAN_PKGS[@]}"; }

if [[ $MODE == check ]]; then
  if [[ ! -f $FIXTURES/SHA256SUMS ]]; then
    echo "stale: $FIXTURES/SHA256SUMS missing" >&2; exit 1
  fi
  if diff -u "$FIXTURES/SHA256SUMS" "$OUT/SHA256SUMS.new"; then
    # Also make sure the committed files are the ones the sums describe.
    (cd "$FIXTURES" && sha256sum --quiet -c SHA256SUMS) || { echo "stale: fixture files differ from SHA256SUMS" >&2; exit 1; }
    echo "fixtures up to date ($(rustc --version))"
  else
    echo "stale: rebuilt contracts differ from tests/fixtures/SHA256SUMS (built with $(rustc --version);" \
         "committed with: $(head -1 "$FIXTURES/TOOLCHAIN" 2>/dev/null || echo unknown)); run contracts/build.sh" >&2
    exit 1
  fi
else
  mv "$OUT/SHA256SUMS.new" "$OUT/SHA256SUMS"
  toolchain_info > "$OUT/TOOLCHAIN"
  cat "$OUT/SHA256SUMS"
fi
