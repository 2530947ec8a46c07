//! What a custom account's `__check_auth` sees when it authorizes the creation
//! of an ExternalRef follower, through `soroban_env_host::e2e_invoke` (enforcing
//! footprint and auth, as stellar-core applies a transaction).
//!
//! The account (`contracts/plain/account`, stock soroban-sdk 27.0.6) accepts
//! any signature and stores the raw `auth_contexts` it was passed in its
//! instance storage under `last_ctx`, so the context the host built is read
//! back from the ledger change of the account's instance, as an `ScVal`.

use std::collections::BTreeSet;

use extref_testkit::{
    assert_error,
    e2e::{
        code_entry, code_key, contract_address, create_follower_args, created_address,
        external_ref, footprint, instance_entry, instance_key, sc_symbol, wasm_hash,
        wasm_ref_entry, wasm_ref_key, RefLedger, Tx, LEDGER_SEQ, LIVE_UNTIL,
    },
    fixtures::{ACCOUNT, FOLLOWER_V1},
};
use soroban_env_host::{
    xdr::{
        ContractDataDurability, ContractExecutable, CreateContractArgsV2, HostFunction,
        LedgerEntryData, LedgerKey, LedgerKeyContractData, ScAddress, ScBytes, ScErrorCode,
        ScErrorType, ScMap, ScMapEntry, ScNonceKey, ScVal, ScVec, SorobanAddressCredentials,
        SorobanAuthorizationEntry, SorobanAuthorizedFunction, SorobanAuthorizedInvocation,
        SorobanCredentials,
    },
    HostError,
};

const SALT: [u8; 32] = [9; 32];
const NONCE: i64 = 1234;

fn keys(keys: &[LedgerKey]) -> BTreeSet<LedgerKey> {
    keys.iter().cloned().collect()
}

fn sym(s: &str) -> ScVal {
    ScVal::Symbol(sc_symbol(s))
}

fn vec(items: Vec<ScVal>) -> ScVal {
    ScVal::Vec(Some(ScVec(items.try_into().unwrap())))
}

/// A contracttype struct: a map of its fields, sorted by name.
fn fields(mut fields: Vec<(&str, ScVal)>) -> ScVal {
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let entries: Vec<ScMapEntry> = fields
        .into_iter()
        .map(|(k, val)| ScMapEntry { key: sym(k), val })
        .collect();
    ScVal::Map(Some(ScMap(entries.try_into().unwrap())))
}

fn nonce_key(address: &ScAddress, nonce: i64) -> LedgerKey {
    LedgerKey::ContractData(LedgerKeyContractData {
        contract: address.clone(),
        key: ScVal::LedgerKeyNonce(ScNonceKey { nonce }),
        durability: ContractDataDurability::Temporary,
    })
}

/// The RefLedger (manager, `token -> v1`) plus the custom account, which
/// deploys a follower of `token` with [`SALT`], authorizing it with
/// `SorobanCredentials::Address` (so the host calls its `__check_auth`).
struct AccountDeployment {
    s: RefLedger,
    account: ScAddress,
    args: CreateContractArgsV2,
    created: ScAddress,
    host_fn: HostFunction,
}

impl AccountDeployment {
    fn new() -> Self {
        Self::with_account_executable(|_| ContractExecutable::Wasm(wasm_hash(ACCOUNT)))
    }

    /// The custom account is itself a follower: its executable is the
    /// manager's ref `acct`, which points at the account's code.
    fn with_follower_account() -> Self {
        Self::with_account_executable(|s| {
            s.ledger.put(
                wasm_ref_entry(&s.manager, "acct", &wasm_hash(ACCOUNT)),
                Some(LIVE_UNTIL),
            );
            external_ref(&s.manager, "acct")
        })
    }

    fn with_account_executable(
        executable: impl FnOnce(&mut RefLedger) -> ContractExecutable,
    ) -> Self {
        let mut s = RefLedger::new("token");
        let account = contract_address(0xac);
        s.ledger.put(code_entry(ACCOUNT), Some(LIVE_UNTIL));
        let executable = executable(&mut s);
        s.ledger
            .put(instance_entry(&account, executable), Some(LIVE_UNTIL));
        let args = create_follower_args(&account, SALT, &s.manager, "token");
        AccountDeployment {
            created: created_address(&args.contract_id_preimage),
            host_fn: HostFunction::CreateContractV2(args.clone()),
            account,
            args,
            s,
        }
    }

