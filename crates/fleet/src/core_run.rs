//! `fleet --core`: the scenario on a real stellar-core node, then the same
//! scenario in process on the same network id, and the comparison of what both
//! hold at the end.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use extref_node::{
    client::{CoreClient, Outcome},
    network::Endpoints,
    process,
};
use extref_operator::audit;
use extref_testkit::{
    e2e::{created_address_on, external_ref, instance_key, source_account_create_auth, Ledger},
    FORK_PROTOCOL,
};
use serde::Serialize;
use soroban_env_host::xdr::{
    ContractIdPreimage, ContractIdPreimageFromAddress, CreateContractArgsV2, HostFunction,
    InvokeHostFunctionOp, LedgerEntry, LedgerFootprint, LedgerKey, OperationBody, ScAddress, ScVal,
    SorobanResources, SorobanTransactionData, SorobanTransactionDataExt, Uint256,
};

use crate::backend::{deployer_key, Backend, Core, InProcess};
use crate::demo::{self, Params, KEY};
use crate::report::{print_text, Report};

/// What the node said to an ExternalRef create at protocol 27.
#[derive(Serialize)]
pub struct Probe {
    pub protocol: u32,
    pub outcome: String,
    /// The deployer's balance did not move: the queue refused it before any fee.
    pub fee_charged: i64,
}

/// The node's final state against the in-process run's.
#[derive(Serialize)]
pub struct Comparison {
    /// Contract data entries of every follower (instances, balances, counters).
    pub follower_entries: usize,
    /// The manager's ref entries.
    pub ref_entries: usize,
    /// Entries that differ or exist on one side only (must be none).
    pub differences: Vec<String>,
}

#[derive(Serialize)]
pub struct CoreRun {
    pub node: String,
    pub probe_protocol_27: Option<Probe>,
    pub upgraded_to_28_at_ledger: Option<u32>,
    pub report: Report,
    pub comparison: Comparison,
}

pub fn endpoints(core: &str, meta: Option<&Path>) -> Result<Endpoints> {
    if !core.starts_with("http") {
        return Endpoints::load(Path::new(core));
    }
    let meta = meta.context("--core URL needs --meta (the node's METADATA_OUTPUT_STREAM file)")?;
    let port: u16 = core
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .context("--core URL needs a port")?;
    Ok(Endpoints {
        passphrase: extref_node::config::PASSPHRASE.into(),
        admin_url: core.trim_end_matches('/').into(),
        query_url: format!("http://127.0.0.1:{}", port + 1),
        meta_path: meta.to_path_buf(),
        nodes: vec![],
    })
}

/// Submits a top-level CreateContractV2 with an ExternalRef executable built by
/// hand (simulation would refuse it at 27), and returns what the node answered.
pub fn probe(client: &mut CoreClient) -> Result<Probe> {
    let deployer = extref_node::keys::NodeKey::from_seed_bytes(deployer_key().secret());
    let mut source = client.source(&deployer)?;
    let balance_before = client
        .account(&deployer)?
        .map(|a| a.balance)
        .unwrap_or_default();
    let preimage = ContractIdPreimage::Address(ContractIdPreimageFromAddress {
        address: ScAddress::Account(deployer.account_id()),
        salt: Uint256([0x27; 32]),
    });
    let created = created_address_on(client.network_id, &preimage);
    let manager = created_address_on(
        client.network_id,
        &ContractIdPreimage::Address(ContractIdPreimageFromAddress {
            address: ScAddress::Account(deployer.account_id()),
            salt: Uint256([0x28; 32]),
        }),
    );
    let args = CreateContractArgsV2 {
        contract_id_preimage: preimage,
        executable: external_ref(&manager, KEY),
        constructor_args: Default::default(),
    };
    let data = SorobanTransactionData {
        ext: SorobanTransactionDataExt::V0,
        resources: SorobanResources {
            footprint: LedgerFootprint {
                read_only: Default::default(),
                read_write: vec![instance_key(&created)].try_into()?,
            },
            instructions: 5_000_000,
            disk_read_bytes: 0,
            write_bytes: 2_000,
        },
        resource_fee: 5_000_000,
    };
    let op = OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
        host_function: HostFunction::CreateContractV2(args.clone()),
        auth: vec![source_account_create_auth(&args)].try_into()?,
    });
    let (env, hash) = client.envelope(&mut source, vec![op], 5_001_000, Some(data))?;
    let outcome = match client.submit(&env, hash)? {
        Outcome::Refused { code, .. } => code,
        Outcome::Applied(a) => format!(
            "applied in ledger {} ({}, fee {})",
            a.ledger, a.code, a.fee_charged
        ),
        Outcome::Malformed(m) => format!("malformed: {m}"),
    };
    client.advance(1)?;
    let balance_after = client
        .account(&deployer)?
        .map(|a| a.balance)
        .unwrap_or_default();
    Ok(Probe {
        protocol: client.protocol,
        outcome,
        fee_charged: balance_before - balance_after,
    })
}

