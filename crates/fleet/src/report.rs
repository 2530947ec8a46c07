//! The demo's report: per-call costs (plain Wasm vs ExternalRef), the upgrade,
//! the pause, governance, the audit, fees on a node, and its text rendering.

use anyhow::{ensure, Result};
use extref_operator::audit::{self, Audit};
use serde::Serialize;
use soroban_env_host::xdr::{ContractCostType, Hash, ScAddress};

use crate::backend::Receipt;
use crate::demo::{KEY, PIN_KEY};

/// One call's metered cost, as the applied transaction was charged.
#[derive(Serialize, Clone, Copy)]
pub struct Cost {
    pub cpu_insns: u64,
    pub mem_bytes: u64,
    pub entries_read: usize,
    pub entries_written: usize,
    /// The resource fee simulation asked for, in stroops (`soroban-simulation`, as
    /// stellar-rpc reports it).
    pub resource_fee: Option<i64>,
}

impl From<&Receipt> for Cost {
    fn from(r: &Receipt) -> Self {
        Cost {
            cpu_insns: r.cpu_insns,
            mem_bytes: r.mem_bytes,
            entries_read: r.read_only + r.read_write,
            entries_written: r.read_write,
            resource_fee: r.resource_fee,
        }
    }
}

#[derive(Serialize)]
pub struct CallComparison {
    pub function: &'static str,
    pub wasm: Cost,
    pub external_ref: Cost,
    pub cpu_ratio: f64,
    /// Where the extra CPU and memory of the ExternalRef call go, by cost type.
    pub overhead_by_cost_type: Vec<CostTypeDelta>,
}

#[derive(Serialize)]
pub struct CostTypeDelta {
    pub cost_type: String,
    pub cpu_insns: i64,
    pub mem_bytes: i64,
}

