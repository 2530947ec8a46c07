//! Running a bad-input case and observing its error: `tx` (a transaction
//! through `e2e_invoke`) and `contract` (a host driven directly).

use soroban_env_host::{
    budget::Budget,
    xdr::{ContractId, LedgerKey, ScErrorCode, ScErrorType, ScVal},
    Error, Host, HostError, ModuleCache, Symbol, Val,
};

use crate::{
    assert_same_ledger,
    e2e::{invoke_encoded_with_budget, Applied, EncodedTx, Ledger, Tx},
    ledger_state,
};

use super::Path;

/// The error a case ended with, observed after its storage check passed.
/// Only this module makes one, so no case can skip the storage check.
pub struct Observed {
    error: Error,
    path: Path,
    /// The guest caught the error and went on (it returned `[error,
    /// caught]`), rather than the invocation failing with it.
    caught: bool,
}

impl Observed {
    pub fn error(&self) -> Error {
        self.error
    }

    pub fn path(&self) -> Path {
        self.path
    }

    pub fn caught(&self) -> bool {
        self.caught
    }
}

/// A positive control's outcome: its transaction succeeded. Only this
/// module makes one.
pub struct Succeeded {
    result: ScVal,
    written: Vec<LedgerKey>,
}

impl Succeeded {
    pub fn result(&self) -> &ScVal {
        &self.result
    }

    /// Whether the transaction wrote (created or updated) `key`.
    pub fn wrote(&self, key: &LedgerKey) -> bool {
        self.written.contains(key)
    }
}

/// A control transaction: `invoke_host_function` must accept it and the
/// invocation succeed, with a result that is not a caught error.
pub fn succeeds(ledger: &Ledger, tx: &Tx) -> Succeeded {
    succeeded(ledger, ledger.apply(tx, None))
}

/// [`succeeds`] for a transaction already encoded (and altered).
pub fn succeeds_encoded(ledger: &Ledger, enc: &EncodedTx) -> Succeeded {
    succeeded(ledger, ledger.apply_encoded(enc, None))
}

fn succeeded(ledger: &Ledger, res: Result<Applied, HostError>) -> Succeeded {
    let applied = res.unwrap_or_else(|e| panic!("control refused: {:?}", e.error));
    let written = applied
        .changes
        .iter()
        .filter(|c| {
            !c.read_only
                && c.new_entry.is_some()
                && c.new_entry.as_ref() != ledger.get(&c.key).map(|(e, _)| e.as_ref())
        })
        .map(|c| c.key.clone())
        .collect();
    let result = applied
        .result
        .unwrap_or_else(|e| panic!("control failed: {:?}", e.error));
    if let ScVal::Vec(Some(items)) = &result {
        assert!(
            !matches!(items.first(), Some(ScVal::Error(_))),
            "control: the guest caught an error: {result:?}"
        );
    }
    Succeeded { result, written }
}

/// What an invocation did, for [`tx`] and the budget walks.
pub enum TxOutcome {
    /// `invoke_host_function` refused its inputs: nothing to apply.
    Refused(Error),
    Applied(Applied),
}

/// The error of an outcome, checking that what it would change is nothing:
/// a failed invocation reports no changes and no events; a successful one
/// (a guest that caught an error, see [`guest_error`]) only no-op changes.
/// The ledger after committing them must equal the ledger before. Also
/// whether the guest caught the error.
fn check_tx_outcome(ledger: &Ledger, outcome: TxOutcome) -> (Error, bool) {
    let mut after = ledger.clone();
    let error = match outcome {
        TxOutcome::Refused(e) => (e, false),
        TxOutcome::Applied(applied) => {
            let error = match &applied.result {
                Err(e) => {
                    assert!(applied.changes.is_empty(), "{:?}", applied.changes);
                    assert!(applied.events.is_empty());
                    (e.error, false)
                }
                Ok(v) => {
                    for c in &applied.changes {
                        let unchanged = match &c.new_entry {
                            None => c.read_only,
                            Some(e) => ledger.get(&c.key).map(|(old, _)| old.as_ref()) == Some(e),
                        };
                        assert!(unchanged, "changed: {c:?}");
                        if let Some(t) = &c.ttl_change {
                            assert_eq!(t.old_live_until_ledger, t.new_live_until_ledger);
                        }
                    }
                    (guest_error(v), true)
                }
            };
            after.commit(&applied.changes);
            error
        }
    };
    assert!(
        after.state() == ledger.state(),
        "ledger changed by a failed invocation"
    );
    error
}

