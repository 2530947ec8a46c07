//! soroban-extref: named Wasm references and the `ExternalRef` executable.
//!
//! A manager contract owns Wasm references: persistent `ContractData` entries
//! under the manager's address, keyed by `ScVal::LedgerKeyWasmRef(key)`, each
//! holding the 32-byte hash of uploaded Wasm as `ScVal::Bytes`. A contract
//! whose executable is `ExternalRef { manager, key }` runs the code that entry
//! points at. The reference is resolved at every new call frame, so one write
//! to it upgrades every follower from its next call on.
//!
//! `LedgerKeyWasmRef` has no `Val` representation, so contracts cannot name
//! these entries through the generic storage functions: only the functions
//! here read or write them.
//!
//! The body of each of our host functions is here as `<host fn>_impl` (as
//! upstream's `create_contract` calls `create_contract_impl`): an inherent
//! method with the host function's own name would shadow the `VmCallerEnv`
//! method that the VM's dispatch calls as `host.<host fn>(vmcaller, …)`.

use std::{borrow::Cow, cmp::Ordering, rc::Rc};

use crate::{
    budget::{AsBudget, Budget},
    host::declared_size::DeclaredSizeForMetering,
    host::metered_clone::{charge_heap_alloc, MeteredAlloc, MeteredClone},
    xdr::{
        ContractCostType, ContractDataDurability, ContractDataEntry, ContractExecutable,
        ContractExecutableExternalRef, ContractIdPreimage, ContractIdPreimageFromAddress,
        CreateContractArgsV2, ExtensionPoint, Hash, LedgerEntry, LedgerEntryData, LedgerKey,
        LedgerKeyContractData, ScAddress, ScBytes, ScErrorCode, ScErrorType, ScSymbol, ScVal, VecM,
    },
    AddressObject, BytesObject, Compare, EnvBase, Host, HostError, Symbol, TryFromVal, Val,
    VecObject,
};

/// The first ledger protocol with Wasm references: the fork's protocol 28 is
/// upstream 27 plus ExternalRef. Below it the fork behaves exactly as upstream.
pub(crate) const EXTERNAL_REF_MIN_PROTOCOL: u32 = 28;

const WASM_REF_UPDATED_TOPIC: &str = "wasm_ref_updated";

/// The declared size of `ContractExecutable` before the fork. The in-memory
/// size is now 40 bytes (the `ExternalRef` arm is a `Box`, which raises the
/// enum's alignment), but upstream charges 33 bytes per shallow copy and the
/// fork keeps that charge so protocol 27 costs exactly what it did.
const CONTRACT_EXECUTABLE_CHARGED_SIZE: u64 = 33;

impl DeclaredSizeForMetering for ContractExecutableExternalRef {
    // `ScAddress` (48) + `ScSymbol` (24), as asserted by our tests.
    const DECLARED_SIZE: u64 = 72;
}

impl MeteredClone for ContractExecutableExternalRef {
    const IS_SHALLOW: bool = false;

    fn charge_for_substructure(&self, budget: impl AsBudget) -> Result<(), HostError> {
        self.key.charge_for_substructure(budget)
    }
}

impl MeteredClone for ContractExecutable {
    const IS_SHALLOW: bool = false;

    fn charge_for_substructure(&self, budget: impl AsBudget) -> Result<(), HostError> {
        match self {
            // Upstream's arms own no heap data: nothing more to charge.
            ContractExecutable::Wasm(_) | ContractExecutable::StellarAsset => Ok(()),
            ContractExecutable::ExternalRef(ext_ref) => ext_ref.charge_for_substructure(budget),
        }
    }

    // Overridden only to charge the pre-fork shallow size (see
    // `CONTRACT_EXECUTABLE_CHARGED_SIZE`); the generic path would charge the
    // declared size and assert it covers the in-memory size.
    fn metered_clone(&self, budget: impl AsBudget) -> Result<Self, HostError> {
        budget.as_budget().charge(
            ContractCostType::MemCpy,
            Some(CONTRACT_EXECUTABLE_CHARGED_SIZE),
        )?;
        self.charge_for_substructure(budget)?;
        Ok(self.clone())
    }
}

// Replaces upstream's fixed-size comparison of `ContractExecutable`, which
// asserts the in-memory size is within the declared 33 bytes. The charge for
// upstream's arms is unchanged; comparing two refs also charges their payload.
impl Compare<ContractExecutable> for Budget {
    type Error = HostError;

