//! `docs/core-node.md` quotes runs on a real stellar-core node; the runs' own JSON
//! output is in `docs/records/core-*.json`. Every figure the document quotes must be the
//! record's, so that a re-run that moves a number fails here until the document moves.

use std::path::PathBuf;

use extref_testkit::thousands;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn record(name: &str) -> Value {
    let path = root().join("docs/records").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("record present"))
        .expect("record is JSON")
}

fn doc() -> String {
    std::fs::read_to_string(root().join("docs/core-node.md")).expect("docs/core-node.md")
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn assert_quoted(doc: &str, what: &str, text: &str) {
    assert!(
        doc.contains(text),
        "docs/core-node.md should quote {what} as `{text}`"
    );
}

#[test]
fn the_standalone_run_is_the_record() {
    let d = doc();
    let r = record("core-fleet-standalone.json");
    let rep = &r["report"];
    let probe = &r["probe_protocol_27"];
    assert_eq!(probe["outcome"], "ERROR TxSorobanInvalid");
    assert_eq!(int(&probe["fee_charged"]), 0);
    assert_quoted(
        &d,
        "the probe",
        "refused by core's queue: `ERROR TxSorobanInvalid`, fee charged 0",
    );
    assert_quoted(
        &d,
        "the upgrade ledger",
        &format!(
            "ledger {} runs protocol 28",
            int(&r["upgraded_to_28_at_ledger"])
        ),
    );
    assert_quoted(
        &d,
        "the transactions",
        &format!("| transactions | {} (", int(&rep["transactions"])),
    );
    let wall = rep["wall_seconds"]["total"].as_f64().unwrap();
    assert_quoted(
        &d,
        "the wall time",
        &format!("{} s wall", wall.round() as i64),
    );
    let single = rep["governance"]["refused_single_signature"]
        .as_str()
        .unwrap();
    // "TxFailed Error(Auth, InvalidAction) (fee charged N stroops)"
    let (code, fee) = single
        .split_once(" (fee charged ")
        .expect("a node refusal with its fee");
    let fee: i64 = fee.trim_end_matches(" stroops)").parse().unwrap();
    assert_quoted(
        &d,
        "the single-signature refusal",
        &format!("`{code}`, fee charged {} stroops", thousands(fee)),
    );
    assert_eq!(
        rep["upgrade"]["refused_before_timelock"],
        "Error(Contract, #3)"
    );
    assert_eq!(
        int(&rep["pause"]["followers_refused_while_paused"]),
        int(&rep["followers"])
    );
    let c = &r["comparison"];
    assert_eq!(c["differences"].as_array().unwrap().len(), 0);
    assert_quoted(
        &d,
        "the comparison",
        &format!(
            "{} follower entries (instances, balances, counters) and {} ref entries, **0 differences**",
            int(&c["follower_entries"]),
            int(&c["ref_entries"])
        ),
    );
    for call in rep["calls"].as_array().unwrap() {
        let (w, e) = (
            int(&call["wasm"]["cpu_insns"]),
            int(&call["external_ref"]["cpu_insns"]),
        );
        let f = call["function"].as_str().unwrap();
        assert_quoted(
            &d,
            &format!("{f}'s CPU"),
            &format!(
                "| `{f}` CPU instructions | {} | {} (×{:.3}) |",
                thousands(w),
                thousands(e),
                e as f64 / w as f64
            ),
        );
    }
    let fees = &rep["fees"];
    let (p, f) = (
        int(&fees["plain_transfer"]),
        int(&fees["follower_transfer"]),
    );
    assert_quoted(
        &d,
        "the transfer fees",
        &format!(
            "| `transfer` fee charged (stroops) | {} | {} (+{}) |",
            thousands(p),
            thousands(f),
            thousands(f - p)
        ),
    );
    assert_quoted(
        &d,
        "the fleet upgrade",
        &format!(
            "{} CPU, {} stroops, whatever the fleet size",
            thousands(int(&rep["upgrade"]["one_ref_update"]["cpu_insns"])),
            thousands(int(&fees["fleet_upgrade"]))
        ),
    );
    assert_quoted(
        &d,
        "the deploy phase's fees",
        &format!("{} stroops", thousands(int(&fees["deploy"]))),
    );
}

#[test]
fn the_apply_cost_run_is_the_record() {
    let d = doc();
    let r = record("core-apply-cost.json");
    let batches = r["batches"].as_array().unwrap();
    let kind = |k: &'static str| batches.iter().filter(move |b| b["kind"] == k);
    // Every batch landed in one ledger, with K transactions.
    for b in batches {
        assert_eq!(b["ledgers"].as_array().unwrap().len(), 1, "{b}");
        assert_eq!(int(&b["transactions"]), int(&r["k"]));
    }
    let first = |k: &'static str, field: &str| int(&kind(k).next().unwrap()[field]);
    // CPU and fees are deterministic: every round gives the same.
    for k in ["follower", "plain"] {
        for field in ["cpu_insns", "fees"] {
            assert!(
                kind(k).all(|b| int(&b[field]) == first(k, field)),
                "{k} {field} varies"
            );
        }
    }
    assert_quoted(
        &d,
        "the CPU row",
        &format!(
            "| CPU instructions (deterministic) | {} | {} | {:.3} |",
            thousands(first("follower", "cpu_insns")),
            thousands(first("plain", "cpu_insns")),
            r["ratio_cpu_insns"].as_f64().unwrap()
        ),
    );
    assert_quoted(
        &d,
        "the fee row",
        &format!(
            "| fees charged, stroops (deterministic) | {} | {} | {:.3} |",
            thousands(first("follower", "fees")),
            thousands(first("plain", "fees")),
            r["ratio_fees"].as_f64().unwrap()
        ),
    );
    let sum = |k: &'static str, f: &dyn Fn(&Value) -> f64| kind(k).map(f).sum::<f64>();
    let invoke = |b: &Value| b["invoke_nsecs"].as_f64().unwrap() / 1e6;
    let apply = |b: &Value| b["core_apply_ms"].as_f64().unwrap();
    assert_quoted(
        &d,
        "the invoke-time row",
        &format!(
            "| host invoke time, sum over {} ledgers | {:.1} ms | {:.1} ms | {:.3} |",
            int(&r["rounds"]),
            sum("follower", &invoke),
            sum("plain", &invoke),
            r["ratio_invoke_time"].as_f64().unwrap()
        ),
    );
    assert_quoted(
        &d,
        "the apply-time row",
        &format!(
            "| core's `ledger.transaction.apply`, sum over {} ledgers | {:.1} ms | {:.1} ms | {:.3} |",
            int(&r["rounds"]),
            sum("follower", &apply),
            sum("plain", &apply),
            r["ratio_core_apply_time"].as_f64().unwrap()
        ),
    );
    assert_quoted(
        &d,
        "K",
        &format!("K = {}, {} rounds", int(&r["k"]), int(&r["rounds"])),
    );
}

fn agreement(name: &str) -> (i64, i64, i64) {
    let w = record(name);
    let a = &w["agreement"];
    assert_eq!(a["disagreements"].as_array().unwrap().len(), 0, "{name}");
    (int(&a["common"]), int(&a["first"]), int(&a["last"]))
}

#[test]
fn the_validator_runs_are_the_records() {
    let d = doc();
    let r = record("core-fleet-3of3.json");
    assert_eq!(r["comparison"]["differences"].as_array().unwrap().len(), 0);
    assert_quoted(
        &d,
        "the 3-of-3 run",
        &format!(
            "{} followers, {} transactions; upgraded to 28 at ledger {}. Final state equals the in-process run: {} follower entries, {} ref entries, 0 differences",
            int(&r["report"]["followers"]),
            int(&r["report"]["transactions"]),
            int(&r["upgraded_to_28_at_ledger"]),
            int(&r["comparison"]["follower_entries"]),
            int(&r["comparison"]["ref_entries"])
        ),
    );
    let (common, first, last) = agreement("core-watch-3of3.json");
    assert_quoted(
        &d,
        "the 3-of-3 agreement",
        &format!("the same {common} ledgers ({first}..={last}), 0 disagreements"),
    );

    let r = record("core-fleet-2of3-restart.json");
    assert_eq!(r["comparison"]["differences"].as_array().unwrap().len(), 0);
    let (common, first, last) = agreement("core-watch-2of3-restart.json");
    assert_quoted(
        &d,
        "the 2-of-3 agreement",
        &format!(
            "{common} ledgers ({first}..={last}) were seen closed by every node, 0 disagreements"
        ),
    );
    // validator1's gap is the one the document names, and it saw ledgers after it.
    let w = record("core-watch-2of3-restart.json");
    let observed = w["observed"].as_array().unwrap();
    let v1 = observed
        .iter()
        .find(|o| o[0] == "validator1")
        .expect("validator1 observed");
    let mut seen: Vec<i64> = v1[1]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.parse().unwrap())
        .collect();
    seen.sort();
    let gaps: Vec<(i64, i64)> = seen
        .windows(2)
        .filter(|w| w[1] - w[0] > 1)
        .map(|w| (w[0] + 1, w[1] - 1))
        .collect();
    assert_eq!(gaps.len(), 1, "one gap: {gaps:?}");
    assert_quoted(
        &d,
        "validator1's gap",
        &format!("missing ledgers {}–{}", gaps[0].0, gaps[0].1),
    );
    assert!(
        *seen.last().unwrap() > gaps[0].1 + 50,
        "validator1 closed ledgers long after its restart"
    );
}

