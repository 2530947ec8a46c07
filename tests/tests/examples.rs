//! The example contracts on the fork's host, as real Wasm (the committed
//! fixtures built from `contracts/`): a governed manager (timelock, rollback,
//! canary), the factory's `deploy_with`, a token fleet upgraded from v1 to v2
//! on its own data, and a follower that opts out of its fleet and back in.

use extref_testkit::{
    account, args, assert_same_ledger, bytes32, call, call_u32, fixtures, hash_of, ledger_state,
    recording_host, sym, upload, ManagerAndFactory, FORK_PROTOCOL,
};
use soroban_env_host::{
    xdr::{ContractEventBody, ContractEventType, ScSymbol, ScVal},
    AddressObject, BytesObject, Env, Error, Host, HostError, TryFromVal, TryIntoVal, Val,
};

const KEY: &str = "token";
/// The governed manager's timelock, in ledgers.
const DELAY: u32 = 10;

/// The manager's error codes (`contracts/extref/manager`).
const TOO_EARLY: u32 = 3;
const CANARY_NOT_LIVE: u32 = 4;
const NO_PREVIOUS: u32 = 5;
/// token v2's `ZeroAmount`.
const ZERO_AMOUNT: u32 = 4;

struct Governed {
    host: Host,
    admin: AddressObject,
    manager: AddressObject,
    factory: AddressObject,
}

impl Governed {
    /// A manager with timelock `delay` (admin: account 1) and a factory.
    fn new(delay: u32) -> Result<Self, HostError> {
        let host = recording_host(FORK_PROTOCOL)?;
        let ManagerAndFactory {
            admin,
            manager,
            factory,
        } = ManagerAndFactory::deploy(&host, delay)?;
        Ok(Governed {
            host,
            admin,
            manager,
            factory,
        })
    }

    fn manager_call(&self, func: &str, key: &str, more: &[Val]) -> Result<Val, HostError> {
        let mut a = vec![sym(&self.host, key)?.into()];
        a.extend_from_slice(more);
        call(&self.host, self.manager, func, &a)
    }

    fn propose(&self, key: &str, hash: BytesObject) -> Result<(), HostError> {
        self.manager_call("propose", key, &[hash.into()])?;
        Ok(())
    }

    fn apply(&self, key: &str) -> Result<(), HostError> {
        self.manager_call("apply", key, &[])?;
        Ok(())
    }

    fn advance(&self, ledgers: u32) -> Result<(), HostError> {
        self.host
            .with_mut_ledger_info(|li| li.sequence_number += ledgers)
    }

    /// The timelocked way to point `key` at `hash`: propose, wait, apply.
    fn propose_wait_apply(&self, key: &str, hash: BytesObject) -> Result<(), HostError> {
        self.propose(key, hash)?;
        self.advance(DELAY)?;
        self.apply(key)
    }

    /// The factory deploys a follower of `key` with `__constructor(admin)`.
    fn deploy_with_admin(&self, key: &str, salt: u8) -> Result<AddressObject, HostError> {
        let ctor_args = args(&self.host, &[self.admin.into()])?;
        Ok(call(
            &self.host,
            self.factory,
            "deploy_with",
            &[
                self.manager.into(),
                sym(&self.host, key)?.into(),
                bytes32(&self.host, [salt; 32])?.into(),
                ctor_args.into(),
            ],
        )?
        .try_into()?)
    }

    fn current(&self, key: &str) -> Result<Val, HostError> {
        self.manager_call("current", key, &[])
    }
}

fn i128_val(host: &Host, x: i128) -> Result<Val, HostError> {
    Ok(Val::try_from_val(host, &x)?)
}

fn balance(host: &Host, token: AddressObject, id: AddressObject) -> Result<i128, HostError> {
    Ok(call(host, token, "balance", &[id.into()])?.try_into_val(host)?)
}

fn transfer(
    host: &Host,
    token: AddressObject,
    from: AddressObject,
    to: AddressObject,
    amount: i128,
) -> Result<(), HostError> {
    call(
        host,
        token,
        "transfer",
        &[from.into(), to.into(), i128_val(host, amount)?],
    )?;
    Ok(())
}

/// Asserts `err` is contract error `code` (a `#[contracterror]` the contract returned).
fn assert_contract_error(err: &HostError, code: u32) {
    assert_eq!(err.error, Error::from_contract_error(code), "{err:?}");
}