impl CallComparison {
    pub fn new(function: &'static str, wasm: &Receipt, external_ref: &Receipt) -> Self {
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
pub struct Upgrade {
    /// The manager's `apply`: one ref write upgrades the whole fleet.
    pub one_ref_update: Cost,
    /// One `update_current_contract_wasm` (a pinnable contract's `pin`).
    pub one_instance_update: Cost,
    /// What upgrading the fleet instance by instance would cost: N times that.
    pub n_instance_updates_cpu_insns: u64,
    pub n_instance_updates_mem_bytes: u64,
    pub n_instance_updates_entries_written: u64,
    /// The apply was refused before the timelock ran out, as expected.
    pub refused_before_timelock: String,
}

/// The emergency pause: one transaction stops N followers, one resumes them.
#[derive(Serialize)]
pub struct PausePhase {
    pub pause: Cost,
    pub unpause: Cost,
    /// Followers whose transfer was refused with `TokenError::Paused` while paused.
    pub followers_refused_while_paused: u32,
}

/// What the audit must find: the run's own record of what it built.
pub struct Expected<'a> {
    pub manager: &'a ScAddress,
    pub factory: &'a ScAddress,
    /// Token followers, v1, v2 and the paused build.
    pub token: (&'a [ScAddress], &'a Hash, &'a Hash, &'a Hash),
    /// Followers of the second ref (the last one pinned), its v1 and the pinned v2.
    pub pinnable: (&'a [ScAddress], &'a Hash, &'a Hash),
    /// The follower of the token ref created at top level, not by the factory.
    pub direct: &'a ScAddress,
}

pub fn hex(h: &Hash) -> String {
    h.0.iter().map(|b| format!("{b:02x}")).collect()
}

/// The audit reproduces the run's final state exactly.
pub fn check_audit(audit: &Audit, e: &Expected) -> Result<()> {
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
    want.push(audit::Follower {
        address: audit::address(e.direct),
        deployed_by: None,
        deployed_for: None,
        follows: Some((manager.clone(), KEY.into())),
        pinned: false,
        code: Some(hex(v2)),
    });
    want.sort_by(|a, b| a.address.cmp(&b.address));
    ensure!(
        audit.followers == want,
        "the audit's followers differ from the run's"
    );
    Ok(())
}

/// Who governs the manager, and what was refused.
#[derive(Serialize)]
pub struct Governance {
    /// The manager's admin: an account with 3 ed25519 signers of weight 1, thresholds 2.
    pub admin: String,
    pub signers: Vec<String>,
    pub threshold: u8,
    /// Proposals signed by 2 of the 3 keys over the SorobanAuthorization payload.
    pub signed_proposals: u32,
    /// A proposal carrying one signature, refused by the host.
    pub refused_single_signature: String,
}

/// Fees a node charged, in stroops (core runs only).
#[derive(Serialize, Default, Clone)]
pub struct Fees {
    /// All the run's transactions (classic account set-up included).
    pub total: i64,
    /// Per phase, in the order of `wall_seconds`.
    pub setup: i64,
    pub deploy: i64,
    pub transfers: i64,
    pub upgrade: i64,
    pub verify: i64,
    pub pause: i64,
    /// One transfer: a plain Wasm token's vs an ExternalRef follower's.
    pub plain_transfer: i64,
    pub follower_transfer: i64,
    /// The manager's `apply` that moves the whole fleet.
    pub fleet_upgrade: i64,
}

/// A contract created at top level (CreateContractV2) with an ExternalRef
/// executable, not through the factory.
#[derive(Serialize)]
pub struct DirectFollower {
    pub address: String,
    /// Its version before and after the fleet upgrade.
    pub versions: (u32, u32),
}

#[derive(Serialize)]
pub struct Report {
    /// Where the run happened: in process, or the node's URL.
    pub ledger: String,
    pub followers: u32,
    pub protocol: u32,
    pub timelock_ledgers: u32,
    pub transactions: u64,
    pub ledger_entries: usize,
    pub calls: Vec<CallComparison>,
    pub pause: PausePhase,
    pub audit: Audit,
    pub governance: Governance,
    pub upgrade: Upgrade,
    pub verified: String,
    pub direct_follower: DirectFollower,
    pub wall_seconds: Phases,
    pub fees: Option<Fees>,
}

#[derive(Serialize, Default)]
pub struct Phases {
    pub setup: f64,
    pub deploy: f64,
    pub transfers: f64,
    pub upgrade: f64,
    pub verify: f64,
    pub pause: f64,
    pub total: f64,
}

pub fn print_text(r: &Report) {
    println!(
        "soroban-extref fleet: {} ExternalRef token followers, protocol {}, timelock {} ledgers, on {}",
        r.followers, r.protocol, r.timelock_ledgers, r.ledger
    );
    println!("  {}", r.verified);
    println!(
        "  {} transactions, each simulated (soroban-simulation) then applied with an enforcing footprint; {} ledger entries",
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
        if let (Some(w), Some(e)) = (c.wasm.resource_fee, c.external_ref.resource_fee) {
            println!("  {:<9} resource fee     {:>20} {:>13}", "", w, e);
        }
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
    println!();
    println!(
        "a top-level CreateContractV2 with an ExternalRef executable: {} ran v{} then v{}",
        r.direct_follower.address, r.direct_follower.versions.0, r.direct_follower.versions.1
    );
    if let Some(f) = &r.fees {
        println!();
        println!("fees the node charged (stroops)");
        println!(
            "  total {} (setup {}, deploy {}, transfers {}, upgrade {}, verify {}, pause {})",
            f.total, f.setup, f.deploy, f.transfers, f.upgrade, f.verify, f.pause
        );
        println!(
            "  one transfer: plain Wasm {}, ExternalRef follower {} ({:+}); the fleet upgrade (apply) {}",
            f.plain_transfer,
            f.follower_transfer,
            f.follower_transfer - f.plain_transfer,
            f.fleet_upgrade
        );
    }
    let w = &r.wall_seconds;
    println!();
    println!(
        "wall time: {:.2} s (setup {:.2}, deploy {:.2}, transfers {:.2}, upgrade {:.2}, verify {:.2}, pause {:.2})",
        w.total, w.setup, w.deploy, w.transfers, w.upgrade, w.verify, w.pause
    );
}
