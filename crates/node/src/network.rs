//! Whole loopback networks: a standalone validator, or `n` validators running
//! SCP with each other over 127.0.0.1 plus a watcher that streams meta; their
//! protocol upgrades with core's own command; and the comparison of the ledgers
//! they closed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};

use crate::client::CoreClient;
use crate::config::{NodeConfig, Role, PASSPHRASE};
use crate::keys::NodeKey;
use crate::process::{self, Node};

/// What a client needs to reach a running network (written to `network.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Endpoints {
    pub passphrase: String,
    /// The node clients talk to (the standalone validator, or the watcher).
    pub admin_url: String,
    pub query_url: String,
    pub meta_path: PathBuf,
    /// Every node: name, admin URL, database, role.
    pub nodes: Vec<NodeEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeEntry {
    pub name: String,
    pub admin_url: String,
    pub database: PathBuf,
    pub validator: bool,
    pub dir: PathBuf,
}

impl Endpoints {
    pub fn load(dir: &Path) -> Result<Endpoints> {
        let path = dir.join("network.json");
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }

    pub fn client(&self) -> Result<CoreClient> {
        CoreClient::connect(
            &self.admin_url,
            &self.query_url,
            &self.meta_path,
            &self.passphrase,
        )
    }
}

/// A network of core processes, stopped when dropped unless detached.
pub struct Network {
    pub dir: PathBuf,
    pub nodes: Vec<Node>,
    /// Index of the node clients talk to.
    pub client_node: usize,
}

fn ports(base: u16, i: u16) -> (u16, u16, u16) {
    let b = base + 10 * i;
    (b, b + 1, b + 2)
}

impl Network {
    /// One standalone validator in `dir/node0`, ports `base` (peer), `base+1`
    /// (admin), `base+2` (query).
    pub fn standalone(bin: &Path, dir: &Path, base: u16) -> Result<Network> {
        let key = NodeKey::from_seed(0xA0);
        let (peer, http, query) = ports(base, 0);
        let cfg = NodeConfig {
            name: "node0".into(),
            dir: dir.join("node0"),
            key: key.clone(),
            role: Role::Standalone,
            peer_port: peer,
            http_port: http,
            query_port: query,
            validators: vec![key],
            threshold_percent: 100,
            known_peers: vec![],
            archive: None,
        };
        fs::create_dir_all(dir)?;
        Ok(Network {
            dir: dir.to_path_buf(),
            nodes: vec![Node::init(bin, cfg)?],
            client_node: 0,
        })
    }

    /// `n` validators (quorum `threshold_percent` of them) and a watcher, all
    /// peers of each other on 127.0.0.1.
    pub fn validators(
        bin: &Path,
        dir: &Path,
        base: u16,
        n: u16,
        threshold_percent: u32,
    ) -> Result<Network> {
        let keys: Vec<NodeKey> = (0..n).map(|i| NodeKey::from_seed(0xA0 + i as u8)).collect();
        let all_peers: Vec<u16> = (0..=n).map(|i| ports(base, i).0).collect();
        let mut nodes = vec![];
        for i in 0..=n {
            let (peer, http, query) = ports(base, i);
            let watcher = i == n;
            let cfg = NodeConfig {
                name: if watcher {
                    "watcher".into()
                } else {
                    format!("validator{i}")
                },
                dir: dir.join(if watcher {
                    "watcher".into()
                } else {
                    format!("validator{i}")
                }),
                key: if watcher {
                    NodeKey::from_seed(0xAF)
                } else {
                    keys[i as usize].clone()
                },
                role: if watcher {
                    Role::Watcher
                } else {
                    Role::Validator
                },
                peer_port: peer,
                http_port: http,
                query_port: query,
                validators: keys.clone(),
                threshold_percent,
                known_peers: all_peers.iter().copied().filter(|p| *p != peer).collect(),
                // validator0 publishes the network's history; every node can read it.
                archive: Some((dir.join("archive"), i == 0)),
            };
            let node = Node::init(bin, cfg)?;
            if i == 0 {
                node.core(&["new-hist", "local"])?;
            }
            nodes.push(node);
        }
        Ok(Network {
            dir: dir.to_path_buf(),
            nodes,
            client_node: n as usize,
        })
    }

    pub fn start(&mut self) -> Result<()> {
        for n in &mut self.nodes {
            n.start()?;
        }
        Ok(())
    }

