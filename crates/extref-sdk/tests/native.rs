//! The bindings in soroban-sdk's native testutils mode, against the fork's
//! host: a manager contract written here uses the bindings; the followers
//! run the committed follower fixtures (real Wasm).

use extref_sdk::{
    create_contract_with_external_ref, create_contract_with_external_ref_and_constructor,
    extend_contract_wasm_ref_ttl, get_contract_wasm_ref, has_contract_wasm_ref,
    set_contract_wasm_ref, testutils::use_fork_protocol,
};
use soroban_sdk::{
    contract, contractimpl, symbol_short,
    testutils::Ledger as _,
    xdr::{ContractDataDurability, LedgerKey, LedgerKeyContractData, ScAddress, ScSymbol, ScVal},
    Address, BytesN, Env, Symbol, Val, Vec,
};

const FOLLOWER_V1: &[u8] = include_bytes!("../../../tests/fixtures/follower_v1.wasm");
const FOLLOWER_V2: &[u8] = include_bytes!("../../../tests/fixtures/follower_v2.wasm");

#[contract]
struct Manager;

#[contractimpl]
impl Manager {
    pub fn set(env: Env, key: Symbol, hash: BytesN<32>) {
        set_contract_wasm_ref(&env, &key, &hash);
    }
    pub fn get(env: Env, manager: Address, key: Symbol) -> Option<BytesN<32>> {
        get_contract_wasm_ref(&env, &manager, &key)
    }
    pub fn has(env: Env, manager: Address, key: Symbol) -> bool {
        has_contract_wasm_ref(&env, &manager, &key)
    }
    pub fn extend(env: Env, key: Symbol, threshold: u32, extend_to: u32) {
        extend_contract_wasm_ref_ttl(&env, &key, threshold, extend_to);
    }
    pub fn deploy(env: Env, key: Symbol, salt: BytesN<32>) -> Address {
        let this = env.current_contract_address();
        create_contract_with_external_ref(&env, &this, &this, &key, &salt)
    }
    pub fn deploy_ctor(env: Env, key: Symbol, salt: BytesN<32>, args: Vec<Val>) -> Address {
        let this = env.current_contract_address();
        create_contract_with_external_ref_and_constructor(&env, &this, &this, &key, &salt, &args)
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

/// The live-until ledger of `manager`'s ref `key`, read from the ledger itself
/// (no host function reads a ref's TTL).
fn ref_live_until(env: &Env, manager: &Address, key: &str) -> u32 {
    let key = LedgerKey::ContractData(LedgerKeyContractData {
        contract: ScAddress::from(manager),
        key: ScVal::LedgerKeyWasmRef(ScSymbol(key.try_into().unwrap())),
        durability: ContractDataDurability::Persistent,
    });
    let snapshot = env.to_ledger_snapshot();
    let (_, (_, live_until)) = snapshot
        .ledger_entries
        .iter()
        .find(|(k, _)| **k == key)
        .expect("the ref entry");
    live_until.expect("a TTL")
}

/// A manager at ledger 100 whose ref "token" points at follower v1.
fn manager_with_a_ref(env: &Env) -> (Address, ManagerClient<'_>) {
    use_fork_protocol(env);
    env.ledger().set_sequence_number(100);
    let v1 = env.deployer().upload_contract_wasm(FOLLOWER_V1);
    let manager_id = env.register(Manager, ());
    let manager = ManagerClient::new(env, &manager_id);
    manager.set(&symbol_short!("token"), &v1);
    (manager_id, manager)
}

#[test]
fn the_manager_extends_its_ref() {
    let env = Env::default();
    let (manager_id, manager) = manager_with_a_ref(&env);
    let token = symbol_short!("token");
    let info = env.ledger().get();
    // A new ref lives the minimum persistent TTL.
    let created = 100 + info.min_persistent_entry_ttl - 1;
    assert_eq!(ref_live_until(&env, &manager_id, "token"), created);

    // TTL 4,095 <= threshold 5,000: the ref lives until ledger + extend_to.
    manager.extend(&token, &5_000, &10_000);
    assert_eq!(ref_live_until(&env, &manager_id, "token"), 100 + 10_000);

    // 6,000 ledgers later the TTL (4,100) is below the threshold again.
    env.ledger().set_sequence_number(6_000);
    manager.extend(&token, &5_000, &20_000);
    assert_eq!(ref_live_until(&env, &manager_id, "token"), 6_000 + 20_000);

    // extend_to past the maximum TTL is clamped to it.
    manager.extend(&token, &7_000_000, &7_000_000);
    assert_eq!(
        ref_live_until(&env, &manager_id, "token"),
        6_000 + info.max_entry_ttl - 1
    );

    // The follower resolves through the extended entry.
    let f = manager.deploy(&token, &BytesN::from_array(&env, &[3; 32]));
    assert_eq!(version(&env, &f), 1);
}

#[test]
fn a_ref_above_the_threshold_is_not_extended() {
    let env = Env::default();
    let (manager_id, manager) = manager_with_a_ref(&env);
    let token = symbol_short!("token");
    let created = ref_live_until(&env, &manager_id, "token");
    assert_eq!(
        created,
        100 + env.ledger().get().min_persistent_entry_ttl - 1
    );

    // TTL 4,095 > threshold 4,094: nothing moves, however far extend_to is.
    manager.extend(&token, &4_094, &50_000);
    assert_eq!(ref_live_until(&env, &manager_id, "token"), created);

    // Exactly at the threshold it does.
    manager.extend(&token, &4_095, &50_000);
    assert_eq!(ref_live_until(&env, &manager_id, "token"), 100 + 50_000);

    // Now TTL 50,000: a second extension with the first threshold moves nothing.
    manager.extend(&token, &4_095, &80_000);
    assert_eq!(ref_live_until(&env, &manager_id, "token"), 100 + 50_000);
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
