//! soroban-extref: the contract-visible form of an ExternalRef executable, as
//! `__check_auth` create-contract contexts, invoker auth entries and the
//! `executable_update` system event carry it, and the conversions of the
//! contract type `ContractExecutable` (see below).

use core::cmp::Ordering;

use super::{
    base_types::{Address, Vec as HostVec},
    common_types::ContractExecutable,
};
use crate::{
    host::{
        metered_clone::{charge_heap_alloc, MeteredClone},
        wasm_ref::EXTERNAL_REF_MIN_PROTOCOL,
    },
    xdr, Compare, ConversionError, EnvBase, Host, HostError, Symbol, TryFromVal, TryIntoVal, Val,
    VecObject,
};
use soroban_builtin_sdk_macros::contracttype;

#[derive(Clone)]
#[contracttype]
pub(crate) struct ContractExecutableExternalRef {
    pub(crate) manager: Address,
    pub(crate) key: Symbol,
}

impl ContractExecutableExternalRef {
    // Notes on metering: the address clone and the object conversions are charged.
    pub(crate) fn from_xdr(
        host: &Host,
        ext_ref: &xdr::ContractExecutableExternalRef,
    ) -> Result<Self, HostError> {
        let manager = host.add_host_object(ext_ref.manager.metered_clone(host)?)?;
        Ok(Self {
            manager: Address::try_from_val(host, &manager)?,
            key: host.symbol_from_scsymbol(&ext_ref.key)?,
        })
    }

    // Notes on metering: the conversions and the Box are charged.
    pub(crate) fn to_xdr(&self, host: &Host) -> Result<xdr::ContractExecutable, HostError> {
        let ext_ref = xdr::ContractExecutableExternalRef {
            manager: self.manager.to_sc_address()?,
            key: host.scsymbol_from_symbol(self.key)?,
        };
        charge_heap_alloc::<xdr::ContractExecutableExternalRef>(1, host)?;
        Ok(xdr::ContractExecutable::ExternalRef(Box::new(ext_ref)))
    }
}

// The contract-type conversions of `ContractExecutable`, as
// `#[contracttype]` would generate them (a `Vec` of the variant's name and
// payload), except for one thing: the generated decoder compares the
// discriminant with every variant name, each comparison charged, so a third
// name would make every decode cost more at protocol 27 too (e.g. a factory's
// `authorize_as_current_contract` of a create-contract entry). Below protocol
// 28 the decoder knows upstream's two names only, and costs exactly what it
// did upstream.
const CASES_BEFORE_EXTERNAL_REF: &[&str] = &["Wasm", "StellarAsset"];
const CASES: &[&str] = &["Wasm", "StellarAsset", "ExternalRef"];

impl ContractExecutable {
    fn discriminant_sym(&self, env: &Host) -> Result<Symbol, crate::Error> {
        match self {
            ContractExecutable::Wasm(_) => Symbol::try_from_val(env, &"Wasm"),
            ContractExecutable::StellarAsset => Symbol::try_from_val(env, &"StellarAsset"),
            ContractExecutable::ExternalRef(_) => Symbol::try_from_val(env, &"ExternalRef"),
        }
    }
}

impl Compare<ContractExecutable> for Host {
    type Error = HostError;

    fn compare(
        &self,
        a: &ContractExecutable,
        b: &ContractExecutable,
    ) -> Result<Ordering, HostError> {
        match (a, b) {
            (ContractExecutable::Wasm(a), ContractExecutable::Wasm(b)) => self.compare(a, b),
            (ContractExecutable::StellarAsset, ContractExecutable::StellarAsset) => {
                Ok(Ordering::Equal)
            }
            (ContractExecutable::ExternalRef(a), ContractExecutable::ExternalRef(b)) => {
                self.compare(a, b)
            }
            _ => self.compare(&a.discriminant_sym(self)?, &b.discriminant_sym(self)?),
        }
    }
}

impl TryFromVal<Host, VecObject> for ContractExecutable {
    type Error = HostError;

    fn try_from_val(env: &Host, val: &VecObject) -> Result<Self, Self::Error> {
        let cases = if env.get_ledger_protocol_version()? < EXTERNAL_REF_MIN_PROTOCOL {
            CASES_BEFORE_EXTERNAL_REF
        } else {
            CASES
        };
        let vec = HostVec::try_from_val(env, val)?;
        let discriminant: Symbol = vec.get(0)?;
        match u32::from(env.symbol_index_in_strs(discriminant, cases)?) as usize {
            0 => Ok(ContractExecutable::Wasm(vec.get(1)?)),
            1 => Ok(ContractExecutable::StellarAsset),
            2 => Ok(ContractExecutable::ExternalRef(vec.get(1)?)),
            _ => Err(ConversionError.into()),
        }
    }
}

impl TryFromVal<Host, Val> for ContractExecutable {
    type Error = HostError;

    fn try_from_val(env: &Host, val: &Val) -> Result<Self, Self::Error> {
        let obj: VecObject = val.try_into()?;
        obj.try_into_val(env)
    }
}

impl TryFromVal<Host, ContractExecutable> for Val {
    type Error = HostError;

    fn try_from_val(env: &Host, val: &ContractExecutable) -> Result<Val, Self::Error> {
        match val {
            ContractExecutable::Wasm(x) => {
                Ok((val.discriminant_sym(env)?, Val::try_from_val(env, x)?).try_into_val(env)?)
            }
            ContractExecutable::StellarAsset => {
                Ok((val.discriminant_sym(env)?,).try_into_val(env)?)
            }
            ContractExecutable::ExternalRef(x) => {
                Ok((val.discriminant_sym(env)?, Val::try_from_val(env, x)?).try_into_val(env)?)
            }
        }
    }
}