/// `Some(hash)` / `None` as the manager's `current` returns them.
fn same_hash(host: &Host, got: Val, want: BytesObject) -> Result<bool, HostError> {
    Ok(host.obj_cmp(got, want.into())? == 0)
}

fn scsym(s: &str) -> ScVal {
    ScVal::Symbol(ScSymbol(s.try_into().unwrap()))
}

/// The contract (not system) events emitted by `contract` so far, as (topics, data).
fn contract_events(
    host: &Host,
    contract: AddressObject,
) -> Result<Vec<(Vec<ScVal>, ScVal)>, HostError> {
    let addr = host.scaddress_from_address(contract)?;
    let soroban_env_host::xdr::ScAddress::Contract(id) = addr else {
        panic!("not a contract")
    };
    Ok(host
        .get_events()?
        .0
        .into_iter()
        .filter(|e| {
            !e.failed_call
                && e.event.type_ == ContractEventType::Contract
                && e.event.contract_id.as_ref() == Some(&id)
        })
        .map(|e| {
            let ContractEventBody::V0(body) = e.event.body;
            (body.topics.to_vec(), body.data)
        })
        .collect())
}

fn scbytes(host: &Host, h: BytesObject) -> Result<ScVal, HostError> {
    Ok(ScVal::Bytes(
        hash_of(host, h)?.0.to_vec().try_into().unwrap(),
    ))
}

#[test]
fn a_token_fleet_upgrades_through_the_timelock_and_rolls_back() -> Result<(), HostError> {
    let g = Governed::new(DELAY)?;
    let host = &g.host;
    let v1 = upload(host, fixtures::TOKEN_V1)?;
    let v2 = upload(host, fixtures::TOKEN_V2)?;
    g.propose_wait_apply(KEY, v1)?;

    // Three tokens, each its own contract with its own balances, all running
    // the manager's "token" code.
    let tokens: Vec<AddressObject> = (0..3)
        .map(|i| g.deploy_with_admin(KEY, i))
        .collect::<Result<_, _>>()?;
    let (alice, bob) = (account(host, 3)?, account(host, 4)?);
    for (i, &t) in tokens.iter().enumerate() {
        assert_eq!(call_u32(host, t, "version", &[])?, 1);
        let minted = 100 * (i as i128 + 1);
        call(host, t, "mint", &[alice.into(), i128_val(host, minted)?])?;
        transfer(host, t, alice, bob, 10)?;
        transfer(host, t, alice, bob, 0)?; // v1 allows zero
        assert_eq!(balance(host, t, alice)?, minted - 10);
        assert_eq!(balance(host, t, bob)?, 10);
    }

    // Proposed: nothing happens before the timelock has passed.
    g.propose(KEY, v2)?;
    let before = ledger_state(host)?;
    let err = g.apply(KEY).unwrap_err();
    assert_contract_error(&err, TOO_EARLY);
    g.advance(DELAY - 1)?;
    let err = g.apply(KEY).unwrap_err();
    assert_contract_error(&err, TOO_EARLY);
    assert_same_ledger(&before, &ledger_state(host)?);
    for &t in &tokens {
        assert_eq!(call_u32(host, t, "version", &[])?, 1);
    }

    // One ledger later anyone's `apply` upgrades the whole fleet at once.
    g.advance(1)?;
    g.apply(KEY)?;
    let applied = contract_events(host, g.manager)?;
    assert_eq!(
        applied.last().unwrap(),
        &(
            vec![scsym("applied"), scsym(KEY)],
            ScVal::Vec(Some(
                vec![scbytes(host, v1)?, scbytes(host, v2)?]
                    .try_into()
                    .unwrap()
            ))
        )
    );
    for (i, &t) in tokens.iter().enumerate() {
        assert_eq!(call_u32(host, t, "version", &[])?, 2);
        // v1's balances, read by v2.
        let left = 100 * (i as i128 + 1) - 10;
        assert_eq!(balance(host, t, alice)?, left);
        assert_eq!(balance(host, t, bob)?, 10);
        // v2's behaviour: `sent` counts, zero is refused.
        assert_eq!(call_u32(host, t, "sent", &[alice.into()])?, 0);
        transfer(host, t, alice, bob, 5)?;
        transfer(host, t, alice, bob, 5)?;
        assert_eq!(call_u32(host, t, "sent", &[alice.into()])?, 2);
        assert_eq!(call_u32(host, t, "sent", &[bob.into()])?, 0);
        let err = transfer(host, t, alice, bob, 0).unwrap_err();
        assert_contract_error(&err, ZERO_AMOUNT);
        assert_eq!(balance(host, t, alice)?, left - 10);
    }

    // Emergency rollback: immediate, the whole fleet is on v1 again, with the
    // balances v2 moved; v2's `sent` is no longer there.
    g.manager_call("rollback", KEY, &[])?;
    assert!(same_hash(host, g.current(KEY)?, v1)?);
    for (i, &t) in tokens.iter().enumerate() {
        assert_eq!(call_u32(host, t, "version", &[])?, 1);
        assert_eq!(balance(host, t, alice)?, 100 * (i as i128 + 1) - 20);
        assert_eq!(balance(host, t, bob)?, 20);
        assert!(call(host, t, "sent", &[alice.into()]).is_err());
        transfer(host, t, alice, bob, 0)?;
    }
    // Only one step back.
    let err = g.manager_call("rollback", KEY, &[]).unwrap_err();
    assert_contract_error(&err, NO_PREVIOUS);
    Ok(())
}

