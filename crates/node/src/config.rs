//! stellar-core configuration files for loopback networks: one standalone
//! validator, or validators that run real SCP with each other over 127.0.0.1,
//! plus a watcher node that streams ledger meta (what stellar-rpc's captive core
//! does: a validator may neither stream meta nor emit diagnostic events).

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::keys::NodeKey;

/// The passphrase of every network started here (its network id is its sha256).
pub const PASSPHRASE: &str = "soroban-extref loopback network ; December 2026";

/// What a node is in its network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The only validator of its network: closes ledgers on its own, streams meta.
    Standalone,
    /// One of several validators (no meta, no diagnostic events: core refuses both).
    Validator,
    /// Follows the validators, streams meta and diagnostic events; clients talk to it.
    Watcher,
}

/// One node's settings; [`NodeConfig::render`] writes its `stellar-core.cfg`.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub name: String,
    pub dir: PathBuf,
    pub key: NodeKey,
    pub role: Role,
    pub peer_port: u16,
    pub http_port: u16,
    pub query_port: u16,
    /// The validators' public keys (the quorum set), all of them required
    /// unless `threshold_percent` says otherwise.
    pub validators: Vec<NodeKey>,
    pub threshold_percent: u32,
    /// Peer ports of the other nodes on 127.0.0.1.
    pub known_peers: Vec<u16>,
    /// A history archive in a local directory, and whether this node publishes to it
    /// (core refuses to run a networked validator without a readable archive).
    pub archive: Option<(PathBuf, bool)>,
}

impl NodeConfig {
    /// The file the node streams `LedgerCloseMeta` frames to (standalone and watcher).
    pub fn meta_path(&self) -> Option<PathBuf> {
        match self.role {
            Role::Validator => None,
            Role::Standalone | Role::Watcher => Some(self.dir.join("meta.xdr")),
        }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("stellar-core.cfg")
    }

    pub fn database_path(&self) -> PathBuf {
        self.dir.join("stellar.db")
    }

