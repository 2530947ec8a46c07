//! Native tests of opting out and back in. Switching executables needs real
//! Wasm (a natively registered contract always runs its Rust code), so the
//! contract under test is the committed `pinnable_v1.wasm`, run by the fork's
//! host, next to a native manager; `pinnable_v2.wasm` tells the versions apart.
extern crate std;

use super::*;
use extref_sdk::testutils::use_fork_protocol;
use manager::{Manager, ManagerClient};
use soroban_sdk::{symbol_short, testutils::Address as _};

const PINNABLE_V1: &[u8] = include_bytes!("../../../../tests/fixtures/pinnable_v1.wasm");
const PINNABLE_V2: &[u8] = include_bytes!("../../../../tests/fixtures/pinnable_v2.wasm");

#[test]
fn version_natively() {
    let env = Env::default();
    let admin = Address::generate(&env);
    let id = env.register(Pinnable, (admin.clone(),));
    let c = PinnableClient::new(&env, &id);
    assert_eq!(c.version(), if cfg!(feature = "v2") { 2 } else { 1 });
    assert_eq!(c.admin(), admin);
}

struct Setup {
    env: Env,
    manager: ManagerClient<'static>,
    pinnable: PinnableClient<'static>,
    v1: BytesN<32>,
    v2: BytesN<32>,
}

/// A pinnable contract deployed as plain `Wasm(v1)`, and a manager whose
/// `pin` ref points at v2.
fn setup() -> Setup {
    let env = Env::default();
    use_fork_protocol(&env);
    env.mock_all_auths();
    let admin = Address::generate(&env);
    let manager = env.register(Manager, (admin.clone(), 0u32));
    let manager = ManagerClient::new(&env, &manager);
    let v1 = env.deployer().upload_contract_wasm(PINNABLE_V1);
    let v2 = env.deployer().upload_contract_wasm(PINNABLE_V2);
    manager.set_ref(&symbol_short!("pin"), &v2);
    let id = env.register(PINNABLE_V1, (admin,));
    Setup {
        pinnable: PinnableClient::new(&env, &id),
        env,
        manager,
        v1,
        v2,
    }
}

#[test]
fn follow_then_pin_then_follow_again() {
    let s = setup();
    let key = symbol_short!("pin");
    assert_eq!(s.pinnable.version(), 1);

    // Opt in: the ref's code runs from the next call on, and ref updates reach it.
    s.pinnable.follow(&s.manager.address, &key);
    assert_eq!(s.pinnable.version(), 2);
    s.manager.set_ref(&key, &s.v1);
    assert_eq!(s.pinnable.version(), 1);

    // Opt out: pinned to v2, the next ref update no longer reaches it.
    s.pinnable.pin(&s.v2);
    assert_eq!(s.pinnable.version(), 2);
    s.manager.set_ref(&key, &s.v1);
    assert_eq!(s.pinnable.version(), 2);

    // And back in.
    s.pinnable.follow(&s.manager.address, &key);
    assert_eq!(s.pinnable.version(), 1);
    // Storage survived every switch.
    assert_eq!(s.pinnable.admin(), s.manager.admin());
}

#[test]
fn switching_requires_the_admin() {
    let s = setup();
    s.env.set_auths(&[]);
    assert!(s
        .pinnable
        .try_follow(&s.manager.address, &symbol_short!("pin"))
        .is_err());
    assert!(s.pinnable.try_pin(&s.v2).is_err());
    assert_eq!(s.pinnable.version(), 1);
}

#[test]
fn following_a_missing_ref_or_pinning_unknown_code_fails() {
    let s = setup();
    assert!(s
        .pinnable
        .try_follow(&s.manager.address, &symbol_short!("nope"))
        .is_err());
    assert!(s
        .pinnable
        .try_pin(&BytesN::from_array(&s.env, &[0xab; 32]))
        .is_err());
    assert_eq!(s.pinnable.version(), 1);
}