#[test]
fn a_canary_fleet_goes_first() -> Result<(), HostError> {
    let g = Governed::new(DELAY)?;
    let host = &g.host;
    let v1 = upload(host, fixtures::TOKEN_V1)?;
    let v2 = upload(host, fixtures::TOKEN_V2)?;
    g.propose_wait_apply("canary", v1)?;
    g.propose_wait_apply(KEY, v1)?;
    g.manager_call("set_canary", KEY, &[sym(host, "canary")?.into()])?;
    let canary = g.deploy_with_admin("canary", 1)?;
    let prod = g.deploy_with_admin(KEY, 2)?;

    g.propose(KEY, v2)?;
    g.advance(DELAY)?;
    let before = ledger_state(host)?;
    let err = g.apply(KEY).unwrap_err();
    assert_contract_error(&err, CANARY_NOT_LIVE);
    assert_same_ledger(&before, &ledger_state(host)?);
    assert_eq!(call_u32(host, prod, "version", &[])?, 1);

    g.propose_wait_apply("canary", v2)?;
    assert_eq!(call_u32(host, canary, "version", &[])?, 2);
    assert_eq!(call_u32(host, prod, "version", &[])?, 1);
    // The prod proposal waited; now it goes through.
    g.apply(KEY)?;
    assert_eq!(call_u32(host, prod, "version", &[])?, 2);
    Ok(())
}

#[test]
fn set_ref_is_refused_by_a_timelocked_manager() -> Result<(), HostError> {
    let g = Governed::new(DELAY)?;
    let host = &g.host;
    let v1 = upload(host, fixtures::TOKEN_V1)?;
    let before = ledger_state(host)?;
    let err = g.manager_call("set_ref", KEY, &[v1.into()]).unwrap_err();
    assert_contract_error(&err, 1);
    assert_same_ledger(&before, &ledger_state(host)?);
    Ok(())
}

#[test]
fn a_pinnable_follower_opts_out_and_back_in() -> Result<(), HostError> {
    let g = Governed::new(0)?;
    let host = &g.host;
    let p1 = upload(host, fixtures::PINNABLE_V1)?;
    let p2 = upload(host, fixtures::PINNABLE_V2)?;
    let set_ref = |hash: BytesObject| g.manager_call("set_ref", "pin", &[hash.into()]);
    set_ref(p1)?;
    let stays = g.deploy_with_admin("pin", 1)?;
    let leaves = g.deploy_with_admin("pin", 2)?;
    for f in [stays, leaves] {
        assert_eq!(call_u32(host, f, "version", &[])?, 1);
    }

    // Opt out: pinned to v1, the fleet's upgrade to v2 does not reach it.
    call(host, leaves, "pin", &[p1.into()])?;
    set_ref(p2)?;
    assert_eq!(call_u32(host, stays, "version", &[])?, 2);
    assert_eq!(call_u32(host, leaves, "version", &[])?, 1);

    // Back in: it runs the reference's code again, and follows later updates.
    call(
        host,
        leaves,
        "follow",
        &[g.manager.into(), sym(host, "pin")?.into()],
    )?;
    assert_eq!(call_u32(host, leaves, "version", &[])?, 2);
    set_ref(p1)?;
    for f in [stays, leaves] {
        assert_eq!(call_u32(host, f, "version", &[])?, 1);
    }
    // Its constructor's storage survived both switches.
    let admin = call(host, leaves, "admin", &[])?;
    assert_eq!(host.obj_cmp(admin, g.admin.into())?, 0);
    Ok(())
}
