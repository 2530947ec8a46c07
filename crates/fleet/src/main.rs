//! `fleet`, soroban-extref's main job: on an in-process ledger driven exactly
//! as a network drives the host (every step a simulated, then applied and
//! committed transaction), deploy a governed manager, a factory and N token
//! followers; drive transfers; upgrade the whole fleet to v2 through the
//! manager's timelock in one transaction; prove every follower runs v2 with
//! its state intact; and report what it cost, from the host's own metering.
//!
//! The manager's admin is a 2-of-3 multisig account that is not the
//! transactions' source: every proposal is authorized by ed25519 signatures
//! over the real Soroban authorization payload, checked by the host.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;
use extref_operator::{
    audit::{self, Audit},
    spec::ContractSpec,
    upgrade,
};
use extref_testkit::{
    chain::{Chain, Receipt},
    e2e::{invoke_fn, sc_symbol},
    fixtures,
    sign::{sign_entry, Account, Key},
    FORK_PROTOCOL,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use soroban_env_host::xdr::{
    AccountId, ContractCostType, ContractExecutable, Hash, Int128Parts, PublicKey, ScAddress,
    ScVal, Uint256,
};

#[derive(Parser)]
#[command(
    about = "Deploy a fleet of ExternalRef token followers and upgrade it with one manager transaction",
    long_about = None,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    demo: Args,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Before a ref moves: is NEW.wasm a compatible upgrade of OLD.wasm for a fleet
    /// running OLD? Compares their specs and env interfaces; exit status 0 when safe, 1
    /// when a finding is breaking, 2 on error.
    CheckUpgrade {
        old: std::path::PathBuf,
        new: std::path::PathBuf,
        /// The ledger protocol the fleet runs at.
        #[arg(long, default_value_t = FORK_PROTOCOL)]
        ledger_protocol: u32,
        /// The network runs a pre-release (`next`) host.
        #[arg(long)]
        next: bool,
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct Args {
    /// Number of followers the factory deploys.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    followers: u32,
    /// The manager's timelock, in ledgers, between proposing and applying an upgrade.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    timelock: u32,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

const KEY: &str = "token";
/// The second ref: followers that may opt out (pinnable contracts).
const PIN_KEY: &str = "pinnable";
/// `TokenError::Paused`, the paused build's refusal.
const TOKEN_PAUSED_ERROR: u32 = 5;
/// Ledgers a governance signature stays valid for.
const SIGNATURE_LEDGERS: u32 = 50;
const MINTED: i128 = 1_000;
const SENT: i128 = 100;

fn sym(s: &str) -> ScVal {
    ScVal::Symbol(sc_symbol(s))
}

fn i128_val(v: i128) -> ScVal {
    ScVal::I128(Int128Parts {
        hi: (v >> 64) as i64,
        lo: v as u64,
    })
}

fn bytes(hash: &Hash) -> ScVal {
    ScVal::Bytes(hash.0.to_vec().try_into().expect("32 bytes"))
}

fn holder(i: u32) -> ScAddress {
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

fn salt(tag: u8, i: u32) -> [u8; 32] {
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

fn progress(len: u32, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// One call's metered cost, as the applied transaction was charged.
#[derive(Serialize, Clone, Copy)]
struct Cost {
    cpu_insns: u64,
    mem_bytes: u64,
    entries_read: usize,
    entries_written: usize,
}

impl From<&Receipt> for Cost {
    fn from(r: &Receipt) -> Self {
        Cost {
            cpu_insns: r.cpu_insns,
            mem_bytes: r.mem_bytes,
            entries_read: r.read_only + r.read_write,
            entries_written: r.read_write,
        }
    }
}

#[derive(Serialize)]
struct CallComparison {
    function: &'static str,
    wasm: Cost,
    external_ref: Cost,
    cpu_ratio: f64,
    /// Where the extra CPU and memory of the ExternalRef call go, by cost type.
    overhead_by_cost_type: Vec<CostTypeDelta>,
}

#[derive(Serialize)]
struct CostTypeDelta {
    cost_type: String,
    cpu_insns: i64,
    mem_bytes: i64,
}

impl CallComparison {
    fn new(function: &'static str, wasm: &Receipt, external_ref: &Receipt) -> Self {
        let charged = |r: &Receipt, ty| {
            r.by_cost_type
                .iter()
                .find(|(t, _, _)| *t == ty)
                .map_or((0, 0), |(_, c, m)| (*c as i64, *m as i64))
        };
        let mut overhead_by_cost_type: Vec<CostTypeDelta> = ContractCostType::variants()
            .into_iter()
            .filter_map(|ty| {
                let (wc, wm) = charged(wasm, ty);
                let (ec, em) = charged(external_ref, ty);
                (wc != ec || wm != em).then(|| CostTypeDelta {
                    cost_type: format!("{ty:?}"),
                    cpu_insns: ec - wc,
                    mem_bytes: em - wm,
                })
            })
            .collect();
        overhead_by_cost_type.sort_by_key(|d| std::cmp::Reverse(d.cpu_insns.abs()));
        CallComparison {
            function,
            wasm: wasm.into(),
            external_ref: external_ref.into(),
            cpu_ratio: external_ref.cpu_insns as f64 / wasm.cpu_insns as f64,
            overhead_by_cost_type,
        }
    }
}

#[derive(Serialize)]
struct Upgrade {
    /// The manager's `apply`: one ref write upgrades the whole fleet.
    one_ref_update: Cost,
    /// One `update_current_contract_wasm` (a pinnable contract's `pin`).
    one_instance_update: Cost,
    /// What upgrading the fleet instance by instance would cost: N times that.
    n_instance_updates_cpu_insns: u64,
    n_instance_updates_mem_bytes: u64,
    n_instance_updates_entries_written: u64,
    /// The apply was refused before the timelock ran out, as expected.
    refused_before_timelock: String,
}

/// The emergency pause: one transaction stops N followers, one resumes them.
#[derive(Serialize)]
struct PausePhase {
    pause: Cost,
    unpause: Cost,
    /// Followers whose transfer was refused with `TokenError::Paused` while paused.
    followers_refused_while_paused: u32,
}

/// What the audit must find: the run's own record of what it built.
struct Expected<'a> {
    manager: &'a ScAddress,
    factory: &'a ScAddress,
    /// Token followers, v1, v2 and the paused build.
    token: (&'a [ScAddress], &'a Hash, &'a Hash, &'a Hash),
    /// Followers of the second ref (the last one pinned), its v1 and the pinned v2.
    pinnable: (&'a [ScAddress], &'a Hash, &'a Hash),
}

fn hex(h: &Hash) -> String {
    h.0.iter().map(|b| format!("{b:02x}")).collect()
}

/// The audit reproduces the run's final state exactly.
fn check_audit(audit: &Audit, e: &Expected) -> Result<()> {
    let manager = audit::address(e.manager);
    let (tokens, v1, v2, paused) = e.token;
    let (pins, pin_v1, pin_v2) = e.pinnable;
    let update = |old: Option<&Hash>, new: &Hash| audit::RefUpdate {
        old: old.map(hex),
        new: hex(new),
    };
    let want_refs = vec![
        audit::Ref {
            key: PIN_KEY.into(),
            current: Some(hex(pin_v1)),
            history: vec![update(None, pin_v1)],
        },
        audit::Ref {
            key: KEY.into(),
            current: Some(hex(v2)),
            history: vec![
                update(None, v1),
                update(Some(v1), v2),
                update(Some(v2), paused),
                update(Some(paused), v2),
            ],
        },
    ];
    ensure!(
        audit.managers
            == vec![audit::Manager {
                manager: manager.clone(),
                refs: want_refs
            }],
        "the audit's refs differ from the run's: {:#?}",
        audit.managers
    );
    let deployed: Vec<String> = tokens.iter().chain(pins).map(audit::address).collect();
    let factory = audit::address(e.factory);
    ensure!(
        audit.factories.get(&factory) == Some(&deployed) && audit.factories.len() == 1,
        "the audit's factory list differs from the run's"
    );
    let mut want: Vec<audit::Follower> = tokens
        .iter()
        .map(|f| audit::Follower {
            address: audit::address(f),
            deployed_by: Some(factory.clone()),
            deployed_for: Some((manager.clone(), KEY.into())),
            follows: Some((manager.clone(), KEY.into())),
            pinned: false,
            code: Some(hex(v2)),
        })
        .collect();
    for (i, f) in pins.iter().enumerate() {
        let pinned = i == pins.len() - 1;
        want.push(audit::Follower {
            address: audit::address(f),
            deployed_by: Some(factory.clone()),
            deployed_for: Some((manager.clone(), PIN_KEY.into())),
            follows: (!pinned).then(|| (manager.clone(), PIN_KEY.into())),
            pinned,
            code: Some(hex(if pinned { pin_v2 } else { pin_v1 })),
        });
    }
    want.sort_by(|a, b| a.address.cmp(&b.address));
    ensure!(
        audit.followers == want,
        "the audit's followers differ from the run's"
    );
    Ok(())
}

/// Who governs the manager, and what was refused.
#[derive(Serialize)]
struct Governance {
    /// The manager's admin: an account with 3 ed25519 signers of weight 1, thresholds 2.
    admin: String,
    signers: Vec<String>,
    threshold: u8,
    /// Proposals signed by 2 of the 3 keys over the SorobanAuthorization payload.
    signed_proposals: u32,
    /// A proposal carrying one signature, refused by the host.
    refused_single_signature: String,
}

#[derive(Serialize)]
struct Report {
    followers: u32,
    protocol: u32,
    timelock_ledgers: u32,
    transactions: u64,
    ledger_entries: usize,
    calls: Vec<CallComparison>,
    pause: PausePhase,
    audit: Audit,
    governance: Governance,
    upgrade: Upgrade,
    verified: String,
    wall_seconds: Phases,
}

#[derive(Serialize, Default)]
struct Phases {
    setup: f64,
    deploy: f64,
    transfers: f64,
    upgrade: f64,
    verify: f64,
    pause: f64,
    total: f64,
}

struct Run {
    chain: Chain,
    transactions: u64,
}

impl Run {
    fn submit(
        &mut self,
        contract: &ScAddress,
        function: &str,
        args: Vec<ScVal>,
    ) -> Result<Receipt> {
        self.transactions += 1;
        self.chain
            .invoke(contract, function, args)
            .with_context(|| format!("transaction {function} failed"))
    }

    /// `contract.function(args)` authorized by `keys` for the admin: simulated,
    /// signed as a wallet signs, applied.
    fn submit_signed(
        &mut self,
        contract: &ScAddress,
        function: &str,
        args: Vec<ScVal>,
        keys: &[&Key],
    ) -> Result<Receipt, soroban_env_host::HostError> {
        self.transactions += 1;
        let network_id = self.chain.info.network_id;
        let expiration = self.chain.info.sequence_number + SIGNATURE_LEDGERS;
        let tx = self
            .chain
            .prepare_signed(invoke_fn(contract, function, args), |e| {
                sign_entry(e, network_id, expiration, keys)
            })?;
        self.chain.submit_prepared(&tx)
    }

    /// `factory.deploy_with(manager, key, salt, [admin])`: a follower of `key` whose
    /// constructor takes its admin; returns its address.
    fn deploy_follower(
        &mut self,
        factory: &ScAddress,
        manager: &ScAddress,
        key: &str,
        salt: [u8; 32],
        admin: &ScAddress,
    ) -> Result<ScAddress> {
        let r = self.submit(
            factory,
            "deploy_with",
            vec![
                ScVal::Address(manager.clone()),
                sym(key),
                ScVal::Bytes(salt.to_vec().try_into()?),
                ScVal::Vec(Some(vec![ScVal::Address(admin.clone())].try_into()?)),
            ],
        )?;
        let ScVal::Address(f) = r.result else {
            bail!("factory returned {:?}", r.result)
        };
        Ok(f)
    }

    fn create(&mut self, wasm: &Hash, tag: u8, args: Vec<ScVal>) -> Result<ScAddress> {
        self.transactions += 1;
        let (address, _) = self
            .chain
            .create(ContractExecutable::Wasm(wasm.clone()), salt(tag, 0), args)
            .context("creating a contract")?;
        Ok(address)
    }
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::CheckUpgrade {
            old,
            new,
            ledger_protocol,
            next,
            json,
        }) => {
            let ledger = upgrade::Ledger {
                protocol: ledger_protocol,
                pre_release: next,
            };
            match check_upgrade(&old, &new, ledger, json) {
                Ok(true) => Ok(()),
                Ok(false) => std::process::exit(1),
                Err(e) => {
                    eprintln!("error: {e:#}");
                    std::process::exit(2)
                }
            }
        }
        None => demo(cli.demo),
    }
}

/// `check-upgrade`: prints the findings; `Ok(true)` when the upgrade is safe.
fn check_upgrade(
    old: &std::path::Path,
    new: &std::path::Path,
    ledger: upgrade::Ledger,
    json: bool,
) -> Result<bool> {
    let read = |p: &std::path::Path| -> Result<ContractSpec> {
        let wasm = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        ContractSpec::from_wasm(&wasm)
            .with_context(|| format!("reading the spec of {}", p.display()))
    };
    let findings = upgrade::check(&read(old)?, &read(new)?, ledger);
    let safe = upgrade::is_safe(&findings);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "old": old.display().to_string(),
                "new": new.display().to_string(),
                "ledger_protocol": ledger.protocol,
                "safe": safe,
                "findings": findings,
            }))?
        );
    } else {
        println!(
            "{} -> {} (ledger protocol {}{})",
            old.display(),
            new.display(),
            ledger.protocol,
            if ledger.pre_release { ", next" } else { "" }
        );
        for f in &findings {
            println!(
                "  {:<8} {:<24} {}",
                if f.breaking { "BREAKING" } else { "ok" },
                f.subject,
                f.detail
            );
        }
        println!(
            "{}",
            if safe {
                "safe: no breaking change"
            } else {
                "NOT SAFE: breaking changes above"
            }
        );
    }
    Ok(safe)
}