fn outcome(res: Result<Applied, HostError>) -> TxOutcome {
    match res {
        Err(e) => TxOutcome::Refused(e.error),
        Ok(applied) => TxOutcome::Applied(applied),
    }
}

/// A transaction through `invoke_host_function`.
pub fn tx(ledger: &Ledger, tx: &Tx) -> Observed {
    tx_with_cache(ledger, tx, None)
}

/// The same, with a module cache.
pub fn tx_with_cache(ledger: &Ledger, tx: &Tx, cache: Option<ModuleCache>) -> Observed {
    let (error, caught) = check_tx_outcome(ledger, outcome(ledger.apply(tx, cache)));
    Observed {
        error,
        path: Path::Tx,
        caught,
    }
}

/// A transaction already encoded (and then altered) for
/// `invoke_host_function`.
pub fn encoded(ledger: &Ledger, enc: &EncodedTx) -> Observed {
    let (error, caught) = check_tx_outcome(ledger, outcome(ledger.apply_encoded(enc, None)));
    Observed {
        error,
        path: Path::Tx,
        caught,
    }
}

/// A transaction that must fail, whose diagnostics must mention `text`
/// (the cause behind a narrowed error).
pub fn tx_mentioning(ledger: &Ledger, tx: &Tx, text: &str) -> Observed {
    let applied = ledger.apply(tx, None).expect("inputs accepted");
    assert!(
        applied.diagnostics_mention(text),
        "diagnostics do not mention {text:?}: {:#?}",
        applied.diagnostics
    );
    let (error, caught) = check_tx_outcome(ledger, TxOutcome::Applied(applied));
    Observed {
        error,
        path: Path::Tx,
        caught,
    }
}

/// An operation on a host, which must fail and leave its storage as it was.
pub fn host<T: std::fmt::Debug>(
    host: &Host,
    op: impl FnOnce() -> Result<T, HostError>,
) -> Observed {
    let before = ledger_state(host).unwrap();
    let res = op();
    assert_same_ledger(&before, &ledger_state(host).unwrap());
    let error = match res {
        Err(e) => e.error,
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
    };
    Observed {
        error,
        path: Path::Contract,
        caught: false,
    }
}

/// A host operation in which a guest catches a failure and goes on,
/// returning `[error, caught]` as the probe's `try` does, leaving storage
/// as it was.
pub fn host_guest(host: &Host, op: impl FnOnce() -> Result<Val, HostError>) -> Observed {
    let before = ledger_state(host).unwrap();
    let res = op().expect("the guest recovers");
    assert_same_ledger(&before, &ledger_state(host).unwrap());
    Observed {
        error: guest_error(
            &<ScVal as soroban_env_host::TryFromVal<Host, Val>>::try_from_val(host, &res).unwrap(),
        ),
        path: Path::Contract,
        caught: true,
    }
}

