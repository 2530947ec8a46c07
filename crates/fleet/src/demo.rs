//! The fleet scenario, on any [`Backend`]: a governed manager (timelock; its admin
//! a 2-of-3 multisig account whose proposals are signed with ed25519), a factory
//! and N token followers; a follower created at top level with an ExternalRef
//! executable; mints and transfers; a refused single-signature proposal and a
//! refused early upgrade; the timelocked upgrade of the whole fleet in one
//! transaction; the pause and unpause; and the audit rebuilt from the ledger.

use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use extref_operator::audit::Audit;
use extref_testkit::{
    e2e::{external_ref, sc_symbol},
    fixtures,
    sign::{sign_entry, Account, Key},
};
use indicatif::{ProgressBar, ProgressStyle};
use soroban_env_host::xdr::{
    AccountId, ContractExecutable, Hash, Int128Parts, PublicKey, ScAddress, ScVal, Uint256,
};

use crate::backend::{Backend, Call, Receipt, Refusal};
use crate::report::{
    check_audit, CallComparison, Cost, DirectFollower, Expected, Fees, Governance, PausePhase,
    Phases, Report, Upgrade,
};

pub const KEY: &str = "token";
/// The second ref: followers that may opt out (pinnable contracts).
pub const PIN_KEY: &str = "pinnable";
/// `TokenError::Paused`, the paused build's refusal.
const TOKEN_PAUSED_ERROR: u32 = 5;
/// Ledgers a governance signature stays valid for.
const SIGNATURE_LEDGERS: u32 = 50;
const MINTED: i128 = 1_000;
const SENT: i128 = 100;

/// The demo's parameters.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub followers: u32,
    pub timelock: u32,
    pub progress: bool,
}

pub fn sym(s: &str) -> ScVal {
    ScVal::Symbol(sc_symbol(s))
}

pub fn i128_val(v: i128) -> ScVal {
    ScVal::I128(Int128Parts {
        hi: (v >> 64) as i64,
        lo: v as u64,
    })
}

pub fn bytes(hash: &Hash) -> ScVal {
    ScVal::Bytes(hash.0.to_vec().try_into().expect("32 bytes"))
}

pub fn holder(i: u32) -> ScAddress {
    let mut seed = [0x77u8; 32];
    seed[..4].copy_from_slice(&i.to_be_bytes());
    ScAddress::Account(AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(seed))))
}

/// `transfer(from, holder(to), amount)`'s arguments.
fn transfer_args(from: &ScAddress, to: u32, amount: i128) -> Vec<ScVal> {
    vec![
        ScVal::Address(from.clone()),
        ScVal::Address(holder(to)),
        i128_val(amount),
    ]
}

pub fn salt(tag: u8, i: u32) -> [u8; 32] {
    let mut s = [tag; 32];
    s[..4].copy_from_slice(&i.to_be_bytes());
    s
}

fn as_u32(v: &ScVal) -> Result<u32> {
    match v {
        ScVal::U32(x) => Ok(*x),
        other => bail!("expected a u32, got {other:?}"),
    }
}

fn as_i128(v: &ScVal) -> Result<i128> {
    match v {
        ScVal::I128(p) => Ok(((p.hi as i128) << 64) | p.lo as i128),
        other => bail!("expected an i128, got {other:?}"),
    }
}

fn secs(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

struct Bar(Option<ProgressBar>);

impl Bar {
    fn new(show: bool, len: u32, what: &str) -> Bar {
        if !show {
            return Bar(None);
        }
        let bar = ProgressBar::new(len as u64);
        bar.set_style(
            ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} {elapsed}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        Bar(Some(bar))
    }
    fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n)
        }
    }
    fn done(self) {
        if let Some(b) = self.0 {
            b.finish_and_clear()
        }
    }
}

/// `balance(holder(i))` of every follower i.
fn holders_balances(followers: &[ScAddress]) -> Vec<Call> {
    followers
        .iter()
        .enumerate()
        .map(|(i, f)| Call::new(f, "balance", vec![ScVal::Address(holder(i as u32))]))
        .collect()
}

