//! The wasm ref host functions called directly on the host, from inside a
//! contract frame of the manager or a follower (`with_test_contract_frame`),
//! with exact errors and proof that failing calls change nothing.

use std::rc::Rc;

use extref_testkit::{
    account, assert_error, assert_same_ledger, bytes32, call_u32, hash_of, ledger_state,
    recording_host, sym, Fleet, FORK_PROTOCOL,
};
use soroban_env_host::{
    xdr::{
        Asset, ContractDataDurability, ContractEventBody, ContractEventType, ContractExecutable,
        ContractExecutableExternalRef, ContractId, ContractIdPreimage,
        ContractIdPreimageFromAddress, CreateContractArgs, CreateContractArgsV2, HostFunction,
        LedgerKey, LedgerKeyContractCode, LedgerKeyContractData, ScAddress, ScErrorCode,
        ScErrorType, ScMapEntry, ScSymbol, ScVal, Uint256,
    },
    AddressObject, ContractTtlExtension, Env, EnvBase, ErrorHandler, Host, HostError, Symbol,
    TryFromVal, Val,
};

fn contract_id(host: &Host, addr: AddressObject) -> ContractId {
    match host.scaddress_from_address(addr).unwrap() {
        ScAddress::Contract(id) => id,
        other => panic!("not a contract: {other:?}"),
    }
}

/// Runs `f` as if `contract` were executing (its instance must exist).
fn as_contract<T>(
    host: &Host,
    contract: AddressObject,
    f: impl FnOnce() -> Result<T, HostError>,
) -> Result<T, HostError> {
    let mut out = None;
    host.with_test_contract_frame(contract_id(host, contract), sym(host, "test")?, || {
        out = Some(f()?);
        Ok(Val::VOID.into())
    })?;
    Ok(out.unwrap())
}

fn ref_key(host: &Host, manager: AddressObject, key: &str) -> Rc<LedgerKey> {
    Rc::new(LedgerKey::ContractData(LedgerKeyContractData {
        contract: host.scaddress_from_address(manager).unwrap(),
        key: ScVal::LedgerKeyWasmRef(ScSymbol(key.try_into().unwrap())),
        durability: ContractDataDurability::Persistent,
    }))
}

fn live_until(host: &Host, key: &Rc<LedgerKey>) -> u32 {
    host.get_ledger_entry(key).unwrap().unwrap().1.unwrap()
}

#[test]
fn get_and_has_report_the_current_ref() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let token = sym(host, "token")?;
    let got = host.get_contract_wasm_ref(fleet.manager, token)?;
    assert_eq!(hash_of(host, got)?, hash_of(host, fleet.v1)?);
    assert!(bool::from(
        host.has_contract_wasm_ref(fleet.manager, token)?
    ));

    fleet.set_ref("token", fleet.v2)?;
    let got = host.get_contract_wasm_ref(fleet.manager, token)?;
    assert_eq!(hash_of(host, got)?, hash_of(host, fleet.v2)?);

    // Unknown key, another contract, an account: no ref.
    let other = sym(host, "other")?;
    assert!(!bool::from(
        host.has_contract_wasm_ref(fleet.manager, other)?
    ));
    assert!(!bool::from(
        host.has_contract_wasm_ref(fleet.factory, token)?
    ));
    assert!(!bool::from(
        host.has_contract_wasm_ref(account(host, 9)?, token)?
    ));
    let err = host
        .get_contract_wasm_ref(fleet.manager, other)
        .unwrap_err();
    assert_error(&err, ScErrorType::Storage, ScErrorCode::MissingValue);
    Ok(())
}

#[test]
fn set_refuses_a_hash_of_the_wrong_size_and_changes_nothing() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let before = ledger_state(host)?;
    let short = host.bytes_new_from_slice(&[1; 31])?;
    let err = as_contract(host, fleet.manager, || {
        host.set_contract_wasm_ref(sym(host, "token")?, short)
    })
    .unwrap_err();
    assert_error(&err, ScErrorType::Value, ScErrorCode::InvalidInput);
    assert_same_ledger(&before, &ledger_state(host)?);
    Ok(())
}

