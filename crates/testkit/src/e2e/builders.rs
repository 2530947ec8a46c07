//! Host functions, footprints, auth and transactions ([`Tx`]) built as XDR.

use soroban_env_host::{
    e2e_testutils,
    xdr::{
        AccountId, ContractExecutable, ContractId, ContractIdPreimage,
        ContractIdPreimageFromAddress, CreateContractArgsV2, Hash, HostFunction,
        InvokeContractArgs, LedgerFootprint, LedgerKey, ScAddress, ScVal,
        SorobanAuthorizationEntry, SorobanAuthorizedFunction, SorobanAuthorizedInvocation,
        SorobanCredentials, SorobanResources, Uint256,
    },
};

use super::{
    entries::{external_ref, sc_symbol, source_account, to_xdr},
    submit::Simulation,
    TX_INSTRUCTIONS,
};

pub fn invoke_fn(contract: &ScAddress, function: &str, args: Vec<ScVal>) -> HostFunction {
    HostFunction::InvokeContract(InvokeContractArgs {
        contract_address: contract.clone(),
        function_name: sc_symbol(function),
        args: args.try_into().expect("few args"),
    })
}

pub fn footprint(read_only: Vec<LedgerKey>, read_write: Vec<LedgerKey>) -> LedgerFootprint {
    LedgerFootprint {
        read_only: read_only.try_into().expect("small footprint"),
        read_write: read_write.try_into().expect("small footprint"),
    }
}

/// `CreateContractArgsV2` deploying a follower of `manager`'s `key` from
/// `deployer` with `salt`, no constructor arguments.
pub fn create_follower_args(
    deployer: &ScAddress,
    salt: [u8; 32],
    manager: &ScAddress,
    key: &str,
) -> CreateContractArgsV2 {
    CreateContractArgsV2 {
        contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
            address: deployer.clone(),
            salt: Uint256(salt),
        }),
        executable: external_ref(manager, key),
        constructor_args: Default::default(),
    }
}

/// The address a create-contract preimage yields on [`e2e_ledger_info`]'s network.
pub fn created_address(preimage: &ContractIdPreimage) -> ScAddress {
    ScAddress::Contract(ContractId(Hash(e2e_testutils::get_contract_id_hash(
        preimage,
    ))))
}

/// A `CreateContractV2` of `executable` by `deployer` with `salt`, calling the
/// constructor with `args`, and the address it creates on the network `network_id`.
pub fn create_v2(
    network_id: [u8; 32],
    deployer: &ScAddress,
    salt: [u8; 32],
    executable: ContractExecutable,
    args: Vec<ScVal>,
) -> (ScAddress, HostFunction) {
    let preimage = ContractIdPreimage::Address(ContractIdPreimageFromAddress {
        address: deployer.clone(),
        salt: Uint256(salt),
    });
    let address = created_address_on(network_id, &preimage);
    let host_fn = HostFunction::CreateContractV2(CreateContractArgsV2 {
        contract_id_preimage: preimage,
        executable,
        constructor_args: args.try_into().expect("few constructor args"),
    });
    (address, host_fn)
}

/// The address a create-contract preimage yields on the network `network_id`.
pub fn created_address_on(network_id: [u8; 32], preimage: &ContractIdPreimage) -> ScAddress {
    use sha2::Digest;
    let id = soroban_env_host::xdr::HashIdPreimage::ContractId(
        soroban_env_host::xdr::HashIdPreimageContractId {
            network_id: Hash(network_id),
            contract_id_preimage: preimage.clone(),
        },
    );
    ScAddress::Contract(ContractId(Hash(sha2::Sha256::digest(to_xdr(&id)).into())))
}

/// The auth entry a transaction's source account gives for a
/// `CreateContractV2` host function it deploys itself (no signature: the
/// transaction's own signature covers it).
pub fn source_account_create_auth(args: &CreateContractArgsV2) -> SorobanAuthorizationEntry {
    SorobanAuthorizationEntry {
        credentials: SorobanCredentials::SourceAccount,
        root_invocation: SorobanAuthorizedInvocation {
            function: SorobanAuthorizedFunction::CreateContractV2HostFn(args.clone()),
            sub_invocations: Default::default(),
        },
    }
}

/// The Soroban part of a transaction, as stellar-core hands it to the host.
#[derive(Clone, Debug)]
pub struct Tx {
    pub host_fn: HostFunction,
    pub resources: SorobanResources,
    /// Indices in the read-write footprint of entries restored from the
    /// archive by this transaction.
    pub restored_rw_entry_indices: Vec<u32>,
    pub source: AccountId,
    pub auth: Vec<SorobanAuthorizationEntry>,
}

impl Tx {
    /// A transaction from [`source_account`] with no auth entries and
    /// [`TX_INSTRUCTIONS`].
    pub fn new(host_fn: HostFunction, footprint: LedgerFootprint) -> Self {
        Tx {
            host_fn,
            resources: SorobanResources {
                footprint,
                instructions: TX_INSTRUCTIONS,
                disk_read_bytes: 0,
                write_bytes: 0,
            },
            restored_rw_entry_indices: vec![],
            source: source_account(),
            auth: vec![],
        }
    }

    /// The transaction a simulation prescribes: its footprint, restored
    /// entries and auth (instructions stay [`TX_INSTRUCTIONS`]).
    pub fn from_simulation(host_fn: HostFunction, sim: &Simulation) -> Self {
        Tx {
            restored_rw_entry_indices: sim.restored_rw_entry_indices.clone(),
            auth: sim.auth.clone(),
            ..Tx::new(host_fn, sim.resources.footprint.clone())
        }
    }

    pub fn with_auth(mut self, auth: Vec<SorobanAuthorizationEntry>) -> Self {
        self.auth = auth;
        self
    }

    pub fn with_restored(mut self, restored_rw_entry_indices: Vec<u32>) -> Self {
        self.restored_rw_entry_indices = restored_rw_entry_indices;
        self
    }

    pub fn read_only(&self) -> &[LedgerKey] {
        self.resources.footprint.read_only.as_slice()
    }

    pub fn read_write(&self) -> &[LedgerKey] {
        self.resources.footprint.read_write.as_slice()
    }
}