fn call(l: &mut dyn Backend, c: &ScAddress, f: &str, args: Vec<ScVal>) -> Result<Receipt> {
    l.call(Call::new(c, f, args))
        .with_context(|| format!("transaction {f} failed"))
}

/// Independent calls, every one of which must succeed.
fn call_all(l: &mut dyn Backend, calls: Vec<Call>, bar: &Bar) -> Result<Vec<Receipt>> {
    let mut out = vec![];
    // Batches keep the progress bar moving on slow ledgers.
    for chunk in calls.chunks(50) {
        for (c, r) in chunk.iter().zip(l.call_many(chunk.to_vec())?) {
            out.push(r.with_context(|| format!("{} on {:?} failed", c.function, c.contract))?);
        }
        bar.inc(chunk.len() as u64);
    }
    Ok(out)
}

/// `contract.function(args)` authorized by `keys` for a multisig account:
/// simulated, its auth entries signed as a wallet signs them, applied.
fn call_signed(
    l: &mut dyn Backend,
    c: &ScAddress,
    f: &str,
    args: Vec<ScVal>,
    keys: &[&Key],
) -> Result<Receipt, Refusal> {
    let network_id = l.network_id();
    let expiration = l.sequence() + SIGNATURE_LEDGERS;
    l.call_signed(Call::new(c, f, args), &|e| {
        sign_entry(e, network_id, expiration, keys)
    })
}

/// The fees charged since `since` (core runs), and the new mark.
fn fee_mark(l: &dyn Backend, since: &mut i64) -> i64 {
    let now = l.fees_charged().unwrap_or_default();
    let d = now - *since;
    *since = now;
    d
}

