//! Golden XDR vectors for the soroban-extref additions to stellar-xdr
//! (see xdr/Stellar-contract.x.diff), plus a few unchanged arms that must stay
//! byte-identical to upstream stellar-xdr 27.0.0.
//!
//! Every vector is computed by hand from the XDR spec (RFC 4506): enum/union
//! discriminants are 4-byte big-endian i32, SCAddress is its own 4-byte
//! discriminant followed by the arm, SCSymbol is a u32 length, the bytes and
//! zero padding up to a multiple of 4. Vectors are written as hex, one XDR
//! field per string piece, so they can be audited against the spec.

use stellar_xdr::{
    AccountId, ContractExecutable, ContractExecutableExternalRef, ContractExecutableType,
    ContractId, Error, Hash, Limits, PublicKey, ReadXdr, ScAddress, ScContractInstance, ScNonceKey,
    ScSymbol, ScVal, ScValType, StringM, Uint256, WriteXdr,
};

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(s.len().is_multiple_of(2), "odd-length hex vector");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("bad hex in vector"))
        .collect()
}

fn sym(s: &str) -> ScSymbol {
    ScSymbol(StringM::try_from(s).expect("symbol fits in 32 bytes"))
}

/// Asserts `value` encodes to exactly `hex`, and `hex` decodes to exactly `value`.
fn golden<T: ReadXdr + WriteXdr + PartialEq + std::fmt::Debug>(value: &T, hex: &str) {
    let bytes = unhex(hex);
    assert_eq!(
        value.to_xdr(Limits::none()).unwrap(),
        bytes,
        "encoding of {value:?}"
    );
    assert_eq!(
        &T::from_xdr(&bytes, Limits::none()).unwrap(),
        value,
        "decoding of {hex}"
    );
}

const HASH_11: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const HASH_AB: &str = "abababababababababababababababababababababababababababababababab";
// 0x01, 0x02, ..., 0x20
const KEY_SEQ: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

fn contract_manager() -> ScAddress {
    ScAddress::Contract(ContractId(Hash([0xab; 32])))
}

fn account_manager() -> ScAddress {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = i as u8 + 1;
    }
    ScAddress::Account(AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(k))))
}

// ---------------------------------------------------------------------------
// New: CONTRACT_EXECUTABLE_EXTERNAL_REF = 2
// ---------------------------------------------------------------------------

#[test]
fn contract_executable_type_external_ref_is_2() {
    assert_eq!(ContractExecutableType::ExternalRef as i32, 2);
    golden(&ContractExecutableType::ExternalRef, "00000002");
    assert_eq!(
        ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
            manager: contract_manager(),
            key: sym("k"),
        }))
        .discriminant(),
        ContractExecutableType::ExternalRef
    );
}

#[test]
fn contract_executable_external_ref_contract_manager() {
    let v = ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
        manager: contract_manager(),
        key: sym("wasm_v1"), // 7 bytes -> 1 byte of padding
    }));
    let hex = [
        "00000002",       // CONTRACT_EXECUTABLE_EXTERNAL_REF
        "00000001",       // SC_ADDRESS_TYPE_CONTRACT
        HASH_AB,          // ContractID
        "00000007",       // SCSymbol length 7
        "7761736d5f7631", // "wasm_v1"
        "00",             // pad to 8
    ]
    .concat();
    golden(&v, &hex);
    assert_eq!(unhex(&hex).len(), 4 + 4 + 32 + 4 + 8);
}

#[test]
fn contract_executable_external_ref_account_manager() {
    let v = ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
        manager: account_manager(),
        key: sym("token"), // 5 bytes -> 3 bytes of padding
    }));
    let hex = [
        "00000002",   // CONTRACT_EXECUTABLE_EXTERNAL_REF
        "00000000",   // SC_ADDRESS_TYPE_ACCOUNT
        "00000000",   // PUBLIC_KEY_TYPE_ED25519
        KEY_SEQ,      // uint256 ed25519
        "00000005",   // SCSymbol length 5
        "746f6b656e", // "token"
        "000000",     // pad to 8
    ]
    .concat();
    golden(&v, &hex);
    assert_eq!(unhex(&hex).len(), 4 + 4 + 4 + 32 + 4 + 8);
}

