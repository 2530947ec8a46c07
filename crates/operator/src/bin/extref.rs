//! `extref`, the fleet operator's command line:
//!
//! - `extref check-upgrade OLD.wasm NEW.wasm [--ledger-protocol N] [--next] [--json]
//!   [--explain]`: before a ref moves, is NEW a compatible upgrade of OLD for a fleet
//!   running OLD? Exit status 0 when safe, 1 when a finding is breaking or needs a
//!   migration, 2 on error. `--explain` alone lists every rule.
//! - `extref audit PATH… [--json]`: who runs what, rebuilt from a stellar-core meta
//!   stream or a ledger dump (see `extref_operator::input`).
//!
//! With `--json`, everything goes to stdout as JSON, errors included (`{"error": …}`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `println!`, `print!` that end the process (status 141, as a shell reports SIGPIPE)
/// instead of panicking when stdout is closed early (`extref … | head`).
macro_rules! println {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($t)*).is_err() {
            std::process::exit(141);
        }
    }};
}
macro_rules! print {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if write!(std::io::stdout(), $($t)*).is_err() {
            std::process::exit(141);
        }
    }};
}

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use extref_operator::{
    audit::Audit,
    input::LedgerData,
    spec::ContractSpec,
    upgrade::{self, Network, Rule, Verdict},
};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "extref",
    about = "The fleet operator's tools: check an upgrade before a ref moves, audit who runs what"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Is NEW.wasm a compatible upgrade of OLD.wasm for a fleet running OLD? Compares
    /// their specs, storage declarations and env interfaces. Exit status 0 when safe,
    /// 1 when a finding is breaking or needs a migration, 2 on error.
    CheckUpgrade {
        /// The Wasm the fleet runs now.
        #[arg(required_unless_present = "explain")]
        old: Option<PathBuf>,
        /// The Wasm the ref would point at.
        #[arg(required_unless_present = "explain")]
        new: Option<PathBuf>,
        /// The ledger protocol the fleet runs at.
        #[arg(long, default_value_t = Network::default().protocol)]
        ledger_protocol: u32,
        /// The network runs a pre-release (`next`) host.
        #[arg(long)]
        next: bool,
        /// Print the report (or the error) as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// List every rule with its verdict and why; with OLD and NEW, give each
        /// finding's reason.
        #[arg(long)]
        explain: bool,
    },
    /// Who runs what: every ref of every manager with its history, the followers each
    /// factory deployed, which opted out, and the code each runs now, rebuilt from a
    /// stellar-core meta stream (`METADATA_OUTPUT_STREAM`) or a ledger dump (`fleet
    /// --dump-ledger DIR`), or directories of them.
    Audit {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the audit (or the error) as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Followers listed in the text report (the pinned ones always are).
        #[arg(long, default_value_t = 20)]
        followers: usize,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let json = std::env::args().any(|a| a == "--json");
            if json && e.use_stderr() {
                println!("{}", json!({ "error": e.to_string().trim_end() }));
                return ExitCode::from(2);
            }
            e.print().expect("writing the usage");
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let (json, outcome) = match cli.command {
        Command::CheckUpgrade {
            old,
            new,
            ledger_protocol,
            next,
            json,
            explain,
        } => {
            let ledger = Network {
                protocol: ledger_protocol,
                pre_release: next,
            };
            let outcome = match (old, new) {
                (Some(old), Some(new)) => check_upgrade(&old, &new, ledger, json, explain),
                _ => {
                    print_rules(json);
                    Ok(true)
                }
            };
            (json, outcome)
        }
        Command::Audit {
            paths,
            json,
            followers,
        } => (json, audit(&paths, json, followers).map(|()| true)),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            if json {
                println!("{}", json!({ "error": format!("{e:#}") }));
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}

fn read_spec(p: &Path) -> Result<ContractSpec> {
    let wasm = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
    ContractSpec::from_wasm(&wasm).with_context(|| format!("reading the spec of {}", p.display()))
}

/// Prints the report; `Ok(true)` when the upgrade is safe.
fn check_upgrade(
    old: &Path,
    new: &Path,
    ledger: Network,
    json: bool,
    explain: bool,
) -> Result<bool> {
    let (a, b) = (read_spec(old)?, read_spec(new)?);
    let findings = upgrade::check(&a, &b, ledger);
    let verdict = upgrade::verdict(&findings);
    let not_checked = upgrade::not_checked(&a, &b);
    if json {
        let mut report = json!({
            "old": old.display().to_string(),
            "new": new.display().to_string(),
            "ledger_protocol": ledger.protocol,
            "next": ledger.pre_release,
            "safe": verdict == Verdict::Ok,
            "verdict": verdict,
            "findings": findings,
            "not_checked": not_checked,
        });
        if explain {
            report["rules"] = rules_json(findings.iter().map(|f| f.rule));
        }
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(verdict == Verdict::Ok);
    }
    println!(
        "{} -> {} (ledger protocol {}{})",
        old.display(),
        new.display(),
        ledger.protocol,
        if ledger.pre_release { ", next" } else { "" }
    );
    for f in &findings {
        println!("  {:<8} {:<28} {}", f.verdict.label(), f.subject, f.detail);
        if explain {
            println!(
                "  {:<8} {:<28} why ({}): {}",
                "",
                "",
                f.rule.name(),
                f.rule.reason()
            );
        }
    }
    println!(
        "{}",
        match verdict {
            Verdict::Ok if b.storage.is_none() =>
                "safe: no breaking change in what the specs show (the storage types are not declared: see below)",
            Verdict::Ok => "safe: no breaking change",
            Verdict::Breaking => "NOT SAFE: breaking changes above",
            Verdict::MigrationNeeded =>
                "NOT SAFE: migration needed: followers deployed before lack what the new code expects (MIGRATE above)",
        }
    );
    println!("not checked (no contract spec holds it):");
    for n in &not_checked {
        println!("  - {n}");
    }
    Ok(verdict == Verdict::Ok)
}

fn rules_json(rules: impl Iterator<Item = Rule>) -> serde_json::Value {
    let mut seen = std::collections::BTreeSet::new();
    rules
        .filter(|r| seen.insert(*r))
        .map(|r| json!({ "rule": r, "verdict": r.verdict(), "reason": r.reason() }))
        .collect()
}

fn print_rules(json: bool) {
    if json {
        let rules = rules_json(Rule::ALL.iter().copied());
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "rules": rules })).expect("JSON")
        );
        return;
    }
    println!("extref check-upgrade: every rule, the verdict of its findings, and why");
    for r in Rule::ALL {
        println!(
            "  {:<22} {:<8} {}",
            r.name(),
            r.verdict().label(),
            r.reason()
        );
    }
    println!("not checked (no contract spec holds it): storage keys and durability, private types left out of the spec, function bodies");
}

fn audit(paths: &[PathBuf], json: bool, followers: usize) -> Result<()> {
    let mut data = LedgerData::default();
    for p in paths {
        data.read_into(p)?;
    }
    let audit = Audit::rebuild(data.entries.iter(), &data.events);
    if json {
        println!("{}", serde_json::to_string_pretty(&audit)?);
    } else {
        print!("{}", audit.table(followers));
    }
    Ok(())
}