/// Several variants of one input that must all fail with the same error.
pub fn all_same(observed: Vec<Observed>) -> Observed {
    let first = observed.first().expect("variants");
    for o in &observed {
        assert_eq!(o.error, first.error, "variants disagree");
        assert_eq!(o.path, first.path);
        assert_eq!(o.caught, first.caught);
    }
    Observed {
        error: first.error,
        path: first.path,
        caught: first.caught,
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Dim {
    Cpu,
    Mem,
}

/// Budget exhaustion at every charge of `op` on a host: the limit starts at
/// 0 and is then set to what the previous failing run had consumed when it
/// failed, so that each run passes the charge the previous one failed at and
/// fails at the next one (a check that refuses without charging, as Wasm
/// fuel does, is passed by bisecting the limit). Every failure must be
/// `(Budget, ExceededLimit)` with the host's storage unchanged; the walk
/// ends when `op` succeeds and must have failed at `min_failures` charges
/// at least.
///
/// Each run is nested in a frame of `frame`, limited only inside it, and
/// storage is compared right after `op` returns: what is checked is `op`'s
/// own rollback, not that of the enclosing frame (which is then rolled
/// back, also on success), nor recording-mode auth emulation, which runs
/// when the last frame pops.
pub fn budget_walk<T>(
    host: &Host,
    frame: ContractId,
    dim: Dim,
    min_failures: usize,
    mut op: impl FnMut() -> Result<T, HostError>,
) -> Observed {
    let budget = host.budget_cloned();
    let before = ledger_state(host).unwrap();
    // One run at `limit`: Ok(None) on success, Ok(what was consumed) on a
    // budget error, Err on any other error.
    let attempt = |limit: u64| -> Result<Option<u64>, Error> {
        let mut out = None;
        let frame_res = host.with_test_contract_frame(
            frame.clone(),
            Symbol::try_from_small_str("walk").unwrap(),
            || {
                match dim {
                    Dim::Cpu => budget.reset_limits(limit, u64::MAX)?,
                    Dim::Mem => budget.reset_limits(u64::MAX, limit)?,
                }
                let res = op().map(|_| ());
                let consumed = match dim {
                    Dim::Cpu => budget.get_cpu_insns_consumed()?,
                    Dim::Mem => budget.get_mem_bytes_consumed()?,
                };
                budget.reset_unlimited()?;
                out = Some((res, consumed, ledger_state(host)?));
                // Roll back the enclosing frame in every case.
                Err((ScErrorType::Context, ScErrorCode::InvalidAction).into())
            },
        );
        assert!(frame_res.is_err());
        let (res, consumed, after) = out.expect("the frame ran");
        match res {
            Ok(()) => Ok(None),
            Err(e) => {
                assert_same_ledger(&before, &after);
                if e.error.is_type(ScErrorType::Budget)
                    && e.error.is_code(ScErrorCode::ExceededLimit)
                {
                    Ok(Some(consumed))
                } else {
                    Err(e.error)
                }
            }
        }
    };
    let failures = match walk(attempt) {
        Err(error) => {
            return Observed {
                error,
                path: Path::Contract,
                caught: false,
            }
        }
        Ok(n) => n,
    };
    assert_same_ledger(&before, &ledger_state(host).unwrap());
    assert!(
        failures >= min_failures,
        "only {failures} charges failed ({dim:?})"
    );
    Observed {
        error: (ScErrorType::Budget, ScErrorCode::ExceededLimit).into(),
        path: Path::Contract,
        caught: false,
    }
}

/// The walk of [`budget_walk`] over `attempt(limit)` (Ok(None): success;
/// Ok(Some(consumed)): a budget error; Err: another error, which ends the
/// walk). Returns how many runs failed on the budget.
fn walk(mut attempt: impl FnMut(u64) -> Result<Option<u64>, Error>) -> Result<usize, Error> {
    let mut limit = 0u64;
    let mut failures = 0usize;
    loop {
        let consumed = match attempt(limit)? {
            None => break,
            Some(consumed) => consumed,
        };
        failures += 1;
        assert!(failures < 5_000, "the walk does not end");
        if consumed > limit {
            limit = consumed;
            continue;
        }
        // Refused without a charge: find the smallest limit that gets
        // further, doubling then bisecting.
        let stalled = Some(consumed);
        let (mut lo, mut d) = (limit, 1u64);
        let mut hi = loop {
            let l = limit.saturating_add(d);
            if attempt(l)? != stalled {
                break l;
            }
            lo = l;
            d *= 2;
        };
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if attempt(mid)? == stalled {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        limit = hi;
    }
    Ok(failures)
}

/// [`budget_walk`] for a transaction through `invoke_host_function` (with
/// a module cache, as stellar-core runs): every failure must leave no
/// changes and the ledger as it was.
pub fn tx_budget_walk(
    ledger: &Ledger,
    tx: &Tx,
    cache: &ModuleCache,
    dim: Dim,
    min_failures: usize,
) -> Observed {
    let attempt = |limit: u64| -> Result<Option<u64>, Error> {
        let (cpu, mem) = match dim {
            Dim::Cpu => (limit, u64::MAX),
            Dim::Mem => (u64::MAX, limit),
        };
        let (outcome, consumed) = apply_with_limits(ledger, tx, cpu, mem, Some(cache.clone()));
        if let TxOutcome::Applied(a) = &outcome {
            if a.result.is_ok() {
                return Ok(None);
            }
        }
        let (e, caught) = check_tx_outcome(ledger, outcome);
        assert!(!caught, "a budget error reached the guest");
        if e.is_type(ScErrorType::Budget) && e.is_code(ScErrorCode::ExceededLimit) {
            Ok(Some(match dim {
                Dim::Cpu => consumed.0,
                Dim::Mem => consumed.1,
            }))
        } else {
            Err(e)
        }
    };
    let error = match walk(attempt) {
        Err(error) => error,
        Ok(failures) => {
            assert!(failures >= min_failures, "only {failures} charges failed");
            (ScErrorType::Budget, ScErrorCode::ExceededLimit).into()
        }
    };
    Observed {
        error,
        path: Path::Tx,
        caught: false,
    }
}

/// `invoke_host_function` on `tx` with a budget of `cpu` instructions and
/// `mem` bytes, returning the outcome and what was consumed.
fn apply_with_limits(
    ledger: &Ledger,
    tx: &Tx,
    cpu: u64,
    mem: u64,
    cache: Option<ModuleCache>,
) -> (TxOutcome, (u64, u64)) {
    let enc = ledger.encode(tx);
    let budget = Budget::default();
    budget.reset_limits(cpu, mem).unwrap();
    // Diagnostics off, as stellar-core runs consensus.
    let res = invoke_encoded_with_budget(&budget, &ledger.info, &enc, None, cache);
    let consumed = (
        budget.get_cpu_insns_consumed().unwrap(),
        budget.get_mem_bytes_consumed().unwrap(),
    );
    let outcome = match res {
        Err(e) => TxOutcome::Refused(e.error),
        Ok(res) => TxOutcome::Applied(Applied::decode(res, vec![], budget)),
    };
    (outcome, consumed)
}

/// Instruction-limit exhaustion of a transaction at `points` limits spread
/// evenly below what it costs: each must fail with `(Budget,
/// ExceededLimit)` (inside the invocation, or while `invoke_host_function`
/// decodes its inputs) and change nothing; the full cost must succeed.
pub fn tx_budget_sweep(ledger: &Ledger, tx: &Tx, points: u64) -> Observed {
    let (ok, (cost, _)) = apply_with_limits(ledger, tx, u64::MAX, u64::MAX, None);
    match &ok {
        TxOutcome::Applied(a) => assert!(a.result.is_ok(), "{:?}", a.result),
        TxOutcome::Refused(e) => panic!("refused: {e:?}"),
    }
    let mut error = None;
    for k in 0..points {
        let limit = cost * k / points;
        let (outcome, _) = apply_with_limits(ledger, tx, limit, u64::MAX, None);
        let (e, caught) = check_tx_outcome(ledger, outcome);
        assert!(!caught, "a budget error reached the guest");
        assert!(error.is_none() || error == Some(e), "limit {limit}: {e:?}");
        error = Some(e);
    }
    Observed {
        error: error.expect("points"),
        path: Path::Tx,
        caught: false,
    }
}

/// The error a guest caught, from what it returned after catching it:
/// `[error, caught]` (see the probe's `try`: a contract may not return a
/// bare error value, and the symbol is pushed only on the catch path).
fn guest_error(v: &ScVal) -> Error {
    match v {
        ScVal::Vec(Some(items)) if items.len() == 2 => match (&items[0], &items[1]) {
            (ScVal::Error(e), ScVal::Symbol(s)) if s.as_slice() == b"caught" => {
                Error::from(e.clone())
            }
            _ => panic!("expected [error, caught], got Ok({v:?})"),
        },
        other => panic!("expected an error, got Ok({other:?})"),
    }
}