/// The whole demo on `l`; every check on the way is an error if it fails.
pub fn run(l: &mut dyn Backend, p: Params) -> Result<Report> {
    let started = Instant::now();
    let mut phases = Phases::default();
    let mut fees = Fees::default();
    let mut mark = l.fees_charged().unwrap_or_default();
    let n = p.followers;
    // Tokens are administered by the transaction source; the manager by a 2-of-3
    // multisig account, whose signers sign every proposal.
    let admin = l.source_address();
    let gov_id = Key::from_seed(0x90);
    let gov_keys = [
        Key::from_seed(0x91),
        Key::from_seed(0x92),
        Key::from_seed(0x93),
    ];
    let governance = Account::multisig(&gov_id, &gov_keys, 2);
    l.open_account(&governance, &gov_id, &gov_keys)
        .context("the governance account")?;
    let two_of_three = [&gov_keys[0], &gov_keys[2]];
    let mut signed_proposals = 0;

    // Setup: code, a governed manager, a factory, and the ref at v1.
    let mut hashes = vec![];
    for wasm in [
        fixtures::TOKEN_V1,
        fixtures::TOKEN_V2,
        fixtures::MANAGER,
        fixtures::FACTORY,
        fixtures::PINNABLE_V1,
        fixtures::PINNABLE_V2,
        fixtures::TOKEN_PAUSED,
    ] {
        hashes.push(l.upload(wasm).context("uploading Wasm")?);
    }
    let [v1, v2, manager_code, factory_code, pin_v1, pin_v2, paused_code] =
        <[Hash; 7]>::try_from(hashes).expect("seven uploads");
    let create = |l: &mut dyn Backend, wasm: &Hash, tag: u8, args: Vec<ScVal>| {
        l.create(ContractExecutable::Wasm(wasm.clone()), salt(tag, 0), args)
            .map(|(a, _)| a)
            .context("creating a contract")
    };
    let manager = create(
        l,
        &manager_code,
        1,
        vec![ScVal::Address(governance.address()), ScVal::U32(p.timelock)],
    )?;
    let factory = create(l, &factory_code, 2, vec![])?;
    // Two refs: the token fleet's, and a second one for contracts that may opt out.
    for (key, hash) in [(KEY, &v1), (PIN_KEY, &pin_v1)] {
        call_signed(
            l,
            &manager,
            "propose",
            vec![sym(key), bytes(hash)],
            &two_of_three,
        )
        .with_context(|| format!("the signed proposal of {key}"))?;
        signed_proposals += 1;
    }
    l.advance(p.timelock)?;
    call(l, &manager, "apply", vec![sym(KEY)])?;
    call(l, &manager, "apply", vec![sym(PIN_KEY)])?;
    phases.setup = secs(started.elapsed());
    fees.setup = fee_mark(l, &mut mark);

    // Deploy the fleet through the factory, plus one plain Wasm token to compare
    // with, and one follower created directly (a top-level CreateContractV2 whose
    // executable is the ExternalRef).
    let t = Instant::now();
    let bar = Bar::new(p.progress, n, "deploying followers");
    let deploy = |manager: &ScAddress, key: &str, tag: u8, i: u32| {
        Call::new(
            &factory,
            "deploy_with",
            vec![
                ScVal::Address(manager.clone()),
                sym(key),
                ScVal::Bytes(salt(tag, i).to_vec().try_into().expect("32 bytes")),
                ScVal::Vec(Some(
                    vec![ScVal::Address(admin.clone())]
                        .try_into()
                        .expect("one arg"),
                )),
            ],
        )
    };
    let deployed = call_all(
        l,
        (0..n).map(|i| deploy(&manager, KEY, 3, i)).collect(),
        &bar,
    )?;
    bar.done();
    let address_of = |r: &Receipt| match &r.result {
        ScVal::Address(a) => Ok(a.clone()),
        other => bail!("factory returned {other:?}"),
    };
    let followers = deployed
        .iter()
        .map(address_of)
        .collect::<Result<Vec<_>>>()?;
    let plain = create(l, &v1, 4, vec![ScVal::Address(admin.clone())])?;
    let (direct, _) = l
        .create(
            external_ref(&manager, KEY),
            salt(7, 0),
            vec![ScVal::Address(admin.clone())],
        )
        .context("a top-level CreateContractV2 with an ExternalRef executable")?;
    // Two followers of the second ref; one opts out (pins its own Wasm).
    let pins = call_all(
        l,
        (0..2).map(|i| deploy(&manager, PIN_KEY, 6, i)).collect(),
        &Bar(None),
    )?;
    let pin_followers = pins.iter().map(address_of).collect::<Result<Vec<_>>>()?;
    call(l, &pin_followers[1], "pin", vec![bytes(&pin_v2)])?;
    phases.deploy = secs(t.elapsed());
    fees.deploy = fee_mark(l, &mut mark);

    // Transfers on v1: the admin mints and pays a holder on every token.
    let t = Instant::now();
    let bar = Bar::new(p.progress, 2 * n, "minting and transferring");
    let mint = |c: &ScAddress| {
        Call::new(
            c,
            "mint",
            vec![ScVal::Address(admin.clone()), i128_val(MINTED)],
        )
    };
    call_all(l, followers.iter().map(mint).collect(), &bar)?;
    // Follower 0's transfer, like the plain token's, is sent by the admin itself
    // (source-account auth): the two are compared call for call. The others go out
    // together (on a node, from other accounts, with the admin's signed auth).
    let follower_transfer = call(l, &followers[0], "transfer", transfer_args(&admin, 0, SENT))?;
    call_all(
        l,
        followers
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, f)| Call::new(f, "transfer", transfer_args(&admin, i as u32, SENT)))
            .collect(),
        &bar,
    )?;
    bar.done();
    call_all(l, vec![mint(&plain), mint(&direct)], &Bar(None))?;
    let plain_transfer = call(l, &plain, "transfer", transfer_args(&admin, 0, SENT))?;
    let follower_balance = call(l, &followers[0], "balance", vec![ScVal::Address(holder(0))])?;
    let plain_balance = call(l, &plain, "balance", vec![ScVal::Address(holder(0))])?;
    ensure!(
        as_u32(&call(l, &direct, "version", vec![])?.result)? == 1,
        "the directly created follower runs v1"
    );
    phases.transfers = secs(t.elapsed());
    fees.transfers = fee_mark(l, &mut mark);
    fees.plain_transfer = plain_transfer.fee_charged.unwrap_or_default();
    fees.follower_transfer = follower_transfer.fee_charged.unwrap_or_default();

    // The upgrade: propose v2, a too-early apply is refused, then one apply.
    let t = Instant::now();
    // One signature is below the governance account's threshold: refused.
    let refused_single_signature = match call_signed(
        l,
        &manager,
        "propose",
        vec![sym(KEY), bytes(&v2)],
        &[&gov_keys[1]],
    ) {
        Ok(_) => bail!("the manager accepted a proposal with one signature of three"),
        Err(e) => e.describe(),
    };
    call_signed(
        l,
        &manager,
        "propose",
        vec![sym(KEY), bytes(&v2)],
        &two_of_three,
    )
    .context("the signed proposal of v2")?;
    signed_proposals += 1;
    let refused = match l.call(Call::new(&manager, "apply", vec![sym(KEY)])) {
        Ok(_) => bail!("the manager applied an upgrade before its timelock"),
        Err(e) => e.describe(),
    };
    l.advance(p.timelock)?;
    let apply = call(l, &manager, "apply", vec![sym(KEY)])?;
    fees.fleet_upgrade = apply.fee_charged.unwrap_or_default();
    // For comparison: one instance upgrading itself (update_current_contract_wasm).
    let pinnable = create(l, &pin_v1, 5, vec![ScVal::Address(admin.clone())])?;
    let pin = call(l, &pinnable, "pin", vec![bytes(&pin_v2)])?;
    phases.upgrade = secs(t.elapsed());
    fees.upgrade = fee_mark(l, &mut mark);

    // Verify: every follower runs v2 on its v1 state, and v2's behaviour shows.
    let t = Instant::now();
    let bar = Bar::new(p.progress, 3 * n, "verifying followers");
    let versions = call_all(
        l,
        followers
            .iter()
            .map(|f| Call::new(f, "version", vec![]))
            .collect(),
        &bar,
    )?;
    let held = call_all(l, holders_balances(&followers), &bar)?;
    let left = call_all(
        l,
        followers
            .iter()
            .map(|f| Call::new(f, "balance", vec![ScVal::Address(admin.clone())]))
            .collect(),
        &bar,
    )?;
    bar.done();
    for i in 0..n as usize {
        let version = as_u32(&versions[i].result)?;
        ensure!(
            version == 2,
            "follower {i} runs version {version} after the upgrade"
        );
        let (h, a) = (as_i128(&held[i].result)?, as_i128(&left[i].result)?);
        ensure!(
            h == SENT && a == MINTED - SENT,
            "follower {i} lost its state: holder {h}, admin {a}"
        );
    }
    let direct_v2 = as_u32(&call(l, &direct, "version", vec![])?.result)?;
    ensure!(
        direct_v2 == 2,
        "the directly created follower runs v{direct_v2} after the upgrade"
    );
    // v2's visible change: it counts the sender's transfers.
    call(l, &followers[0], "transfer", transfer_args(&admin, 0, 1))?;
    let sent = as_u32(
        &call(
            l,
            &followers[0],
            "sent",
            vec![ScVal::Address(admin.clone())],
        )?
        .result,
    )?;
    ensure!(sent == 1, "v2 counted {sent} transfers, expected 1");
    ensure!(
        as_u32(&call(l, &plain, "version", vec![])?.result)? == 1,
        "the plain Wasm token must not follow the ref"
    );
    phases.verify = secs(t.elapsed());
    fees.verify = fee_mark(l, &mut mark);

    // Emergency: pause the whole fleet in one transaction (no timelock), check every
    // follower refuses to move funds but still answers reads, then unpause to exactly v2.
    let t = Instant::now();
    let pause = call_signed(
        l,
        &manager,
        "pause",
        vec![sym(KEY), bytes(&paused_code)],
        &two_of_three,
    )
    .context("the signed pause")?;
    let bar = Bar::new(p.progress, 2 * n, "checking the paused fleet");
    let mut refused_while_paused = 0;
    let tries = l.call_many(
        followers
            .iter()
            .enumerate()
            .map(|(i, f)| Call::new(f, "transfer", transfer_args(&admin, i as u32, 1)))
            .collect(),
    )?;
    bar.inc(n as u64);
    for (i, r) in tries.into_iter().enumerate() {
        match r {
            Err(e) if e.contract_code() == Some(TOKEN_PAUSED_ERROR) => refused_while_paused += 1,
            other => bail!(
                "follower {i} moved funds while paused: {:?}",
                other.map(|r| r.result)
            ),
        }
    }
    let held = call_all(l, holders_balances(&followers), &bar)?;
    bar.done();
    for (i, r) in held.iter().enumerate() {
        ensure!(
            as_i128(&r.result)? == SENT + i128::from(i == 0),
            "follower {i}'s balance changed while paused"
        );
    }
    let unpause = call_signed(l, &manager, "unpause", vec![sym(KEY)], &two_of_three)
        .context("the signed unpause")?;
    ensure!(
        call(l, &manager, "current", vec![sym(KEY)])?.result == bytes(&v2),
        "unpause must return the key to exactly v2"
    );
    let versions = call_all(
        l,
        followers
            .iter()
            .map(|f| Call::new(f, "version", vec![]))
            .collect(),
        &Bar(None),
    )?;
    for (i, v) in versions.iter().enumerate() {
        ensure!(
            as_u32(&v.result)? == 2,
            "follower {i} is not back on v2 after unpause"
        );
    }
    call(l, &followers[0], "transfer", transfer_args(&admin, 0, 1))
        .context("a transfer after unpause")?;
    phases.pause = secs(t.elapsed());
    fees.pause = fee_mark(l, &mut mark);

    // Who runs what, rebuilt from the ledger's entries and events alone; it must be
    // exactly the state this run built (the directly created follower included).
    let entries = l.entries()?;
    let events = l.events();
    let audit = Audit::rebuild(entries.iter(), &events);
    check_audit(
        &audit,
        &Expected {
            manager: &manager,
            factory: &factory,
            token: (&followers, &v1, &v2, &paused_code),
            pinnable: (&pin_followers, &pin_v1, &pin_v2),
            direct: &direct,
        },
    )?;
    phases.total = secs(started.elapsed());
    fees.total = l.fees_charged().unwrap_or_default();

    let one = Cost::from(&pin);
    Ok(Report {
        ledger: l.describe(),
        followers: n,
        protocol: l.protocol(),
        timelock_ledgers: p.timelock,
        transactions: l.transactions(),
        ledger_entries: entries.len(),
        calls: vec![
            CallComparison::new("balance", &plain_balance, &follower_balance),
            CallComparison::new("transfer", &plain_transfer, &follower_transfer),
        ],
        pause: PausePhase {
            pause: Cost::from(&pause),
            unpause: Cost::from(&unpause),
            followers_refused_while_paused: refused_while_paused,
        },
        audit,
        governance: Governance {
            admin: format!("{:?}", governance.address()),
            signers: gov_keys.iter().map(|k| format!("{:?}", k.address())).collect(),
            threshold: 2,
            signed_proposals,
            refused_single_signature,
        },
        upgrade: Upgrade {
            one_ref_update: Cost::from(&apply),
            one_instance_update: one,
            n_instance_updates_cpu_insns: one.cpu_insns * n as u64,
            n_instance_updates_mem_bytes: one.mem_bytes * n as u64,
            n_instance_updates_entries_written: one.entries_written as u64 * n as u64,
            refused_before_timelock: refused,
        },
        verified: format!(
            "all {n} followers run v2 with balances intact (holder {SENT}, admin {}); v2 counts transfers (sent = {sent}); the plain Wasm token stays on v1",
            MINTED - SENT
        ),
        direct_follower: DirectFollower {
            address: extref_operator::audit::address(&direct),
            versions: (1, direct_v2),
        },
        wall_seconds: phases,
        fees: l.fees_charged().map(|_| fees),
    })
}
