//! Real signed governance: the manager's admin is a classic account that is not the
//! transaction's source; an upgrade is authorized by ed25519 signatures over the real
//! `HashIdPreimage::SorobanAuthorization` (network id, nonce, expiration, invocation),
//! checked by the host against the account's signers and medium threshold, end to end
//! (simulated, signed as a wallet does, applied with an enforcing footprint and auth).
//! Every misuse is refused with a precise error and changes nothing.

use extref_testkit::{
    e2e::{invoke_fn, sc_symbol, Ledger, Prepared},
    fixtures,
    sign::{sign_entry, Account, Key},
    FORK_PROTOCOL,
};
use soroban_env_host::{
    xdr::{
        ContractExecutable, Hash, HostFunction, ScAddress, ScErrorCode, ScErrorType, ScVal,
        SorobanAuthorizationEntry,
    },
    HostError,
};

const KEY: &str = "fleet";
/// Ledgers a signature stays valid for.
const VALID_FOR: u32 = 100;

struct Gov {
    ledger: Ledger,
    v1: Hash,
    v2: Hash,
    manager_code: Hash,
}

fn bytes(h: &Hash) -> ScVal {
    ScVal::Bytes(h.0.to_vec().try_into().unwrap())
}

fn set_ref(manager: &ScAddress, hash: &Hash) -> HostFunction {
    invoke_fn(
        manager,
        "set_ref",
        vec![ScVal::Symbol(sc_symbol(KEY)), bytes(hash)],
    )
}

impl Gov {
    fn new() -> Gov {
        let mut ledger = Ledger::at_protocol(FORK_PROTOCOL);
        let v1 = ledger.upload(fixtures::FOLLOWER_V1).unwrap();
        let v2 = ledger.upload(fixtures::FOLLOWER_V2).unwrap();
        let manager_code = ledger.upload(fixtures::MANAGER).unwrap();
        Gov {
            ledger,
            v1,
            v2,
            manager_code,
        }
    }

    /// A manager without timelock whose admin is `admin` (its account entry is put in
    /// the ledger), with its ref `KEY` set to v1 by `admin`'s signature with `keys`.
    fn manager(&mut self, salt: u8, admin: &Account, keys: &[&Key]) -> ScAddress {
        self.ledger.put(admin.entry(), None);
        let (manager, _) = self
            .ledger
            .create(
                ContractExecutable::Wasm(self.manager_code.clone()),
                [salt; 32],
                vec![ScVal::Address(admin.address()), ScVal::U32(0)],
            )
            .unwrap();
        let v1 = self.v1.clone();
        let tx = self.signed(set_ref(&manager, &v1), keys, VALID_FOR);
        self.ledger
            .submit_prepared(&tx)
            .expect("the admin's signed set_ref");
        manager
    }

    fn signed(&self, host_fn: HostFunction, keys: &[&Key], valid_for: u32) -> Prepared {
        let network_id = self.ledger.info.network_id;
        let expiration = self.ledger.info.sequence_number + valid_for;
        self.ledger
            .prepare_signed(host_fn, |e| sign_entry(e, network_id, expiration, keys))
            .expect("simulation")
    }

    fn current(&mut self, manager: &ScAddress) -> ScVal {
        self.ledger
            .invoke(manager, "current", vec![ScVal::Symbol(sc_symbol(KEY))])
            .unwrap()
            .result
    }

    /// Applies `tx`, which must fail with `(ty, code)` and leave the ledger as it was.
    fn refused(&mut self, tx: &Prepared, ty: ScErrorType, code: ScErrorCode) -> HostError {
        let before = self.ledger.state();
        let Err(err) = self.ledger.submit_prepared(tx) else {
            panic!("the transaction must be refused");
        };
        assert!(
            err.error.is_type(ty) && err.error.is_code(code),
            "expected ({ty:?}, {code:?}), got {err:?}"
        );
        assert!(
            self.ledger.state() == before,
            "a refused transaction changed the ledger"
        );
        err
    }
}

fn auth_of(tx: &Prepared) -> Vec<SorobanAuthorizationEntry> {
    tx.auth()
}

#[test]
fn a_signed_upgrade_by_an_admin_who_is_not_the_source_moves_the_fleet() {
    let mut g = Gov::new();
    let admin_key = Key::from_seed(0xa1);
    let admin = Account::single(&admin_key);
    assert_ne!(admin.address(), g.ledger.source_address());
    let manager = g.manager(1, &admin, &[&admin_key]);
    assert_eq!(g.current(&manager), bytes(&g.v1));

    let follower_code = g.v2.clone();
    let tx = g.signed(set_ref(&manager, &follower_code), &[&admin_key], VALID_FOR);
    // The signature's nonce is a ledger entry the transaction creates.
    let nonces_before = g.ledger.keys().count();
    g.ledger.submit_prepared(&tx).expect("signed upgrade");
    assert_eq!(g.current(&manager), bytes(&g.v2));
    assert!(
        g.ledger.keys().count() > nonces_before,
        "the nonce was consumed"
    );
}

