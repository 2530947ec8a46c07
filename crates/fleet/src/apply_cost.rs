//! `fleet apply-cost --core DIR`: what ExternalRef costs inside stellar-core. K
//! ExternalRef followers and K plain Wasm tokens run the same code (token v1);
//! each round applies one ledger of K follower transfers and one ledger of K
//! plain transfers, side by side, and reads what core measured: the host's
//! invoke time and instructions per transaction (core's `core_metrics`
//! diagnostic events in the meta), core's own `ledger.transaction.apply` timer,
//! and the fees it charged.

use anyhow::{bail, ensure, Context, Result};
use extref_node::{http, meta::core_metric};
use extref_testkit::{
    e2e::{created_address_on, invoke_fn},
    fixtures,
};
use serde::Serialize;
use soroban_env_host::xdr::{
    ConfigSettingEntry, ConfigSettingId, ContractExecutable, ContractIdPreimage,
    ContractIdPreimageFromAddress, CreateContractArgsV2, HostFunction, LedgerEntryData, LedgerKey,
    LedgerKeyConfigSetting, ScAddress, ScVal, Uint256,
};

use crate::backend::{Backend, Core, Sent};
use crate::demo::{holder, i128_val, salt, sym};

const KEY: &str = "bench";

/// One ledger's batch, as core applied it.
#[derive(Serialize, Clone, Debug)]
pub struct Batch {
    pub kind: &'static str,
    /// The ledger(s) the batch landed in (one, when all K fit).
    pub ledgers: Vec<u32>,
    pub transactions: usize,
    /// Sum of the host's invoke time inside core (`invoke_time_nsecs`).
    pub invoke_nsecs: u64,
    /// Sum of metered instructions (`cpu_insn`).
    pub cpu_insns: u64,
    /// Sum of the fees core charged.
    pub fees: i64,
    /// core's `ledger.transaction.apply` timer over the batch: count and total ms.
    pub core_apply_count: u64,
    pub core_apply_ms: f64,
}

#[derive(Serialize)]
pub struct ApplyCost {
    pub node: String,
    pub k: usize,
    pub rounds: u32,
    /// The network's `ledgerMaxTxCount` (the bound on K).
    pub ledger_max_tx_count: u32,
    pub batches: Vec<Batch>,
    /// Follower / plain, summed over the rounds.
    pub ratio_invoke_time: f64,
    pub ratio_core_apply_time: f64,
    pub ratio_cpu_insns: f64,
    pub ratio_fees: f64,
}

fn ledger_max_tx_count(core: &Core) -> Result<u32> {
    let key = LedgerKey::ConfigSetting(LedgerKeyConfigSetting {
        config_setting_id: ConfigSettingId::ContractExecutionLanes,
    });
    let (_, found) = extref_node::client::get_entries(&core.client.query_url, &[key])?;
    match found
        .into_iter()
        .next()
        .and_then(|f| f.entry)
        .map(|e| e.data)
    {
        Some(LedgerEntryData::ConfigSetting(ConfigSettingEntry::ContractExecutionLanes(l))) => {
            Ok(l.ledger_max_tx_count)
        }
        other => bail!("no execution lanes setting: {other:?}"),
    }
}

/// core's `ledger.transaction.apply` timer: (count, mean ms).
fn apply_timer(admin_url: &str) -> Result<(u64, f64)> {
    let m = http::get_json(&format!("{admin_url}/metrics"))?;
    let t = &m["metrics"]["ledger.transaction.apply"];
    Ok((
        t["count"].as_u64().unwrap_or_default(),
        t["mean"].as_f64().unwrap_or_default(),
    ))
}

fn all_ok(sent: &[Sent], what: &str) -> Result<()> {
    for (i, s) in sent.iter().enumerate() {
        if let Err(e) = &s.outcome {
            bail!("{what} {i} failed: {e}");
        }
    }
    Ok(())
}

