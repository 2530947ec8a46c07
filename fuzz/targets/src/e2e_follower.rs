//! `e2e_invoke::invoke_host_function`, the entry stellar-core calls, on an
//! ExternalRef follower, with everything the embedder hands in fuzzed:
//! - the footprint: subsets, duplicates and read-only/read-write swaps of the
//!   keys a follower call needs (instance, ref entry, code) and of its
//!   neighbours (other code, the manager, follower data, a new follower), plus
//!   random keys;
//! - the ledger entries and their TTL entries: the embedder's choice (those
//!   of the footprint that exist) or an arbitrary list with duplicates and
//!   strangers; TTLs live, expired, at the edge, random, missing or with a
//!   wrong key hash;
//! - the ref entry itself: its value (the right hashes, unknown or short
//!   hashes, other types), its durability, its key and owner; and the
//!   follower's executable (the ref, a pinned hash, odd managers and keys);
//! - the host function (follower calls, a follower creation, a manager
//!   call, random names and arguments), the restored-entry indices, the
//!   instruction limit, protocol 27 or 28, module cache and diagnostics.
//!
//! Asserts: no panic (errors are fine); the host's outputs (result, ledger
//! changes, events) decode; and a successful `version()` of the follower
//! answers the version of the code its executable resolves to among the
//! entries handed in.

use std::cell::OnceCell;

use extref_testkit::{
    e2e::{
        code_key, create_follower_args, created_address, e2e_ledger_info, footprint,
        instance_entry, instance_key, invoke_encoded, invoke_fn, key_of, module_cache, sc_symbol,
        source_account, source_account_create_auth, to_xdr, ttl_entry, wasm_hash, EncodedTx,
        RefLedger, LEDGER_SEQ, LIVE_UNTIL, TX_INSTRUCTIONS,
    },
    fixtures, BASE_PROTOCOL, FORK_PROTOCOL,
};
use soroban_env_host::{
    xdr::{
        AccountId, ContractDataDurability, ContractDataEntry, ContractEvent, ContractExecutable,
        ContractExecutableExternalRef, ContractId, ExtensionPoint, Hash, HostFunction, LedgerEntry,
        LedgerEntryData, LedgerKey, LedgerKeyAccount, LedgerKeyContractCode, LedgerKeyContractData,
        Limits, PublicKey, ReadXdr, ScAddress, ScSymbol, ScVal, SorobanResources, Uint256,
    },
    ModuleCache,
};

use crate::Reader;

/// The follower's ref key in the base ledger.
pub const KEY: &str = "token";

pub const FLAG_PROTOCOL_27: u8 = 1;
pub const FLAG_MODULE_CACHE: u8 = 2;
pub const FLAG_DIAGNOSTICS: u8 = 4;
pub const FLAG_LIMITED_INSTRUCTIONS: u8 = 8;
/// Hand in an explicit entry list instead of the footprint's entries.
pub const FLAG_EXPLICIT_ENTRIES: u8 = 16;
/// Fuzz the ref entry (value, durability, key, owner).
pub const FLAG_FUZZ_REF: u8 = 32;
/// Fuzz the follower's executable.
pub const FLAG_FUZZ_EXECUTABLE: u8 = 64;

/// Host function codes (`% FNS`).
pub const FN_VERSION: u8 = 0;
pub const FN_HELLO: u8 = 1;
pub const FN_PUT: u8 = 2;
pub const FN_GET: u8 = 3;
pub const FN_BUMP: u8 = 4;
pub const FN_WHOAMI: u8 = 5;
pub const FN_CREATE_FOLLOWER: u8 = 6;
pub const FN_MANAGER_CURRENT: u8 = 7;
pub const FN_RANDOM: u8 = 8;
pub const FNS: u8 = 9;

/// Keys of the pool a footprint is drawn from (`% POOL`, then random keys).
pub const K_FOLLOWER: u8 = 0;
pub const K_REF: u8 = 1;
pub const K_CODE_V1: u8 = 2;
pub const K_CODE_V2: u8 = 3;
pub const K_CODE_MANAGER: u8 = 4;
pub const K_MANAGER: u8 = 5;
pub const K_DATA: u8 = 6;
pub const K_NEW_FOLLOWER: u8 = 7;
/// The fuzzed ref entry's key (the ref key unless it was fuzzed).
pub const K_FUZZED_REF: u8 = 8;
pub const K_RANDOM: u8 = 9;
pub const POOL: u8 = 10;
/// Footprint entry byte: bit 7 set = read-write.
pub const RW: u8 = 0x80;