#[test]
fn a_failed_frame_rolls_back_the_ref_update() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let before = ledger_state(host)?;
    let token = sym(host, "token")?;
    let res = host.with_test_contract_frame(contract_id(host, fleet.manager), token, || {
        host.set_contract_wasm_ref(token, fleet.v2)?;
        // The write happened inside the frame...
        let now = host.get_contract_wasm_ref(fleet.manager, token)?;
        assert_eq!(hash_of(host, now)?, hash_of(host, fleet.v2)?);
        // ...and the frame then fails.
        Err(host.error(
            (ScErrorType::Contract, ScErrorCode::InvalidAction).into(),
            "caller fails after setting the ref",
            &[],
        ))
    });
    assert!(res.is_err());
    assert_same_ledger(&before, &ledger_state(host)?);
    let now = host.get_contract_wasm_ref(fleet.manager, token)?;
    assert_eq!(hash_of(host, now)?, hash_of(host, fleet.v1)?);
    Ok(())
}

#[test]
fn the_manager_extends_its_ref_ttl() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let key = ref_key(host, fleet.manager, "token");
    let before = live_until(host, &key);
    // The ref was created at ledger 100 with the minimum persistent TTL (4096).
    assert_eq!(before, 100 + 4096 - 1);
    as_contract(host, fleet.manager, || {
        host.extend_contract_wasm_ref_ttl(sym(host, "token")?, 5000u32.into(), 10_000u32.into())
    })?;
    assert_eq!(live_until(host, &key), 100 + 10_000);

    // A ref that does not exist cannot be extended; nothing changes.
    let state = ledger_state(host)?;
    let err = as_contract(host, fleet.manager, || {
        host.extend_contract_wasm_ref_ttl(sym(host, "nope")?, 5000u32.into(), 10_000u32.into())
    })
    .unwrap_err();
    assert_error(&err, ScErrorType::Storage, ScErrorCode::MissingValue);
    assert_same_ledger(&state, &ledger_state(host)?);
    Ok(())
}

/// Regression (found by the host_fns fuzzer): an `extend_to` near `u32::MAX` was an
/// overflow, `(Context, InternalError)`; it clamps to the maximum TTL, as the storage
/// layer clamps any extension.
#[test]
fn extending_a_ref_to_u32_max_clamps_to_the_maximum_ttl() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let key = ref_key(host, fleet.manager, "token");
    as_contract(host, fleet.manager, || {
        host.extend_contract_wasm_ref_ttl(sym(host, "token")?, u32::MAX.into(), u32::MAX.into())
    })?;
    let max = host.with_ledger_info(|li| Ok(li.sequence_number + li.max_entry_ttl - 1))?;
    assert_eq!(live_until(host, &key), max);
    Ok(())
}

#[test]
fn extending_a_follower_extends_the_ref_and_the_resolved_code() -> Result<(), HostError> {
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    fleet.deploy("token", 1)?;
    let host = &fleet.host;
    let follower = fleet.followers[0];
    let rk = ref_key(host, fleet.manager, "token");
    let ck = Rc::new(LedgerKey::ContractCode(LedgerKeyContractCode {
        hash: hash_of(host, fleet.v1)?,
    }));
    let v2_code = Rc::new(LedgerKey::ContractCode(LedgerKeyContractCode {
        hash: hash_of(host, fleet.v2)?,
    }));
    let v2_before = live_until(host, &v2_code);
    host.extend_contract_instance_and_code_ttl(follower, 5000u32.into(), 20_000u32.into())?;
    assert_eq!(live_until(host, &rk), 100 + 20_000);
    assert_eq!(live_until(host, &ck), 100 + 20_000);
    // Code the ref does not point at is untouched.
    assert_eq!(live_until(host, &v2_code), v2_before);

    // After an upgrade, the same call extends the new code.
    fleet.set_ref("token", fleet.v2)?;
    host.extend_contract_code_ttl(follower, 25_000u32.into(), 30_000u32.into())?;
    assert_eq!(live_until(host, &v2_code), 100 + 30_000);
    assert_eq!(live_until(host, &rk), 100 + 30_000);
    Ok(())
}

