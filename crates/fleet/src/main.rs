//! `fleet`, soroban-extref's main job: deploy a governed manager, a factory and N
//! token followers; drive transfers; upgrade the whole fleet to v2 through the
//! manager's timelock in one transaction; prove every follower runs v2 with its
//! state intact; and report what it cost.
//!
//! By default it runs on the test kit's in-process ledger, driven as a network
//! drives the host (every step a simulated, then applied and committed
//! transaction). With `--core DIR` it runs the same scenario on a real
//! stellar-core node built with the fork (`extref-node` starts one and writes
//! `DIR/network.json`): real envelopes, ed25519-signed for the network's
//! passphrase, simulated with crates.io `soroban-simulation`, submitted with
//! `tx?blob=` and read back from core's meta stream; then it runs the scenario
//! in process on the same network id and compares the final states.

mod apply_cost;
mod core_run;
mod demo;
mod ledger;
mod report;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use extref_operator::{spec::ContractSpec, upgrade};
use extref_testkit::{chain::Chain, FORK_PROTOCOL};

use crate::demo::Params;
use crate::ledger::InProcess;
use crate::report::print_text;

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
    /// On a node started by `extref-node` (its directory): K follower transfers vs K
    /// plain Wasm transfers per ledger, side by side, with core's own measurements.
    ApplyCost {
        #[arg(long)]
        core: String,
        /// Transactions per ledger (default: the network's ledgerMaxTxCount).
        #[arg(long)]
        k: Option<usize>,
        #[arg(long, default_value_t = 5)]
        rounds: u32,
        #[arg(long)]
        json: bool,
    },
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
    /// Run on a stellar-core network started by `extref-node` (its directory, holding
    /// `network.json`), or on the node whose admin URL this is (then `--meta` names its
    /// meta stream file; its query port is the admin port + 1).
    #[arg(long)]
    core: Option<String>,
    /// The node's meta stream file, with `--core URL`.
    #[arg(long)]
    meta: Option<PathBuf>,
    /// Accounts that send independent calls in parallel on a node.
    #[arg(long, default_value_t = 20)]
    senders: usize,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
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
        Some(Command::ApplyCost {
            core,
            k,
            rounds,
            json,
        }) => {
            let r = apply_cost::run(&core, k, rounds)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                apply_cost::print(&r);
            }
            Ok(())
        }
        None => demo(cli.demo),
    }
}

fn demo(args: Args) -> Result<()> {
    let params = Params {
        followers: args.followers,
        timelock: args.timelock,
        progress: !args.json,
    };
    if let Some(core) = &args.core {
        let run = core_run::run(core, args.meta.as_deref(), args.senders, params)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&run)?);
        } else {
            core_run::print(&run);
        }
        return Ok(());
    }
    let mut ledger = InProcess::new(Chain::new(FORK_PROTOCOL));
    let report = demo::run(&mut ledger, params)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo end to end on a small fleet: every check inside it holds (signed
    /// governance, timelock, upgrade, pause and unpause, and the audit rebuilt from the
    /// ledger reproducing the run's own record exactly).
    #[test]
    fn the_demo_runs_and_its_audit_matches_its_state() {
        let mut ledger = InProcess::new(Chain::new(FORK_PROTOCOL));
        let report = demo::run(
            &mut ledger,
            Params {
                followers: 3,
                timelock: 2,
                progress: false,
            },
        )
        .expect("the demo's checks hold");
        assert_eq!(report.pause.followers_refused_while_paused, 3);
        // 3 token followers, 2 pinnable ones, and the one created at top level.
        assert_eq!(report.audit.followers.len(), 3 + 2 + 1);
        assert_eq!(report.audit.pinned().count(), 1);
        assert_eq!(report.direct_follower.versions, (1, 2));
        assert_eq!(
            report.pause.pause.entries_written,
            report.pause.unpause.entries_written
        );
        assert!(report.fees.is_none());
    }
}
