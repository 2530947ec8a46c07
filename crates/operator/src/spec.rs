//! A contract's interface as its Wasm declares it: the `contractspecv0` custom section
//! (XDR `ScSpecEntry`s: functions, user-defined types, errors, events), the
//! `contractenvmetav0` section (the env interface version it was built for) and, when
//! the contract declares them with `extref_spec::storage_types!`, the `extrefstoragev0`
//! section (the names of the spec types its stored data uses).

use soroban_env_host::xdr::{Limited, Limits, ReadXdr, ScEnvMetaEntry, ScSpecEntry, ScSpecTypeDef};

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("not a valid Wasm module: {0}")]
    Wasm(String),
    #[error("section {section}: {error}")]
    Xdr {
        section: &'static str,
        error: soroban_env_host::xdr::Error,
    },
    #[error("no contractspecv0 section: not a Soroban contract built with a spec")]
    NoSpec,
    #[error("section extrefstoragev0: not UTF-8 type names: {0}")]
    Storage(String),
}

/// The spec and env interface version of one contract Wasm.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractSpec {
    pub entries: Vec<ScSpecEntry>,
    /// `(protocol, pre_release)` of the env interface, if declared.
    pub interface: Option<(u32, u32)>,
    /// The storage types the contract declares (`extrefstoragev0`), in declaration
    /// order; `None` when it declares none.
    pub storage: Option<Vec<String>>,
}

const SPEC: &str = "contractspecv0";
const ENV_META: &str = "contractenvmetav0";
/// `extref_spec::SECTION`: type names, each followed by `\n`.
pub const STORAGE: &str = "extrefstoragev0";

fn read_all<T: ReadXdr>(section: &'static str, data: &[u8]) -> Result<Vec<T>, SpecError> {
    let mut limited = Limited::new(std::io::Cursor::new(data), Limits::none());
    T::read_xdr_iter(&mut limited)
        .collect::<Result<Vec<T>, _>>()
        .map_err(|error| SpecError::Xdr { section, error })
}

impl ContractSpec {
    pub fn from_wasm(wasm: &[u8]) -> Result<ContractSpec, SpecError> {
        let mut entries = None;
        let mut interface = None;
        let mut storage: Option<Vec<String>> = None;
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            let payload = payload.map_err(|e| SpecError::Wasm(e.to_string()))?;
            if let wasmparser::Payload::CustomSection(section) = payload {
                match section.name() {
                    SPEC => {
                        entries
                            .get_or_insert_with(Vec::new)
                            .extend(read_all::<ScSpecEntry>(SPEC, section.data())?);
                    }
                    ENV_META => {
                        for meta in read_all::<ScEnvMetaEntry>(ENV_META, section.data())? {
                            let ScEnvMetaEntry::ScEnvMetaKindInterfaceVersion(v) = meta;
                            interface = Some((v.protocol, v.pre_release));
                        }
                    }
                    STORAGE => {
                        let text = std::str::from_utf8(section.data())
                            .map_err(|e| SpecError::Storage(e.to_string()))?;
                        let names = storage.get_or_insert_with(Vec::new);
                        for name in text.split('\n').filter(|n| !n.is_empty()) {
                            if !names.iter().any(|n| n == name) {
                                names.push(name.to_string());
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(ContractSpec {
            entries: entries.ok_or(SpecError::NoSpec)?,
            interface,
            storage,
        })
    }
}

/// A readable name of a spec type, as a contract author writes it.
pub fn type_name(t: &ScSpecTypeDef) -> String {
    match t {
        ScSpecTypeDef::Val => "Val".into(),
        ScSpecTypeDef::Bool => "bool".into(),
        ScSpecTypeDef::Void => "()".into(),
        ScSpecTypeDef::Error => "Error".into(),
        ScSpecTypeDef::U32 => "u32".into(),
        ScSpecTypeDef::I32 => "i32".into(),
        ScSpecTypeDef::U64 => "u64".into(),
        ScSpecTypeDef::I64 => "i64".into(),
        ScSpecTypeDef::Timepoint => "Timepoint".into(),
        ScSpecTypeDef::Duration => "Duration".into(),
        ScSpecTypeDef::U128 => "u128".into(),
        ScSpecTypeDef::I128 => "i128".into(),
        ScSpecTypeDef::U256 => "U256".into(),
        ScSpecTypeDef::I256 => "I256".into(),
        ScSpecTypeDef::Bytes => "Bytes".into(),
        ScSpecTypeDef::String => "String".into(),
        ScSpecTypeDef::Symbol => "Symbol".into(),
        ScSpecTypeDef::Address => "Address".into(),
        ScSpecTypeDef::MuxedAddress => "MuxedAddress".into(),
        ScSpecTypeDef::Option(o) => format!("Option<{}>", type_name(&o.value_type)),
        ScSpecTypeDef::Result(r) => format!(
            "Result<{}, {}>",
            type_name(&r.ok_type),
            type_name(&r.error_type)
        ),
        ScSpecTypeDef::Vec(v) => format!("Vec<{}>", type_name(&v.element_type)),
        ScSpecTypeDef::Map(m) => format!(
            "Map<{}, {}>",
            type_name(&m.key_type),
            type_name(&m.value_type)
        ),
        ScSpecTypeDef::Tuple(t) => format!(
            "({})",
            t.value_types
                .iter()
                .map(type_name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ScSpecTypeDef::BytesN(b) => format!("BytesN<{}>", b.n),
        ScSpecTypeDef::Udt(u) => u.name.to_utf8_string_lossy(),
    }
}
