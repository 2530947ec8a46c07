//! XDR round trips of every type the fork changed (`ContractExecutableType`,
//! `ContractExecutable`, `ContractExecutableExternalRef`, `ScValType`, `ScVal`)
//! and of the envelopes that carry them to the host (`LedgerEntry`,
//! `LedgerKey`, `HostFunction`, `SorobanAuthorizationEntry`, and a few more).
//!
//! Input: one selector byte, then the payload. The selector's low bits pick
//! the type; its top bit picks the direction:
//! - decode (top bit 0): the payload is XDR. If it decodes (with the host's
//!   depth limit and the payload's length as length limit), it must encode to
//!   exactly the same bytes, and those must decode to an equal value. The one
//!   tolerated difference is upstream's lenient `bool` (any word other than 1
//!   reads as `false`), see [`only_lenient_bools`].
//! - generate (top bit 1): the payload drives `Arbitrary` into a value. If it
//!   encodes, the bytes must decode to an equal value that encodes again to
//!   the same bytes (values over a container's bound, which upstream's writer
//!   accepts and its reader refuses, are skipped).

use arbitrary::{Arbitrary, Unstructured};
use soroban_env_host::{
    xdr::{
        ContractCodeEntry, ContractDataEntry, ContractExecutable, ContractExecutableExternalRef,
        ContractExecutableType, CreateContractArgs, CreateContractArgsV2, Error, HostFunction,
        InvokeContractArgs, LedgerEntry, LedgerFootprint, LedgerKey, Limits, ReadXdr,
        ScContractInstance, ScVal, ScValType, SorobanAuthorizationEntry,
        SorobanAuthorizedInvocation, SorobanTransactionData, WriteXdr,
    },
    DEFAULT_XDR_RW_LIMITS,
};

/// The selector's top bit: generate a value instead of decoding bytes.
pub const GENERATE: u8 = 0x80;

/// `Arbitrary` recurses once per nesting level of `ScVal`; above this many
/// payload bytes a deep enough value could exhaust the fuzzer's stack, which
/// would be a finding about the harness, not the fork.
const MAX_GENERATE_LEN: usize = 1024;

/// The types round-tripped, in selector order (`selector % TYPES.len()`).
pub const TYPES: &[&str] = &[
    "ContractExecutableType",
    "ContractExecutable",
    "ContractExecutableExternalRef",
    "ScValType",
    "ScVal",
    "LedgerEntry",
    "LedgerKey",
    "HostFunction",
    "SorobanAuthorizationEntry",
    "ScContractInstance",
    "ContractDataEntry",
    "ContractCodeEntry",
    "CreateContractArgs",
    "CreateContractArgsV2",
    "InvokeContractArgs",
    "SorobanAuthorizedInvocation",
    "LedgerFootprint",
    "SorobanTransactionData",
];

/// The selector byte for `name` (decode direction).
pub fn selector(name: &str) -> u8 {
    TYPES
        .iter()
        .position(|t| *t == name)
        .unwrap_or_else(|| panic!("{name} is not round-tripped")) as u8
}

pub fn run(data: &[u8]) {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let generate = sel & GENERATE != 0;
    macro_rules! dispatch {
        ($($t:ty),* $(,)?) => {{
            let fns: &[fn(&[u8], bool)] = &[$(round_trip::<$t>),*];
            debug_assert_eq!(fns.len(), TYPES.len());
            fns[(sel & !GENERATE) as usize % fns.len()](payload, generate)
        }};
    }
    dispatch!(
        ContractExecutableType,
        ContractExecutable,
        ContractExecutableExternalRef,
        ScValType,
        ScVal,
        LedgerEntry,
        LedgerKey,
        HostFunction,
        SorobanAuthorizationEntry,
        ScContractInstance,
        ContractDataEntry,
        ContractCodeEntry,
        CreateContractArgs,
        CreateContractArgsV2,
        InvokeContractArgs,
        SorobanAuthorizedInvocation,
        LedgerFootprint,
        SorobanTransactionData,
    )
}

fn limits(len: usize) -> Limits {
    Limits {
        depth: DEFAULT_XDR_RW_LIMITS.depth,
        len,
    }
}

fn round_trip<T>(payload: &[u8], generate: bool)
where
    T: ReadXdr + WriteXdr + PartialEq + std::fmt::Debug + for<'a> Arbitrary<'a>,
{
    if generate {
        if payload.len() > MAX_GENERATE_LEN {
            return;
        }
        let Ok(value) = T::arbitrary_take_rest(Unstructured::new(payload)) else {
            return;
        };
        // Values the writer refuses (too deep) are not round-trip material.
        let Ok(bytes) = value.to_xdr(limits(usize::MAX)) else {
            return;
        };
        let decoded = match T::from_xdr(&bytes, limits(bytes.len())) {
            Ok(decoded) => decoded,
            // `Arbitrary` (like any direct construction) can build a bounded
            // container (`StringM<32>`, `VecM<_, N>`...) over its bound, which
            // upstream's writer does not check and its reader refuses: such a
            // value is outside the type, not round-trip material.
            Err(Error::LengthExceedsMax) => return,
            Err(e) => panic!("encoded {value:?} does not decode: {e}"),
        };
        assert_eq!(decoded, value, "decode(encode(v)) != v");
        let again = decoded.to_xdr(limits(bytes.len())).expect("re-encodes");
        assert_eq!(again, bytes, "encode(decode(encode(v))) != encode(v)");
    } else {
        let Ok(value) = T::from_xdr(payload, limits(payload.len())) else {
            return;
        };
        let bytes = value
            .to_xdr(limits(payload.len()))
            .unwrap_or_else(|e| panic!("decoded {value:?} does not re-encode: {e}"));
        if bytes != payload {
            assert!(
                only_lenient_bools(payload, &bytes),
                "encode(decode(b)) != b for {value:?}:\n{}\n{}",
                hex(payload),
                hex(&bytes)
            );
        }
        let again = T::from_xdr(&bytes, limits(bytes.len())).expect("decodes again");
        assert_eq!(again, value, "decode(encode(decode(b))) != decode(b)");
    }
}

/// Whether `reencoded` differs from `input` only by upstream's lenient
/// booleans: stellar-xdr reads any `u32` other than 1 as `false` (stellar-core's
/// own decoder refuses them before the host sees any XDR), so a word `>= 2`
/// in a `bool` position comes back as 0. Every differing aligned word must be
/// such a word.
fn only_lenient_bools(input: &[u8], reencoded: &[u8]) -> bool {
    input.len() == reencoded.len()
        && input.len().is_multiple_of(4)
        && input
            .chunks(4)
            .zip(reencoded.chunks(4))
            .filter(|(a, b)| a != b)
            .all(|(a, b)| b == [0; 4] && u32::from_be_bytes(a.try_into().expect("4 bytes")) >= 2)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
