//! `check-upgrade`: is `new` a compatible upgrade of `old` for a fleet already running
//! `old`? A ref update moves every follower at once, so an incompatible interface breaks
//! every caller at once and an incompatible type breaks every follower's stored data.
//!
//! The rules, each finding marked breaking or not:
//! - functions: removed, or inputs/outputs retyped, added, removed or reordered (callers
//!   break); added (fine); an input only renamed (fine: arguments are positional);
//! - structs (`#[contracttype]`, stored as maps of their fields): a field removed, added,
//!   retyped or reordered (values stored by `old` no longer decode);
//! - unions (enums with data, stored by case name): a case removed or its payload
//!   changed (breaking); a case added (fine);
//! - integer enums (stored by number): a case removed or renumbered, or a number
//!   reused by another name (breaking); a case added (fine);
//! - error enums (returned by number, matched by clients): a code renumbered or reused
//!   for another meaning (breaking); a code no longer returned, or added (fine);
//! - a type removed or turned into another kind (breaking); added (fine);
//! - events: removed or changed (not breaking for the fleet; indexers are told);
//! - the env interface: a protocol above the ledger's, or a pre-release interface on a
//!   release ledger, is refused by the host at upload (breaking).

use std::collections::BTreeMap;

use serde::Serialize;
use soroban_env_host::xdr::{
    ScSpecEntry, ScSpecFunctionV0, ScSpecTypeDef, ScSpecUdtUnionCaseV0, StringM,
};

use crate::spec::{type_name, ContractSpec};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    FunctionRemoved,
    FunctionSignature,
    FunctionAdded,
    FunctionInputRenamed,
    StructFields,
    UnionCaseRemoved,
    UnionCaseChanged,
    UnionCaseAdded,
    EnumCaseRemoved,
    EnumCaseRenumbered,
    EnumValueReused,
    EnumCaseAdded,
    ErrorCodeRemoved,
    ErrorCodeRenumbered,
    ErrorCodeReused,
    ErrorCodeAdded,
    TypeRemoved,
    TypeKindChanged,
    TypeAdded,
    EventChanged,
    InterfaceRefused,
    InterfaceChanged,
}

/// One difference between the two contracts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    /// The function, type or case concerned.
    pub subject: String,
    pub detail: String,
    pub breaking: bool,
}

/// What the ledger the fleet lives on accepts.
#[derive(Clone, Copy, Debug)]
pub struct Ledger {
    pub protocol: u32,
    /// Whether the network runs a pre-release (`next`) host, which alone accepts
    /// pre-release interfaces of its own protocol.
    pub pre_release: bool,
}

impl Default for Ledger {
    /// The fork's protocol 28, a release network.
    fn default() -> Self {
        Ledger {
            protocol: 28,
            pre_release: false,
        }
    }
}

fn s<const N: u32>(m: &StringM<N>) -> String {
    m.to_utf8_string_lossy()
}

/// The user-defined types of a spec, by name.
enum Udt<'a> {
    Struct(Vec<(String, &'a ScSpecTypeDef)>),
    Union(
        BTreeMap<String, Vec<&'a ScSpecTypeDef>>,
        BTreeMap<String, bool>,
    ),
    Enum(BTreeMap<String, u32>),
    Error(BTreeMap<String, u32>),
}

impl Udt<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Udt::Struct(_) => "struct",
            Udt::Union(..) => "union",
            Udt::Enum(_) => "enum",
            Udt::Error(_) => "error enum",
        }
    }
}

struct Index<'a> {
    functions: BTreeMap<String, &'a ScSpecFunctionV0>,
    types: BTreeMap<String, Udt<'a>>,
    events: BTreeMap<String, &'a ScSpecEntry>,
}