#[test]
fn a_plain_contract_switches_to_a_ref_and_back() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let plain = host.create_contract(account(host, 2)?, fleet.v2, bytes32(host, [7; 32])?)?;
    assert_eq!(call_u32(host, plain, "version", &[])?, 2);

    // Opt in: follow the manager's "token" (v1).
    as_contract(host, plain, || {
        host.update_current_contract_external_ref(fleet.manager, sym(host, "token")?)
    })?;
    assert_eq!(call_u32(host, plain, "version", &[])?, 1);
    fleet.set_ref("token", fleet.v2)?;
    assert_eq!(call_u32(host, plain, "version", &[])?, 2);

    // Opt out: pin a Wasm hash again; ref updates no longer reach it.
    as_contract(host, plain, || host.update_current_contract_wasm(fleet.v2))?;
    fleet.set_ref("token", fleet.v1)?;
    assert_eq!(call_u32(host, plain, "version", &[])?, 2);
    Ok(())
}

#[test]
fn switching_to_a_missing_ref_fails_and_changes_nothing() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let plain = host.create_contract(account(host, 2)?, fleet.v2, bytes32(host, [7; 32])?)?;
    let before = ledger_state(host)?;
    for (manager, key) in [(fleet.manager, "nope"), (fleet.factory, "token")] {
        let err = as_contract(host, plain, || {
            host.update_current_contract_external_ref(manager, sym(host, key)?)
        })
        .unwrap_err();
        assert_error(&err, ScErrorType::Storage, ScErrorCode::MissingValue);
    }
    let err = as_contract(host, plain, || {
        host.update_current_contract_external_ref(account(host, 4)?, sym(host, "token")?)
    })
    .unwrap_err();
    assert_error(&err, ScErrorType::Value, ScErrorCode::InvalidInput);
    assert_same_ledger(&before, &ledger_state(host)?);
    assert_eq!(call_u32(host, plain, "version", &[])?, 2);
    Ok(())
}

#[test]
fn create_with_constructor_follows_the_ref() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let deployer = account(host, 3)?;
    let token: Symbol = sym(host, "token")?;
    let empty = host.vec_new()?;
    let f = host.create_contract_with_external_ref_and_constructor(
        deployer,
        fleet.manager,
        token,
        bytes32(host, [1; 32])?,
        empty,
    )?;
    assert_eq!(call_u32(host, f, "version", &[])?, 1);

    // The follower's code has no constructor taking arguments: the
    // transaction is refused and rolled back, nothing written.
    let before = ledger_state(host)?;
    let tx = HostFunction::CreateContractV2(CreateContractArgsV2 {
        contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
            address: host.scaddress_from_address(deployer)?,
            salt: Uint256([2; 32]),
        }),
        executable: ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
            manager: host.scaddress_from_address(fleet.manager)?,
            key: ScSymbol("token".try_into().unwrap()),
        })),
        constructor_args: vec![ScVal::U32(1)].try_into().unwrap(),
    });
    let err = host.invoke_function(tx).unwrap_err();
    assert!(err.error.is_type(ScErrorType::Context), "{:?}", err.error);
    assert_same_ledger(&before, &ledger_state(host)?);
    Ok(())
}

#[test]
fn get_address_executable_reports_the_resolved_wasm() -> Result<(), HostError> {
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    fleet.deploy("token", 1)?;
    let host = &fleet.host;
    let exe = host.get_address_executable(fleet.followers[0])?;
    // AddressExecutable::Wasm(hash) is the vector [Symbol("Wasm"), Bytes(hash)].
    let expect = host.vec_new_from_slice(&[sym(host, "Wasm")?.into(), fleet.v1.into()])?;
    assert_eq!(host.obj_cmp(exe, expect.into())?, 0);
    Ok(())
}

