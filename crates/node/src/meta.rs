//! Core's ledger-close meta stream (`METADATA_OUTPUT_STREAM`), read as a
//! growing file of XDR record-marked `LedgerCloseMeta` frames: what a ledger
//! applied, transaction by transaction (results, fees, return values, events,
//! diagnostic events, ledger entry changes).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use soroban_env_host::xdr::{
    ContractEvent, DiagnosticEvent, LedgerCloseMeta, LedgerEntryChange, Limits, ReadXdr, ScVal,
    TransactionMeta, TransactionResultPair, TransactionResultResult,
};

/// Reads frames appended to the stream file since the last read.
pub struct MetaReader {
    path: PathBuf,
    file: Option<File>,
    buf: Vec<u8>,
}

impl MetaReader {
    pub fn new(path: &Path) -> MetaReader {
        MetaReader {
            path: path.to_path_buf(),
            file: None,
            buf: vec![],
        }
    }

    /// Every complete frame written since the last call (none if the file does
    /// not exist yet).
    pub fn poll(&mut self) -> Result<Vec<LedgerCloseMeta>> {
        if self.file.is_none() {
            match File::open(&self.path) {
                Ok(f) => self.file = Some(f),
                Err(_) => return Ok(vec![]),
            }
        }
        let file = self.file.as_mut().expect("opened");
        file.read_to_end(&mut self.buf)
            .with_context(|| format!("reading {}", self.path.display()))?;
        let mut out = vec![];
        let mut at = 0;
        while self.buf.len() >= at + 4 {
            let header = u32::from_be_bytes(self.buf[at..at + 4].try_into().expect("4"));
            if header & 0x8000_0000 == 0 {
                bail!(
                    "{}: a multi-fragment record (core writes one fragment per frame)",
                    self.path.display()
                );
            }
            let len = (header & 0x7fff_ffff) as usize;
            if self.buf.len() < at + 4 + len {
                break;
            }
            let frame = &self.buf[at + 4..at + 4 + len];
            out.push(
                LedgerCloseMeta::from_xdr(frame, Limits::none())
                    .with_context(|| format!("decoding a LedgerCloseMeta frame of {len} bytes"))?,
            );
            at += 4 + len;
        }
        self.buf.drain(..at);
        Ok(out)
    }
}

/// What a ledger says of one applied transaction.
#[derive(Clone, Debug)]
pub struct Applied {
    pub hash: [u8; 32],
    pub ledger: u32,
    pub fee_charged: i64,
    /// `txSUCCESS` (or `txFEE_BUMP_INNER_SUCCESS`).
    pub success: bool,
    /// The result code's name, e.g. `TxSuccess`, `TxFailed`.
    pub code: String,
    pub return_value: Option<ScVal>,
    pub events: Vec<ContractEvent>,
    pub diagnostic_events: Vec<DiagnosticEvent>,
    /// Every ledger entry change of the transaction's operations.
    pub changes: Vec<LedgerEntryChange>,
}

/// A closed ledger: its number, protocol, close time, and applied transactions.
#[derive(Clone, Debug)]
pub struct Closed {
    pub ledger: u32,
    pub protocol: u32,
    pub close_time: u64,
    pub hash: [u8; 32],
    pub txs: Vec<Applied>,
}

/// The parts of a `LedgerCloseMeta` a client needs.
pub fn closed(meta: &LedgerCloseMeta) -> Result<Closed> {
    let (header, txs) = match meta {
        LedgerCloseMeta::V0(m) => (
            &m.ledger_header,
            m.tx_processing
                .iter()
                .map(|t| applied(&t.result, &t.tx_apply_processing))
                .collect::<Vec<_>>(),
        ),
        LedgerCloseMeta::V1(m) => (
            &m.ledger_header,
            m.tx_processing
                .iter()
                .map(|t| applied(&t.result, &t.tx_apply_processing))
                .collect::<Vec<_>>(),
        ),
        LedgerCloseMeta::V2(m) => (
            &m.ledger_header,
            m.tx_processing
                .iter()
                .map(|t| applied(&t.result, &t.tx_apply_processing))
                .collect::<Vec<_>>(),
        ),
    };
    let ledger = header.header.ledger_seq;
    Ok(Closed {
        ledger,
        protocol: header.header.ledger_version,
        close_time: header.header.scp_value.close_time.0,
        hash: header.hash.0,
        txs: txs
            .into_iter()
            .map(|mut a| {
                a.ledger = ledger;
                a
            })
            .collect(),
    })
}

fn applied(pair: &TransactionResultPair, meta: &TransactionMeta) -> Applied {
    let result = &pair.result;
    let success = matches!(
        result.result,
        TransactionResultResult::TxSuccess(_) | TransactionResultResult::TxFeeBumpInnerSuccess(_)
    );
    let mut out = Applied {
        hash: pair.transaction_hash.0,
        ledger: 0,
        fee_charged: result.fee_charged,
        success,
        code: format!("{:?}", result.result.discriminant()),
        return_value: None,
        events: vec![],
        diagnostic_events: vec![],
        changes: vec![],
    };
    match meta {
        TransactionMeta::V3(m) => {
            for op in m.operations.iter() {
                out.changes.extend(op.changes.iter().cloned());
            }
            if let Some(s) = &m.soroban_meta {
                out.return_value = Some(s.return_value.clone());
                out.events = s.events.to_vec();
                out.diagnostic_events = s.diagnostic_events.to_vec();
            }
        }
        TransactionMeta::V4(m) => {
            for op in m.operations.iter() {
                out.changes.extend(op.changes.iter().cloned());
                out.events.extend(op.events.iter().cloned());
            }
            if let Some(s) = &m.soroban_meta {
                out.return_value = s.return_value.clone();
            }
            out.diagnostic_events = m.diagnostic_events.to_vec();
        }
        TransactionMeta::V0(_) | TransactionMeta::V1(_) | TransactionMeta::V2(_) => {}
    }
    out
}

/// The named `u64` of the host's `core_metrics` diagnostic events (e.g.
/// `cpu_insn`, `mem_byte`), when diagnostics are on.
pub fn core_metric(events: &[DiagnosticEvent], name: &str) -> Option<u64> {
    use soroban_env_host::xdr::{ContractEventBody, ScVal};
    for e in events {
        let ContractEventBody::V0(body) = &e.event.body;
        let topics = &body.topics;
        let is = |v: &ScVal, s: &str| matches!(v, ScVal::Symbol(sym) if sym.0.as_slice() == s.as_bytes());
        if topics.len() == 2 && is(&topics[0], "core_metrics") && is(&topics[1], name) {
            if let ScVal::U64(v) = body.data {
                return Some(v);
            }
        }
    }
    None
}