fn index(spec: &ContractSpec) -> Index<'_> {
    let mut functions = BTreeMap::new();
    let mut types = BTreeMap::new();
    let mut events = BTreeMap::new();
    for e in &spec.entries {
        match e {
            ScSpecEntry::FunctionV0(f) => {
                functions.insert(f.name.0.to_utf8_string_lossy(), f);
            }
            ScSpecEntry::UdtStructV0(t) => {
                let fields = t.fields.iter().map(|f| (s(&f.name), &f.type_)).collect();
                types.insert(s(&t.name), Udt::Struct(fields));
            }
            ScSpecEntry::UdtUnionV0(t) => {
                let mut cases = BTreeMap::new();
                let mut void = BTreeMap::new();
                for c in t.cases.iter() {
                    match c {
                        ScSpecUdtUnionCaseV0::VoidV0(v) => {
                            cases.insert(s(&v.name), vec![]);
                            void.insert(s(&v.name), true);
                        }
                        ScSpecUdtUnionCaseV0::TupleV0(v) => {
                            cases.insert(s(&v.name), v.type_.iter().collect());
                            void.insert(s(&v.name), false);
                        }
                    }
                }
                types.insert(s(&t.name), Udt::Union(cases, void));
            }
            ScSpecEntry::UdtEnumV0(t) => {
                let cases = t.cases.iter().map(|c| (s(&c.name), c.value)).collect();
                types.insert(s(&t.name), Udt::Enum(cases));
            }
            ScSpecEntry::UdtErrorEnumV0(t) => {
                let cases = t.cases.iter().map(|c| (s(&c.name), c.value)).collect();
                types.insert(s(&t.name), Udt::Error(cases));
            }
            ScSpecEntry::EventV0(ev) => {
                events.insert(s(&ev.name), e);
            }
        }
    }
    Index {
        functions,
        types,
        events,
    }
}

fn finding(rule: Rule, subject: impl Into<String>, detail: String, breaking: bool) -> Finding {
    Finding {
        rule,
        subject: subject.into(),
        detail,
        breaking,
    }
}

fn signature(f: &ScSpecFunctionV0) -> String {
    let inputs: Vec<String> = f
        .inputs
        .iter()
        .map(|i| format!("{}: {}", s(&i.name), type_name(&i.type_)))
        .collect();
    let output = f
        .outputs
        .first()
        .map(|o| format!(" -> {}", type_name(o)))
        .unwrap_or_default();
    format!("({}){output}", inputs.join(", "))
}

fn check_functions(old: &Index, new: &Index, out: &mut Vec<Finding>) {
    for (name, f) in &old.functions {
        let Some(g) = new.functions.get(name) else {
            out.push(finding(
                Rule::FunctionRemoved,
                format!("fn {name}"),
                format!("removed; callers of {name}{} fail", signature(f)),
                true,
            ));
            continue;
        };
        let types = |f: &ScSpecFunctionV0| -> Vec<ScSpecTypeDef> {
            f.inputs.iter().map(|i| i.type_.clone()).collect()
        };
        if types(f) != types(g) || f.outputs != g.outputs {
            out.push(finding(
                Rule::FunctionSignature,
                format!("fn {name}"),
                format!("{} became {}", signature(f), signature(g)),
                true,
            ));
        } else if f
            .inputs
            .iter()
            .map(|i| &i.name)
            .ne(g.inputs.iter().map(|i| &i.name))
        {
            out.push(finding(
                Rule::FunctionInputRenamed,
                format!("fn {name}"),
                format!(
                    "inputs renamed: {} became {} (arguments are positional)",
                    signature(f),
                    signature(g)
                ),
                false,
            ));
        }
    }
    for (name, g) in &new.functions {
        if !old.functions.contains_key(name) {
            out.push(finding(
                Rule::FunctionAdded,
                format!("fn {name}"),
                format!("added: {name}{}", signature(g)),
                false,
            ));
        }
    }
}