    /// The account's auth entry for exactly this creation: nonce [`NONCE`],
    /// a future expiration, no signature (the account accepts any).
    fn auth(&self) -> SorobanAuthorizationEntry {
        SorobanAuthorizationEntry {
            credentials: SorobanCredentials::Address(SorobanAddressCredentials {
                address: self.account.clone(),
                nonce: NONCE,
                signature_expiration_ledger: LEDGER_SEQ + 100,
                signature: ScVal::Void,
            }),
            root_invocation: SorobanAuthorizedInvocation {
                function: SorobanAuthorizedFunction::CreateContractV2HostFn(self.args.clone()),
                sub_invocations: Default::default(),
            },
        }
    }

    fn account_instance_key(&self) -> LedgerKey {
        instance_key(&self.account)
    }

    /// What the creation reads: the account's code (`__check_auth` runs on it),
    /// the ref entry and the code it resolves to.
    fn read_only(&self) -> Vec<LedgerKey> {
        vec![code_key(ACCOUNT), self.s.ref_key(), code_key(FOLLOWER_V1)]
    }

    /// The enforcing transaction: `read_only` plus, read-write, the account's
    /// instance (`__check_auth` writes its instance storage), the new
    /// follower's instance and the account's nonce entry.
    fn tx(&self) -> Tx {
        Tx::new(
            self.host_fn.clone(),
            footprint(
                self.read_only(),
                vec![
                    self.account_instance_key(),
                    instance_key(&self.created),
                    nonce_key(&self.account, NONCE),
                ],
            ),
        )
        .with_auth(vec![self.auth()])
    }

    /// The create-contract context the account is expected to see:
    /// `[CreateContractHostFn({ executable: ExternalRef({ key, manager }), salt })]`.
    fn expected_contexts(&self) -> ScVal {
        vec(vec![vec(vec![
            sym("CreateContractHostFn"),
            fields(vec![
                (
                    "executable",
                    vec(vec![
                        sym("ExternalRef"),
                        fields(vec![
                            ("manager", ScVal::Address(self.s.manager.clone())),
                            ("key", sym("token")),
                        ]),
                    ]),
                ),
                (
                    "salt",
                    ScVal::Bytes(ScBytes(SALT.to_vec().try_into().unwrap())),
                ),
            ]),
        ])])
    }
}

/// The account's instance storage as it is in `entry`.
fn instance_storage(entry: &soroban_env_host::xdr::LedgerEntry) -> Option<ScMap> {
    match &entry.data {
        LedgerEntryData::ContractData(d) => match &d.val {
            ScVal::ContractInstance(i) => i.storage.clone(),
            other => panic!("not an instance: {other:?}"),
        },
        other => panic!("not contract data: {:?}", other.discriminant()),
    }
}

/// A custom account authorizing a follower's creation (`CreateContractV2`,
/// `SorobanCredentials::Address`) gets, in `__check_auth`, a
/// `CreateContractHostFn` context whose executable is
/// `ExternalRef({ manager, key })`: the enforcing transaction succeeds, and
/// the account's instance storage holds exactly that context.
#[test]
fn check_auth_sees_the_external_ref_create_context() -> Result<(), HostError> {
    let d = AccountDeployment::new();
    let before = d.s.ledger.get(&d.account_instance_key()).unwrap().0.clone();
    assert_eq!(instance_storage(&before), None);

    let tx = d.tx();
    let applied = d.s.ledger.apply(&tx, None)?;
    assert_eq!(applied.result.clone()?, ScVal::Address(d.created.clone()));

    // The follower instance is written with the ExternalRef executable.
    let follower = applied.change(&instance_key(&d.created)).unwrap();
    assert_eq!(
        follower.new_entry,
        Some(instance_entry(
            &d.created,
            external_ref(&d.s.manager, "token")
        ))
    );
    // The nonce is consumed.
    let nonce = applied.change(&nonce_key(&d.account, NONCE)).unwrap();
    assert!(!nonce.read_only && nonce.new_entry.is_some());
    // The ref and both codes are only read.
    for key in d.read_only() {
        let c = applied.change(&key).unwrap();
        assert!(c.read_only && c.new_entry.is_none(), "{c:?}");
    }

    // What __check_auth stored: exactly the expected context.
    let account = applied.change(&d.account_instance_key()).unwrap();
    assert!(!account.read_only);
    let storage = instance_storage(account.new_entry.as_ref().unwrap()).unwrap();
    assert_eq!(storage.len(), 1);
    assert_eq!(storage[0].key, sym("last_ctx"));
    assert_eq!(storage[0].val, d.expected_contexts());
    Ok(())
}