/// The follower's data key `k` (holds 5 in the base ledger).
pub const DATA_KEY: &str = "k";

/// TTL choices (`% TTLS`).
pub const TTL_KEEP: u8 = 0;
pub const TTL_EXPIRED: u8 = 4;
pub const TTL_EDGE: u8 = 5;
pub const TTL_RANDOM: u8 = 6;
pub const TTL_MISSING: u8 = 7;
pub const TTL_WRONG_KEY: u8 = 8;
pub const TTLS: u8 = 9;

/// Ref values (`% REF_VALUES`).
pub const RV_V1: u8 = 0;
pub const RV_V2: u8 = 1;
pub const RV_MANAGER: u8 = 2;
pub const RV_UNKNOWN: u8 = 3;
pub const RV_SHORT: u8 = 4;
pub const RV_VOID: u8 = 5;
pub const RV_SYMBOL: u8 = 6;
pub const RV_U32: u8 = 7;
pub const RV_VEC: u8 = 8;
pub const RV_KEY: u8 = 9;
pub const REF_VALUES: u8 = 10;

struct Base {
    ledger: RefLedger,
    data_entry: LedgerEntry,
    v1: Hash,
    v2: Hash,
}

thread_local! {
    static BASE: OnceCell<Base> = const { OnceCell::new() };
    static CACHE: OnceCell<ModuleCache> = const { OnceCell::new() };
}

fn build_base() -> Base {
    let ledger = RefLedger::new(KEY);
    let data_entry = data_entry(&ledger.follower, DATA_KEY, ScVal::U32(5));
    Base {
        ledger,
        data_entry,
        v1: wasm_hash(fixtures::FOLLOWER_V1),
        v2: wasm_hash(fixtures::FOLLOWER_V2),
    }
}

fn data_entry(contract: &ScAddress, key: &str, val: ScVal) -> LedgerEntry {
    soroban_env_host::e2e_testutils::ledger_entry(LedgerEntryData::ContractData(
        ContractDataEntry {
            ext: ExtensionPoint::V0,
            contract: contract.clone(),
            key: ScVal::Symbol(sc_symbol(key)),
            durability: ContractDataDurability::Persistent,
            val,
        },
    ))
}

fn data_key(contract: &ScAddress, key: &str) -> LedgerKey {
    LedgerKey::ContractData(LedgerKeyContractData {
        contract: contract.clone(),
        key: ScVal::Symbol(sc_symbol(key)),
        durability: ContractDataDurability::Persistent,
    })
}

/// An `ScSymbol` from the input: a usual name, or any bytes (the XDR type
/// admits what the host's `Symbol` refuses).
fn symbol(r: &mut Reader) -> ScSymbol {
    match r.u8() % 4 {
        0 | 1 => sc_symbol(KEY),
        2 => sc_symbol("other"),
        _ => {
            let len = r.choose(33);
            ScSymbol(r.bytes(len).try_into().expect("at most 32 bytes"))
        }
    }
}

fn address(r: &mut Reader, base: &Base) -> ScAddress {
    match r.u8() % 5 {
        0 | 1 => base.ledger.manager.clone(),
        2 => base.ledger.follower.clone(),
        3 => ScAddress::Contract(ContractId(Hash(r.array32()))),
        _ => ScAddress::Account(AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(
            r.array32(),
        )))),
    }
}

fn ref_value(r: &mut Reader, base: &Base) -> ScVal {
    let bytes = |b: &[u8]| ScVal::Bytes(b.to_vec().try_into().expect("small"));
    match r.u8() % REF_VALUES {
        RV_V1 => bytes(&base.v1.0),
        RV_V2 => bytes(&base.v2.0),
        RV_MANAGER => bytes(&wasm_hash(fixtures::MANAGER).0),
        RV_UNKNOWN => bytes(&r.array32()),
        RV_SHORT => {
            let len = r.choose(65);
            bytes(&r.bytes(len))
        }
        RV_VOID => ScVal::Void,
        RV_SYMBOL => ScVal::Symbol(symbol(r)),
        RV_U32 => ScVal::U32(r.u32()),
        RV_VEC => ScVal::Vec(Some(vec![bytes(&base.v1.0)].try_into().expect("one"))),
        _ => ScVal::LedgerKeyWasmRef(symbol(r)),
    }
}

