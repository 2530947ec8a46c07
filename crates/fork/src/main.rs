//! `cargo fork`: keeps soroban-extref's fork of the Soroban host crates as pinned crates.io
//! packages plus our own patch series and overlay files, and materializes them into
//! `materialized/<crate>/` for cargo's `[patch.crates-io]`.
//!
//! Layout per pinned crate (see `fork.lock`):
//! - `crates/<crate>/patches/NNNN-name.patch`: the series, DEP-3 header + unified diff,
//!   applied in file-name order, strictly (no fuzz, no offsets) by the tool's own applier
//!   (`patch.rs`): no external `patch` program is needed;
//! - `crates/<crate>/<path>`: overlay files (new files only), symlinked into the tree.

mod check;
mod core;
mod dist;
mod extract;
mod materialize;
mod patch;
mod pins;
mod repo;
mod run;
mod save;
mod series;
mod state;
mod sync;
mod tree;
mod util;
mod xdr;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo fork", version, about)]
struct Cli {
    /// Repository root (default: the nearest ancestor of the current directory with fork.lock).
    #[arg(long, global = true, value_name = "DIR")]
    repo: Option<PathBuf>,
    /// Materialized root (default: <repo>/materialized).
    #[arg(long, global = true, value_name = "DIR")]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build materialized/<crate>/ from the pinned package, its patches and its overlay.
    ///
    /// Incremental: only files whose content changes are rewritten. Refuses to overwrite
    /// edits not recorded with `save` unless --force.
    Materialize {
        /// Discard unsaved edits in materialized/.
        #[arg(long)]
        force: bool,
    },
    /// Record the edits in materialized/<crate>/ into the last patch (like `quilt refresh`).
    Save {
        /// The crate, e.g. soroban-env-host.
        #[arg(value_name = "CRATE")]
        krate: String,
        /// Patch to write: the last of the series (default) or a new one appended to it.
        #[arg(long, value_name = "NNNN-name.patch")]
        patch: Option<String>,
    },
    /// Verify pins, strict application of each series, DEP-3 headers, the overlay, and that
    /// no tracked file is a copy of upstream code.
    Check,
    /// Show each crate's series, overlay and materialized state.
    Status,
    /// materialize + check + this tool's tests + `cargo test --workspace` + the benchmarks
    /// once each (test mode) + the contract workspaces' native tests + `dist --check` and
    /// the embedder test (crates/embedder) + the fuzz targets' replay + upstream
    /// soroban-env-host tests.
    Test {
        /// Skip upstream's soroban-env-host integration tests (the slow part).
        #[arg(long)]
        skip_upstream: bool,
        /// Arguments for the test binaries (after `--`).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Write the fork as a self-contained cargo workspace shaped like an rs-soroban-env
    /// checkout (stellar-core's host slot), and print the [patch.crates-io] block for
    /// embedders that use cargo.
    Dist {
        /// Output directory (default: target/core-p28). Re-running updates it in place.
        #[arg(value_name = "DIR")]
        out: Option<PathBuf>,
        /// Then fetch and build the host offline with core's feature sets (next; default;
        /// next,tracy), failing on any warning.
        #[arg(long)]
        check: bool,
    },
    /// Patch upstream's Stellar-contract.x (e.g. in stellar-core's XDR submodule) with
    /// xdr/Stellar-contract.x.diff, checking the identity hashes before and after.
    XdrApply {
        /// Upstream's Stellar-contract.x (stellar-xdr 27.0.0); patched in place unless -o.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Write the patched file here instead.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// stellar-core with the fork in its p28 slot, from a checkout of stellar-core at the
    /// pinned commit (`git clone --recursive https://github.com/stellar/stellar-core`, then
    /// `git checkout 273c2c784` and `git submodule update`).
    Core {
        #[command(subcommand)]
        action: CoreCmd,
    },
    /// materialize, then `cargo run --release -p fleet -- ARGS`.
    Fleet {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// materialize, then `cargo bench -p extref-benches -- ARGS` (R1-R4; `--quick` for a
    /// short run).
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Subcommand)]
enum CoreCmd {
    /// Apply core/patches (and core/production with --production), install `dist` as the
    /// p28 git submodule, and apply xdr/Stellar-contract.x.diff in src/protocol-curr/xdr.
    /// Running it again changes nothing.
    Prepare {
        #[command(flatten)]
        args: CoreArgs,
    },
    /// Check that p28-expect.txt in core/patches is the dist's dependency tree as core's
    /// Makefile computes it (`cargo fork test` runs this after `dist --check`).
    Expect,
    /// prepare, then autogen, configure and make (incremental; ccache when installed).
    Build {
        #[command(flatten)]
        args: CoreArgs,
        /// Parallel make jobs.
        #[arg(long, short, default_value_t = 2)]
        jobs: usize,
        /// An extra ./configure argument (repeatable), e.g. --disable-spdlog.
        #[arg(long = "configure-arg", value_name = "ARG", allow_hyphen_values = true)]
        configure_args: Vec<String>,
    },
}

#[derive(clap::Args)]
struct CoreArgs {
    /// The stellar-core checkout (with its submodules).
    #[arg(value_name = "CHECKOUT")]
    checkout: PathBuf,
    /// The production variant: protocol 28 current, no `next` (core/production on top).
    #[arg(long)]
    production: bool,
    /// A git config file used for every git and cargo fetch, e.g. with
    /// `url.<local mirror>.insteadOf` entries on a machine without GitHub.
    #[arg(long, value_name = "FILE")]
    git_config: Option<PathBuf>,
}

impl CoreArgs {
    fn options(self, jobs: usize, configure_args: Vec<String>) -> core::Options {
        core::Options {
            checkout: std::fs::canonicalize(&self.checkout).unwrap_or(self.checkout),
            variant: if self.production {
                core::Variant::Production
            } else {
                core::Variant::Next
            },
            jobs,
            configure_args,
            git_config: self.git_config,
        }
    }
}

/// Prints errors as a message plus its causes, without the backtrace anyhow would add when
/// `RUST_BACKTRACE` is set: these are user-facing errors, not crashes.
fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let mut repo = repo::Repo::discover(cli.repo, cli.dir)?;
    match cli.command {
        Cmd::Materialize { force } => materialize::materialize(&mut repo, force),
        Cmd::Save { krate, patch } => save::save(&repo, &krate, patch.as_deref()),
        Cmd::Check => check::check(&repo),
        Cmd::Core { action } => match action {
            CoreCmd::Prepare { args } => core::prepare(&mut repo, &args.options(2, vec![])),
            CoreCmd::Expect => {
                dist::dist(&mut repo, None, false)?;
                core::check_expect(&repo, &dist::default_dir(&repo))
            }
            CoreCmd::Build {
                args,
                jobs,
                configure_args,
            } => core::build(&mut repo, &args.options(jobs, configure_args)).map(|_| ()),
        },
        Cmd::Status => materialize::status(&repo),
        Cmd::Dist { out, check } => dist::dist(&mut repo, out.as_deref(), check),
        Cmd::XdrApply { file, output } => xdr::apply(&repo, &file, output.as_deref()),
        Cmd::Test {
            skip_upstream,
            args,
        } => run::test(&mut repo, &args, skip_upstream),
        Cmd::Fleet { args } => run::fleet(&mut repo, &args),
        Cmd::Bench { args } => run::bench(&mut repo, &args),
    }
}