fn fields(f: &[(String, &ScSpecTypeDef)]) -> String {
    f.iter()
        .map(|(n, t)| format!("{n}: {}", type_name(t)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Cases of an integer or error enum: removed, renumbered, reused, added. A removed
/// case breaks stored values of an integer enum; an error code is never stored, so its
/// removal only leaves dead code in clients (`removal_breaks` false).
fn check_numbered(
    name: &str,
    old: &BTreeMap<String, u32>,
    new: &BTreeMap<String, u32>,
    rules: [Rule; 4],
    removal_breaks: bool,
    out: &mut Vec<Finding>,
) {
    let [removed, renumbered, reused, added] = rules;
    for (case, v) in old {
        match new.get(case) {
            None => out.push(finding(
                removed,
                format!("{name}::{case}"),
                if removal_breaks {
                    format!("case {case} = {v} removed; stored values of it no longer decode")
                } else {
                    format!("code {case} = {v} no longer returned")
                },
                removal_breaks,
            )),
            Some(w) if w != v => out.push(finding(
                renumbered,
                format!("{name}::{case}"),
                format!("{case} renumbered from {v} to {w}"),
                true,
            )),
            Some(_) => {}
        }
    }
    for (case, w) in new {
        if old.contains_key(case) {
            continue;
        }
        match old.iter().find(|(_, v)| *v == w) {
            Some((was, _)) => out.push(finding(
                reused,
                format!("{name}::{case}"),
                format!("{w} meant {was} and now means {case}"),
                true,
            )),
            None => out.push(finding(
                added,
                format!("{name}::{case}"),
                format!("case {case} = {w} added"),
                false,
            )),
        }
    }
}

fn check_types(old: &Index, new: &Index, out: &mut Vec<Finding>) {
    for (name, t) in &old.types {
        let Some(u) = new.types.get(name) else {
            let consequence = match t {
                Udt::Error(_) => "callers matching its codes break",
                _ => "stored values of it no longer decode",
            };
            out.push(finding(
                Rule::TypeRemoved,
                name.clone(),
                format!("{} {name} removed; {consequence}", t.kind()),
                true,
            ));
            continue;
        };
        match (t, u) {
            (Udt::Struct(a), Udt::Struct(b)) => {
                if a != b {
                    let names = |f: &[(String, &ScSpecTypeDef)]| {
                        let mut n: Vec<String> = f.iter().map(|(n, _)| n.clone()).collect();
                        n.sort();
                        n
                    };
                    let what = if names(a) == names(b)
                        && a.iter()
                            .all(|(n, t)| b.iter().any(|(m, u)| m == n && u == t))
                    {
                        "fields reordered"
                    } else {
                        "fields changed"
                    };
                    out.push(finding(
                        Rule::StructFields,
                        name.clone(),
                        format!(
                            "{what}: {{{}}} became {{{}}}; values stored by the old code no longer decode",
                            fields(a),
                            fields(b)
                        ),
                        true,
                    ));
                }
            }
            (Udt::Union(a, av), Udt::Union(b, bv)) => {
                for (case, types) in a {
                    match b.get(case) {
                        None => out.push(finding(
                            Rule::UnionCaseRemoved,
                            format!("{name}::{case}"),
                            format!("case {case} removed; values stored under it no longer decode"),
                            true,
                        )),
                        Some(new_types) if new_types != types || av.get(case) != bv.get(case) => {
                            let show = |v: &Vec<&ScSpecTypeDef>| {
                                v.iter()
                                    .map(|t| type_name(t))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            };
                            out.push(finding(
                                Rule::UnionCaseChanged,
                                format!("{name}::{case}"),
                                format!(
                                    "{case}({}) became {case}({})",
                                    show(types),
                                    show(new_types)
                                ),
                                true,
                            ));
                        }
                        Some(_) => {}
                    }
                }
                for case in b.keys().filter(|c| !a.contains_key(*c)) {
                    out.push(finding(
                        Rule::UnionCaseAdded,
                        format!("{name}::{case}"),
                        format!("case {case} added"),
                        false,
                    ));
                }
            }
            (Udt::Enum(a), Udt::Enum(b)) => check_numbered(
                name,
                a,
                b,
                [
                    Rule::EnumCaseRemoved,
                    Rule::EnumCaseRenumbered,
                    Rule::EnumValueReused,
                    Rule::EnumCaseAdded,
                ],
                true,
                out,
            ),
            (Udt::Error(a), Udt::Error(b)) => check_numbered(
                name,
                a,
                b,
                [
                    Rule::ErrorCodeRemoved,
                    Rule::ErrorCodeRenumbered,
                    Rule::ErrorCodeReused,
                    Rule::ErrorCodeAdded,
                ],
                false,
                out,
            ),
            (t, u) => out.push(finding(
                Rule::TypeKindChanged,
                name.clone(),
                format!("{} {name} became a {}", t.kind(), u.kind()),
                true,
            )),
        }
    }
    for (name, u) in &new.types {
        if !old.types.contains_key(name) {
            out.push(finding(
                Rule::TypeAdded,
                name.clone(),
                format!("{} {name} added", u.kind()),
                false,
            ));
        }
    }
}

fn check_events(old: &Index, new: &Index, out: &mut Vec<Finding>) {
    for (name, e) in &old.events {
        match new.events.get(name) {
            None => out.push(finding(
                Rule::EventChanged,
                format!("event {name}"),
                "removed (indexers following it stop seeing it)".into(),
                false,
            )),
            Some(f) if f != e => out.push(finding(
                Rule::EventChanged,
                format!("event {name}"),
                "topics or data changed (indexers must follow)".into(),
                false,
            )),
            Some(_) => {}
        }
    }
}

fn check_interface(old: &ContractSpec, new: &ContractSpec, ledger: Ledger, out: &mut Vec<Finding>) {
    let Some((protocol, pre)) = new.interface else {
        out.push(finding(
            Rule::InterfaceRefused,
            "env interface",
            "the new Wasm declares no env interface version: the host refuses it".into(),
            true,
        ));
        return;
    };
    if protocol > ledger.protocol {
        out.push(finding(
            Rule::InterfaceRefused,
            "env interface",
            format!(
                "built for protocol {protocol}; a ledger at protocol {} refuses it at upload",
                ledger.protocol
            ),
            true,
        ));
    } else if pre != 0 && (protocol != ledger.protocol || !ledger.pre_release) {
        out.push(finding(
            Rule::InterfaceRefused,
            "env interface",
            format!(
                "pre-release interface {protocol}.{pre}: only a pre-release (`next`) network at protocol {protocol} accepts it"
            ),
            true,
        ));
    } else if old.interface != new.interface {
        let old = old
            .interface
            .map(|(p, r)| format!("{p}.{r}"))
            .unwrap_or_else(|| "none".into());
        out.push(finding(
            Rule::InterfaceChanged,
            "env interface",
            format!(
                "{old} became {protocol}.{pre}, accepted at protocol {}",
                ledger.protocol
            ),
            false,
        ));
    }
}

/// Every difference that matters when `new` replaces `old` under a fleet on `ledger`,
/// breaking ones first.
pub fn check(old: &ContractSpec, new: &ContractSpec, ledger: Ledger) -> Vec<Finding> {
    let (a, b) = (index(old), index(new));
    let mut out = Vec::new();
    check_interface(old, new, ledger, &mut out);
    check_functions(&a, &b, &mut out);
    check_types(&a, &b, &mut out);
    check_events(&a, &b, &mut out);
    out.sort_by(|x, y| y.breaking.cmp(&x.breaking).then(x.rule.cmp(&y.rule)));
    out
}

/// Whether the upgrade is safe: no breaking finding.
pub fn is_safe(findings: &[Finding]) -> bool {
    findings.iter().all(|f| !f.breaking)
}

#[cfg(test)]
mod tests {
    use super::*;
    use soroban_env_host::xdr::{
        ScSpecFunctionInputV0, ScSpecTypeUdt, ScSpecUdtEnumCaseV0, ScSpecUdtEnumV0,
        ScSpecUdtErrorEnumCaseV0, ScSpecUdtErrorEnumV0, ScSpecUdtStructFieldV0, ScSpecUdtStructV0,
        ScSpecUdtUnionCaseTupleV0, ScSpecUdtUnionCaseVoidV0, ScSpecUdtUnionV0, ScSymbol,
    };

    fn f(name: &str, inputs: &[(&str, ScSpecTypeDef)], out: Option<ScSpecTypeDef>) -> ScSpecEntry {
        ScSpecEntry::FunctionV0(ScSpecFunctionV0 {
            doc: Default::default(),
            name: ScSymbol(name.try_into().unwrap()),
            inputs: inputs
                .iter()
                .map(|(n, t)| ScSpecFunctionInputV0 {
                    doc: Default::default(),
                    name: (*n).try_into().unwrap(),
                    type_: t.clone(),
                })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
            outputs: out.into_iter().collect::<Vec<_>>().try_into().unwrap(),
        })
    }

    fn st(name: &str, fields: &[(&str, ScSpecTypeDef)]) -> ScSpecEntry {
        ScSpecEntry::UdtStructV0(ScSpecUdtStructV0 {
            doc: Default::default(),
            lib: Default::default(),
            name: name.try_into().unwrap(),
            fields: fields
                .iter()
                .map(|(n, t)| ScSpecUdtStructFieldV0 {
                    doc: Default::default(),
                    name: (*n).try_into().unwrap(),
                    type_: t.clone(),
                })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        })
    }

    fn un(name: &str, cases: &[(&str, Option<ScSpecTypeDef>)]) -> ScSpecEntry {
        ScSpecEntry::UdtUnionV0(ScSpecUdtUnionV0 {
            doc: Default::default(),
            lib: Default::default(),
            name: name.try_into().unwrap(),
            cases: cases
                .iter()
                .map(|(n, t)| match t {
                    None => ScSpecUdtUnionCaseV0::VoidV0(ScSpecUdtUnionCaseVoidV0 {
                        doc: Default::default(),
                        name: (*n).try_into().unwrap(),
                    }),
                    Some(t) => ScSpecUdtUnionCaseV0::TupleV0(ScSpecUdtUnionCaseTupleV0 {
                        doc: Default::default(),
                        name: (*n).try_into().unwrap(),
                        type_: vec![t.clone()].try_into().unwrap(),
                    }),
                })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        })
    }

    fn en(name: &str, cases: &[(&str, u32)]) -> ScSpecEntry {
        ScSpecEntry::UdtEnumV0(ScSpecUdtEnumV0 {
            doc: Default::default(),
            lib: Default::default(),
            name: name.try_into().unwrap(),
            cases: cases
                .iter()
                .map(|(n, v)| ScSpecUdtEnumCaseV0 {
                    doc: Default::default(),
                    name: (*n).try_into().unwrap(),
                    value: *v,
                })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        })
    }

    fn er(name: &str, cases: &[(&str, u32)]) -> ScSpecEntry {
        ScSpecEntry::UdtErrorEnumV0(ScSpecUdtErrorEnumV0 {
            doc: Default::default(),
            lib: Default::default(),
            name: name.try_into().unwrap(),
            cases: cases
                .iter()
                .map(|(n, v)| ScSpecUdtErrorEnumCaseV0 {
                    doc: Default::default(),
                    name: (*n).try_into().unwrap(),
                    value: *v,
                })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        })
    }

    fn udt(name: &str) -> ScSpecTypeDef {
        ScSpecTypeDef::Udt(ScSpecTypeUdt {
            name: name.try_into().unwrap(),
        })
    }

    fn spec(entries: Vec<ScSpecEntry>) -> ContractSpec {
        ContractSpec {
            entries,
            interface: Some((27, 0)),
        }
    }

    /// The rules that fire when `old` becomes `new`, with whether they break.
    fn rules(old: Vec<ScSpecEntry>, new: Vec<ScSpecEntry>) -> Vec<(Rule, bool)> {
        check(&spec(old), &spec(new), Ledger::default())
            .into_iter()
            .map(|f| (f.rule, f.breaking))
            .collect()
    }

    use ScSpecTypeDef::{Address, I128, U32, U64};

    #[test]
    fn identical_specs_are_safe_and_silent() {
        let s = vec![f("a", &[("x", U32)], Some(U32)), st("S", &[("a", U32)])];
        assert!(rules(s.clone(), s).is_empty());
    }

    #[test]
    fn functions() {
        let base = vec![f("pay", &[("to", Address), ("amount", I128)], None)];
        assert_eq!(rules(base.clone(), vec![]), [(Rule::FunctionRemoved, true)]);
        let retyped = vec![f("pay", &[("to", Address), ("amount", U64)], None)];
        assert_eq!(
            rules(base.clone(), retyped),
            [(Rule::FunctionSignature, true)]
        );
        let reordered = vec![f("pay", &[("amount", I128), ("to", Address)], None)];
        assert_eq!(
            rules(base.clone(), reordered),
            [(Rule::FunctionSignature, true)]
        );
        let output = vec![f("pay", &[("to", Address), ("amount", I128)], Some(U32))];
        assert_eq!(
            rules(base.clone(), output),
            [(Rule::FunctionSignature, true)]
        );
        let renamed = vec![f("pay", &[("dest", Address), ("amount", I128)], None)];
        assert_eq!(
            rules(base.clone(), renamed),
            [(Rule::FunctionInputRenamed, false)]
        );
        let mut added = base.clone();
        added.push(f("sent", &[], Some(U32)));
        assert_eq!(rules(base, added), [(Rule::FunctionAdded, false)]);
    }

    #[test]
    fn structs() {
        let base = vec![st("Key", &[("from", Address), ("spender", Address)])];
        for changed in [
            st("Key", &[("from", Address)]),
            st(
                "Key",
                &[("from", Address), ("spender", Address), ("n", U32)],
            ),
            st("Key", &[("from", Address), ("spender", U32)]),
            st("Key", &[("spender", Address), ("from", Address)]),
        ] {
            assert_eq!(
                rules(base.clone(), vec![changed]),
                [(Rule::StructFields, true)]
            );
        }
    }

    #[test]
    fn unions() {
        let base = vec![un(
            "DataKey",
            &[("Admin", None), ("Balance", Some(Address))],
        )];
        let removed = vec![un("DataKey", &[("Admin", None)])];
        assert_eq!(
            rules(base.clone(), removed),
            [(Rule::UnionCaseRemoved, true)]
        );
        let changed = vec![un("DataKey", &[("Admin", None), ("Balance", Some(U32))])];
        assert_eq!(
            rules(base.clone(), changed),
            [(Rule::UnionCaseChanged, true)]
        );
        let to_void = vec![un("DataKey", &[("Admin", None), ("Balance", None)])];
        assert_eq!(
            rules(base.clone(), to_void),
            [(Rule::UnionCaseChanged, true)]
        );
        let added = vec![un(
            "DataKey",
            &[
                ("Admin", None),
                ("Balance", Some(Address)),
                ("Sent", Some(Address)),
            ],
        )];
        assert_eq!(rules(base, added), [(Rule::UnionCaseAdded, false)]);
    }

    #[test]
    fn integer_enums_and_errors() {
        let base = vec![en("Color", &[("Red", 0), ("Blue", 1)])];
        let removed = vec![en("Color", &[("Red", 0)])];
        assert_eq!(
            rules(base.clone(), removed),
            [(Rule::EnumCaseRemoved, true)]
        );
        let renumbered = vec![en("Color", &[("Red", 0), ("Blue", 2)])];
        assert_eq!(
            rules(base.clone(), renumbered),
            [(Rule::EnumCaseRenumbered, true)]
        );
        let reused = vec![en("Color", &[("Red", 0), ("Green", 1)])];
        let mut got = rules(base.clone(), reused);
        got.sort();
        assert_eq!(
            got,
            [(Rule::EnumCaseRemoved, true), (Rule::EnumValueReused, true)]
        );
        let added = vec![en("Color", &[("Red", 0), ("Blue", 1), ("Green", 2)])];
        assert_eq!(rules(base, added), [(Rule::EnumCaseAdded, false)]);

        let base = vec![er("Error", &[("Negative", 1), ("Insufficient", 2)])];
        let reused = vec![er("Error", &[("Negative", 1), ("Paused", 2)])];
        let mut got = rules(base.clone(), reused);
        got.sort();
        assert_eq!(
            got,
            [
                (Rule::ErrorCodeRemoved, false),
                (Rule::ErrorCodeReused, true)
            ]
        );
        let renumbered = vec![er("Error", &[("Negative", 1), ("Insufficient", 3)])];
        assert_eq!(
            rules(base.clone(), renumbered),
            [(Rule::ErrorCodeRenumbered, true)]
        );
        let dropped = vec![er("Error", &[("Negative", 1)])];
        assert_eq!(
            rules(base.clone(), dropped),
            [(Rule::ErrorCodeRemoved, false)]
        );
        let added = vec![er(
            "Error",
            &[("Negative", 1), ("Insufficient", 2), ("Paused", 3)],
        )];
        assert_eq!(rules(base, added), [(Rule::ErrorCodeAdded, false)]);
    }

    #[test]
    fn types_removed_or_changing_kind() {
        let base = vec![st("S", &[("a", U32)]), en("E", &[("A", 0)])];
        assert_eq!(
            rules(base.clone(), vec![st("S", &[("a", U32)])]),
            [(Rule::TypeRemoved, true)]
        );
        assert_eq!(
            rules(base, vec![st("S", &[("a", U32)]), un("E", &[("A", None)])]),
            [(Rule::TypeKindChanged, true)]
        );
        // A function taking the struct keeps its signature while the struct changes: the
        // struct rule, not the function rule, reports it.
        let old = vec![f("get", &[("k", udt("S"))], None), st("S", &[("a", U32)])];
        let new = vec![f("get", &[("k", udt("S"))], None), st("S", &[("a", U64)])];
        assert_eq!(rules(old, new), [(Rule::StructFields, true)]);
    }

    #[test]
    fn env_interface() {
        let old = spec(vec![]);
        let at = |p, r| ContractSpec {
            entries: vec![],
            interface: Some((p, r)),
        };
        let fork = Ledger::default();
        let breaking = |new: &ContractSpec, ledger| !is_safe(&check(&old, new, ledger));
        assert!(!breaking(&at(28, 0), fork), "28.0 on a 28 ledger");
        assert!(breaking(&at(29, 0), fork), "29 on a 28 ledger");
        assert!(
            breaking(&at(28, 1), fork),
            "a pre-release on a release ledger"
        );
        let next = Ledger {
            protocol: 28,
            pre_release: true,
        };
        assert!(!breaking(&at(28, 1), next), "28.1 on a next ledger");
        let upstream27 = Ledger {
            protocol: 27,
            pre_release: false,
        };
        assert!(breaking(&at(28, 0), upstream27), "fork code on a 27 ledger");
        let none = ContractSpec {
            entries: vec![],
            interface: None,
        };
        assert!(breaking(&none, fork));
    }
}
