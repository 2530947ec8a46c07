#!/usr/bin/env python3
"""Machine instructions executed per run, counted by valgrind's callgrind:
the noise-free companion of the benches' wall-time ratios (a shared 2-core VM
spreads wall times by 10-30%; instruction counts repeat to a few parts in a
million).

For each case it runs a bench binary under callgrind in instruction-count
mode (`EXTREF_BENCH_COUNT=<case>:<runs>`, see `extref_benches::count_mode`)
with WARM runs and with WARM + RUNS runs; the difference divided by RUNS is
one steady-state run, setup and first-run effects excluded. R4's upstream
side is `crates/drift`'s binary in `--serve` mode, counted the same way.

glibc's malloc adapts its mmap threshold as blocks are freed, so without
fixing it a run's count depends on the heap's history (up to 5x, mostly
zeroing recycled memory for Wasm linear memory): the thresholds are pinned
with GLIBC_TUNABLES, which makes counts repeat to within 0.3%. Counts are
user-space instructions; the kernel's page-fault work is not included.
Writes `target/extref-bench/instructions.md`, and `instructions.json`: the
per-run counts, the record `docs/records/bench-instructions.json` is a copy of
(the benches' test mode checks `docs/benchmarks.md`'s counts against it).

Usage: python3 benches/instructions.py   (after `cargo fork materialize`;
needs valgrind: `apt-get install valgrind`)
"""

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM = 2
RUNS = 10
TUNABLES = "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072"
CARGO = os.environ.get("CARGO", "cargo")


def bench_executables():
    out = subprocess.run(
        [CARGO, "bench", "-p", "extref-benches", "--locked", "--no-run",
         "--message-format=json"],
        cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    exes = {}
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
            exes[msg["target"]["name"]] = msg["executable"]
    return exes


def reference_executable():
    target = ROOT / "target" / "drift-release"
    env = dict(os.environ)
    env.pop("CARGO_TARGET_DIR", None)
    subprocess.run(
        [CARGO, "build", "--release", "--locked", "--manifest-path",
         str(ROOT / "crates/drift/Cargo.toml"), "--target-dir", str(target)],
        cwd=ROOT / "crates/drift", check=True, env=env)
    return str(target / "release" / "drift-reference")


def callgrind(cmd, env=None, stdin=None):
    env = dict(env or os.environ, GLIBC_TUNABLES=TUNABLES)
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
        cwd=ROOT, env=env, input=stdin, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    # The main process's lines come first; forked children (criterion
    # probing for gnuplot) report their own counts, which are not ours.
    main_pid = re.search(r"==(\d+)==", proc.stderr)
    m = main_pid and re.search(
        rf"=={main_pid.group(1)}== Collected\s*:\s*(\d+)", proc.stderr)
    if not m:
        sys.exit(f"no instruction count in callgrind's output:\n{proc.stderr[-2000:]}")
    return int(m.group(1))


def per_run(count):
    """Instructions of one steady-state run: (count(WARM + RUNS) - count(WARM)) / RUNS."""
    return (count(WARM + RUNS) - count(WARM)) / RUNS


def bench_case(exe, case):
    def count(k):
        env = dict(os.environ, EXTREF_BENCH_COUNT=f"{case}:{k}")
        return callgrind([exe, "--bench"], env=env)
    n = per_run(count)
    print(f"  {case:<28} {n:>14,.0f} instructions per run", flush=True)
    return n


def reference_run(exe):
    n = per_run(lambda k: callgrind([exe, "--serve"], stdin=f"{k}\n"))
    print(f"  {'upstream 27.0.1 workload':<28} {n:>14,.0f} instructions per run", flush=True)
    return n


def main():
    exes = bench_executables()
    reference = reference_executable()
    rows = []

    def ratio(group, label, num, den):
        rows.append((group, label, num, den, num / den))

    counts = {"resolution": {}, "cap85": {}, "no_drift": {}, "drift_reference": {}}

    print("R1 (resolution bench)")
    r1 = {}
    for path in ["e2e", "host"]:
        for cache in ["warm", "cold"]:
            for case in ["wasm", "control", "external_ref"]:
                name = f"{path}_{cache}_{case}"
                r1[name] = bench_case(exes["resolution"], name)
                counts["resolution"][name] = round(r1[name])
            for case in ["control", "external_ref"]:
                ratio("R1", f"{path} {cache}: {case} / wasm",
                      r1[f"{path}_{cache}_{case}"], r1[f"{path}_{cache}_wasm"])

    print("R2 (cap85 bench)")
    r2 = {f"{h}_{c}": bench_case(exes["cap85"], f"{h}_{c}")
          for h in ["fork", "cap85"] for c in ["wasm", "control", "external_ref"]}
    counts["cap85"] = {k: round(v) for k, v in r2.items()}
    for h in ["fork", "cap85"]:
        ratio("R2", f"{h}: external_ref / wasm", r2[f"{h}_external_ref"], r2[f"{h}_wasm"])
    fork_ratio = r2["fork_external_ref"] / r2["fork_wasm"]
    cap_ratio = r2["cap85_external_ref"] / r2["cap85_wasm"]

    print("R4 (no_drift bench)")
    fork_workload = bench_case(exes["no_drift"], "fork")
    upstream_workload = reference_run(reference)
    ratio("R4", "workload: fork / upstream 27.0.1", fork_workload, upstream_workload)
    counts["no_drift"]["fork"] = round(fork_workload)
    counts["drift_reference"]["upstream"] = round(upstream_workload)

    lines = [
        "## Instructions executed per run (callgrind)",
        "",
        f"valgrind {subprocess.run(['valgrind', '--version'], stdout=subprocess.PIPE, text=True).stdout.strip()}; "
        f"per run = (count of {WARM + RUNS} runs - count of {WARM} runs) / {RUNS}: steady state, "
        f"setup excluded; GLIBC_TUNABLES={TUNABLES}.",
        "",
        "| group | ratio | numerator | denominator | ratio |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for group, label, num, den, r in rows:
        lines.append(f"| {group} | {label} | {num:,.0f} | {den:,.0f} | {r:.4f} |")
    lines += [
        "",
        f"R2 (instructions) = {fork_ratio:.4f} / {cap_ratio:.4f} = **{fork_ratio / cap_ratio:.4f}**",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = ROOT / "target" / "extref-bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "instructions.md").write_text(text)
    print(f"report: {out / 'instructions.md'}")
    version = lambda cmd: subprocess.run(cmd, stdout=subprocess.PIPE, text=True).stdout.strip()
    record = {
        "written_by": "python3 benches/instructions.py (target/extref-bench/instructions.json)",
        "date": datetime.date.today().isoformat(),
        "valgrind": version(["valgrind", "--version"]),
        "rustc": version(["rustc", "--version"]),
        "method": f"instructions per steady-state run: (count of {WARM + RUNS} runs - count of "
                  f"{WARM} runs) / {RUNS}, rounded; GLIBC_TUNABLES={TUNABLES}",
        "per_run": counts,
    }
    (out / "instructions.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"record: {out / 'instructions.json'} (copy it to docs/records/bench-instructions.json)")


if __name__ == "__main__":
    main()