fn demo(args: Args) -> Result<()> {
    let report = run_demo(&args)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
}

/// The whole demo; every check on the way is an error if it fails.
fn run_demo(args: &Args) -> Result<Report> {
    let started = Instant::now();
    let mut phases = Phases::default();
    let n = args.followers;
    let mut run = Run {
        chain: Chain::new(FORK_PROTOCOL),
        transactions: 0,
    };
    // Tokens are administered by the transaction source; the manager by a 2-of-3
    // multisig account, whose signers sign every proposal.
    let admin = run.chain.source_address();
    let gov_id = Key::from_seed(0x90);
    let gov_keys = [
        Key::from_seed(0x91),
        Key::from_seed(0x92),
        Key::from_seed(0x93),
    ];
    let governance = Account::multisig(&gov_id, &gov_keys, 2);
    run.chain.put(governance.entry(), None);
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
        run.transactions += 1;
        hashes.push(run.chain.upload(wasm).context("uploading Wasm")?);
    }
    let [v1, v2, manager_code, factory_code, pin_v1, pin_v2, paused_code] =
        <[Hash; 7]>::try_from(hashes).expect("seven uploads");
    let manager = run.create(
        &manager_code,
        1,
        vec![
            ScVal::Address(governance.address()),
            ScVal::U32(args.timelock),
        ],
    )?;
    let factory = run.create(&factory_code, 2, vec![])?;
    // Two refs: the token fleet's, and a second one for contracts that may opt out.
    for (key, hash) in [(KEY, &v1), (PIN_KEY, &pin_v1)] {
        run.submit_signed(
            &manager,
            "propose",
            vec![sym(key), bytes(hash)],
            &two_of_three,
        )
        .with_context(|| format!("the signed proposal of {key}"))?;
        signed_proposals += 1;
    }
    run.chain.advance(args.timelock);
    run.submit(&manager, "apply", vec![sym(KEY)])?;
    run.submit(&manager, "apply", vec![sym(PIN_KEY)])?;
    phases.setup = secs(started.elapsed());

    // Deploy the fleet through the factory, plus one plain Wasm token to compare with.
    let t = Instant::now();
    let bar = progress(n, "deploying followers");
    let mut followers = Vec::with_capacity(n as usize);
    for i in 0..n {
        followers.push(run.deploy_follower(&factory, &manager, KEY, salt(3, i), &admin)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let plain = run.create(&v1, 4, vec![ScVal::Address(admin.clone())])?;
    // Two followers of the second ref; one opts out (pins its own Wasm).
    let mut pin_followers = vec![];
    for i in 0..2 {
        pin_followers.push(run.deploy_follower(&factory, &manager, PIN_KEY, salt(6, i), &admin)?);
    }
    run.submit(&pin_followers[1], "pin", vec![bytes(&pin_v2)])?;
    phases.deploy = secs(t.elapsed());

    // Transfers on v1: the admin mints and pays a holder on every token.
    let t = Instant::now();
    let bar = progress(n, "minting and transferring");
    let mut last = None;
    for (i, f) in followers.iter().enumerate() {
        run.submit(
            f,
            "mint",
            vec![ScVal::Address(admin.clone()), i128_val(MINTED)],
        )?;
        let r = run.submit(f, "transfer", transfer_args(&admin, i as u32, SENT))?;
        last = Some(r);
        bar.inc(1);
    }
    bar.finish_and_clear();
    run.submit(
        &plain,
        "mint",
        vec![ScVal::Address(admin.clone()), i128_val(MINTED)],
    )?;
    let plain_transfer = run.submit(&plain, "transfer", transfer_args(&admin, 0, SENT))?;
    let follower_transfer = last.context("at least one follower")?;
    let follower_balance = run.submit(&followers[0], "balance", vec![ScVal::Address(holder(0))])?;
    let plain_balance = run.submit(&plain, "balance", vec![ScVal::Address(holder(0))])?;
    phases.transfers = secs(t.elapsed());

    // The upgrade: propose v2, a too-early apply is refused, then one apply.
    let t = Instant::now();
    // One signature is below the governance account's threshold: refused.
    let refused_single_signature = match run.submit_signed(
        &manager,
        "propose",
        vec![sym(KEY), bytes(&v2)],
        &[&gov_keys[1]],
    ) {
        Ok(_) => bail!("the manager accepted a proposal with one signature of three"),
        Err(e) => format!("{:?}", e.error),
    };
    run.submit_signed(
        &manager,
        "propose",
        vec![sym(KEY), bytes(&v2)],
        &two_of_three,
    )
    .context("the signed proposal of v2")?;
    signed_proposals += 1;
    run.transactions += 1;
    let refused = match run.chain.invoke(&manager, "apply", vec![sym(KEY)]) {
        Ok(_) => bail!("the manager applied an upgrade before its timelock"),
        Err(e) => format!("{:?}", e.error),
    };
    run.chain.advance(args.timelock);
    let apply = run.submit(&manager, "apply", vec![sym(KEY)])?;
    // For comparison: one instance upgrading itself (update_current_contract_wasm).
    let pinnable = run.create(&pin_v1, 5, vec![ScVal::Address(admin.clone())])?;
    let pin = run.submit(&pinnable, "pin", vec![bytes(&pin_v2)])?;
    phases.upgrade = secs(t.elapsed());

    // Verify: every follower runs v2 on its v1 state, and v2's behaviour shows.
    let t = Instant::now();
    let bar = progress(n, "verifying followers");
    for (i, f) in followers.iter().enumerate() {
        let version = as_u32(&run.submit(f, "version", vec![])?.result)?;
        ensure!(
            version == 2,
            "follower {i} runs version {version} after the upgrade"
        );
        let held = as_i128(
            &run.submit(f, "balance", vec![ScVal::Address(holder(i as u32))])?
                .result,
        )?;
        let left = as_i128(
            &run.submit(f, "balance", vec![ScVal::Address(admin.clone())])?
                .result,
        )?;
        ensure!(
            held == SENT && left == MINTED - SENT,
            "follower {i} lost its state: holder {held}, admin {left}"
        );
        bar.inc(1);
    }
    bar.finish_and_clear();
    // v2's visible change: it counts the sender's transfers.
    run.submit(&followers[0], "transfer", transfer_args(&admin, 0, 1))?;
    let sent = as_u32(
        &run.submit(&followers[0], "sent", vec![ScVal::Address(admin.clone())])?
            .result,
    )?;
    ensure!(sent == 1, "v2 counted {sent} transfers, expected 1");
    ensure!(
        as_u32(&run.submit(&plain, "version", vec![])?.result)? == 1,
        "the plain Wasm token must not follow the ref"
    );
    phases.verify = secs(t.elapsed());

    // Emergency: pause the whole fleet in one transaction (no timelock), check every
    // follower refuses to move funds but still answers reads, then unpause to exactly v2.
    let t = Instant::now();
    let pause = run
        .submit_signed(
            &manager,
            "pause",
            vec![sym(KEY), bytes(&paused_code)],
            &two_of_three,
        )
        .context("the signed pause")?;
    let bar = progress(n, "checking the paused fleet");
    let mut refused_while_paused = 0;
    for (i, f) in followers.iter().enumerate() {
        run.transactions += 1;
        match run
            .chain
            .invoke(f, "transfer", transfer_args(&admin, i as u32, 1))
        {
            Err(e)
                if e.error
                    .is_type(soroban_env_host::xdr::ScErrorType::Contract)
                    && e.error.get_code() == TOKEN_PAUSED_ERROR =>
            {
                refused_while_paused += 1
            }
            other => bail!(
                "follower {i} moved funds while paused: {:?}",
                other.map(|r| r.result)
            ),
        }
        let held = as_i128(
            &run.submit(f, "balance", vec![ScVal::Address(holder(i as u32))])?
                .result,
        )?;
        ensure!(
            held == SENT + i128::from(i == 0),
            "follower {i}'s balance changed while paused"
        );
        bar.inc(1);
    }
    bar.finish_and_clear();
    let unpause = run
        .submit_signed(&manager, "unpause", vec![sym(KEY)], &two_of_three)
        .context("the signed unpause")?;
    ensure!(
        run.submit(&manager, "current", vec![sym(KEY)])?.result == bytes(&v2),
        "unpause must return the key to exactly v2"
    );
    for (i, f) in followers.iter().enumerate() {
        ensure!(
            as_u32(&run.submit(f, "version", vec![])?.result)? == 2,
            "follower {i} is not back on v2 after unpause"
        );
    }
    run.submit(&followers[0], "transfer", transfer_args(&admin, 0, 1))
        .context("a transfer after unpause")?;
    phases.pause = secs(t.elapsed());

    // Who runs what, rebuilt from the ledger's entries and events alone; it must be
    // exactly the state this run built.
    let audit = Audit::rebuild(
        run.chain.state().iter().map(|(k, (e, _))| (k, e)),
        run.chain.events(),
    );
    check_audit(
        &audit,
        &Expected {
            manager: &manager,
            factory: &factory,
            token: (&followers, &v1, &v2, &paused_code),
            pinnable: (&pin_followers, &pin_v1, &pin_v2),
        },
    )?;
    phases.total = secs(started.elapsed());

    let one = Cost::from(&pin);
    let report = Report {
        followers: n,
        protocol: FORK_PROTOCOL,
        timelock_ledgers: args.timelock,
        transactions: run.transactions,
        ledger_entries: run.chain.len(),
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
            signers: gov_keys
                .iter()
                .map(|k| format!("{:?}", k.address()))
                .collect(),
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
        wall_seconds: phases,
    };
    Ok(report)
}

fn print_text(r: &Report) {
    println!(
        "soroban-extref fleet: {} ExternalRef token followers, protocol {}, timelock {} ledgers",
        r.followers, r.protocol, r.timelock_ledgers
    );
    println!("  {}", r.verified);
    println!(
        "  {} transactions, each simulated then applied with an enforcing footprint; {} ledger entries",
        r.transactions, r.ledger_entries
    );
    println!();
    println!("per call (metered, applied transaction)   plain Wasm    ExternalRef   ratio");
    for c in &r.calls {
        println!(
            "  {:<9} CPU instructions {:>20} {:>13} {:>7.3}",
            c.function, c.wasm.cpu_insns, c.external_ref.cpu_insns, c.cpu_ratio
        );
        println!(
            "  {:<9} memory bytes     {:>20} {:>13}",
            "", c.wasm.mem_bytes, c.external_ref.mem_bytes
        );
        println!(
            "  {:<9} entries read     {:>20} {:>13}",
            "", c.wasm.entries_read, c.external_ref.entries_read
        );
        let top: Vec<String> = c
            .overhead_by_cost_type
            .iter()
            .take(4)
            .map(|d| format!("{} {:+}", d.cost_type, d.cpu_insns))
            .collect();
        println!("  {:<9} extra CPU by cost type: {}", "", top.join(", "));
    }
    let g = &r.governance;
    println!();
    println!(
        "governance: the manager's admin is a {}-of-{} multisig account (not the transaction source)",
        g.threshold,
        g.signers.len()
    );
    println!(
        "  {} proposals signed (ed25519, SorobanAuthorization payload) by 2 keys; one with a single signature refused: {}",
        g.signed_proposals, g.refused_single_signature
    );
    let u = &r.upgrade;
    println!();
    println!("upgrade of the whole fleet");
    println!(
        "  one ref update (manager apply):    {:>12} CPU, {:>10} bytes, {} entries written",
        u.one_ref_update.cpu_insns, u.one_ref_update.mem_bytes, u.one_ref_update.entries_written
    );
    println!(
        "  {} x update_current_contract_wasm: {:>12} CPU, {:>10} bytes, {} entries written",
        r.followers,
        u.n_instance_updates_cpu_insns,
        u.n_instance_updates_mem_bytes,
        u.n_instance_updates_entries_written
    );
    println!(
        "  apply before the timelock was refused: {}",
        u.refused_before_timelock
    );
    let p = &r.pause;
    println!();
    println!("emergency pause of the whole fleet (no timelock, signed 2 of 3)");
    println!(
        "  pause:   {:>12} CPU, {:>10} bytes, {} entries written; {} of {} followers then refused transfers (TokenError::Paused), balances intact",
        p.pause.cpu_insns, p.pause.mem_bytes, p.pause.entries_written, p.followers_refused_while_paused, r.followers
    );
    println!(
        "  unpause: {:>12} CPU, {:>10} bytes, {} entries written; the ref is back on exactly v2",
        p.unpause.cpu_insns, p.unpause.mem_bytes, p.unpause.entries_written
    );
    println!();
    println!("audit (rebuilt from the ledger's entries and events; matches the run exactly):");
    for line in r.audit.table(12).lines() {
        println!("  {line}");
    }
    let w = &r.wall_seconds;
    println!();
    println!(
        "wall time: {:.2} s (setup {:.2}, deploy {:.2}, transfers {:.2}, upgrade {:.2}, verify {:.2}, pause {:.2})",
        w.total, w.setup, w.deploy, w.transfers, w.upgrade, w.verify, w.pause
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo end to end on a small fleet: every check inside it holds (signed
    /// governance, timelock, upgrade, pause and unpause, and the audit rebuilt from the
    /// ledger reproducing the run's own record exactly).
    #[test]
    fn the_demo_runs_and_its_audit_matches_its_state() {
        let report = run_demo(&Args {
            followers: 3,
            timelock: 2,
            json: false,
        })
        .expect("the demo's checks hold");
        assert_eq!(report.pause.followers_refused_while_paused, 3);
        assert_eq!(report.audit.followers.len(), 3 + 2);
        assert_eq!(report.audit.pinned().count(), 1);
        assert_eq!(
            report.pause.pause.entries_written,
            report.pause.unpause.entries_written
        );
    }
}
