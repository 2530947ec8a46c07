//! Protocol gating: the fork's protocol is 28; at 27 nothing of ExternalRef
//! runs, and LedgerKeyWasmRef is never a contract-visible value.

use extref_testkit::{
    account, assert_error, assert_same_ledger, call_u32, hash_of, host_ledger_info, ledger_state,
    recording_host, Fleet, BASE_PROTOCOL, FORK_PROTOCOL,
};
use soroban_env_host::{
    xdr::{
        ContractExecutable, ContractExecutableExternalRef, ContractIdPreimage,
        ContractIdPreimageFromAddress, CreateContractArgsV2, HostFunction, ScAddress, ScErrorCode,
        ScErrorType, ScSymbol, ScVal, Uint256,
    },
    Env, HostError, TryFromVal, Val,
};

fn key(s: &str) -> ScSymbol {
    ScSymbol(s.try_into().unwrap())
}

fn manager_address(fleet: &Fleet) -> ScAddress {
    fleet.host.scaddress_from_address(fleet.manager).unwrap()
}

/// A `CreateContractV2` host function deploying a follower of `manager`'s `key`.
fn create_follower_fn(deployer: ScAddress, manager: ScAddress, k: &str) -> HostFunction {
    HostFunction::CreateContractV2(CreateContractArgsV2 {
        contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
            address: deployer,
            salt: Uint256([9; 32]),
        }),
        executable: ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
            manager,
            key: key(k),
        })),
        constructor_args: Default::default(),
    })
}

#[test]
fn the_fork_runs_ledgers_at_27_and_28_only() -> Result<(), HostError> {
    let host = recording_host(FORK_PROTOCOL)?;
    host.set_ledger_info(host_ledger_info(BASE_PROTOCOL))?;
    for unsupported in [BASE_PROTOCOL - 1, FORK_PROTOCOL + 1] {
        let err = host
            .set_ledger_info(host_ledger_info(unsupported))
            .unwrap_err();
        assert_error(&err, ScErrorType::Context, ScErrorCode::InternalError);
    }
    Ok(())
}

#[test]
fn create_contract_v2_tx_with_external_ref_works_at_28() -> Result<(), HostError> {
    let fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let deployer = fleet
        .host
        .scaddress_from_address(account(&fleet.host, 3)?)?;
    let res = fleet.host.invoke_function(create_follower_fn(
        deployer,
        manager_address(&fleet),
        "token",
    ))?;
    let ScVal::Address(follower) = res else {
        panic!("expected an address, got {res:?}")
    };
    let follower = Val::try_from_val(&fleet.host, &ScVal::Address(follower))?.try_into()?;
    assert_eq!(call_u32(&fleet.host, follower, "version", &[])?, 1);
    Ok(())
}

#[test]
fn external_ref_is_refused_below_protocol_28_and_changes_nothing() -> Result<(), HostError> {
    // Set up at 28 (the manager's Wasm declares protocol 28), then run at 27.
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    fleet.deploy("token", 1)?;
    let host = &fleet.host;
    let deployer = host.scaddress_from_address(account(host, 3)?)?;
    let manager = manager_address(&fleet);
    host.set_ledger_info(host_ledger_info(BASE_PROTOCOL))?;
    let before = ledger_state(host)?;

    // A transaction creating an ExternalRef contract.
    let err = host
        .invoke_function(create_follower_fn(deployer, manager, "token"))
        .unwrap_err();
    assert_error(&err, ScErrorType::Value, ScErrorCode::InvalidInput);

    // A call to an existing follower: its executable cannot be resolved.
    let err = call_u32(host, fleet.followers[0], "version", &[]).unwrap_err();
    assert_error(&err, ScErrorType::Value, ScErrorCode::InvalidInput);

    assert_same_ledger(&before, &ledger_state(host)?);

    // Back at 28 the same follower runs again.
    host.set_ledger_info(host_ledger_info(FORK_PROTOCOL))?;
    assert_eq!(call_u32(host, fleet.followers[0], "version", &[])?, 1);
    Ok(())
}

#[test]
fn plain_wasm_contracts_run_at_27() -> Result<(), HostError> {
    let host = recording_host(BASE_PROTOCOL)?;
    let deployer = account(&host, 2)?;
    let v1 = extref_testkit::upload(&host, extref_testkit::fixtures::FOLLOWER_V1)?;
    let c = host.create_contract(deployer, v1, extref_testkit::bytes32(&host, [5; 32])?)?;
    assert_eq!(call_u32(&host, c, "hello", &[1u32.into()])?, 2);
    assert_eq!(hash_of(&host, v1)?.0.len(), 32);
    Ok(())
}

#[test]
fn ledger_key_wasm_ref_is_not_a_val() -> Result<(), HostError> {
    let host = recording_host(FORK_PROTOCOL)?;
    let as_ref = ScVal::LedgerKeyWasmRef(key("token"));
    assert!(Val::try_from_val(&host, &as_ref).is_err());
    // The same name as a plain Symbol is an ordinary value: a contract can use
    // it as a data key, which never collides with the ref entry.
    let as_sym = ScVal::Symbol(key("token"));
    assert!(Val::try_from_val(&host, &as_sym).is_ok());
    // Nor can a ref key travel inside a container value.
    let vec = ScVal::Vec(Some(vec![as_ref].try_into().unwrap()));
    assert!(Val::try_from_val(&host, &vec).is_err());
    Ok(())
}