    /// The configuration file's text. Every port binds 127.0.0.1 only
    /// (`PUBLIC_HTTP_PORT=false`; peers are dialed on 127.0.0.1).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let mut line = |k: &str, v: String| {
            let _ = writeln!(s, "{k}={v}");
        };
        let q = |v: &str| format!("\"{v}\"");
        line("NETWORK_PASSPHRASE", q(PASSPHRASE));
        line("NODE_HOME_DOMAIN", q("extref.local"));
        line(
            "NODE_SEED",
            q(&format!("{} self", self.key.secret_strkey())),
        );
        line("PEER_PORT", self.peer_port.to_string());
        line("HTTP_PORT", self.http_port.to_string());
        line("PUBLIC_HTTP_PORT", "false".into());
        // Core refuses a query port (like meta and diagnostics) on a networked validator.
        if self.role != Role::Validator {
            line("HTTP_QUERY_PORT", self.query_port.to_string());
            line("QUERY_THREAD_POOL_SIZE", "2".into());
        }
        line(
            "DATABASE",
            q(&format!("sqlite3://{}", self.database_path().display())),
        );
        line(
            "BUCKET_DIR_PATH",
            q(&self.dir.join("buckets").display().to_string()),
        );
        // One-second ledgers, and the raised Soroban limits core offers for testing.
        line("ARTIFICIALLY_ACCELERATE_TIME_FOR_TESTING", "true".into());
        line("TESTING_SOROBAN_HIGH_LIMIT_OVERRIDE", "true".into());
        line("QUORUM_INTERSECTION_CHECKER", "false".into());
        line("UNSAFE_QUORUM", "true".into());
        line("FAILURE_SAFETY", "0".into());
        line("MANUAL_CLOSE", "false".into());
        match self.role {
            Role::Standalone => {
                line("RUN_STANDALONE", "true".into());
                line("NODE_IS_VALIDATOR", "true".into());
            }
            Role::Validator => {
                line("RUN_STANDALONE", "false".into());
                line("NODE_IS_VALIDATOR", "true".into());
            }
            Role::Watcher => {
                line("RUN_STANDALONE", "false".into());
                line("NODE_IS_VALIDATOR", "false".into());
            }
        }
        if let Some(meta) = self.meta_path() {
            line("METADATA_OUTPUT_STREAM", q(&meta.display().to_string()));
            line("ENABLE_SOROBAN_DIAGNOSTIC_EVENTS", "true".into());
            line("ENABLE_DIAGNOSTICS_FOR_TX_SUBMISSION", "true".into());
            line("EMIT_SOROBAN_TRANSACTION_META_EXT_V1", "true".into());
        }
        if !self.known_peers.is_empty() {
            let peers: Vec<String> = self
                .known_peers
                .iter()
                .map(|p| q(&format!("127.0.0.1:{p}")))
                .collect();
            line("KNOWN_PEERS", format!("[{}]", peers.join(", ")));
            line("PREFERRED_PEERS", format!("[{}]", peers.join(", ")));
        }
        if let Some((dir, writer)) = &self.archive {
            s.push_str("\n[HISTORY.local]\n");
            let d = dir.display();
            let _ = writeln!(s, "get=\"cp {d}/{{0}} {{1}}\"");
            if *writer {
                let _ = writeln!(s, "put=\"cp {{0}} {d}/{{1}}\"");
                let _ = writeln!(s, "mkdir=\"mkdir -p {d}/{{0}}\"");
            }
        }
        s.push_str("\n[QUORUM_SET]\n");
        let _ = writeln!(s, "THRESHOLD_PERCENT={}", self.threshold_percent);
        let validators: Vec<String> = self
            .validators
            .iter()
            .map(|v| {
                if v == &self.key && self.role != Role::Watcher {
                    q("$self")
                } else {
                    q(&v.public_strkey())
                }
            })
            .collect();
        let _ = writeln!(s, "VALIDATORS=[{}]", validators.join(", "));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(role: Role) -> NodeConfig {
        let key = NodeKey::from_seed(1);
        NodeConfig {
            name: "n".into(),
            dir: "/tmp/n".into(),
            key: key.clone(),
            role,
            peer_port: 11625,
            http_port: 11626,
            query_port: 11627,
            validators: vec![key, NodeKey::from_seed(2)],
            threshold_percent: 100,
            known_peers: vec![11725],
            archive: Some(("/tmp/archive".into(), role == Role::Validator)),
        }
    }

    #[test]
    fn a_validator_neither_streams_meta_nor_emits_diagnostics() {
        let text = node(Role::Validator).render();
        assert!(!text.contains("METADATA_OUTPUT_STREAM"));
        assert!(!text.contains("ENABLE_SOROBAN_DIAGNOSTIC_EVENTS"));
        assert!(!text.contains("HTTP_QUERY_PORT"));
        assert!(text.contains("NODE_IS_VALIDATOR=true"));
        assert!(text.contains("RUN_STANDALONE=false"));
        assert!(text.contains("VALIDATORS=[\"$self\", \"G"));
        assert!(text.contains("put=\"cp {0} /tmp/archive/{1}\""));
    }

    #[test]
    fn a_watcher_streams_meta_and_names_every_validator() {
        let mut n = node(Role::Watcher);
        n.key = NodeKey::from_seed(9);
        let text = n.render();
        assert!(text.contains("METADATA_OUTPUT_STREAM=\"/tmp/n/meta.xdr\""));
        assert!(text.contains("NODE_IS_VALIDATOR=false"));
        assert!(!text.contains("$self"));
        assert!(text.contains("KNOWN_PEERS=[\"127.0.0.1:11725\"]"));
    }

    #[test]
    fn ports_are_loopback_only() {
        let text = node(Role::Standalone).render();
        assert!(text.contains("PUBLIC_HTTP_PORT=false"));
        assert!(text.contains("RUN_STANDALONE=true"));
        assert!(text.contains("HTTP_QUERY_PORT=11627"));
    }
}
