//! The committed seed corpus (`fuzz/corpus/<target>/seed-*`), written by the
//! `seeds` binary and checked by `tests/replay.rs` to be exactly what this
//! module generates: each seed is a named, hand-made scenario, so the corpus
//! is reproducible and reviewable.

use extref_testkit::{
    e2e::{
        code_entry, create_follower_args, external_ref, instance_entry, instance_key,
        source_account, source_account_create_auth, to_xdr, wasm_hash, wasm_ref_entry,
        wasm_ref_key, RefLedger,
    },
    fixtures,
};
use soroban_env_host::xdr::{
    ContractExecutable, ContractExecutableType, ContractIdPreimage, ContractIdPreimageFromAddress,
    CreateContractArgs, HostFunction, LedgerEntryData, LedgerKey, ScAddress, ScContractInstance,
    ScVal, ScValType, SorobanResources, SorobanTransactionData, SorobanTransactionDataExt, Uint256,
};

use crate::{
    e2e_follower as e2e,
    host_fns::{self as hf, FACTORY, FOLLOWER, MANAGER, MISSING, PLAIN},
    xdr_roundtrip::{selector, GENERATE},
    Writer,
};

/// A target's seeds: `(file name, bytes)`.
pub type Seeds = Vec<(String, Vec<u8>)>;

/// `(target, seeds)` for every target.
pub fn all() -> Vec<(&'static str, Seeds)> {
    vec![
        ("xdr_roundtrip", xdr_roundtrip()),
        ("host_fns", host_fns()),
        ("e2e_follower", e2e_follower()),
    ]
}

fn xdr_roundtrip() -> Seeds {
    let l = RefLedger::new(e2e::KEY);
    let ext = external_ref(&l.manager, e2e::KEY);
    let ContractExecutable::ExternalRef(ext_ref) = &ext else {
        unreachable!()
    };
    let wasm = ContractExecutable::Wasm(wasm_hash(fixtures::FOLLOWER_V1));
    let create_v2 = create_follower_args(
        &ScAddress::Account(source_account()),
        [3; 32],
        &l.manager,
        e2e::KEY,
    );
    let create_v1 = CreateContractArgs {
        contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
            address: l.manager.clone(),
            salt: Uint256([4; 32]),
        }),
        executable: ext.clone(),
    };
    let auth = source_account_create_auth(&create_v2);
    let call = l.follower_call("version", vec![], fixtures::FOLLOWER_V1);
    let instance = ScContractInstance {
        executable: ext.clone(),
        storage: None,
    };
    let ref_entry = wasm_ref_entry(&l.manager, e2e::KEY, &wasm_hash(fixtures::FOLLOWER_V1));
    let LedgerEntryData::ContractData(ref_data) = &ref_entry.data else {
        unreachable!()
    };
    let follower_entry = instance_entry(&l.follower, ext.clone());
    let tx_data = SorobanTransactionData {
        ext: SorobanTransactionDataExt::V0,
        resources: SorobanResources {
            footprint: call.resources.footprint.clone(),
            instructions: 1_000_000,
            disk_read_bytes: 0,
            write_bytes: 0,
        },
        resource_fee: 10_000,
    };
    let HostFunction::InvokeContract(invoke) = &call.host_fn else {
        unreachable!()
    };
    let mut seeds = vec![];
    let mut add = |name: &str, ty: &str, xdr: Vec<u8>| {
        let mut bytes = vec![selector(ty)];
        bytes.extend(xdr);
        seeds.push((format!("seed-{name}"), bytes));
    };
    let LedgerEntryData::ContractCode(code) = code_entry(fixtures::FOLLOWER_V1).data else {
        unreachable!()
    };
    add(
        "exec-type-ref",
        "ContractExecutableType",
        to_xdr(&ContractExecutableType::ExternalRef),
    );
    add("exec-ref", "ContractExecutable", to_xdr(&ext));
    add("exec-wasm", "ContractExecutable", to_xdr(&wasm));
    add(
        "exec-ref-payload",
        "ContractExecutableExternalRef",
        to_xdr(ext_ref.as_ref()),
    );
    add(
        "scval-type-ref",
        "ScValType",
        to_xdr(&ScValType::LedgerKeyWasmRef),
    );
    add(
        "scval-ref-key",
        "ScVal",
        to_xdr(&ScVal::LedgerKeyWasmRef(ext_ref.key.clone())),
    );
    add(
        "scval-instance",
        "ScVal",
        to_xdr(&ScVal::ContractInstance(instance.clone())),
    );
    add("entry-ref", "LedgerEntry", to_xdr(&ref_entry));
    add("entry-follower", "LedgerEntry", to_xdr(&follower_entry));
    add(
        "key-ref",
        "LedgerKey",
        to_xdr(&wasm_ref_key(&l.manager, e2e::KEY)),
    );
    add(
        "key-follower",
        "LedgerKey",
        to_xdr(&instance_key(&l.follower)),
    );
    add(
        "hostfn-create",
        "HostFunction",
        to_xdr(&HostFunction::CreateContractV2(create_v2.clone())),
    );
    add("hostfn-call", "HostFunction", to_xdr(&call.host_fn));
    add("auth-create", "SorobanAuthorizationEntry", to_xdr(&auth));
    add("instance", "ScContractInstance", to_xdr(&instance));
    add("data-ref", "ContractDataEntry", to_xdr(ref_data));
    add("code-v1", "ContractCodeEntry", to_xdr(&code));
    add("create-v1", "CreateContractArgs", to_xdr(&create_v1));
    add("create-v2", "CreateContractArgsV2", to_xdr(&create_v2));
    add("invoke", "InvokeContractArgs", to_xdr(invoke));
    add(
        "invocation",
        "SorobanAuthorizedInvocation",
        to_xdr(&auth.root_invocation),
    );
    add(
        "footprint",
        "LedgerFootprint",
        to_xdr(&call.resources.footprint),
    );
    add("tx-data", "SorobanTransactionData", to_xdr(&tx_data));
    // Generate direction: a few payloads for Arbitrary.
    for (name, ty) in [
        ("gen-exec", "ContractExecutable"),
        ("gen-scval", "ScVal"),
        ("gen-entry", "LedgerEntry"),
    ] {
        let mut bytes = vec![selector(ty) | GENERATE];
        bytes.extend((0u8..64).map(|i| i.wrapping_mul(37).wrapping_add(2)));
        seeds.push((format!("seed-{name}"), bytes));
    }
    seeds
}

