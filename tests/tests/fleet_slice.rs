//! The first vertical slice: a manager's Wasm ref, a factory deploying
//! ExternalRef followers, and a fleet upgrade in one manager call, on real
//! Wasm built from soroban-sdk 27.0.6 sources.

use extref_testkit::{
    assert_error, assert_same_ledger, call, call_u32, ledger_state, recording_host, sym, upload,
    Fleet, FORK_PROTOCOL,
};
use soroban_env_host::{
    xdr::{LedgerKey, ScErrorCode, ScErrorType, ScVal},
    Env, HostError, Val,
};

#[test]
fn fleet_upgrade_in_one_manager_call() -> Result<(), HostError> {
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    fleet.deploy("token", 3)?;
    let host = &fleet.host;

    // Each follower runs v1 and has storage of its own.
    for (i, &f) in fleet.followers.iter().enumerate() {
        assert_eq!(call_u32(host, f, "version", &[])?, 1);
        assert_eq!(call_u32(host, f, "hello", &[41u32.into()])?, 42);
        let k = sym(host, "n")?;
        call(host, f, "put", &[k.into(), (10 * i as u32).into()])?;
    }
    // Followers are distinct contracts with their own addresses.
    let addrs: Vec<Val> = fleet
        .followers
        .iter()
        .map(|&f| call(host, f, "whoami", &[]))
        .collect::<Result<_, _>>()?;
    for (i, &f) in fleet.followers.iter().enumerate() {
        assert_eq!(host.obj_cmp(addrs[i], f.into())?, 0);
    }

    // One manager call upgrades the whole fleet.
    fleet.set_ref("token", fleet.v2)?;
    for (i, &f) in fleet.followers.iter().enumerate() {
        assert_eq!(call_u32(host, f, "version", &[])?, 2);
        // v2 runs on v1's storage: `bump` (new in v2) increments the value v1 stored.
        let k = sym(host, "n")?;
        assert_eq!(call_u32(host, f, "bump", &[k.into()])?, 10 * i as u32 + 1);
    }

    // And back: the ref is the single switch.
    fleet.set_ref("token", fleet.v1)?;
    for &f in &fleet.followers {
        assert_eq!(call_u32(host, f, "version", &[])?, 1);
    }
    Ok(())
}

#[test]
fn setting_a_ref_to_code_never_uploaded_fails_and_changes_nothing() -> Result<(), HostError> {
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    fleet.deploy("token", 1)?;
    let host = &fleet.host;
    let before = ledger_state(host)?;

    let never_uploaded = extref_testkit::bytes32(host, [0xab; 32])?;
    let err = fleet.set_ref("token", never_uploaded).unwrap_err();
    assert_error(&err, ScErrorType::Storage, ScErrorCode::MissingValue);

    assert_same_ledger(&before, &ledger_state(host)?);
    assert_eq!(call_u32(host, fleet.followers[0], "version", &[])?, 1);
    Ok(())
}

#[test]
fn deploying_a_follower_of_a_missing_ref_fails_and_changes_nothing() -> Result<(), HostError> {
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    let before = ledger_state(&fleet.host)?;

    let err = fleet.deploy("nosuchkey", 1).unwrap_err();
    assert_error(&err, ScErrorType::Storage, ScErrorCode::MissingValue);
    assert_same_ledger(&before, &ledger_state(&fleet.host)?);
    assert!(fleet.followers.is_empty());
    Ok(())
}

#[test]
fn refs_are_per_manager_and_per_key() -> Result<(), HostError> {
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    fleet.set_ref("other", fleet.v2)?;
    fleet.deploy("token", 1)?;
    fleet.deploy("other", 1)?;
    let host = &fleet.host;
    assert_eq!(call_u32(host, fleet.followers[0], "version", &[])?, 1);
    assert_eq!(call_u32(host, fleet.followers[1], "version", &[])?, 2);

    // Re-uploading existing code is a no-op that returns the same hash.
    let again = upload(host, extref_testkit::fixtures::FOLLOWER_V2)?;
    assert_eq!(host.obj_cmp(again.into(), fleet.v2.into())?, 0);
    Ok(())
}

#[test]
fn a_hundred_followers_upgraded_by_one_call() -> Result<(), HostError> {
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    fleet.deploy("token", 100)?;
    let host = &fleet.host;
    for &f in &fleet.followers {
        assert_eq!(call_u32(host, f, "version", &[])?, 1);
    }
    // The upgrade writes one ledger entry, whatever the fleet's size (plus
    // the admin's auth nonce, which recording auth stores for the account).
    let before = ledger_state(host)?;
    fleet.set_ref("token", fleet.v2)?;
    let after = ledger_state(host)?;
    let written: Vec<&LedgerKey> = after
        .iter()
        .filter(|e| !before.contains(e))
        .map(|e| &e.0)
        .filter(|k| !matches!(k, LedgerKey::ContractData(d) if matches!(d.key, ScVal::LedgerKeyNonce(_))))
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(
        matches!(written[0], LedgerKey::ContractData(d) if matches!(d.key, ScVal::LedgerKeyWasmRef(_)))
    );
    for &f in &fleet.followers {
        assert_eq!(call_u32(host, f, "version", &[])?, 2);
    }
    Ok(())
}
