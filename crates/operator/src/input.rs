//! The audit's input, read from files: what a ledger holds and what it emitted.
//!
//! Two formats, told apart by their first byte:
//!
//! - **a stellar-core meta stream** (`METADATA_OUTPUT_STREAM`, e.g. the `meta.xdr`
//!   of an `extref-node` network directory): XDR record-marked `LedgerCloseMeta`
//!   frames. The ledger entry changes of every transaction are replayed in order
//!   (created, updated and restored entries kept, removed and evicted ones dropped)
//!   and the contract and system events of successful transactions kept. A stream
//!   recorded from the network's start gives the whole picture; a later start only
//!   what changed since.
//! - **a ledger dump** (text, what `fleet --dump-ledger DIR` writes): one XDR value a
//!   line, `LedgerEntry <base64>` or `ContractEvent <base64>`, events in emission
//!   order; blank lines and `#` comments are skipped.
//!
//! A directory is read file by file in name order.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use soroban_env_host::xdr::{
    ContractEvent, LedgerCloseMeta, LedgerEntry, LedgerEntryChange, LedgerEntryData, LedgerKey,
    LedgerKeyContractData, Limits, ReadXdr, TransactionMeta, TransactionResultResult, WriteXdr,
};

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {what}")]
    Format { path: PathBuf, what: String },
    #[error("{0}: an empty directory")]
    Empty(PathBuf),
}

/// Ledger entries by key (contract data only: what the audit reads) and events in
/// emission order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LedgerData {
    pub entries: BTreeMap<LedgerKey, LedgerEntry>,
    pub events: Vec<ContractEvent>,
}

/// The key of a contract data entry; `None` for other entries.
fn data_key(entry: &LedgerEntry) -> Option<LedgerKey> {
    match &entry.data {
        LedgerEntryData::ContractData(d) => Some(LedgerKey::ContractData(LedgerKeyContractData {
            contract: d.contract.clone(),
            key: d.key.clone(),
            durability: d.durability,
        })),
        _ => None,
    }
}

impl LedgerData {
    /// The contract data among `entries`, and `events` (in emission order).
    pub fn new(entries: impl IntoIterator<Item = LedgerEntry>, events: Vec<ContractEvent>) -> Self {
        let mut data = LedgerData {
            events,
            ..LedgerData::default()
        };
        entries.into_iter().for_each(|e| data.put(e));
        data
    }

    fn put(&mut self, entry: LedgerEntry) {
        if let Some(key) = data_key(&entry) {
            self.entries.insert(key, entry);
        }
    }

    fn change(&mut self, change: &LedgerEntryChange) {
        match change {
            LedgerEntryChange::Created(e)
            | LedgerEntryChange::Updated(e)
            | LedgerEntryChange::Restored(e) => self.put(e.clone()),
            LedgerEntryChange::Removed(k) => {
                self.entries.remove(k);
            }
            LedgerEntryChange::State(_) => {}
        }
    }

    /// Reads `path`: a meta stream or a ledger dump, or a directory of them.
    pub fn read(path: &Path) -> Result<LedgerData, InputError> {
        let mut data = LedgerData::default();
        data.read_into(path)?;
        Ok(data)
    }