// --- host_fns ---------------------------------------------------------------

/// Argument encodings of `host_fns` (see its `Args`).
fn sym(w: &mut Writer, name: usize) {
    w.u8(0).u8(name as u8);
}
fn addr(w: &mut Writer, i: usize) {
    w.u8(0).u8(i as u8);
}
/// Bytes objects: 0 v1, 1 v2, 2 manager code, 3 factory code, 4 zeros.
fn hash(w: &mut Writer, i: usize) {
    w.u8(0).u8(i as u8);
}
const ACCOUNT: usize = 5;
const V1: usize = 0;
const V2: usize = 1;
const TOKEN: usize = 0;
const FLEET2: usize = 1;
const OTHER: usize = 2;

fn host_fns() -> Seeds {
    let entries = &hf::base().entries;
    let header = |flags: u8, cpu: u32, mem: u32, frame: usize| {
        let mut w = Writer::default();
        w.u8(flags).u32(cpu).u32(mem);
        if flags & hf::FLAG_ENFORCING_FOOTPRINT != 0 {
            // Every entry read-only, the refs read-write.
            for (key, _, _) in entries {
                let is_ref = matches!(key, LedgerKey::ContractData(d)
                    if matches!(d.key, ScVal::LedgerKeyWasmRef(_)));
                w.u8(if is_ref { 2 } else { 1 });
            }
        }
        w.u8(frame as u8);
        w
    };
    let mut seeds = vec![];
    let mut add = |name: &str, w: &Writer| seeds.push((format!("seed-{name}"), w.0.clone()));

    let mut w = header(0, 0, 0, MANAGER);
    w.u8(hf::OP_SET);
    sym(&mut w, TOKEN);
    hash(&mut w, V2);
    w.u8(hf::OP_CALL_VERSION).u8(FOLLOWER as u8);
    add("set-then-call", &w);

    let mut w = header(0, 0, 0, FOLLOWER);
    for op in [hf::OP_GET, hf::OP_HAS] {
        for name in [TOKEN, FLEET2, OTHER] {
            w.u8(op);
            addr(&mut w, MANAGER);
            sym(&mut w, name);
        }
    }
    w.u8(hf::OP_HAS);
    addr(&mut w, ACCOUNT);
    sym(&mut w, TOKEN);
    add("get-has", &w);

    let mut w = header(0, 0, 0, FACTORY);
    w.u8(hf::OP_CREATE);
    addr(&mut w, ACCOUNT);
    addr(&mut w, MANAGER);
    sym(&mut w, TOKEN);
    w.u8(3).bytes(&[5; 32]);
    w.u8(hf::OP_CREATE_WITH_CONSTRUCTOR);
    addr(&mut w, FACTORY);
    addr(&mut w, MANAGER);
    sym(&mut w, FLEET2);
    w.u8(3).bytes(&[6; 32]);
    w.u8(0).u8(0); // empty constructor args
    add("create", &w);

    // The plain contract follows `token` (v1), is called from the factory,
    // pins v2 again, is called again.
    let mut w = header(0, 0, 0, PLAIN);
    w.u8(hf::OP_UPDATE);
    addr(&mut w, MANAGER);
    sym(&mut w, TOKEN);
    w.u8(hf::OP_SWITCH_FRAME).u8(FACTORY as u8);
    w.u8(hf::OP_CALL_VERSION).u8(PLAIN as u8);
    w.u8(hf::OP_SWITCH_FRAME).u8(PLAIN as u8);
    w.u8(hf::OP_PIN_WASM);
    hash(&mut w, V2);
    w.u8(hf::OP_SWITCH_FRAME).u8(FACTORY as u8);
    w.u8(hf::OP_CALL_VERSION).u8(PLAIN as u8);
    add("update-and-pin", &w);

    // ~115M instructions, ~50 MB: enough for a call.
    let mut w = header(
        hf::FLAG_LIMITED_BUDGET,
        (24 << 26) + 4_000_000,
        (12 << 26) + 4_000_000,
        MANAGER,
    );
    w.u8(hf::OP_SET);
    sym(&mut w, TOKEN);
    hash(&mut w, V2);
    w.u8(hf::OP_CALL_VERSION).u8(FOLLOWER as u8);
    add("ample-budget", &w);

    let mut w = header(0, 0, 0, MANAGER);
    w.u8(hf::OP_EXTEND);
    sym(&mut w, TOKEN);
    w.u32(5_000).u32(10_000);
    w.u8(hf::OP_EXTEND);
    sym(&mut w, OTHER);
    w.u32(5_000).u32(10_000);
    add("extend", &w);

    let mut w = header(hf::FLAG_ENFORCING_FOOTPRINT, 0, 0, MANAGER);
    w.u8(hf::OP_SET);
    sym(&mut w, FLEET2);
    hash(&mut w, V1);
    w.u8(hf::OP_GET);
    addr(&mut w, MANAGER);
    sym(&mut w, FLEET2);
    add("enforcing-footprint", &w);

    let mut w = header(
        hf::FLAG_ENFORCING_FOOTPRINT | hf::FLAG_FOOTPRINT_NEW_REFS | hf::FLAG_ENFORCING_AUTH,
        0,
        0,
        MANAGER,
    );
    w.u8(hf::OP_SET);
    sym(&mut w, OTHER);
    hash(&mut w, V1);
    w.u8(hf::OP_CREATE);
    addr(&mut w, ACCOUNT);
    addr(&mut w, MANAGER);
    sym(&mut w, OTHER);
    hash(&mut w, 4);
    add("new-ref-enforcing-auth", &w);

    let mut w = header(hf::FLAG_PROTOCOL_27, 0, 0, MANAGER);
    w.u8(hf::OP_SET);
    sym(&mut w, TOKEN);
    hash(&mut w, V2);
    w.u8(hf::OP_HAS);
    addr(&mut w, MANAGER);
    sym(&mut w, TOKEN);
    add("protocol-27", &w);

    let mut w = header(
        hf::FLAG_LIMITED_BUDGET | hf::FLAG_DEBUG,
        200_000,
        100_000,
        MANAGER,
    );
    w.u8(hf::OP_SET);
    sym(&mut w, TOKEN);
    hash(&mut w, V2);
    w.u8(hf::OP_CALL_VERSION).u8(FOLLOWER as u8);
    add("limited-budget", &w);

    // Bad arguments: a 31-byte hash, a symbol from invalid bytes, a raw
    // small-symbol body, re-tagged and dangling handles, a missing frame.
    let mut w = header(hf::FLAG_DEBUG, 0, 0, MANAGER);
    w.u8(hf::OP_SET);
    sym(&mut w, TOKEN);
    w.u8(4).u8(31).bytes(&[9; 31]);
    w.u8(hf::OP_SET);
    w.u8(4).u8(5).bytes(b"a-b c");
    hash(&mut w, V1);
    w.u8(hf::OP_GET);
    addr(&mut w, MANAGER);
    w.u8(5).u32(u32::MAX).u32(0x00ff_ffff);
    w.u8(hf::OP_GET);
    w.u8(3).u8(0).u8(7); // an address handle pointing at a bytes object
    sym(&mut w, TOKEN);
    w.u8(hf::OP_SET);
    w.u8(7).u8(1).u8(0).u32(0xdead); // a dangling symbol object
    w.u8(5).u8(1).u8(1).u8(3); // object 3 (an address) as bytes
    w.u8(hf::OP_SWITCH_FRAME).u8(MISSING as u8);
    w.u8(hf::OP_EXTEND);
    sym(&mut w, TOKEN);
    w.u32(1).u32(u32::MAX);
    add("bad-args", &w);
    seeds
}

