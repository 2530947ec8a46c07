#[allow(unused_imports, clippy::wildcard_imports)]
use super::*;

/// ContractExecutableExternalRef is an XDR Struct defined as:
///
/// ```text
/// struct ContractExecutableExternalRef {
///     // soroban-extref: the code of a contract with this executable is the Wasm
///     // whose hash is the value of the ledger entry CONTRACT_DATA(manager,
///     // SCVal{SCV_LEDGER_KEY_WASM_REF, key}, PERSISTENT), read at every call
///     // frame. Only `manager` writes that entry, through dedicated host
///     // functions. (Declared after SCAddress and SCSymbol: it holds both.)
///     SCAddress manager;
///     SCSymbol key;
/// };
/// ```
///
#[cfg_attr(feature = "alloc", derive(Default))]
#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", cfg_eval::cfg_eval)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
#[cfg_attr(
    all(feature = "serde", feature = "alloc"),
    serde_with::serde_as,
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ContractExecutableExternalRef {
    pub manager: ScAddress,
    pub key: ScSymbol,
}

impl ReadXdr for ContractExecutableExternalRef {
    #[cfg(feature = "std")]
    fn read_xdr<R: Read>(r: &mut Limited<R>) -> Result<Self, Error> {
        r.with_limited_depth(|r| {
            Ok(Self {
                manager: ScAddress::read_xdr(r)?,
                key: ScSymbol::read_xdr(r)?,
            })
        })
    }
}

impl WriteXdr for ContractExecutableExternalRef {
    #[cfg(feature = "std")]
    fn write_xdr<W: Write>(&self, w: &mut Limited<W>) -> Result<(), Error> {
        w.with_limited_depth(|w| {
            self.manager.write_xdr(w)?;
            self.key.write_xdr(w)?;
            Ok(())
        })
    }
}