/// The system events of the host so far that were not rolled back, as
/// (emitting contract, topics, data).
fn system_events(host: &Host) -> Vec<(Option<ContractId>, Vec<ScVal>, ScVal)> {
    host.get_events()
        .unwrap()
        .0
        .into_iter()
        .filter(|e| !e.failed_call && e.event.type_ == ContractEventType::System)
        .map(|e| {
            let ContractEventBody::V0(body) = e.event.body;
            (e.event.contract_id, body.topics.to_vec(), body.data)
        })
        .collect()
}

fn scsym(s: &str) -> ScVal {
    ScVal::Symbol(ScSymbol(s.try_into().unwrap()))
}

fn scbytes(h: &soroban_env_host::xdr::Hash) -> ScVal {
    ScVal::Bytes(h.0.to_vec().try_into().unwrap())
}

fn scvec(v: Vec<ScVal>) -> ScVal {
    ScVal::Vec(Some(v.try_into().unwrap()))
}

#[test]
fn set_emits_wasm_ref_updated_with_old_and_new_hash() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    fleet.set_ref("token", fleet.v2)?;
    let (v1, v2) = (hash_of(host, fleet.v1)?, hash_of(host, fleet.v2)?);
    let manager = Some(contract_id(host, fleet.manager));
    let topics = vec![scsym("wasm_ref_updated"), scsym("token")];
    let events = system_events(host);
    assert_eq!(
        events,
        vec![
            (
                manager.clone(),
                topics.clone(),
                scvec(vec![ScVal::Void, scbytes(&v1)])
            ),
            (manager, topics, scvec(vec![scbytes(&v1), scbytes(&v2)])),
        ]
    );
    Ok(())
}

#[test]
fn switching_to_a_ref_emits_executable_update() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let plain = host.create_contract(account(host, 2)?, fleet.v2, bytes32(host, [7; 32])?)?;
    as_contract(host, plain, || {
        host.update_current_contract_external_ref(fleet.manager, sym(host, "token")?)
    })?;
    let (_, topics, data) = system_events(host).pop().unwrap();
    // The contract types: Wasm(BytesN<32>) and ExternalRef(ContractExecutableExternalRef
    // { manager: Address, key: Symbol }) (a struct is a map of its fields).
    let old = scvec(vec![scsym("Wasm"), scbytes(&hash_of(host, fleet.v2)?)]);
    let new_ref = ScVal::Map(Some(
        vec![
            ScMapEntry {
                key: scsym("key"),
                val: scsym("token"),
            },
            ScMapEntry {
                key: scsym("manager"),
                val: ScVal::Address(host.scaddress_from_address(fleet.manager)?),
            },
        ]
        .try_into()
        .unwrap(),
    ));
    let new = scvec(vec![scsym("ExternalRef"), new_ref]);
    assert_eq!(topics, vec![scsym("executable_update"), old, new]);
    assert_eq!(data, scvec(vec![]));
    Ok(())
}

#[test]
fn an_update_reaches_frames_created_after_it_in_the_same_transaction() -> Result<(), HostError> {
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    fleet.deploy("token", 1)?;
    let host = &fleet.host;
    let follower = fleet.followers[0];
    let version = sym(host, "version")?;
    let (before, after_call, after_try_call) = as_contract(host, fleet.manager, || {
        let before = call_u32(host, follower, "version", &[])?;
        host.set_contract_wasm_ref(sym(host, "token")?, fleet.v2)?;
        let after_call = call_u32(host, follower, "version", &[])?;
        let after_try_call: u32 = host
            .try_call(follower, version, host.vec_new()?)?
            .try_into()?;
        Ok((before, after_call, after_try_call))
    })?;
    assert_eq!((before, after_call, after_try_call), (1, 2, 2));
    Ok(())
}