// --- e2e_follower -----------------------------------------------------------

/// A footprint key byte of `e2e_follower`.
fn fp(w: &mut Writer, key: u8, rw: bool) {
    w.u8(key | if rw { e2e::RW } else { 0 });
}

fn e2e_follower() -> Seeds {
    use e2e::*;
    let mut seeds = vec![];
    let mut add = |name: &str, w: &Writer| seeds.push((format!("seed-{name}"), w.0.clone()));
    // A follower call's footprint: instance, ref, code; TTL choices keep.
    let call_fp = |w: &mut Writer, code: u8| {
        w.u8(3);
        fp(w, K_FOLLOWER, false);
        fp(w, K_REF, false);
        fp(w, code, false);
        w.u8(0); // no restored entries
        w.u8(TTL_KEEP).u8(TTL_KEEP).u8(TTL_KEEP);
    };

    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE).u8(FN_VERSION);
    call_fp(&mut w, K_CODE_V1);
    add("version", &w);

    let mut w = Writer::default();
    w.u8(FLAG_DIAGNOSTICS).u8(FN_HELLO).u32(41);
    call_fp(&mut w, K_CODE_V1);
    add("hello-no-cache", &w);

    // The ref fuzzed to v2 (replacing the base one), then bump(k).
    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE | FLAG_FUZZ_REF);
    w.u8(1).u8(2).u8(1).u8(RV_V2).u8(0); // manager, ref key, persistent, v2, replace
    w.u8(FN_BUMP);
    w.u8(4);
    fp(&mut w, K_FOLLOWER, false);
    fp(&mut w, K_FUZZED_REF, false);
    fp(&mut w, K_CODE_V2, false);
    fp(&mut w, K_DATA, true);
    w.u8(0).u8(TTL_KEEP).u8(TTL_KEEP).u8(TTL_KEEP).u8(TTL_KEEP);
    add("bump-on-v2", &w);

    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE).u8(FN_CREATE_FOLLOWER);
    w.u8(3);
    fp(&mut w, K_REF, false);
    fp(&mut w, K_CODE_V1, false);
    fp(&mut w, K_NEW_FOLLOWER, true);
    w.u8(0).u8(TTL_KEEP).u8(TTL_KEEP);
    add("create-follower", &w);

    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE).u8(FN_VERSION);
    w.u8(3);
    fp(&mut w, K_FOLLOWER, false);
    fp(&mut w, K_REF, false);
    fp(&mut w, K_CODE_V1, false);
    w.u8(0).u8(TTL_KEEP).u8(TTL_EXPIRED).u8(TTL_KEEP);
    add("ref-expired", &w);

    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE).u8(FN_VERSION);
    w.u8(2);
    fp(&mut w, K_FOLLOWER, false);
    fp(&mut w, K_CODE_V1, false);
    w.u8(0).u8(TTL_KEEP).u8(TTL_KEEP);
    add("ref-not-in-footprint", &w);

    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE | FLAG_FUZZ_REF);
    w.u8(1).u8(2).u8(0).u8(RV_V1).u8(0); // temporary durability
    w.u8(FN_VERSION);
    w.u8(4);
    fp(&mut w, K_FOLLOWER, false);
    fp(&mut w, K_REF, false);
    fp(&mut w, K_FUZZED_REF, false);
    fp(&mut w, K_CODE_V1, false);
    w.u8(0).u8(TTL_KEEP).u8(TTL_KEEP).u8(TTL_KEEP);
    add("ref-temporary", &w);

    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE).u8(FN_VERSION);
    w.u8(4);
    fp(&mut w, K_FOLLOWER, true);
    fp(&mut w, K_REF, true);
    fp(&mut w, K_REF, false);
    fp(&mut w, K_CODE_V1, true);
    w.u8(1).u8(1); // restore read-write index 1
    w.u8(TTL_KEEP).u8(TTL_KEEP).u8(TTL_KEEP);
    add("read-write-duplicates-restore", &w);

    let mut w = Writer::default();
    w.u8(FLAG_EXPLICIT_ENTRIES | FLAG_DIAGNOSTICS)
        .u8(FN_VERSION);
    call_fp_explicit(&mut w);
    add("explicit-entries", &w);

    let mut w = Writer::default();
    w.u8(FLAG_PROTOCOL_27).u8(FN_VERSION);
    call_fp(&mut w, K_CODE_V1);
    add("protocol-27", &w);

    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE | FLAG_FUZZ_REF)
        .u8(1)
        .u8(2)
        .u8(1)
        .u8(RV_SHORT)
        .u8(31);
    w.bytes(&[1; 31]).u8(0);
    w.u8(FN_VERSION);
    call_fp(&mut w, K_CODE_V1);
    add("ref-short-hash", &w);

    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE | FLAG_FUZZ_EXECUTABLE)
        .u8(3)
        .u8(0)
        .u8(3)
        .u8(0);
    w.u8(FN_VERSION);
    call_fp(&mut w, K_CODE_V1);
    add("executable-odd-key", &w);

    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE | FLAG_LIMITED_INSTRUCTIONS)
        .u8(FN_MANAGER_CURRENT)
        .u8(0);
    w.u8(3);
    fp(&mut w, K_MANAGER, false);
    fp(&mut w, K_CODE_MANAGER, false);
    fp(&mut w, K_REF, false);
    w.u8(0).u8(TTL_KEEP).u8(TTL_KEEP).u8(TTL_KEEP);
    w.u32(2_000_000);
    add("manager-current-low-instructions", &w);

    let mut w = Writer::default();
    w.u8(FLAG_MODULE_CACHE)
        .u8(FN_RANDOM)
        .u8(2)
        .u8(0)
        .u8(1)
        .u8(2)
        .u8(RV_V1);
    w.u8(3);
    fp(&mut w, K_FOLLOWER, false);
    fp(&mut w, K_RANDOM, false);
    w.u8(2).bytes(&[0x11; 32]).u8(0);
    fp(&mut w, K_CODE_V1, true);
    w.u8(0).u8(TTL_WRONG_KEY).bytes(&[0x22; 32]).u8(TTL_MISSING);
    add("random-call", &w);
    seeds
}

/// An explicit entry list: the follower instance twice, the ref, code v1 and
/// v2, with a missing and a random TTL.
fn call_fp_explicit(w: &mut Writer) {
    use e2e::*;
    w.u8(3);
    fp(w, K_FOLLOWER, false);
    fp(w, K_REF, false);
    fp(w, K_CODE_V1, false);
    w.u8(0);
    // Entry indices refer to the ledger's entry order (the base ledger's:
    // v1, v2, manager code, manager, ref, follower, then follower data).
    w.u8(5);
    for (i, ttl) in [
        (5u8, TTL_KEEP),
        (5, TTL_KEEP),
        (4, TTL_RANDOM),
        (0, TTL_MISSING),
        (1, TTL_KEEP),
    ] {
        w.u8(i).u8(ttl);
        if ttl == TTL_RANDOM {
            w.u32(123_456);
        }
    }
}
