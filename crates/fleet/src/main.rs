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
mod backend;
mod core_run;
mod demo;
mod report;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use extref_operator::input::LedgerData;
use extref_testkit::{e2e::Ledger, FORK_PROTOCOL};

use crate::backend::{Backend as _, InProcess};
use crate::demo::Params;
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
    /// On a node started by `extref-node`: submit a top-level CreateContractV2 with an
    /// ExternalRef executable (built by hand, not simulated) at whatever protocol the
    /// node runs, and print what the node answered.
    Probe {
        #[arg(long)]
        core: String,
    },
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
    /// After the run, write the ledger's contract data entries and its events to
    /// DIR/ledger.txt (a ledger dump), the input of `extref audit DIR` (in process only;
    /// on a node, audit its meta stream).
    #[arg(long, value_name = "DIR")]
    dump_ledger: Option<PathBuf>,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Probe { core }) => {
            let e = core_run::endpoints(&core, None)?;
            let info = |what: &str| {
                extref_node::http::get_json(&format!("{}/info", e.admin_url))
                    .with_context(|| format!("GET /info {what} the probe"))
            };
            let before = info("before")?;
            let mut ledger = backend::Core::new(e.client()?, 0)?;
            let p = core_run::probe(&mut ledger.client)?;
            // The node keeps closing ledgers after what it answered.
            let after = info("after")?;
            let record = serde_json::json!({
                "build": before["info"]["build"],
                "ledger_before": before["info"]["ledger"]["num"],
                "probe": p,
                "ledger_after": after["info"]["ledger"]["num"],
                "state_after": after["info"]["state"],
            });
            println!("{}", serde_json::to_string_pretty(&record)?);
            Ok(())
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
        anyhow::ensure!(
            args.dump_ledger.is_none(),
            "--dump-ledger is for the in-process ledger: on a node, `extref audit` reads its meta stream"
        );
        let run = core_run::run(core, args.meta.as_deref(), args.senders, params)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&run)?);
        } else {
            core_run::print(&run);
        }
        return Ok(());
    }
    let mut ledger = InProcess::new(Ledger::at_protocol(FORK_PROTOCOL));
    let report = demo::run(&mut ledger, params)?;
    let mut dumped = None;
    if let Some(dir) = &args.dump_ledger {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let data = LedgerData::new(ledger.entries()?.into_values(), ledger.events());
        let path = dir.join("ledger.txt");
        data.write_dump(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        dumped = Some((path, dir));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
        if let Some((path, dir)) = dumped {
            println!(
                "\nledger dump: {} (`extref audit {}`)",
                path.display(),
                dir.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo end to end on a small fleet: every check inside it holds (signed
    /// governance, timelock, upgrade, pause and unpause, and the audit rebuilt from the
    /// ledger reproducing the run's own record exactly).
    #[test]
    fn the_demo_runs_and_its_audit_matches_its_state() {
        let mut ledger = InProcess::new(Ledger::at_protocol(FORK_PROTOCOL));
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
