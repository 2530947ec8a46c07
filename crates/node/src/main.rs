//! `extref-node`: loopback stellar-core networks running the fork.
//!
//! ```text
//! extref-node standalone --core BIN --dir DIR     one validator, upgraded 0 -> 27 -> 28
//! extref-node validators --core BIN --dir DIR     3 validators (SCP) + a watcher, upgraded likewise
//! extref-node status|watch|stop --dir DIR
//! extref-node restart --dir DIR --node validator1 --down 5
//! ```
//! The nodes keep running after the command returns (`stop` ends them);
//! `DIR/network.json` tells clients (`fleet --core DIR`) where they are.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use extref_node::network::{self, Endpoints, Network};
use extref_node::process;

#[derive(Parser)]
#[command(about = "Loopback stellar-core networks running soroban-extref")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start one standalone validator and upgrade it to `--protocol` (27, then 28).
    Standalone {
        #[arg(long)]
        core: PathBuf,
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 11625)]
        base_port: u16,
        /// Upgrade up to this protocol (27 stops before the fork's protocol).
        #[arg(long, default_value_t = 28)]
        protocol: u32,
    },
    /// Start `--count` validators running SCP on 127.0.0.1 and a watcher (meta).
    Validators {
        #[arg(long)]
        core: PathBuf,
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 3)]
        count: u16,
        /// Quorum threshold, percent of the validators (100: 3 of 3; 66: 2 of 3).
        #[arg(long, default_value_t = 100)]
        threshold: u32,
        #[arg(long, default_value_t = 11725)]
        base_port: u16,
        #[arg(long, default_value_t = 28)]
        protocol: u32,
    },
    /// Arm an upgrade on every validator and wait until it applies.
    Upgrade {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        protocol: u32,
    },
    /// Each node's last closed ledger.
    Status {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Watch every node's closed ledgers until all reach `--until` (default: 30 ledgers
    /// from now), then compare their hashes ledger by ledger.
    Watch {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        until: Option<u32>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        /// Write the observed ledgers and the comparison as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Stop one node for `--down` seconds, start it again, wait until it catches up.
    Restart {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        node: String,
        #[arg(long, default_value_t = 5)]
        down: u64,
        #[arg(long)]
        core: PathBuf,
    },
    /// Every transaction in the client node's meta stream: ledger, result, fee, and
    /// (with --events) its diagnostic events.
    Meta {
        #[arg(long)]
        dir: PathBuf,
        /// Only failed transactions.
        #[arg(long)]
        failed: bool,
        #[arg(long)]
        events: bool,
        /// Also each ledger entry change (key kinds and TTLs).
        #[arg(long)]
        changes: bool,
    },
    /// Stop every node.
    Stop {
        #[arg(long)]
        dir: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Standalone {
            core,
            dir,
            base_port,
            protocol,
        } => {
            let mut net = Network::standalone(&core, &dir, base_port)?;
            bring_up(&mut net, protocol)
        }
        Cmd::Validators {
            core,
            dir,
            count,
            threshold,
            base_port,
            protocol,
        } => {
            let mut net = Network::validators(&core, &dir, base_port, count, threshold)?;
            bring_up(&mut net, protocol)
        }
        Cmd::Upgrade { dir, protocol } => {
            let e = Endpoints::load(&dir)?;
            for n in e.nodes.iter().filter(|n| n.validator) {
                println!(
                    "{}: {}",
                    n.name,
                    process::arm_upgrade(&n.admin_url, protocol)?.trim()
                );
            }
            let i = process::wait_for(&e.admin_url, Duration::from_secs(120), |i| {
                i.protocol >= protocol
            })?;
            println!("ledger {} runs protocol {}", i.ledger, i.protocol);
            Ok(())
        }
        Cmd::Status { dir } => {
            let e = Endpoints::load(&dir)?;
            for n in &e.nodes {
                match process::info(&n.admin_url) {
                    Ok(i) => println!(
                        "{:<12} ledger {:>6} protocol {} {} {}",
                        n.name, i.ledger, i.protocol, i.state, i.hash
                    ),
                    Err(e) => println!("{:<12} not answering: {e:#}", n.name),
                }
            }
            Ok(())
        }
        Cmd::Watch {
            dir,
            until,
            timeout,
            out,
        } => {
            let e = Endpoints::load(&dir)?;
            let until = match until {
                Some(u) => u,
                None => process::info(&e.admin_url)?.ledger + 30,
            };
            let maps = network::watch(&e, until, Duration::from_secs(timeout))?;
            let a = network::compare(&maps);
            println!(
                "{} ledgers seen closed by every node ({}..={}), {} disagreement(s); ledgers seen per node: {:?}",
                a.common,
                a.first,
                a.last,
                a.disagreements.len(),
                a.per_node
            );
            if let Some(out) = out {
                fs::write(
                    out,
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "agreement": a, "observed": maps }),
                    )?,
                )?;
            }
            if !a.disagreements.is_empty() {
                bail!("nodes disagree on {} ledger(s)", a.disagreements.len());
            }
            Ok(())
        }
        Cmd::Restart {
            dir,
            node,
            down,
            core,
        } => restart(&dir, &node, down, &core),
        Cmd::Meta {
            dir,
            failed,
            events,
            changes,
        } => {
            let e = Endpoints::load(&dir)?;
            let mut reader = extref_node::meta::MetaReader::new(&e.meta_path);
            for m in reader.poll()? {
                let closed = extref_node::meta::closed(&m)?;
                for tx in closed.txs.iter().filter(|t| !failed || !t.success) {
                    println!(
                        "ledger {:>5} {} {:<22} fee {:>10} return {:?}",
                        tx.ledger,
                        tx.hash
                            .iter()
                            .take(4)
                            .map(|b| format!("{b:02x}"))
                            .collect::<String>(),
                        tx.code,
                        tx.fee_charged,
                        tx.return_value
                    );
                    if changes {
                        for c in &tx.changes {
                            println!("    {}", describe_change(c));
                        }
                    }
                    if events {
                        for d in &tx.diagnostic_events {
                            let soroban_env_host::xdr::ContractEventBody::V0(b) = &d.event.body;
                            println!("    {:?} {:?}", b.topics.to_vec(), b.data);
                        }
                    }
                }
            }
            Ok(())
        }
        Cmd::Stop { dir } => {
            let e = Endpoints::load(&dir)?;
            for n in &e.nodes {
                if process::stop_detached(&n.dir)? {
                    println!("stopped {}", n.name);
                }
            }
            Ok(())
        }
    }
}