    fn compare(
        &self,
        a: &ContractExecutable,
        b: &ContractExecutable,
    ) -> Result<Ordering, Self::Error> {
        self.charge(
            ContractCostType::MemCmp,
            Some(CONTRACT_EXECUTABLE_CHARGED_SIZE),
        )?;
        if let (ContractExecutable::ExternalRef(_), ContractExecutable::ExternalRef(_)) = (a, b) {
            self.charge(
                ContractCostType::MemCmp,
                Some(ContractExecutableExternalRef::DECLARED_SIZE),
            )?;
        }
        Ok(a.cmp(b))
    }
}

impl Host {
    /// Wasm references and ExternalRef executables exist from protocol 28 on.
    pub(crate) fn check_external_ref_supported(&self) -> Result<(), HostError> {
        let proto = self.get_ledger_protocol_version()?;
        if proto < EXTERNAL_REF_MIN_PROTOCOL {
            return Err(self.err(
                ScErrorType::Value,
                ScErrorCode::InvalidInput,
                "external ref executables need protocol 28",
                &[proto.into()],
            ));
        }
        Ok(())
    }

    /// The ledger key of the Wasm reference `key` owned by `manager`.
    // Notes on metering: clones and the Rc allocation are charged.
    pub(crate) fn wasm_ref_ledger_key(
        &self,
        manager: &ScAddress,
        key: &ScSymbol,
    ) -> Result<Rc<LedgerKey>, HostError> {
        Rc::metered_new(
            LedgerKey::ContractData(LedgerKeyContractData {
                contract: manager.metered_clone(self)?,
                key: ScVal::LedgerKeyWasmRef(key.metered_clone(self)?),
                durability: ContractDataDurability::Persistent,
            }),
            self,
        )
    }

    /// The hash a Wasm reference entry holds. Only this module writes these
    /// entries, so any other shape is an internal error.
    // Notes on metering: the 32-byte copy is charged.
    fn wasm_ref_hash_from_entry(&self, entry: &LedgerEntry) -> Result<Hash, HostError> {
        if let LedgerEntryData::ContractData(data) = &entry.data {
            if let ScVal::Bytes(bytes) = &data.val {
                if let Ok(hash) = <[u8; 32]>::try_from(bytes.as_slice()) {
                    self.charge_budget(ContractCostType::MemCpy, Some(32))?;
                    return Ok(Hash(hash));
                }
            }
        }
        Err(self.err(
            ScErrorType::Storage,
            ScErrorCode::InternalError,
            "wasm ref entry does not hold a 32-byte hash",
            &[],
        ))
    }

    /// Resolves an ExternalRef executable to the hash of the Wasm it runs now.
    /// The reference entry is read through storage like any other entry, so
    /// footprint, TTL (archived entries) and recording mode apply to it.
    // Notes on metering: key construction and the storage access are charged.
    pub(crate) fn resolve_external_ref(
        &self,
        ext_ref: &ContractExecutableExternalRef,
    ) -> Result<Hash, HostError> {
        self.check_external_ref_supported()?;
        let key = self.wasm_ref_ledger_key(&ext_ref.manager, &ext_ref.key)?;
        let entry = self.try_borrow_storage_mut()?.get(&key, self, None)?;
        self.wasm_ref_hash_from_entry(&entry)
    }

