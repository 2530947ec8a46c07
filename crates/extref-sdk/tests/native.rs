//! The bindings in soroban-sdk's native testutils mode, against the fork's
//! host: a manager contract written here uses the bindings; the followers
//! run the committed follower fixtures (real Wasm).

use extref_sdk::{
    deploy_follower, deploy_follower_with_constructor, extend_wasm_ref_ttl, has_wasm_ref,
    set_wasm_ref, testutils::use_fork_protocol, wasm_ref,
};
use soroban_sdk::{contract, contractimpl, symbol_short, Address, BytesN, Env, Symbol, Val, Vec};

const FOLLOWER_V1: &[u8] = include_bytes!("../../../tests/fixtures/follower_v1.wasm");
const FOLLOWER_V2: &[u8] = include_bytes!("../../../tests/fixtures/follower_v2.wasm");

#[contract]
struct Manager;

#[contractimpl]
impl Manager {
    pub fn set(env: Env, key: Symbol, hash: BytesN<32>) {
        set_wasm_ref(&env, &key, &hash);
    }
    pub fn get(env: Env, manager: Address, key: Symbol) -> Option<BytesN<32>> {
        wasm_ref(&env, &manager, &key)
    }
    pub fn has(env: Env, manager: Address, key: Symbol) -> bool {
        has_wasm_ref(&env, &manager, &key)
    }
    pub fn extend(env: Env, key: Symbol, threshold: u32, extend_to: u32) {
        extend_wasm_ref_ttl(&env, &key, threshold, extend_to);
    }
    pub fn deploy(env: Env, key: Symbol, salt: BytesN<32>) -> Address {
        let this = env.current_contract_address();
        deploy_follower(&env, &this, &this, &key, &salt)
    }
    pub fn deploy_ctor(env: Env, key: Symbol, salt: BytesN<32>, args: Vec<Val>) -> Address {
        let this = env.current_contract_address();
        deploy_follower_with_constructor(&env, &this, &this, &key, &salt, &args)
    }
}

fn version(env: &Env, follower: &Address) -> u32 {
    env.invoke_contract(follower, &symbol_short!("version"), Vec::new(env))
}

#[test]
fn bindings_drive_a_fleet_natively() {
    let env = Env::default();
    use_fork_protocol(&env);
    let v1 = env.deployer().upload_contract_wasm(FOLLOWER_V1);
    let v2 = env.deployer().upload_contract_wasm(FOLLOWER_V2);
    let manager_id = env.register(Manager, ());
    let manager = ManagerClient::new(&env, &manager_id);
    let token = symbol_short!("token");

    assert!(!manager.has(&manager_id, &token));
    assert_eq!(manager.get(&manager_id, &token), None);
    manager.set(&token, &v1);
    assert!(manager.has(&manager_id, &token));
    assert_eq!(manager.get(&manager_id, &token), Some(v1.clone()));

    let a = manager.deploy(&token, &BytesN::from_array(&env, &[1; 32]));
    let b = manager.deploy_ctor(&token, &BytesN::from_array(&env, &[2; 32]), &Vec::new(&env));
    assert_eq!((version(&env, &a), version(&env, &b)), (1, 1));

    manager.set(&token, &v2);
    assert_eq!((version(&env, &a), version(&env, &b)), (2, 2));
    assert_eq!(manager.get(&manager_id, &token), Some(v2));
}

#[test]
fn the_manager_extends_its_ref() {
    let env = Env::default();
    use_fork_protocol(&env);
    let v1 = env.deployer().upload_contract_wasm(FOLLOWER_V1);
    let manager_id = env.register(Manager, ());
    let manager = ManagerClient::new(&env, &manager_id);
    let token = symbol_short!("token");
    manager.set(&token, &v1);
    manager.extend(&token, &1_000_000, &1_000_000);
    // The follower resolves through the extended entry.
    let f = manager.deploy(&token, &BytesN::from_array(&env, &[3; 32]));
    assert_eq!(version(&env, &f), 1);
}

#[test]
fn a_missing_ref_is_the_hosts_error() {
    let env = Env::default();
    use_fork_protocol(&env);
    let manager_id = env.register(Manager, ());
    let manager = ManagerClient::new(&env, &manager_id);
    let res = manager.try_deploy(&symbol_short!("nope"), &BytesN::from_array(&env, &[4; 32]));
    assert!(res.is_err());
    let never_uploaded = BytesN::from_array(&env, &[0xab; 32]);
    assert!(manager
        .try_set(&symbol_short!("token"), &never_uploaded)
        .is_err());
    assert!(!manager.has(&manager_id, &symbol_short!("token")));
}

#[test]
fn below_protocol_28_the_functions_do_not_exist() {
    let env = Env::default(); // soroban-sdk 27.0.6's test ledger: protocol 27
    let v1 = env.deployer().upload_contract_wasm(FOLLOWER_V1);
    let manager_id = env.register(Manager, ());
    let manager = ManagerClient::new(&env, &manager_id);
    // The host refuses the call below the function's protocol (the SDK's
    // native mode reports it through its panic-catching frame).
    assert!(manager.try_set(&symbol_short!("token"), &v1).is_err());
    use_fork_protocol(&env);
    assert!(!manager.has(&manager_id, &symbol_short!("token")));
    manager.set(&symbol_short!("token"), &v1);
    assert!(manager.has(&manager_id, &symbol_short!("token")));
}