#[test]
fn contract_executable_external_ref_struct_alone_and_unpadded_key() {
    // The struct on its own: no union discriminant; a 4-byte key needs no padding.
    let v = ContractExecutableExternalRef {
        manager: contract_manager(),
        key: sym("abcd"),
    };
    golden(&v, &["00000001", HASH_AB, "00000004", "61626364"].concat());
    // Empty key: just a zero length.
    let v = ContractExecutableExternalRef {
        manager: contract_manager(),
        key: sym(""),
    };
    golden(&v, &["00000001", HASH_AB, "00000000"].concat());
}

#[test]
fn contract_instance_with_external_ref_executable() {
    let v = ScVal::ContractInstance(ScContractInstance {
        executable: ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
            manager: contract_manager(),
            key: sym("abcd"),
        })),
        storage: None,
    });
    let hex = [
        "00000013", // SCV_CONTRACT_INSTANCE
        "00000002", // CONTRACT_EXECUTABLE_EXTERNAL_REF
        "00000001", // SC_ADDRESS_TYPE_CONTRACT
        HASH_AB, "00000004", // SCSymbol length 4
        "61626364", // "abcd"
        "00000000", // storage: SCMap* absent
    ]
    .concat();
    golden(&v, &hex);
}

#[test]
fn contract_executable_external_ref_round_trips() {
    for manager in [contract_manager(), account_manager()] {
        for key in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "wasm_ref_0123456789_abcdefghijkl",
        ] {
            let v = ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
                manager: manager.clone(),
                key: sym(key),
            }));
            let bytes = v.to_xdr(Limits::none()).unwrap();
            assert_eq!(bytes.len() % 4, 0);
            assert_eq!(&bytes[..4], &[0, 0, 0, 2]);
            let back = ContractExecutable::from_xdr(&bytes, Limits::none()).unwrap();
            assert_eq!(back, v);
            assert_eq!(back.to_xdr(Limits::none()).unwrap(), bytes);
        }
    }
}

// ---------------------------------------------------------------------------
// New: SCV_LEDGER_KEY_WASM_REF = 22
// ---------------------------------------------------------------------------

#[test]
fn scval_type_ledger_key_wasm_ref_is_22() {
    assert_eq!(ScValType::LedgerKeyWasmRef as i32, 22);
    golden(&ScValType::LedgerKeyWasmRef, "00000016");
    assert_eq!(
        ScVal::LedgerKeyWasmRef(sym("x")).discriminant(),
        ScValType::LedgerKeyWasmRef
    );
}

#[test]
fn scval_ledger_key_wasm_ref() {
    // 4-byte key: no padding.
    golden(
        &ScVal::LedgerKeyWasmRef(sym("wasm")),
        &["00000016", "00000004", "7761736d"].concat(),
    );
    // 9-byte key: 3 bytes of padding.
    golden(
        &ScVal::LedgerKeyWasmRef(sym("my_ref_1x")),
        &["00000016", "00000009", "6d795f7265665f3178", "000000"].concat(),
    );
    // Empty key.
    golden(&ScVal::LedgerKeyWasmRef(sym("")), "0000001600000000");
    // Maximum length, 32 bytes: no padding.
    let k32 = "abcdefghijklmnopqrstuvwxyz012345";
    golden(
        &ScVal::LedgerKeyWasmRef(sym(k32)),
        &[
            "00000016",
            "00000020",
            "6162636465666768696a6b6c6d6e6f707172737475767778797a303132333435",
        ]
        .concat(),
    );
}

#[test]
fn scval_ledger_key_wasm_ref_differs_from_symbol_only_in_discriminant() {
    let a = ScVal::LedgerKeyWasmRef(sym("wasm"))
        .to_xdr(Limits::none())
        .unwrap();
    let b = ScVal::Symbol(sym("wasm")).to_xdr(Limits::none()).unwrap();
    assert_eq!(&a[..4], &[0, 0, 0, 22]);
    assert_eq!(&b[..4], &[0, 0, 0, 15]);
    assert_eq!(a[4..], b[4..]);
}

