#!/usr/bin/env bash
# Runs the README's quick commands verbatim, so that every command README.md presents as
# quick works as written. A quick block is a fenced code block whose opening fence comes
# right after the marker line
#
#   <!-- readme-check: quick -->
#
# Each line of such a block (blank lines aside) is run as written, from the repository's
# root, by `bash -c`: comments after `#` are part of the line, as a reader pastes it.
# `.ci/run` calls this first, on CI's fresh clone, before anything is built.
#
# Usage: .ci/readme-commands.sh [--list] [--clone]
#   --list   print the quick commands and exit
#   --clone  run them in a fresh `git clone` of this checkout's HEAD (a temporary
#            directory, removed afterwards) instead of in this checkout: uncommitted
#            changes are not in it, and the fork tool is built from scratch there
set -euo pipefail
cd "$(dirname "$0")/.."

MARKER='<!-- readme-check: quick -->'

list=0
clone=0
for arg in "$@"; do
  case "$arg" in
    --list) list=1 ;;
    --clone) clone=1 ;;
    *) echo "usage: $0 [--list] [--clone]" >&2; exit 2 ;;
  esac
done

# The lines of every fenced block opened right after the marker.
commands() {
  awk -v marker="$MARKER" '
    in_block && /^```/ { in_block = 0; next }
    in_block { if ($0 !~ /^[[:space:]]*$/) print; next }
    armed && /^```/ { in_block = 1; armed = 0; blocks++; next }
    { armed = ($0 == marker) }
    END {
      if (in_block) { print "readme-commands: a quick block is not closed" > "/dev/stderr"; exit 1 }
      if (blocks == 0) { print "readme-commands: no quick block in README.md" > "/dev/stderr"; exit 1 }
    }
  ' README.md
}

mapfile -t cmds < <(commands)
[ ${#cmds[@]} -gt 0 ] || { echo "readme-commands: no quick commands found" >&2; exit 1; }

if [ "$list" = 1 ]; then
  printf '%s\n' "${cmds[@]}"
  exit 0
fi

if [ "$clone" = 1 ]; then
  if ! git diff --quiet HEAD -- README.md; then
    echo "readme-commands: README.md has uncommitted changes; the clone runs HEAD's" >&2
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  git clone --quiet . "$tmp/repo"
  cd "$tmp/repo"
  # The clone's own quick commands (HEAD's README), in the clone's own target dirs.
  unset CARGO_TARGET_DIR
  mapfile -t cmds < <(commands)
  echo "readme-commands: in a fresh clone of HEAD ($(git rev-parse --short HEAD)) at $PWD"
fi

total_start=$SECONDS
for cmd in "${cmds[@]}"; do
  echo "readme-commands: \$ $cmd"
  start=$SECONDS
  if ! bash -euo pipefail -c "$cmd"; then
    echo "readme-commands: FAILED: $cmd" >&2
    exit 1
  fi
  echo "readme-commands: ok in $((SECONDS - start)) s"
done
echo "readme-commands: ${#cmds[@]} quick command(s) of README.md ok in $((SECONDS - total_start)) s"
