//! Who runs what. Followers are not enumerable on chain, so an operator rebuilds the
//! picture from what a ledger holds and what it emitted:
//!
//! - ref entries (`CONTRACT_DATA(manager, LedgerKeyWasmRef(key))`) give every ref of
//!   every manager and where it points now; the host's `wasm_ref_updated` system events
//!   (topics `["wasm_ref_updated", key]`, data `[old hash or void, new hash]`) give each
//!   ref's history;
//! - a factory's `deployed` events (topics `["deployed", manager, key]`, data: the new
//!   follower's address) give the followers it created;
//! - contract instances give each contract's executable: an `ExternalRef` follows a ref,
//!   a `Wasm` hash on a follower means it opted out (pinned); the code each runs now is
//!   its Wasm hash or its ref's.

use std::collections::BTreeMap;

use serde::Serialize;
use soroban_env_host::xdr::{
    ContractEvent, ContractEventBody, ContractEventType, ContractExecutable, ContractId, Hash,
    LedgerEntry, LedgerEntryData, LedgerKey, ScAddress, ScVal,
};

const WASM_REF_UPDATED: &str = "wasm_ref_updated";
const DEPLOYED: &str = "deployed";

fn hex(h: &[u8]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// An address as `C…`/`G…` is not available without strkey; the hex id is unambiguous.
pub fn address(a: &ScAddress) -> String {
    match a {
        ScAddress::Contract(ContractId(Hash(h))) => format!("contract:{}", hex(h)),
        ScAddress::Account(id) => format!("account:{id:?}"),
        other => format!("{other:?}"),
    }
}

fn bytes32(v: &ScVal) -> Option<String> {
    match v {
        ScVal::Bytes(b) if b.len() == 32 => Some(hex(b.as_slice())),
        _ => None,
    }
}

fn symbol(v: &ScVal) -> Option<String> {
    match v {
        ScVal::Symbol(s) => Some(s.0.to_utf8_string_lossy()),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefUpdate {
    pub old: Option<String>,
    pub new: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ref {
    pub key: String,
    /// The hash the ref entry holds now (`None`: the entry is not in the ledger, e.g.
    /// archived, while its history is known).
    pub current: Option<String>,
    /// Every update, oldest first.
    pub history: Vec<RefUpdate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Manager {
    pub manager: String,
    pub refs: Vec<Ref>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Follower {
    pub address: String,
    /// The factory that deployed it, if a factory event says so.
    pub deployed_by: Option<String>,
    /// The `(manager, key)` it was deployed to follow.
    pub deployed_for: Option<(String, String)>,
    /// The `(manager, key)` it follows now; `None` when pinned.
    pub follows: Option<(String, String)>,
    /// It was deployed as a follower and now runs a Wasm hash of its own.
    pub pinned: bool,
    /// The code hash it runs now (its ref's, or its own), if resolvable.
    pub code: Option<String>,
}

/// The whole picture.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Audit {
    pub managers: Vec<Manager>,
    /// Factory -> the followers it deployed, in deployment order.
    pub factories: BTreeMap<String, Vec<String>>,
    pub followers: Vec<Follower>,
}

impl Audit {
    /// Rebuilds the audit from the ledger's entries and its events in the order they
    /// were emitted (successful transactions only, as a ledger's meta has them).
    pub fn rebuild<'a>(
        entries: impl IntoIterator<Item = (&'a LedgerKey, &'a LedgerEntry)>,
        events: &[ContractEvent],
    ) -> Audit {
        // Refs and instances, from the entries.
        let mut refs: BTreeMap<String, BTreeMap<String, Ref>> = BTreeMap::new();
        let mut executables: BTreeMap<String, ContractExecutable> = BTreeMap::new();
        for (_, entry) in entries {
            let LedgerEntryData::ContractData(d) = &entry.data else {
                continue;
            };
            match (&d.key, &d.val) {
                (ScVal::LedgerKeyWasmRef(key), val) => {
                    let key = key.0.to_utf8_string_lossy();
                    refs.entry(address(&d.contract)).or_default().insert(
                        key.clone(),
                        Ref {
                            key,
                            current: bytes32(val),
                            history: vec![],
                        },
                    );
                }
                (ScVal::LedgerKeyContractInstance, ScVal::ContractInstance(i)) => {
                    executables.insert(address(&d.contract), i.executable.clone());
                }
                _ => {}
            }
        }

        // History and deployments, from the events.
        let mut factories: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut deployed: BTreeMap<String, (String, String, String)> = BTreeMap::new();
        for e in events {
            let Some(contract) = &e.contract_id else {
                continue;
            };
            let emitter = address(&ScAddress::Contract(contract.clone()));
            let ContractEventBody::V0(body) = &e.body;
            let topics: Vec<&ScVal> = body.topics.iter().collect();
            let head = topics.first().and_then(|t| symbol(t));
            match (e.type_, head.as_deref()) {
                (ContractEventType::System, Some(WASM_REF_UPDATED)) => {
                    let (Some(key), ScVal::Vec(Some(data))) =
                        (topics.get(1).and_then(|t| symbol(t)), &body.data)
                    else {
                        continue;
                    };
                    let (Some(old), Some(new)) = (data.first(), data.get(1).and_then(bytes32))
                    else {
                        continue;
                    };
                    let r = refs
                        .entry(emitter.clone())
                        .or_default()
                        .entry(key.clone())
                        .or_insert_with(|| Ref {
                            key,
                            current: None,
                            history: vec![],
                        });
                    r.history.push(RefUpdate {
                        old: bytes32(old),
                        new,
                    });
                }
                (ContractEventType::Contract, Some(DEPLOYED)) => {
                    let (Some(ScVal::Address(manager)), Some(key), ScVal::Address(follower)) = (
                        topics.get(1),
                        topics.get(2).and_then(|t| symbol(t)),
                        &body.data,
                    ) else {
                        continue;
                    };
                    let follower = address(follower);
                    factories
                        .entry(emitter.clone())
                        .or_default()
                        .push(follower.clone());
                    deployed.insert(follower, (emitter, address(manager), key));
                }
                _ => {}
            }
        }

        let ref_hash = |manager: &str, key: &str| -> Option<String> {
            refs.get(manager)?.get(key)?.current.clone()
        };
        let mut followers = Vec::new();
        for (contract, executable) in &executables {
            let origin = deployed.get(contract);
            let (follows, code) = match executable {
                ContractExecutable::ExternalRef(r) => {
                    let (m, k) = (address(&r.manager), r.key.0.to_utf8_string_lossy());
                    let code = ref_hash(&m, &k);
                    (Some((m, k)), code)
                }
                ContractExecutable::Wasm(h) => (None, Some(hex(&h.0))),
                ContractExecutable::StellarAsset => (None, None),
            };
            if follows.is_none() && origin.is_none() {
                continue; // an ordinary contract, never a follower
            }
            followers.push(Follower {
                address: contract.clone(),
                deployed_by: origin.map(|(f, _, _)| f.clone()),
                deployed_for: origin.map(|(_, m, k)| (m.clone(), k.clone())),
                pinned: follows.is_none(),
                follows,
                code,
            });
        }

        Audit {
            managers: refs
                .into_iter()
                .map(|(manager, refs)| Manager {
                    manager,
                    refs: refs.into_values().collect(),
                })
                .collect(),
            factories,
            followers,
        }
    }

    /// Followers that opted out.
    pub fn pinned(&self) -> impl Iterator<Item = &Follower> {
        self.followers.iter().filter(|f| f.pinned)
    }

    /// A text report: refs with their history, factories, then one line per follower
    /// (the first `max_followers`; the pinned ones always).
    pub fn table(&self, max_followers: usize) -> String {
        let short = |h: &Option<String>| {
            h.as_deref()
                .map(|h| h[..12.min(h.len())].to_string())
                .unwrap_or_else(|| "-".into())
        };
        let mut out = String::new();
        for m in &self.managers {
            out.push_str(&format!("manager {}\n", m.manager));
            for r in &m.refs {
                out.push_str(&format!(
                    "  ref {:<12} now {}  ({} updates: {})\n",
                    r.key,
                    short(&r.current),
                    r.history.len(),
                    r.history
                        .iter()
                        .map(|u| format!(
                            "{}->{}",
                            u.old.as_deref().map_or("none", |h| &h[..12.min(h.len())]),
                            short(&Some(u.new.clone()))
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        for (f, list) in &self.factories {
            out.push_str(&format!("factory {f}: {} followers deployed\n", list.len()));
        }
        let following = self.followers.iter().filter(|f| !f.pinned).count();
        out.push_str(&format!(
            "followers: {} following a ref, {} pinned (opted out)\n",
            following,
            self.followers.len() - following
        ));
        out.push_str(&format!(
            "  {:<76} {:<14} {}\n",
            "follower", "follows", "runs"
        ));
        let shown: Vec<&Follower> = self
            .followers
            .iter()
            .enumerate()
            .filter(|(i, f)| *i < max_followers || f.pinned)
            .map(|(_, f)| f)
            .collect();
        for f in &shown {
            let follows = match &f.follows {
                Some((_, k)) => k.clone(),
                None => "pinned".into(),
            };
            out.push_str(&format!(
                "  {:<76} {:<14} {}\n",
                f.address,
                follows,
                short(&f.code)
            ));
        }
        if shown.len() < self.followers.len() {
            out.push_str(&format!(
                "  ... and {} more following (--json lists all)\n",
                self.followers.len() - shown.len()
            ));
        }
        out
    }
}