    pub fn endpoints(&self) -> Endpoints {
        let c = &self.nodes[self.client_node];
        Endpoints {
            passphrase: PASSPHRASE.into(),
            admin_url: c.admin_url(),
            query_url: c.query_url(),
            meta_path: c.cfg.meta_path().expect("the client node streams meta"),
            nodes: self
                .nodes
                .iter()
                .map(|n| NodeEntry {
                    name: n.cfg.name.clone(),
                    admin_url: n.admin_url(),
                    database: n.cfg.database_path(),
                    validator: n.cfg.role != Role::Watcher,
                    dir: n.cfg.dir.clone(),
                })
                .collect(),
        }
    }

    pub fn write_endpoints(&self) -> Result<PathBuf> {
        let path = self.dir.join("network.json");
        fs::write(&path, serde_json::to_string_pretty(&self.endpoints())?)?;
        Ok(path)
    }

    /// Waits until every node has closed `ledger`.
    pub fn wait_all(&self, ledger: u32, timeout: Duration) -> Result<()> {
        for n in &self.nodes {
            n.wait_for_ledger(ledger, timeout)
                .with_context(|| format!("{} reaching ledger {ledger}", n.cfg.name))?;
        }
        Ok(())
    }

    /// Arms the upgrade to `protocol` on every validator with core's own
    /// command and waits until the client node's ledgers run at it.
    pub fn upgrade(&self, protocol: u32) -> Result<process::Info> {
        for n in self.nodes.iter().filter(|n| n.cfg.role != Role::Watcher) {
            let answer = n.arm_upgrade(protocol)?;
            ensure!(
                !answer.to_lowercase().contains("error"),
                "{}: {answer}",
                n.cfg.name
            );
        }
        let c = &self.nodes[self.client_node];
        process::wait_for(&c.admin_url(), Duration::from_secs(120), |i| {
            i.protocol >= protocol
        })
        .with_context(|| format!("upgrading to protocol {protocol}"))
    }

    /// Leaves the processes running after this value is dropped.
    pub fn detach(mut self) {
        for n in self.nodes.drain(..) {
            n.detach();
        }
    }
}

/// What every node said it closed: `ledger -> hash` (hex) per node, sampled from
/// their `/info` (core keeps no history of ledger headers in its database, so the
/// ledgers are watched as they close). A node that does not answer (stopped) is
/// skipped until it answers again.
pub fn watch(
    endpoints: &Endpoints,
    until_ledger: u32,
    timeout: Duration,
) -> Result<Vec<(String, BTreeMap<u32, String>)>> {
    let deadline = std::time::Instant::now() + timeout;
    let mut maps: Vec<(String, BTreeMap<u32, String>)> = endpoints
        .nodes
        .iter()
        .map(|n| (n.name.clone(), BTreeMap::new()))
        .collect();
    loop {
        let mut all_there = true;
        for (n, (_, map)) in endpoints.nodes.iter().zip(maps.iter_mut()) {
            match process::info(&n.admin_url) {
                Ok(i) => {
                    map.insert(i.ledger, i.hash);
                    all_there &= i.ledger >= until_ledger;
                }
                Err(_) => all_there = false,
            }
        }
        if all_there {
            return Ok(maps);
        }
        if std::time::Instant::now() > deadline {
            bail!("not every node reached ledger {until_ledger} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The comparison of every node's closed ledgers.
#[derive(Debug, Serialize)]
pub struct Agreement {
    /// Ledgers every node was seen closing.
    pub common: usize,
    pub first: u32,
    pub last: u32,
    /// Ledgers whose hashes differ between nodes (must be empty).
    pub disagreements: Vec<(u32, Vec<(String, String)>)>,
    pub per_node: Vec<(String, usize)>,
}

pub fn compare(maps: &[(String, BTreeMap<u32, String>)]) -> Agreement {
    let mut disagreements = vec![];
    let mut common = 0;
    let (mut first, mut last) = (u32::MAX, 0);
    let all: std::collections::BTreeSet<u32> =
        maps.iter().flat_map(|(_, m)| m.keys().copied()).collect();
    for seq in all {
        let seen: Vec<(String, String)> = maps
            .iter()
            .filter_map(|(name, m)| m.get(&seq).map(|h| (name.clone(), h.clone())))
            .collect();
        if seen.iter().any(|(_, h)| h != &seen[0].1) {
            disagreements.push((seq, seen.clone()));
        }
        if seen.len() == maps.len() {
            common += 1;
            first = first.min(seq);
            last = last.max(seq);
        }
    }
    Agreement {
        common,
        first,
        last,
        disagreements,
        per_node: maps.iter().map(|(n, m)| (n.clone(), m.len())).collect(),
    }
}