fn measure(
    core: &mut Core,
    kind: &'static str,
    items: Vec<(usize, HostFunction)>,
) -> Result<Batch> {
    let admin = core.client.admin_url.clone();
    http::get(&format!("{admin}/clearmetrics"))?;
    let sent = core.batch(items)?;
    all_ok(&sent, kind)?;
    let (count, mean) = apply_timer(&admin)?;
    let applied: Vec<_> = sent.iter().filter_map(|s| s.applied.as_ref()).collect();
    let mut ledgers: Vec<u32> = applied.iter().map(|a| a.ledger).collect();
    ledgers.sort();
    ledgers.dedup();
    Ok(Batch {
        kind,
        ledgers,
        transactions: applied.len(),
        invoke_nsecs: applied
            .iter()
            .map(|a| core_metric(&a.diagnostic_events, "invoke_time_nsecs").unwrap_or_default())
            .sum(),
        cpu_insns: applied
            .iter()
            .map(|a| core_metric(&a.diagnostic_events, "cpu_insn").unwrap_or_default())
            .sum(),
        fees: applied.iter().map(|a| a.fee_charged).sum(),
        core_apply_count: count,
        core_apply_ms: count as f64 * mean,
    })
}

pub fn run(core_dir: &str, k: Option<usize>, rounds: u32) -> Result<ApplyCost> {
    let e = extref_node::network::Endpoints::load(std::path::Path::new(core_dir))?;
    let probe = Core::new(e.client()?, 0)?;
    let max = ledger_max_tx_count(&probe)?;
    drop(probe);
    let k = k.unwrap_or(max as usize).min(max as usize);
    ensure!(k > 0, "K must be at least 1");
    let mut core = Core::new(e.client()?, k)?;
    ensure!(
        core.protocol() == 28,
        "the node runs protocol {}",
        core.protocol()
    );

    // A manager without a timelock (its admin the deployer), the factory, token v1.
    let v1 = core.upload(fixtures::TOKEN_V1)?;
    let manager_hash = core.upload(fixtures::MANAGER)?;
    let factory_hash = core.upload(fixtures::FACTORY)?;
    let deployer = core.source_address();
    let (manager, _) = core
        .create(
            ContractExecutable::Wasm(manager_hash),
            salt(0xB0, 0),
            vec![ScVal::Address(deployer.clone()), ScVal::U32(0)],
        )
        .map_err(|e| anyhow::anyhow!("manager: {e}"))?;
    let (factory, _) = core
        .create(
            ContractExecutable::Wasm(factory_hash),
            salt(0xB0, 1),
            vec![],
        )
        .map_err(|e| anyhow::anyhow!("factory: {e}"))?;
    core.call(crate::backend::Call::new(
        &manager,
        "set_ref",
        vec![sym(KEY), crate::demo::bytes(&v1)],
    ))
    .map_err(|e| anyhow::anyhow!("set_ref: {e}"))?;

    // K followers (factory) and K plain tokens (top-level creates), token i
    // administered by pool account i, so that its transfers need no signature.
    let owner = |core: &Core, i: usize| ScAddress::Account(core.pool[i].key.account_id());
    let items: Vec<(usize, HostFunction)> = (0..k)
        .map(|i| {
            (
                i,
                invoke_fn(
                    &factory,
                    "deploy_with",
                    vec![
                        ScVal::Address(manager.clone()),
                        sym(KEY),
                        ScVal::Bytes(salt(0xB1, i as u32).to_vec().try_into().expect("32")),
                        ScVal::Vec(Some(
                            vec![ScVal::Address(owner(&core, i))].try_into().expect("1"),
                        )),
                    ],
                ),
            )
        })
        .collect();
    let sent = core.batch(items)?;
    all_ok(&sent, "follower deploy")?;
    let followers: Vec<ScAddress> = sent
        .iter()
        .map(|s| match &s.outcome {
            Ok(r) => match &r.result {
                ScVal::Address(a) => Ok(a.clone()),
                other => bail!("deploy returned {other:?}"),
            },
            Err(e) => bail!("{e}"),
        })
        .collect::<Result<_>>()?;
    let network_id = core.client.network_id;
    let mut plains = vec![];
    let items: Vec<(usize, HostFunction)> = (0..k)
        .map(|i| {
            let preimage = ContractIdPreimage::Address(ContractIdPreimageFromAddress {
                address: owner(&core, i),
                salt: Uint256(salt(0xB2, i as u32)),
            });
            plains.push(created_address_on(network_id, &preimage));
            (
                i,
                HostFunction::CreateContractV2(CreateContractArgsV2 {
                    contract_id_preimage: preimage,
                    executable: ContractExecutable::Wasm(v1.clone()),
                    constructor_args: vec![ScVal::Address(owner(&core, i))].try_into().expect("1"),
                }),
            )
        })
        .collect();
    all_ok(&core.batch(items)?, "plain create")?;
    for (kind, tokens) in [("follower", &followers), ("plain", &plains)] {
        let items = (0..k)
            .map(|i| {
                (
                    i,
                    invoke_fn(
                        &tokens[i],
                        "mint",
                        vec![ScVal::Address(owner(&core, i)), i128_val(1_000_000)],
                    ),
                )
            })
            .collect();
        all_ok(&core.batch(items)?, &format!("{kind} mint")).context("minting")?;
    }

    let transfers = |core: &Core, tokens: &[ScAddress]| -> Vec<(usize, HostFunction)> {
        (0..k)
            .map(|i| {
                (
                    i,
                    invoke_fn(
                        &tokens[i],
                        "transfer",
                        vec![
                            ScVal::Address(owner(core, i)),
                            ScVal::Address(holder(i as u32)),
                            i128_val(1),
                        ],
                    ),
                )
            })
            .collect()
    };
    // One unmeasured round (first calls after deployment), then the measured ones.
    let items = transfers(&core, &followers);
    measure(&mut core, "follower", items)?;
    let items = transfers(&core, &plains);
    measure(&mut core, "plain", items)?;
    let mut batches = vec![];
    for _ in 0..rounds {
        let items = transfers(&core, &followers);
        batches.push(measure(&mut core, "follower", items)?);
        let items = transfers(&core, &plains);
        batches.push(measure(&mut core, "plain", items)?);
    }
    let sum = |kind: &str, f: &dyn Fn(&Batch) -> f64| -> f64 {
        batches.iter().filter(|b| b.kind == kind).map(f).sum()
    };
    let ratio = |f: &dyn Fn(&Batch) -> f64| sum("follower", f) / sum("plain", f);
    Ok(ApplyCost {
        node: e.admin_url.clone(),
        k,
        rounds,
        ledger_max_tx_count: max,
        ratio_invoke_time: ratio(&|b| b.invoke_nsecs as f64),
        ratio_core_apply_time: ratio(&|b| b.core_apply_ms),
        ratio_cpu_insns: ratio(&|b| b.cpu_insns as f64),
        ratio_fees: ratio(&|b| b.fees as f64),
        batches,
    })
}

pub fn print(r: &ApplyCost) {
    println!(
        "apply cost inside stellar-core ({}): K = {} transfers per ledger (ledgerMaxTxCount {}), {} rounds",
        r.node, r.k, r.ledger_max_tx_count, r.rounds
    );
    println!("  kind      ledger(s)    txs  invoke ms  core apply ms   CPU insns      fees");
    for b in &r.batches {
        println!(
            "  {:<9} {:<12} {:>4} {:>10.2} {:>14.2} {:>11} {:>9}",
            b.kind,
            format!("{:?}", b.ledgers),
            b.transactions,
            b.invoke_nsecs as f64 / 1e6,
            b.core_apply_ms,
            b.cpu_insns,
            b.fees
        );
    }
    println!(
        "  follower / plain: invoke time {:.3}, core apply time {:.3}, CPU instructions {:.3}, fees {:.3}",
        r.ratio_invoke_time, r.ratio_core_apply_time, r.ratio_cpu_insns, r.ratio_fees
    );
}