/// The ref entry, fuzzed: owner, key, durability and value.
fn fuzzed_ref_entry(r: &mut Reader, base: &Base) -> LedgerEntry {
    let contract = if r.u8().is_multiple_of(4) {
        address(r, base)
    } else {
        base.ledger.manager.clone()
    };
    let key = match r.u8() % 6 {
        0 => ScVal::Symbol(symbol(r)),
        1 => ScVal::LedgerKeyWasmRef(symbol(r)),
        _ => ScVal::LedgerKeyWasmRef(sc_symbol(KEY)),
    };
    let durability = if r.u8().is_multiple_of(4) {
        ContractDataDurability::Temporary
    } else {
        ContractDataDurability::Persistent
    };
    let val = ref_value(r, base);
    soroban_env_host::e2e_testutils::ledger_entry(LedgerEntryData::ContractData(
        ContractDataEntry {
            ext: ExtensionPoint::V0,
            contract,
            key,
            durability,
            val,
        },
    ))
}

fn fuzzed_executable(r: &mut Reader, base: &Base) -> ContractExecutable {
    match r.u8() % 5 {
        0 => ContractExecutable::Wasm(base.v2.clone()),
        1 => ContractExecutable::Wasm(Hash(r.array32())),
        2 => ContractExecutable::StellarAsset,
        _ => ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
            manager: address(r, base),
            key: symbol(r),
        })),
    }
}

fn random_key(r: &mut Reader, base: &Base) -> LedgerKey {
    match r.u8() % 4 {
        0 => LedgerKey::ContractCode(LedgerKeyContractCode {
            hash: Hash(r.array32()),
        }),
        1 => LedgerKey::Account(LedgerKeyAccount {
            account_id: AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(r.array32()))),
        }),
        _ => LedgerKey::ContractData(LedgerKeyContractData {
            contract: address(r, base),
            key: match r.u8() % 3 {
                0 => ScVal::LedgerKeyContractInstance,
                1 => ScVal::Symbol(symbol(r)),
                _ => ScVal::LedgerKeyWasmRef(symbol(r)),
            },
            durability: if r.u8().is_multiple_of(2) {
                ContractDataDurability::Persistent
            } else {
                ContractDataDurability::Temporary
            },
        }),
    }
}

/// The TTL entry handed in for `key`: `None` is an empty buffer (no TTL).
fn ttl_bytes(r: &mut Reader, key: &LedgerKey, live_until: Option<u32>) -> Vec<u8> {
    let live_until = live_until.unwrap_or(LIVE_UNTIL);
    let has_ttl = matches!(key, LedgerKey::ContractData(_) | LedgerKey::ContractCode(_));
    let ttl = |l: u32| to_xdr(&ttl_entry(key, l));
    match r.u8() % TTLS {
        TTL_EXPIRED => ttl(LEDGER_SEQ - 1),
        TTL_EDGE => ttl(LEDGER_SEQ),
        TTL_RANDOM => ttl(r.u32()),
        // An entry with a TTL handed in without one, or the reverse.
        TTL_MISSING if has_ttl => vec![],
        TTL_MISSING => ttl(live_until),
        TTL_WRONG_KEY => to_xdr(&soroban_env_host::xdr::TtlEntry {
            key_hash: Hash(r.array32()),
            live_until_ledger_seq: live_until,
        }),
        _ if has_ttl => ttl(live_until),
        _ => vec![],
    }
}

fn host_fn(
    r: &mut Reader,
    base: &Base,
) -> (
    HostFunction,
    Vec<soroban_env_host::xdr::SorobanAuthorizationEntry>,
    LedgerKey,
) {
    let follower = &base.ledger.follower;
    let k = || ScVal::Symbol(sc_symbol(DATA_KEY));
    let create = create_follower_args(
        &ScAddress::Account(source_account()),
        [3; 32],
        &base.ledger.manager,
        KEY,
    );
    let new_follower = instance_key(&created_address(&create.contract_id_preimage));
    let f = match r.u8() % FNS {
        FN_VERSION => invoke_fn(follower, "version", vec![]),
        FN_HELLO => invoke_fn(follower, "hello", vec![ScVal::U32(r.u32())]),
        FN_PUT => invoke_fn(follower, "put", vec![k(), ScVal::U32(r.u32())]),
        FN_GET => invoke_fn(follower, "get", vec![k()]),
        FN_BUMP => invoke_fn(follower, "bump", vec![k()]),
        FN_WHOAMI => invoke_fn(follower, "whoami", vec![]),
        FN_CREATE_FOLLOWER => {
            let auth = vec![source_account_create_auth(&create)];
            return (HostFunction::CreateContractV2(create), auth, new_follower);
        }
        FN_MANAGER_CURRENT => invoke_fn(
            &base.ledger.manager,
            "current",
            vec![ScVal::Symbol(symbol(r))],
        ),
        _ => {
            let target = address(r, base);
            let name = match r.u8() % 3 {
                0 => "version",
                1 => "bump",
                _ => "nope",
            };
            let args = (0..r.choose(3))
                .map(|_| match r.u8() % 3 {
                    0 => ScVal::U32(r.u32()),
                    1 => ScVal::Symbol(symbol(r)),
                    _ => ref_value(r, base),
                })
                .collect();
            invoke_fn(&target, name, args)
        }
    };
    (f, vec![], new_follower)
}