// ---------------------------------------------------------------------------
// Unchanged arms: byte-identical to upstream 27.0.0
// ---------------------------------------------------------------------------

#[test]
fn existing_contract_executable_wasm() {
    golden(&ContractExecutableType::Wasm, "00000000");
    golden(
        &ContractExecutable::Wasm(Hash([0x11; 32])),
        &["00000000", HASH_11].concat(),
    );
}

#[test]
fn existing_contract_executable_stellar_asset() {
    golden(&ContractExecutableType::StellarAsset, "00000001");
    golden(&ContractExecutable::StellarAsset, "00000001");
}

#[test]
fn existing_scval_ledger_key_nonce() {
    golden(&ScValType::LedgerKeyNonce, "00000015");
    golden(
        &ScVal::LedgerKeyNonce(ScNonceKey {
            nonce: 0x0102_0304_0506_0708,
        }),
        &["00000015", "0102030405060708"].concat(),
    );
    golden(
        &ScVal::LedgerKeyNonce(ScNonceKey { nonce: -2 }),
        &["00000015", "fffffffffffffffe"].concat(),
    );
}

#[test]
fn existing_scval_symbol() {
    golden(
        &ScVal::Symbol(sym("hello")),
        &["0000000f", "00000005", "68656c6c6f", "000000"].concat(),
    );
}

#[test]
fn existing_scval_ledger_key_contract_instance() {
    golden(&ScValType::LedgerKeyContractInstance, "00000014");
    golden(&ScVal::LedgerKeyContractInstance, "00000014");
}

// ---------------------------------------------------------------------------
// Rejections
// ---------------------------------------------------------------------------

#[test]
fn contract_executable_type_3_rejected() {
    assert_eq!(ContractExecutableType::try_from(3), Err(Error::Invalid));
    assert_eq!(
        ContractExecutableType::from_xdr(unhex("00000003"), Limits::none()),
        Err(Error::Invalid)
    );
    assert_eq!(
        ContractExecutable::from_xdr(unhex("00000003"), Limits::none()),
        Err(Error::Invalid)
    );
    // Followed by a plausible external-ref body: still rejected on the discriminant.
    let hex = ["00000003", "00000001", HASH_AB, "00000004", "61626364"].concat();
    assert_eq!(
        ContractExecutable::from_xdr(unhex(&hex), Limits::none()),
        Err(Error::Invalid)
    );
}

#[test]
fn scval_type_23_rejected() {
    assert_eq!(ScValType::try_from(23), Err(Error::Invalid));
    assert_eq!(
        ScValType::from_xdr(unhex("00000017"), Limits::none()),
        Err(Error::Invalid)
    );
    assert_eq!(
        ScVal::from_xdr(unhex("0000001700000004 7761736d"), Limits::none()),
        Err(Error::Invalid)
    );
}

#[test]
fn symbol_longer_than_32_rejected() {
    let k33 = "abcdefghijklmnopqrstuvwxyz0123456"; // 33 bytes
    assert_eq!(k33.len(), 33);
    // Cannot be constructed...
    assert!(StringM::<32>::try_from(k33).is_err());
    // ...nor decoded, in either new position.
    let body = [
        "00000021",                                                           // length 33
        "6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536", // 33 bytes
        "000000",                                                             // pad to 36
    ]
    .concat();
    assert_eq!(
        ScVal::from_xdr(unhex(&["00000016", &body].concat()), Limits::none()),
        Err(Error::LengthExceedsMax)
    );
    assert_eq!(
        ContractExecutable::from_xdr(
            unhex(&["00000002", "00000001", HASH_AB, &body].concat()),
            Limits::none()
        ),
        Err(Error::LengthExceedsMax)
    );
}

#[test]
fn trailing_and_padding_errors() {
    // Non-zero padding in the key is rejected.
    assert_eq!(
        ScVal::from_xdr(
            unhex(&["00000016", "00000005", "746f6b656e", "000001"].concat()),
            Limits::none()
        ),
        Err(Error::NonZeroPadding)
    );
    // Trailing bytes after a complete value are rejected.
    assert_eq!(
        ScVal::from_xdr(unhex("00000016 00000000 00000000"), Limits::none()),
        Err(Error::Invalid)
    );
}