#[test]
fn ttl_v2_scopes_and_self_extension_cover_ref_and_code() -> Result<(), HostError> {
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    fleet.deploy("token", 1)?;
    let host = &fleet.host;
    let follower = fleet.followers[0];
    let rk = ref_key(host, fleet.manager, "token");
    let ck = Rc::new(LedgerKey::ContractCode(LedgerKeyContractCode {
        hash: hash_of(host, fleet.v1)?,
    }));
    let ik = Rc::new(LedgerKey::ContractData(LedgerKeyContractData {
        contract: host.scaddress_from_address(follower)?,
        key: ScVal::LedgerKeyContractInstance,
        durability: ContractDataDurability::Persistent,
    }));
    let instance_before = live_until(host, &ik);

    // v2, scope Code: ref and code move, the instance does not.
    host.extend_contract_instance_and_code_ttl_v2(
        follower,
        ContractTtlExtension::Code,
        8_000u32.into(),
        0u32.into(),
        u32::MAX.into(),
    )?;
    assert_eq!(live_until(host, &rk), 100 + 8_000);
    assert_eq!(live_until(host, &ck), 100 + 8_000);
    assert_eq!(live_until(host, &ik), instance_before);

    // v2, scope Instance: only the instance.
    host.extend_contract_instance_and_code_ttl_v2(
        follower,
        ContractTtlExtension::Instance,
        9_000u32.into(),
        0u32.into(),
        u32::MAX.into(),
    )?;
    assert_eq!(live_until(host, &ik), 100 + 9_000);
    assert_eq!(live_until(host, &rk), 100 + 8_000);

    // v2, InstanceAndCode: all three.
    host.extend_contract_instance_and_code_ttl_v2(
        follower,
        ContractTtlExtension::InstanceAndCode,
        10_000u32.into(),
        0u32.into(),
        u32::MAX.into(),
    )?;
    for k in [&rk, &ck, &ik] {
        assert_eq!(live_until(host, k), 100 + 10_000);
    }

    // The follower extending itself (from its own frame).
    as_contract(host, follower, || {
        host.extend_current_contract_instance_and_code_ttl(11_000u32.into(), 12_000u32.into())
    })?;
    for k in [&rk, &ck, &ik] {
        assert_eq!(live_until(host, k), 100 + 12_000);
    }
    Ok(())
}

fn external_ref_executable(host: &Host, manager: AddressObject, key: &str) -> ContractExecutable {
    ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
        manager: host.scaddress_from_address(manager).unwrap(),
        key: ScSymbol(key.try_into().unwrap()),
    }))
}

#[test]
fn a_create_contract_v1_transaction_accepts_an_external_ref() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let tx = HostFunction::CreateContract(CreateContractArgs {
        contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
            address: host.scaddress_from_address(account(host, 3)?)?,
            salt: Uint256([4; 32]),
        }),
        executable: external_ref_executable(host, fleet.manager, "token"),
    });
    let ScVal::Address(addr) = host.invoke_function(tx)? else {
        panic!("expected an address")
    };
    let follower: AddressObject = Val::try_from_val(host, &ScVal::Address(addr))?.try_into()?;
    assert_eq!(call_u32(host, follower, "version", &[])?, 1);
    Ok(())
}

#[test]
fn an_asset_preimage_with_an_external_ref_is_refused() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let host = &fleet.host;
    let before = ledger_state(host)?;
    let tx = HostFunction::CreateContract(CreateContractArgs {
        contract_id_preimage: ContractIdPreimage::Asset(Asset::Native),
        executable: external_ref_executable(host, fleet.manager, "token"),
    });
    let err = host.invoke_function(tx).unwrap_err();
    assert_error(&err, ScErrorType::Value, ScErrorCode::InvalidInput);
    assert_same_ledger(&before, &ledger_state(host)?);
    Ok(())
}