#[test]
fn the_next_build_run_is_the_record() {
    let d = doc();
    let r = record("core-fleet-next.json");
    assert_eq!(r["probe_protocol_27"]["outcome"], "ERROR TxSorobanInvalid");
    assert_eq!(int(&r["probe_protocol_27"]["fee_charged"]), 0);
    assert_eq!(r["comparison"]["differences"].as_array().unwrap().len(), 0);
    assert_quoted(
        &d,
        "the next build's run",
        &format!(
            "the upgrade to 28 happened at ledger {};\n- {} transactions ran, every check held, and the final state equals the in-process run:\n  {} follower entries, {} ref entries, 0 differences.",
            int(&r["upgraded_to_28_at_ledger"]),
            int(&r["report"]["transactions"]),
            int(&r["comparison"]["follower_entries"]),
            int(&r["comparison"]["ref_entries"])
        ),
    );
    assert_quoted(
        &d,
        "the follower count",
        &format!(
            "with {} followers (`docs/records/core-fleet-next.json`)",
            int(&r["report"]["followers"])
        ),
    );
}

#[test]
fn the_build_without_the_xdr_diff_is_the_record() {
    let d = doc();
    let r = record("core-probe-without-xdr.json");
    let without = &r["without_xdr_diff"];
    let with = &r["with_xdr_diff"];
    // Both probes ran at the fork's protocol, and both nodes kept closing ledgers.
    for run in [without, with] {
        assert_eq!(int(&run["probe"]["protocol"]), 28);
        assert_eq!(run["state_after"], "Synced!");
        assert!(int(&run["ledger_after"]) > int(&run["ledger_before"]));
    }
    // Without the diff: refused while decoding, before the queue, no fee.
    let refused = without["probe"]["outcome"].as_str().unwrap();
    let exception = refused
        .strip_prefix("malformed: ")
        .expect("a decoding refusal");
    let body: Value = serde_json::from_str(exception).unwrap();
    let message = body["exception"].as_str().unwrap();
    assert_eq!(int(&without["probe"]["fee_charged"]), 0);
    assert_quoted(
        &d,
        "the refusal",
        &format!("| without the `.x` diff | `{{\"exception\": \"{message}\"}}` | 0 |"),
    );
    // With it: the same blob decodes, is admitted and applied (and fails: no ref).
    let fee = int(&with["probe"]["fee_charged"]);
    assert!(fee > 0);
    let applied = with["probe"]["outcome"].as_str().unwrap();
    let ledger = applied
        .strip_prefix("applied in ledger ")
        .and_then(|rest| rest.split_once(' '))
        .map(|(ledger, _)| ledger)
        .expect("applied in a ledger");
    assert_eq!(
        applied,
        format!("applied in ledger {ledger} (TxFailed, fee {fee})")
    );
    assert_quoted(
        &d,
        "the control",
        &format!(
            "| with the `.x` diff (control) | accepted, applied in ledger {ledger}: `TxFailed` (no ref behind the executable) | {} |",
            thousands(fee as u64)
        ),
    );
}