    /// The hash of the Wasm a Wasm or ExternalRef executable runs. A Wasm
    /// executable's hash is borrowed, so upstream's paths cost what they did.
    pub(crate) fn executable_wasm_hash<'a>(
        &self,
        executable: &'a ContractExecutable,
    ) -> Result<Cow<'a, Hash>, HostError> {
        match executable {
            ContractExecutable::Wasm(wasm_hash) => Ok(Cow::Borrowed(wasm_hash)),
            ContractExecutable::ExternalRef(ext_ref) => {
                Ok(Cow::Owned(self.resolve_external_ref(ext_ref)?))
            }
            ContractExecutable::StellarAsset => Err(self.err(
                ScErrorType::Context,
                ScErrorCode::InternalError,
                "stellar asset contract has no wasm",
                &[],
            )),
        }
    }

    /// The entries whose TTL keeps an ExternalRef contract runnable besides its
    /// instance: the manager's reference entry and the code it points at.
    // Notes on metering: covered by the components.
    pub(crate) fn external_ref_ttl_keys(
        &self,
        ext_ref: &ContractExecutableExternalRef,
    ) -> Result<[Rc<LedgerKey>; 2], HostError> {
        let wasm_hash = self.resolve_external_ref(ext_ref)?;
        Ok([
            self.wasm_ref_ledger_key(&ext_ref.manager, &ext_ref.key)?,
            self.contract_code_ledger_key(&wasm_hash)?,
        ])
    }

    /// Checks an ExternalRef executable before a contract is created with it:
    /// the protocol supports it, the manager is a contract, the key is a valid
    /// symbol and the reference exists. Creating a contract that could never
    /// run is refused, as upstream refuses a Wasm executable whose code was
    /// never uploaded. The key comes from XDR (a transaction's executable), so
    /// it is validated before it names a storage entry: a malformed key is the
    /// caller's invalid input whatever the footprint holds.
    // Notes on metering: covered by the components.
    pub(crate) fn check_external_ref_target(
        &self,
        ext_ref: &ContractExecutableExternalRef,
    ) -> Result<(), HostError> {
        self.check_external_ref_supported()?;
        if !matches!(ext_ref.manager, ScAddress::Contract(_)) {
            return Err(self.err(
                ScErrorType::Value,
                ScErrorCode::InvalidInput,
                "wasm ref manager must be a contract",
                &[],
            ));
        }
        let key_val = self.symbol_from_scsymbol(&ext_ref.key)?;
        let key = self.wasm_ref_ledger_key(&ext_ref.manager, &ext_ref.key)?;
        if !self.try_borrow_storage_mut()?.has(&key, self, None)? {
            return Err(self.err(
                ScErrorType::Storage,
                ScErrorCode::MissingValue,
                "wasm ref does not exist",
                &[key_val.into()],
            ));
        }
        Ok(())
    }

    /// The contract-visible `Symbol` of a reference key. Keys arrive in XDR
    /// (executables in transactions, auth entries and ledger entries), where
    /// an `ScSymbol` may hold any bytes: one that is not a valid symbol is
    /// `(Value, InvalidInput)`.
    // Notes on metering: the clone and the conversion are charged.
    pub(crate) fn symbol_from_scsymbol(&self, key: &ScSymbol) -> Result<Symbol, HostError> {
        let val = self
            .to_host_val(&ScVal::Symbol(key.metered_clone(self)?))
            .map_err(|e| {
                if e.error.is_type(ScErrorType::Budget) {
                    e
                } else {
                    self.err(
                        ScErrorType::Value,
                        ScErrorCode::InvalidInput,
                        "wasm ref key is not a valid symbol",
                        &[],
                    )
                }
            })?;
        Ok(Symbol::try_from(val)?)
    }

    /// Recording-mode auth emulation reads a custom account's code so that it
    /// lands in the footprint; for an ExternalRef account that is the reference
    /// entry and the code it points at. A missing entry is not an error here,
    /// as for upstream's Wasm accounts.
    // Notes on metering: covered by the components.
    // Only recording mode emulates auth (its one caller, in auth.rs, has this cfg).
    #[cfg(any(test, feature = "recording_mode"))]
    pub(crate) fn record_external_ref_footprint(
        &self,
        ext_ref: &ContractExecutableExternalRef,
    ) -> Result<(), HostError> {
        let key = self.wasm_ref_ledger_key(&ext_ref.manager, &ext_ref.key)?;
        let entry = self.try_borrow_storage_mut()?.try_get(&key, self, None)?;
        if let Some(entry) = entry {
            let wasm_hash = self.wasm_ref_hash_from_entry(&entry)?;
            let code_key = self.contract_code_ledger_key(&wasm_hash)?;
            let _ = self
                .try_borrow_storage_mut()?
                .try_get(&code_key, self, None)?;
        }
        Ok(())
    }

    /// A Wasm hash argument: exactly 32 bytes, else `(Value, InvalidInput)`.
    // Notes on metering: one object visit and the 32-byte copy are charged.
    fn wasm_hash_from_bytesobj_input(&self, wasm_hash: BytesObject) -> Result<Hash, HostError> {
        self.visit_obj(wasm_hash, |bytes: &ScBytes| {
            if bytes.len() != 32 {
                return Err(self.err(
                    ScErrorType::Value,
                    ScErrorCode::InvalidInput,
                    "wasm hash must be 32 bytes",
                    &[wasm_hash.into()],
                ));
            }
            self.fixed_length_bytes_from_slice("wasm_hash", bytes.as_slice())
        })
    }

    /// `set_contract_wasm_ref`: points the current contract's reference `key`
    /// at uploaded Wasm, creating the reference if needed. Every check happens
    /// before the single storage write, so a failed check changes nothing; the
    /// event comes after the write, and running out of budget there leaves the
    /// write to the frame's rollback, like any failure of the caller.
    // Notes on metering: covered by the components.
    pub(crate) fn set_contract_wasm_ref_impl(
        &self,
        key: Symbol,
        wasm_hash_obj: BytesObject,
    ) -> Result<(), HostError> {
        let wasm_hash = self.wasm_hash_from_bytesobj_input(wasm_hash_obj)?;
        if !self.wasm_exists(&wasm_hash)? {
            return Err(self.err(
                ScErrorType::Storage,
                ScErrorCode::MissingValue,
                "Wasm does not exist",
                &[wasm_hash_obj.into()],
            ));
        }
        let manager = ScAddress::Contract(self.get_current_contract_id_internal()?);
        let key_sym = self.scsymbol_from_symbol(key)?;
        let ledger_key = self.wasm_ref_ledger_key(&manager, &key_sym)?;
        let data = ContractDataEntry {
            contract: manager,
            key: ScVal::LedgerKeyWasmRef(key_sym),
            val: ScVal::Bytes(self.scbytes_from_hash(&wasm_hash)?),
            durability: ContractDataDurability::Persistent,
            ext: ExtensionPoint::V0,
        };
        // One read says whether the reference exists and gives its TTL.
        let existing = self
            .try_borrow_storage_mut()?
            .try_get_full(&ledger_key, self, None)?;
        let old_hash = if let Some((current, live_until)) = existing {
            // Keep the entry's TTL: updating a reference does not extend it.
            let old_hash = self.wasm_ref_hash_from_entry(&current)?;
            let updated =
                self.modify_ledger_entry_data(&current, LedgerEntryData::ContractData(data))?;
            self.try_borrow_storage_mut()?
                .put(&ledger_key, &updated, live_until, self, None)?;
            Some(old_hash)
        } else {
            let live_until = self.get_min_live_until_ledger(ContractDataDurability::Persistent)?;
            self.try_borrow_storage_mut()?.put(
                &ledger_key,
                &Host::new_contract_data(self, data)?,
                Some(live_until),
                self,
                None,
            )?;
            None
        };
        self.emit_wasm_ref_updated_event(key, old_hash.as_ref(), wasm_hash_obj)
    }

    /// System event from the manager: topics `["wasm_ref_updated", key]`,
    /// data `[old_hash or Void, new_hash]`.
    fn emit_wasm_ref_updated_event(
        &self,
        key: Symbol,
        old_hash: Option<&Hash>,
        new_hash: BytesObject,
    ) -> Result<(), HostError> {
        let old = match old_hash {
            Some(hash) => self.add_host_object(self.scbytes_from_hash(hash)?)?.into(),
            None => Val::VOID.into(),
        };
        self.system_event(
            self.vec_new_from_slice(&[
                Symbol::try_from_val(self, &WASM_REF_UPDATED_TOPIC)?.into(),
                key.into(),
            ])?,
            self.vec_new_from_slice(&[old, new_hash.into()])?.into(),
        )
    }

    /// `has_contract_wasm_ref`, and the reader of `get_contract_wasm_ref`: the
    /// hash `manager`'s reference `key` points at, or `None` if there is no
    /// such reference. Only contracts own references: for any other address
    /// the answer is `None` without a storage access.
    // Notes on metering: covered by the components.
    pub(crate) fn try_get_contract_wasm_ref(
        &self,
        manager: AddressObject,
        key: Symbol,
    ) -> Result<Option<Hash>, HostError> {
        let manager = self.scaddress_from_address(manager)?;
        if !matches!(manager, ScAddress::Contract(_)) {
            return Ok(None);
        }
        let ledger_key = self.wasm_ref_ledger_key(&manager, &self.scsymbol_from_symbol(key)?)?;
        match self
            .try_borrow_storage_mut()?
            .try_get(&ledger_key, self, None)?
        {
            Some(entry) => Ok(Some(self.wasm_ref_hash_from_entry(&entry)?)),
            None => Ok(None),
        }
    }

    /// `get_contract_wasm_ref`.
    // Notes on metering: covered by the components.
    pub(crate) fn get_contract_wasm_ref_impl(
        &self,
        manager: AddressObject,
        key: Symbol,
    ) -> Result<BytesObject, HostError> {
        match self.try_get_contract_wasm_ref(manager, key)? {
            Some(hash) => self.add_host_object(self.scbytes_from_hash(&hash)?),
            None => Err(self.err(
                ScErrorType::Storage,
                ScErrorCode::MissingValue,
                "wasm ref does not exist",
                &[manager.into(), key.into()],
            )),
        }
    }

    /// `extend_contract_wasm_ref_ttl`: the manager (current contract) keeps
    /// its reference entry alive, with the rules of `extend_contract_data_ttl`.
    // Notes on metering: covered by the components.
    pub(crate) fn extend_contract_wasm_ref_ttl_impl(
        &self,
        key: Symbol,
        threshold: u32,
        extend_to: u32,
    ) -> Result<(), HostError> {
        let manager = ScAddress::Contract(self.get_current_contract_id_internal()?);
        let ledger_key = self.wasm_ref_ledger_key(&manager, &self.scsymbol_from_symbol(key)?)?;
        let (threshold, extend_to) = self.clamp_wasm_ref_ttl_extension(threshold, extend_to)?;
        self.try_borrow_storage_mut()?.extend_ttl(
            self,
            ledger_key,
            threshold,
            extend_to,
            Some(key.into()),
        )
    }

    /// `threshold` and `extend_to` clamped to the network's maximum TTL. The
    /// storage layer clamps the resulting live-until ledger to that maximum
    /// anyway, but first adds `extend_to` to the ledger sequence, and a
    /// contract may pass a value near `u32::MAX` that overflows the sum (an
    /// internal error). Nothing else changes: an entry already at or past the
    /// maximum is not extended either way. An invalid pair (threshold above
    /// extend_to) is left for the storage layer to refuse.
    // Notes on metering: reads the ledger info only; free.
    fn clamp_wasm_ref_ttl_extension(
        &self,
        threshold: u32,
        extend_to: u32,
    ) -> Result<(u32, u32), HostError> {
        if threshold > extend_to {
            return Ok((threshold, extend_to));
        }
        let ledger_seq = self.with_ledger_info(|li| Ok(li.sequence_number))?;
        let max_ttl = self.max_live_until_ledger()?.saturating_sub(ledger_seq);
        let extend_to = extend_to.min(max_ttl);
        Ok((threshold.min(extend_to), extend_to))
    }

    /// `update_current_contract_external_ref`: the current contract becomes a
    /// follower of `manager`'s reference `key`. Like upstream's
    /// `update_current_contract_wasm`, the write is rolled back if the
    /// invocation fails.
    // Notes on metering: covered by the components; the Box is charged.
    pub(crate) fn update_current_contract_external_ref_impl(
        &self,
        manager: AddressObject,
        key: Symbol,
    ) -> Result<(), HostError> {
        let ext_ref = ContractExecutableExternalRef {
            manager: self.scaddress_from_address(manager)?,
            key: self.scsymbol_from_symbol(key)?,
        };
        self.check_external_ref_target(&ext_ref)?;
        charge_heap_alloc::<ContractExecutableExternalRef>(1, self)?;
        let new_executable = ContractExecutable::ExternalRef(Box::new(ext_ref));
        let contract_id = self.get_current_contract_id_internal()?;
        let instance_key = self.contract_instance_ledger_key(&contract_id)?;
        let old_instance = self.retrieve_contract_instance_from_storage(&instance_key)?;
        self.emit_update_contract_event(&old_instance.executable, &new_executable)?;
        self.store_contract_instance(Some(new_executable), None, contract_id, &instance_key)
    }

    /// `create_contract_with_external_ref[_and_constructor]`: deploys a
    /// follower of `manager`'s reference `key`, with the address derivation,
    /// deployer authorization and constructor rules of `create_contract`.
    // Notes on metering: covered by the components; the Box is charged.
    pub(crate) fn create_contract_with_external_ref_impl(
        &self,
        deployer: AddressObject,
        manager: AddressObject,
        key: Symbol,
        salt: BytesObject,
        constructor_args: Option<VecObject>,
    ) -> Result<AddressObject, HostError> {
        let contract_id_preimage = ContractIdPreimage::Address(ContractIdPreimageFromAddress {
            address: self.scaddress_from_address(deployer)?,
            salt: self.u256_from_bytesobj_input("contract_id_salt", salt)?,
        });
        let ext_ref = ContractExecutableExternalRef {
            manager: self.scaddress_from_address(manager)?,
            key: self.scsymbol_from_symbol(key)?,
        };
        charge_heap_alloc::<ContractExecutableExternalRef>(1, self)?;
        let executable = ContractExecutable::ExternalRef(Box::new(ext_ref));
        let (constructor_args, constructor_args_vec) = match constructor_args {
            Some(v) => (self.vecobject_to_scval_vec(v)?, self.call_args_from_obj(v)?),
            None => (VecM::default(), vec![]),
        };
        let args = CreateContractArgsV2 {
            contract_id_preimage,
            executable,
            constructor_args,
        };
        self.create_contract_internal(Some(deployer), args, constructor_args_vec)
    }
}