#[test]
fn a_signature_by_a_key_that_is_not_the_admins_is_refused() {
    let mut g = Gov::new();
    let admin_key = Key::from_seed(0xa1);
    let manager = g.manager(1, &Account::single(&admin_key), &[&admin_key]);
    let intruder = Key::from_seed(0x66);
    let v2 = g.v2.clone();
    let tx = g.signed(set_ref(&manager, &v2), &[&intruder], VALID_FOR);
    g.refused(&tx, ScErrorType::Auth, ScErrorCode::InvalidAction);
    assert_eq!(g.current(&manager), bytes(&g.v1));
}

#[test]
fn a_replayed_signature_is_refused() {
    let mut g = Gov::new();
    let admin_key = Key::from_seed(0xa1);
    let manager = g.manager(1, &Account::single(&admin_key), &[&admin_key]);
    let v2 = g.v2.clone();
    let tx = g.signed(set_ref(&manager, &v2), &[&admin_key], VALID_FOR);
    g.ledger.submit_prepared(&tx).expect("first use");
    // Back to v1 by a fresh signature, then the old signed transaction replayed: its
    // nonce is spent.
    let v1 = g.v1.clone();
    let back = g.signed(set_ref(&manager, &v1), &[&admin_key], VALID_FOR);
    g.ledger.submit_prepared(&back).unwrap();
    let replay = g
        .ledger
        .prepare_with_auth(set_ref(&manager, &v2), auth_of(&tx))
        .unwrap();
    g.refused(&replay, ScErrorType::Auth, ScErrorCode::ExistingValue);
    assert_eq!(g.current(&manager), bytes(&g.v1));
}

#[test]
fn an_expired_signature_is_refused() {
    let mut g = Gov::new();
    let admin_key = Key::from_seed(0xa1);
    let manager = g.manager(1, &Account::single(&admin_key), &[&admin_key]);
    let v2 = g.v2.clone();
    let tx = g.signed(set_ref(&manager, &v2), &[&admin_key], 5);
    g.ledger.advance(6);
    let late = g
        .ledger
        .prepare_with_auth(set_ref(&manager, &v2), auth_of(&tx))
        .unwrap();
    g.refused(&late, ScErrorType::Auth, ScErrorCode::InvalidInput);
    assert_eq!(g.current(&manager), bytes(&g.v1));
}

#[test]
fn a_signature_for_v1_cannot_point_the_key_at_v2() {
    let mut g = Gov::new();
    let admin_key = Key::from_seed(0xa1);
    let manager = g.manager(1, &Account::single(&admin_key), &[&admin_key]);
    // The admin signs "point fleet at v1" (e.g. a rollback someone holds); it is used
    // on a transaction pointing it at v2.
    let v1 = g.v1.clone();
    let v2 = g.v2.clone();
    let for_v1 = g.signed(set_ref(&manager, &v1), &[&admin_key], VALID_FOR);
    let misused = g
        .ledger
        .prepare_with_auth(set_ref(&manager, &v2), auth_of(&for_v1))
        .unwrap();
    g.refused(&misused, ScErrorType::Auth, ScErrorCode::InvalidAction);
    assert_eq!(g.current(&manager), bytes(&g.v1));
}

#[test]
fn a_signature_for_one_manager_cannot_move_another() {
    let mut g = Gov::new();
    let admin_key = Key::from_seed(0xa1);
    let admin = Account::single(&admin_key);
    let first = g.manager(1, &admin, &[&admin_key]);
    let second = g.manager(2, &admin, &[&admin_key]);
    let v2 = g.v2.clone();
    let for_first = g.signed(set_ref(&first, &v2), &[&admin_key], VALID_FOR);
    let misused = g
        .ledger
        .prepare_with_auth(set_ref(&second, &v2), auth_of(&for_first))
        .unwrap();
    g.refused(&misused, ScErrorType::Auth, ScErrorCode::InvalidAction);
    assert_eq!(g.current(&second), bytes(&g.v1));
    // The signature was for the first manager, and still works there.
    g.ledger.submit_prepared(&for_first).unwrap();
    assert_eq!(g.current(&first), bytes(&g.v2));
}

#[test]
fn a_two_of_three_multisig_admin_upgrades_with_two_signatures_not_one() {
    let mut g = Gov::new();
    let id = Key::from_seed(0xb0);
    let keys = [
        Key::from_seed(0xb1),
        Key::from_seed(0xb2),
        Key::from_seed(0xb3),
    ];
    let admin = Account::multisig(&id, &keys, 2);
    let manager = g.manager(1, &admin, &[&keys[0], &keys[2]]);
    assert_eq!(g.current(&manager), bytes(&g.v1));
    let v2 = g.v2.clone();

    // One signature is below the medium threshold.
    let one = g.signed(set_ref(&manager, &v2), &[&keys[1]], VALID_FOR);
    g.refused(&one, ScErrorType::Auth, ScErrorCode::InvalidAction);
    // The master key has weight 0.
    let master = g.signed(set_ref(&manager, &v2), &[&id], VALID_FOR);
    g.refused(&master, ScErrorType::Auth, ScErrorCode::InvalidAction);
    // Two of the three signers.
    let two = g.signed(set_ref(&manager, &v2), &[&keys[1], &keys[2]], VALID_FOR);
    g.ledger.submit_prepared(&two).expect("2 of 3");
    assert_eq!(g.current(&manager), bytes(&g.v2));
}