/// Entries that must be equal on the node and in process: every contract data
/// entry of every follower, and every ref entry. Ledger numbers and TTLs
/// differ between the two ledgers and are not compared.
fn compare(
    node: &BTreeMap<LedgerKey, LedgerEntry>,
    twin: &BTreeMap<LedgerKey, LedgerEntry>,
    report: &Report,
) -> Comparison {
    let followers: std::collections::BTreeSet<String> = report
        .audit
        .followers
        .iter()
        .map(|f| f.address.clone())
        .collect();
    let selected = |k: &LedgerKey| match k {
        LedgerKey::ContractData(d) => {
            matches!(d.key, ScVal::LedgerKeyWasmRef(_))
                || followers.contains(&audit::address(&d.contract))
        }
        _ => false,
    };
    let mut c = Comparison {
        follower_entries: 0,
        ref_entries: 0,
        differences: vec![],
    };
    let keys: std::collections::BTreeSet<&LedgerKey> = node
        .keys()
        .chain(twin.keys())
        .filter(|k| selected(k))
        .collect();
    for k in keys {
        if let LedgerKey::ContractData(d) = k {
            if matches!(d.key, ScVal::LedgerKeyWasmRef(_)) {
                c.ref_entries += 1;
            } else {
                c.follower_entries += 1;
            }
        }
        match (node.get(k), twin.get(k)) {
            (Some(a), Some(b)) if a.data == b.data => {}
            (a, b) => c.differences.push(format!(
                "{k:?}: node {:?} vs in-process {:?}",
                a.map(|e| &e.data),
                b.map(|e| &e.data)
            )),
        }
    }
    c
}

pub fn run(core: &str, meta: Option<&Path>, senders: usize, p: Params) -> Result<CoreRun> {
    let e = endpoints(core, meta)?;
    let client = e.client().context("connecting to the node")?;
    let start_protocol = client.protocol;
    // The deployer must exist for the probe; Core::new funds it (idempotently).
    let mut ledger = Core::new(client, senders)?;
    let mut probe_27 = None;
    let mut upgraded = None;
    if start_protocol == 27 {
        let pr = probe(&mut ledger.client)?;
        ensure!(
            pr.outcome.contains("TxSorobanInvalid") && pr.fee_charged == 0,
            "at protocol 27 the node must refuse an ExternalRef create before the host, without a fee: {}",
            pr.outcome
        );
        probe_27 = Some(pr);
        let validators: Vec<String> = if e.nodes.is_empty() {
            vec![e.admin_url.clone()]
        } else {
            e.nodes
                .iter()
                .filter(|n| n.validator)
                .map(|n| n.admin_url.clone())
                .collect()
        };
        for v in &validators {
            process::arm_upgrade(v, 28)?;
        }
        let i = process::wait_for(&e.admin_url, Duration::from_secs(120), |i| i.protocol >= 28)?;
        upgraded = Some(i.ledger);
        ledger
            .client
            .wait_ledger(i.ledger, Duration::from_secs(30))?;
    }
    ensure!(
        ledger.protocol() == FORK_PROTOCOL,
        "the node runs protocol {}, not the fork's {FORK_PROTOCOL}",
        ledger.protocol()
    );
    let report = demo::run(&mut ledger, p).context("the scenario on the node")?;
    let node_entries = ledger.entries()?;

    let mut twin = InProcess::new(Ledger::on_network(
        FORK_PROTOCOL,
        ledger.network_id(),
        deployer_key().account_id(),
    ));
    let twin_report = demo::run(
        &mut twin,
        Params {
            progress: false,
            ..p
        },
    )
    .context("the same scenario in process")?;
    ensure!(
        twin_report.audit == report.audit,
        "the in-process run's audit differs from the node's"
    );
    let comparison = compare(&node_entries, &twin.entries()?, &report);
    if !comparison.differences.is_empty() {
        bail!(
            "the node's final state differs from the in-process run's:\n{}",
            comparison.differences.join("\n")
        );
    }
    Ok(CoreRun {
        node: e.admin_url.clone(),
        probe_protocol_27: probe_27,
        upgraded_to_28_at_ledger: upgraded,
        report,
        comparison,
    })
}

pub fn print(run: &CoreRun) {
    if let Some(p) = &run.probe_protocol_27 {
        println!(
            "at protocol {}: a top-level CreateContractV2 with an ExternalRef executable was refused by the node: {} (fee charged: {})",
            p.protocol, p.outcome, p.fee_charged
        );
    }
    if let Some(l) = run.upgraded_to_28_at_ledger {
        println!("upgraded to protocol 28 with core's own command: ledger {l} runs protocol 28");
    }
    println!();
    print_text(&run.report);
    let c = &run.comparison;
    println!();
    println!(
        "the node's final state equals the in-process run's: {} follower entries (instances, balances, counters) and {} ref entries, 0 differences",
        c.follower_entries, c.ref_entries
    );
}
