//! soroban-extref: the contract-visible form of an ExternalRef executable, as
//! `__check_auth` create-contract contexts, invoker auth entries and the
//! `executable_update` system event carry it.

use super::base_types::Address;
use crate::{
    host::metered_clone::{charge_heap_alloc, MeteredClone},
    xdr, Host, HostError, Symbol, TryFromVal, TryIntoVal,
};
use soroban_builtin_sdk_macros::contracttype;

#[derive(Clone)]
#[contracttype]
pub(crate) struct ContractExecutableRef {
    pub(crate) manager: Address,
    pub(crate) key: Symbol,
}

impl ContractExecutableRef {
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