pub fn run(data: &[u8]) {
    BASE.with(|b| run_on(b.get_or_init(build_base), data))
}

fn run_on(base: &Base, data: &[u8]) {
    let mut r = Reader::new(data);
    let flags = r.u8();
    let protocol = if flags & FLAG_PROTOCOL_27 != 0 {
        BASE_PROTOCOL
    } else {
        FORK_PROTOCOL
    };

    // The embedder's ledger: the base, with the fuzzed ref entry and executable.
    let mut ledger = base.ledger.ledger.clone();
    ledger.put(base.data_entry.clone(), Some(LIVE_UNTIL));
    let standard_ref = base.ledger.ref_key();
    let mut ref_entry_key = standard_ref.clone();
    if flags & FLAG_FUZZ_REF != 0 {
        let entry = fuzzed_ref_entry(&mut r, base);
        ref_entry_key = key_of(&entry);
        if r.u8().is_multiple_of(2) {
            ledger.remove(&standard_ref); // replace rather than add
        }
        ledger.put(entry, Some(LIVE_UNTIL));
    }
    if flags & FLAG_FUZZ_EXECUTABLE != 0 {
        let executable = fuzzed_executable(&mut r, base);
        ledger.put(
            instance_entry(&base.ledger.follower, executable),
            Some(LIVE_UNTIL),
        );
    }

    let (host_fn, auth, new_follower) = host_fn(&mut r, base);
    let pool = [
        base.ledger.follower_instance_key(),
        standard_ref.clone(),
        code_key(fixtures::FOLLOWER_V1),
        code_key(fixtures::FOLLOWER_V2),
        code_key(fixtures::MANAGER),
        instance_key(&base.ledger.manager),
        data_key(&base.ledger.follower, DATA_KEY),
        new_follower,
        ref_entry_key,
    ];
    let (mut read_only, mut read_write) = (vec![], vec![]);
    for _ in 0..r.choose(12) {
        let b = r.u8();
        let key = match b & !RW {
            i if i % POOL == K_RANDOM => random_key(&mut r, base),
            i => pool[(i % POOL) as usize].clone(),
        };
        if b & RW != 0 {
            read_write.push(key);
        } else {
            read_only.push(key);
        }
    }
    let restored: Vec<u32> = (0..r.choose(3)).map(|_| r.u8() as u32 % 8).collect();

    // What is handed in with the footprint.
    let (entries, ttls): (Vec<Vec<u8>>, Vec<Vec<u8>>) = if flags & FLAG_EXPLICIT_ENTRIES != 0 {
        (0..r.choose(12))
            .map(|_| {
                let (k, (e, l)) = ledger.entries().nth(r.choose(ledger.len())).unwrap();
                (to_xdr(e.as_ref()), ttl_bytes(&mut r, k, *l))
            })
            .unzip()
    } else {
        let in_footprint = |k: &LedgerKey| read_only.contains(k) || read_write.contains(k);
        ledger
            .entries()
            .filter(|(k, _)| in_footprint(k))
            .map(|(k, (e, l))| (to_xdr(e.as_ref()), ttl_bytes(&mut r, k, *l)))
            .collect::<Vec<_>>()
            .into_iter()
            .unzip()
    };
    let instructions = if flags & FLAG_LIMITED_INSTRUCTIONS != 0 {
        r.u32() % (2 * TX_INSTRUCTIONS)
    } else {
        TX_INSTRUCTIONS
    };
    let resources = SorobanResources {
        footprint: footprint(read_only, read_write),
        instructions,
        disk_read_bytes: 0,
        write_bytes: 0,
    };
    let tx = EncodedTx {
        host_fn: to_xdr(&host_fn),
        resources: to_xdr(&resources),
        restored_rw_entry_indices: restored,
        source: to_xdr(&source_account()),
        auth: auth.iter().map(to_xdr).collect(),
        entries,
        ttls,
        instructions,
    };
    let info = soroban_env_host::LedgerInfo {
        protocol_version: protocol,
        ..e2e_ledger_info()
    };
    let cache = (flags & FLAG_MODULE_CACHE != 0 && protocol == FORK_PROTOCOL).then(|| {
        CACHE.with(|c| {
            c.get_or_init(|| {
                module_cache(
                    FORK_PROTOCOL,
                    &[
                        fixtures::FOLLOWER_V1,
                        fixtures::FOLLOWER_V2,
                        fixtures::MANAGER,
                    ],
                )
                .expect("module cache")
            })
            .clone()
        })
    });
    let mut diagnostics = vec![];
    let diag = (flags & FLAG_DIAGNOSTICS != 0).then_some(&mut diagnostics);
    let invoked = invoke_encoded(&info, &tx, diag, cache);
    if crate::tracing() {
        let res = invoked.as_ref().map(|(res, _)| {
            res.encoded_invoke_result
                .as_ref()
                .map(|v| ScVal::from_xdr(v, Limits::none()))
        });
        eprintln!("e2e_follower: {res:?}");
        for d in &diagnostics {
            eprintln!("  {:?}", d.event.body);
        }
    }
    let Ok((res, _budget)) = invoked else {
        return;
    };

    // The host's outputs decode.
    let result = res
        .encoded_invoke_result
        .as_ref()
        .map(|v| ScVal::from_xdr(v, Limits::none()).expect("result decodes"));
    for c in &res.ledger_changes {
        LedgerKey::from_xdr(&c.encoded_key, Limits::none()).expect("changed key decodes");
        if let Some(v) = &c.encoded_new_value {
            LedgerEntry::from_xdr(v, Limits::none()).expect("new entry decodes");
        }
    }
    for e in &res.encoded_contract_events {
        ContractEvent::from_xdr(e, Limits::none()).expect("event decodes");
    }

    // A follower's version() runs the code its executable resolves to.
    let is_version_call = matches!(&host_fn, HostFunction::InvokeContract(a)
        if a.contract_address == base.ledger.follower && a.function_name.0.as_slice() == b"version");
    if let (true, Ok(got)) = (is_version_call, &result) {
        let expected = expected_version(base, &tx);
        assert!(
            matches!(got, ScVal::U32(1 | 2)),
            "follower version() returned {got:?}"
        );
        if let Some(expected) = expected {
            assert_eq!(
                got,
                &ScVal::U32(expected),
                "follower ran other code than its executable resolves to"
            );
        }
    }
}