/// Without the account's auth entry the enforcing creation fails with
/// upstream's `(Auth, InvalidAction)` and `__check_auth` never runs.
#[test]
fn creation_by_the_account_needs_its_auth_entry() -> Result<(), HostError> {
    let d = AccountDeployment::new();
    let applied = d.s.ledger.apply(&d.tx().with_auth(vec![]), None)?;
    assert_error(
        applied.result.as_ref().unwrap_err(),
        ScErrorType::Auth,
        ScErrorCode::InvalidAction,
    );
    assert!(applied.changes.is_empty());
    Ok(())
}

/// Simulation of the same creation records the ref entry and the code it
/// resolves to read-only, next to the account's instance and code (read by
/// recording mode's emulation of the account's authentication), and records
/// the account's `SorobanCredentials::Address` entry for exactly these args.
/// Recording mode does not run `__check_auth`, so it records the account's
/// instance read-only: a custom account that writes storage in
/// `__check_auth` needs that key moved to read-write (as upstream, for any
/// custom account), else the enforcing run fails out of footprint.
#[test]
fn simulation_records_ref_and_resolved_code_for_the_account_creation() -> Result<(), HostError> {
    let d = AccountDeployment::new();
    let sim = d.s.ledger.simulate(&d.host_fn)?;
    assert_eq!(
        sim.invoke_result.clone()?,
        ScVal::Address(d.created.clone())
    );

    assert_eq!(sim.auth.len(), 1);
    let recorded_nonce = match &sim.auth[0].credentials {
        SorobanCredentials::Address(c) => {
            assert_eq!(c.address, d.account);
            assert_eq!(c.signature, ScVal::Void);
            c.nonce
        }
        other => panic!("expected address credentials, got {other:?}"),
    };
    assert_eq!(sim.auth[0].root_invocation, d.auth().root_invocation);

    let fp = &sim.resources.footprint;
    let mut read_only = d.read_only();
    read_only.push(d.account_instance_key());
    assert_eq!(keys(fp.read_only.as_slice()), keys(&read_only));
    assert_eq!(
        keys(fp.read_write.as_slice()),
        keys(&[
            instance_key(&d.created),
            nonce_key(&d.account, recorded_nonce)
        ])
    );
    assert!(sim.restored_rw_entry_indices.is_empty());

    // The recorded footprint with the enforcing auth entry: __check_auth's
    // write to the read-only account instance is out of footprint.
    let ro_instance = Tx::new(
        d.host_fn.clone(),
        footprint(
            read_only,
            vec![instance_key(&d.created), nonce_key(&d.account, NONCE)],
        ),
    )
    .with_auth(vec![d.auth()]);
    let applied = d.s.ledger.apply(&ro_instance, None)?;
    assert_error(
        applied.result.as_ref().unwrap_err(),
        ScErrorType::Storage,
        ScErrorCode::ExceededLimit,
    );
    assert!(
        applied.diagnostics_mention("trying to access contract instance outside of the footprint")
    );
    assert!(applied.changes.is_empty());
    Ok(())
}

/// A custom account that is itself an ExternalRef follower: simulation's
/// auth emulation reads its ref entry and the code it resolves to, so both
/// land in the recorded footprint; enforced, `__check_auth` runs on the
/// resolved code and sees the create context.
#[test]
fn an_account_that_follows_a_ref_is_recorded_and_authorizes() -> Result<(), HostError> {
    let d = AccountDeployment::with_follower_account();
    let acct_ref = wasm_ref_key(&d.s.manager, "acct");

    let sim = d.s.ledger.simulate(&d.host_fn)?;
    assert_eq!(
        sim.invoke_result.clone()?,
        ScVal::Address(d.created.clone())
    );
    let mut read_only = d.read_only();
    read_only.push(d.account_instance_key());
    read_only.push(acct_ref.clone());
    assert_eq!(
        keys(sim.resources.footprint.read_only.as_slice()),
        keys(&read_only)
    );

    let mut tx = d.tx();
    let mut ro = tx.read_only().to_vec();
    ro.push(acct_ref);
    tx = Tx::new(d.host_fn.clone(), footprint(ro, tx.read_write().to_vec()))
        .with_auth(vec![d.auth()]);
    let applied = d.s.ledger.apply(&tx, None)?;
    assert_eq!(applied.result.clone()?, ScVal::Address(d.created.clone()));
    let account = applied
        .change(&d.account_instance_key())
        .and_then(|c| c.new_entry.clone())
        .expect("the account's instance is written by __check_auth");
    let stored = instance_storage(&account).expect("instance storage");
    assert_eq!(stored.0.len(), 1);
    assert_eq!(stored.0[0].val, d.expected_contexts());
    Ok(())
}
