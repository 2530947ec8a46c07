//! The fork's fuzz targets as plain functions, `fn run(data: &[u8])` each:
//! `fuzz/fuzz_targets/*.rs` hand them to libFuzzer (nightly), and
//! `tests/replay.rs` feeds them the committed corpus and regressions on stable.
//!
//! A target panics exactly when it found a bug: an error from the host is an
//! expected outcome, a panic (ours, an assertion, or the host's) is not.
//!
//! `host_fns` and `e2e_follower` read their input with [`Reader`], a cursor
//! that never fails (reading past the end yields zeros), so every byte string
//! is a valid scenario; `seeds` writes scenarios with the mirror [`Writer`].

pub mod e2e_follower;
pub mod host_fns;
pub mod seeds;
pub mod xdr_roundtrip;

/// A target's entry point.
pub type Target = fn(&[u8]);

/// Every target, by its cargo-fuzz name.
pub const TARGETS: [(&str, Target); 3] = [
    ("xdr_roundtrip", xdr_roundtrip::run),
    ("host_fns", host_fns::run),
    ("e2e_follower", e2e_follower::run),
];

/// Whether `EXTREF_FUZZ_TRACE` is set: the targets then print what each
/// input did (operations and their results), to check what a seed or a
/// crash input exercises.
pub fn tracing() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("EXTREF_FUZZ_TRACE").is_some())
}

/// The fuzzed-input cursor. Every read succeeds: past the end it yields
/// zeros, so short inputs are scenarios with default choices.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// Little-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// `n` bytes, zero-padded past the end.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }

    pub fn array32(&mut self) -> [u8; 32] {
        let mut a = [0; 32];
        a.iter_mut().for_each(|b| *b = self.u8());
        a
    }

    /// One of `n` choices.
    pub fn choose(&mut self, n: usize) -> usize {
        self.u8() as usize % n
    }
}

/// Writes what [`Reader`] reads, for hand-made seeds.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, b: u8) -> &mut Self {
        self.0.push(b);
        self
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
}