fn describe_change(c: &soroban_env_host::xdr::LedgerEntryChange) -> String {
    use soroban_env_host::xdr::{LedgerEntryChange as C, LedgerEntryData as D};
    let entry = |e: &soroban_env_host::xdr::LedgerEntry| match &e.data {
        D::Ttl(t) => format!("ttl live_until {}", t.live_until_ledger_seq),
        D::ContractData(d) => format!(
            "contract data {:?} {:?}",
            d.durability,
            d.key.discriminant()
        ),
        D::ContractCode(c) => format!("contract code {} bytes", c.code.len()),
        D::Account(a) => format!("account balance {}", a.balance),
        other => format!("{:?}", other.discriminant()),
    };
    match c {
        C::Created(e) => format!("created  {}", entry(e)),
        C::Updated(e) => format!("updated  {}", entry(e)),
        C::State(e) => format!("state    {}", entry(e)),
        C::Restored(e) => format!("restored {}", entry(e)),
        C::Removed(k) => format!("removed  {:?}", k.discriminant()),
    }
}

/// Starts every node, lets ledgers close, upgrades 27 then (if asked) 28 with
/// core's own command, writes `network.json` and leaves the nodes running.
fn bring_up(net: &mut Network, protocol: u32) -> Result<()> {
    net.start()?;
    let first = net.nodes[net.client_node].wait_for_ledger(3, Duration::from_secs(120))?;
    println!(
        "ledger {} closed at protocol {}",
        first.ledger, first.protocol
    );
    for p in [27, 28].into_iter().filter(|p| *p <= protocol) {
        let i = net.upgrade(p)?;
        println!("upgraded: ledger {} runs protocol {}", i.ledger, i.protocol);
    }
    let path = net.write_endpoints()?;
    let e = net.endpoints();
    println!(
        "client node: {} (query {}), meta {}",
        e.admin_url,
        e.query_url,
        e.meta_path.display()
    );
    println!("network: {}", path.display());
    let n = std::mem::replace(
        net,
        Network {
            dir: PathBuf::new(),
            nodes: vec![],
            client_node: 0,
        },
    );
    n.detach();
    Ok(())
}

fn restart(dir: &std::path::Path, name: &str, down: u64, core: &std::path::Path) -> Result<()> {
    let e = Endpoints::load(dir)?;
    let n = e
        .nodes
        .iter()
        .find(|n| n.name == name)
        .with_context(|| format!("no node {name}"))?;
    let before = process::info(&e.admin_url)?;
    process::stop_detached(&n.dir)?;
    println!("{name} stopped at network ledger {}", before.ledger);
    std::thread::sleep(Duration::from_secs(down));
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(n.dir.join("core.log"))?;
    let child = Command::new(core)
        .arg("run")
        .arg("--conf")
        .arg(n.dir.join("stellar-core.cfg"))
        .current_dir(&n.dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    fs::write(n.dir.join("core.pid"), child.id().to_string())?;
    let target = process::info(&e.admin_url)?.ledger + 2;
    let i = process::wait_for(&n.admin_url, Duration::from_secs(180), |i| {
        i.ledger >= target && i.state.contains("Synced")
    })?;
    println!(
        "{name} restarted and synced at ledger {} ({})",
        i.ledger, i.state
    );
    Ok(())
}