    /// Adds what `path` holds (later entries replace earlier ones).
    pub fn read_into(&mut self, path: &Path) -> Result<(), InputError> {
        let io = |error| InputError::Io {
            path: path.to_path_buf(),
            error,
        };
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .map_err(io)?;
            files.retain(|f| f.is_file());
            files.sort();
            if files.is_empty() {
                return Err(InputError::Empty(path.to_path_buf()));
            }
            for f in files {
                self.read_file(&f)?;
            }
            return Ok(());
        }
        self.read_file(path)
    }

    fn read_file(&mut self, path: &Path) -> Result<(), InputError> {
        let bytes = std::fs::read(path).map_err(|error| InputError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        let format = |what: String| InputError::Format {
            path: path.to_path_buf(),
            what,
        };
        // A record mark has its top bit set; a text line starts with ASCII.
        if bytes.first().is_some_and(|b| b & 0x80 != 0) {
            for (i, meta) in meta_frames(&bytes).map_err(format)?.iter().enumerate() {
                self.ledger(meta)
                    .map_err(|e| format(format!("frame {i}: {e}")))?;
            }
            return Ok(());
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| format("neither a meta stream nor a text ledger dump".into()))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |what: String| format(format!("line {}: {what}", n + 1));
            let (kind, b64) = line.split_once(' ').ok_or_else(|| {
                at("expected `LedgerEntry <base64>` or `ContractEvent <base64>`".into())
            })?;
            let xdr = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| at(format!("base64: {e}")))?;
            match kind {
                "LedgerEntry" => self.put(
                    LedgerEntry::from_xdr(&xdr, Limits::none())
                        .map_err(|e| at(format!("LedgerEntry: {e}")))?,
                ),
                "ContractEvent" => self.events.push(
                    ContractEvent::from_xdr(&xdr, Limits::none())
                        .map_err(|e| at(format!("ContractEvent: {e}")))?,
                ),
                other => return Err(at(format!("unknown value type {other:?}"))),
            }
        }
        Ok(())
    }

    /// Replays one closed ledger: its transactions' changes and the events of the
    /// successful ones, then its evictions.
    fn ledger(&mut self, meta: &LedgerCloseMeta) -> Result<(), String> {
        let mut txs: Vec<(bool, &TransactionMeta)> = vec![];
        let success = |r: &TransactionResultResult| {
            matches!(
                r,
                TransactionResultResult::TxSuccess(_)
                    | TransactionResultResult::TxFeeBumpInnerSuccess(_)
            )
        };
        let evicted = match meta {
            LedgerCloseMeta::V0(m) => {
                for t in m.tx_processing.iter() {
                    txs.push((success(&t.result.result.result), &t.tx_apply_processing));
                }
                &[][..]
            }
            LedgerCloseMeta::V1(m) => {
                for t in m.tx_processing.iter() {
                    txs.push((success(&t.result.result.result), &t.tx_apply_processing));
                }
                m.evicted_keys.as_slice()
            }
            LedgerCloseMeta::V2(m) => {
                for t in m.tx_processing.iter() {
                    txs.push((success(&t.result.result.result), &t.tx_apply_processing));
                }
                m.evicted_keys.as_slice()
            }
        };
        for (ok, tx) in txs {
            match tx {
                TransactionMeta::V3(m) => {
                    for op in m.operations.iter() {
                        op.changes.iter().for_each(|c| self.change(c));
                    }
                    if let (true, Some(s)) = (ok, &m.soroban_meta) {
                        self.events.extend(s.events.iter().cloned());
                    }
                }
                TransactionMeta::V4(m) => {
                    for op in m.operations.iter() {
                        op.changes.iter().for_each(|c| self.change(c));
                        if ok {
                            self.events.extend(op.events.iter().cloned());
                        }
                    }
                }
                TransactionMeta::V0(_) | TransactionMeta::V1(_) | TransactionMeta::V2(_) => {
                    return Err("transaction meta older than V3 (no Soroban)".into());
                }
            }
        }
        for k in evicted {
            self.entries.remove(k);
        }
        Ok(())
    }

    /// Writes a ledger dump (see the module docs) to `path`.
    pub fn write_dump(&self, path: &Path) -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        let b64 = |v: &dyn Fn() -> Result<Vec<u8>, soroban_env_host::xdr::Error>| {
            v().map(|x| base64::engine::general_purpose::STANDARD.encode(x))
                .map_err(std::io::Error::other)
        };
        writeln!(
            out,
            "# extref ledger dump: contract data entries, then events in emission order"
        )?;
        for e in self.entries.values() {
            writeln!(out, "LedgerEntry {}", b64(&|| e.to_xdr(Limits::none()))?)?;
        }
        for e in &self.events {
            writeln!(out, "ContractEvent {}", b64(&|| e.to_xdr(Limits::none()))?)?;
        }
        out.flush()
    }
}

/// The `LedgerCloseMeta` frames of a meta stream (XDR record marking, one fragment
/// a frame, as core writes it).
fn meta_frames(bytes: &[u8]) -> Result<Vec<LedgerCloseMeta>, String> {
    let mut out = vec![];
    let mut at = 0;
    while at < bytes.len() {
        let header: [u8; 4] = bytes
            .get(at..at + 4)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| format!("truncated record mark at byte {at}"))?;
        let header = u32::from_be_bytes(header);
        if header & 0x8000_0000 == 0 {
            return Err(format!("a multi-fragment record at byte {at}"));
        }
        let len = (header & 0x7fff_ffff) as usize;
        let frame = bytes
            .get(at + 4..at + 4 + len)
            .ok_or_else(|| format!("truncated frame of {len} bytes at byte {at}"))?;
        out.push(
            LedgerCloseMeta::from_xdr(frame, Limits::none())
                .map_err(|e| format!("LedgerCloseMeta at byte {at}: {e}"))?,
        );
        at += 4 + len;
    }
    Ok(out)
}

/// A meta stream of `frames` (tests; core writes them so).
pub fn meta_stream(frames: &[LedgerCloseMeta]) -> Vec<u8> {
    let mut out = vec![];
    for f in frames {
        let xdr = f.to_xdr(Limits::none()).expect("encodable");
        out.extend_from_slice(&(0x8000_0000 | xdr.len() as u32).to_be_bytes());
        out.extend_from_slice(&xdr);
    }
    out
}