/// The version the follower's code must have, from the entries handed in
/// (`None` when they are ambiguous: the same key handed in twice).
fn expected_version(base: &Base, tx: &EncodedTx) -> Option<u32> {
    let entries: Vec<LedgerEntry> = tx
        .entries
        .iter()
        .map(|e| LedgerEntry::from_xdr(e, Limits::none()).expect("ours"))
        .collect();
    let find = |key: &LedgerKey| -> Option<&LedgerEntry> {
        let mut it = entries.iter().filter(|e| &key_of(e) == key);
        let first = it.next()?;
        it.next().is_none().then_some(first)
    };
    let val = |key: &LedgerKey| match &find(key)?.data {
        LedgerEntryData::ContractData(d) => Some(d.val.clone()),
        _ => None,
    };
    let ScVal::ContractInstance(instance) = val(&base.ledger.follower_instance_key())? else {
        return None;
    };
    let hash = match instance.executable {
        ContractExecutable::Wasm(h) => h,
        ContractExecutable::ExternalRef(r) => {
            let key = LedgerKey::ContractData(LedgerKeyContractData {
                contract: r.manager.clone(),
                key: ScVal::LedgerKeyWasmRef(r.key.clone()),
                durability: ContractDataDurability::Persistent,
            });
            match val(&key)? {
                ScVal::Bytes(b) => Hash(<[u8; 32]>::try_from(b.as_slice()).ok()?),
                _ => return None,
            }
        }
        ContractExecutable::StellarAsset => return None,
    };
    if hash == base.v1 {
        Some(1)
    } else if hash == base.v2 {
        Some(2)
    } else {
        None
    }
}
