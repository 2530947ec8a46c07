//! `fleet`: deploys a manager, a factory and N ExternalRef followers on the
//! fork's host, upgrades the whole fleet with one manager call, and reports
//! what happened and what it cost (the host's own metering).

use anyhow::{bail, Context, Result};
use clap::Parser;
use extref_testkit::{call, call_u32, recording_host, sym, Fleet, FORK_PROTOCOL};
use soroban_env_host::{AddressObject, Host, HostError};

#[derive(Parser)]
#[command(about = "Upgrade a fleet of ExternalRef followers with one manager call")]
struct Args {
    /// Number of followers the factory deploys.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    followers: u32,
    /// The manager's Wasm ref key the followers point at.
    #[arg(long, default_value = "token")]
    key: String,
}

/// Metered CPU instructions and memory bytes of one closure on the host.
fn metered<T>(host: &Host, f: impl FnOnce() -> Result<T, HostError>) -> Result<(T, u64, u64)> {
    let budget = host.budget_cloned();
    let (cpu0, mem0) = (
        budget.get_cpu_insns_consumed()?,
        budget.get_mem_bytes_consumed()?,
    );
    let out = f()?;
    let (cpu1, mem1) = (
        budget.get_cpu_insns_consumed()?,
        budget.get_mem_bytes_consumed()?,
    );
    Ok((out, cpu1 - cpu0, mem1 - mem0))
}

fn versions(host: &Host, followers: &[AddressObject]) -> Result<Vec<u32>> {
    followers
        .iter()
        .map(|&f| Ok(call_u32(host, f, "version", &[])?))
        .collect()
}

fn main() -> Result<()> {
    let args = Args::parse();
    let host = recording_host(FORK_PROTOCOL).context("creating the host")?;
    let mut fleet = Fleet::setup(host, &args.key).context("deploying manager and factory")?;
    println!("uploaded follower v1 and v2, deployed manager and factory");
    println!("manager set ref {:?} -> v1", args.key);

    fleet
        .deploy(&args.key, args.followers as usize)
        .context("deploying followers")?;
    println!("factory deployed {} ExternalRef followers", args.followers);
    let host = &fleet.host;

    for (i, &f) in fleet.followers.iter().enumerate() {
        call(host, f, "put", &[sym(host, "n")?.into(), (i as u32).into()])?;
    }
    let v = versions(host, &fleet.followers)?;
    if v.iter().any(|&x| x != 1) {
        bail!("expected every follower on v1, got {v:?}");
    }
    println!("every follower answers version() = 1; each stored its own n");

    let ((), cpu, mem) = metered(host, || fleet.set_ref(&args.key, fleet.v2))?;
    println!(
        "manager set ref {:?} -> v2 in one call: {cpu} CPU instructions, {mem} bytes",
        args.key
    );

    let v = versions(host, &fleet.followers)?;
    if v.iter().any(|&x| x != 2) {
        bail!("expected every follower on v2, got {v:?}");
    }
    for (i, &f) in fleet.followers.iter().enumerate() {
        let n = call_u32(host, f, "bump", &[sym(host, "n")?.into()])?;
        if n != i as u32 + 1 {
            bail!("follower {i} lost its state: bump gave {n}");
        }
    }
    println!("every follower answers version() = 2 and kept its own state (v2's bump: n+1)");

    let (_, cpu, mem) = metered(host, || {
        call_u32(host, fleet.followers[0], "hello", &[1u32.into()])
    })?;
    println!("one follower call (hello): {cpu} CPU instructions, {mem} bytes");
    Ok(())
}
