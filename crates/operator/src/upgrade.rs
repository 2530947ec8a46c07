//! `check-upgrade`: is `new` a compatible upgrade of `old` for a fleet already running
//! `old`? A ref update moves every follower at once, so an incompatible interface breaks
//! every caller at once, an incompatible type breaks every follower's stored data, and
//! a changed event every indexer's view of the fleet.
//!
//! Each [`Rule`] gives its findings one [`Verdict`]: `ok`, `breaking`, or `migration
//! needed` (the code runs, but followers deployed before lack what the new code
//! expects). [`Rule::reason`] says why, in one line; `extref check-upgrade --explain`
//! lists them all. In short:
//!
//! - functions: removed or retyped (breaking), added or an input renamed (ok);
//!   `__constructor` added or changed (migration needed: existing followers never ran
//!   it), removed (breaking for deployers);
//! - types, compared by shape: struct fields, union cases and payloads, enum numbers,
//!   error codes (removing one is breaking, like reusing one); a type removed or changing
//!   kind (breaking); renamed with its shape kept (ok: names are never stored);
//!   two definitions under one name, e.g. from two libraries (breaking: ambiguous);
//! - events (`#[contractevent]`): removed or changed on the wire (breaking for
//!   indexers); renamed with the same wire form, or added (ok);
//! - storage declarations (`extref_spec::storage_types!`): a declared storage type
//!   no longer declared (breaking: the check could no longer vouch for it);
//! - the env interface the ledger accepts.
//!
//! What a spec does not hold, the check cannot see: which storage keys each version
//! reads and writes and in which durability, private types left out of the spec, and
//! what function bodies do. [`not_checked`] says so in every report.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use soroban_env_host::xdr::{
    ScSpecEntry, ScSpecEventDataFormat, ScSpecEventParamLocationV0, ScSpecEventV0,
    ScSpecFunctionV0, ScSpecTypeDef, ScSpecUdtUnionCaseV0, StringM,
};

use crate::spec::{type_name, ContractSpec};

/// What a finding means for the upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Callers, stored data or indexers break.
    Breaking,
    /// The new code runs, but followers deployed before lack what it expects: migrate
    /// each of them (or make the code tolerate the absence) before the ref moves.
    MigrationNeeded,
    Ok,
}

impl Verdict {
    /// The label of the text report.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Breaking => "BREAKING",
            Verdict::MigrationNeeded => "MIGRATE",
            Verdict::Ok => "ok",
        }
    }
}

macro_rules! rules {
    ($($(#[$doc:meta])* $rule:ident = $name:literal, $verdict:ident, $reason:literal;)+) => {
        /// A rule of the check; every finding names the rule that made it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Rule {
            $($(#[$doc])* $rule,)+
        }

        impl Rule {
            /// Every rule, in report order.
            pub const ALL: &'static [Rule] = &[$(Rule::$rule),+];

            /// The rule's name, as the JSON report spells it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Rule::$rule => $name,)+
                }
            }

            /// The verdict of the rule's findings.
            pub fn verdict(self) -> Verdict {
                match self {
                    $(Rule::$rule => Verdict::$verdict,)+
                }
            }

            /// Why the rule gives that verdict, in one line.
            pub fn reason(self) -> &'static str {
                match self {
                    $(Rule::$rule => $reason,)+
                }
            }
        }
    };
}

rules! {
    FunctionRemoved = "function_removed", Breaking,
        "every call to it fails: the function no longer exists";
    FunctionSignature = "function_signature", Breaking,
        "arguments are positional and typed: callers built for the old inputs or output fail or misread the result";
    FunctionInputRenamed = "function_input_renamed", Ok,
        "arguments are positional: an input's name is not sent";
    FunctionAdded = "function_added", Ok,
        "only new callers use it";
    ConstructorAdded = "constructor_added", MigrationNeeded,
        "followers deployed before never ran it: what it stores is absent for them and code unwrapping it traps on every call; migrate each follower or make the code tolerate the absence";
    ConstructorChanged = "constructor_changed", MigrationNeeded,
        "followers ran the old constructor: what the new one stores otherwise is absent for them, and deployers must pass the new arguments";
    ConstructorRemoved = "constructor_removed", Breaking,
        "a deployer passing constructor arguments (a factory's deploy_with) fails";
    StructFields = "struct_fields", Breaking,
        "a struct is stored as a map keyed by field name: with a field added, removed or retyped, values stored before no longer decode (a field order change is not one: the keys are sorted)";
    UnionCaseRemoved = "union_case_removed", Breaking,
        "a union value is stored as [case name, payload]: a stored value of a removed or renamed case no longer decodes, and a storage key built from it is never found again";
    UnionCaseChanged = "union_case_changed", Breaking,
        "values stored with the case's old payload no longer decode, and storage keys built from it are never found again";
    UnionCaseAdded = "union_case_added", Ok,
        "no stored value uses it yet";
    EnumCaseRemoved = "enum_case_removed", Breaking,
        "an integer enum is stored as its number: a stored value of the removed case no longer decodes";
    EnumCaseRenumbered = "enum_case_renumbered", Breaking,
        "stored values carry the old number: they decode as another case or not at all";
    EnumValueReused = "enum_value_reused", Breaking,
        "stored values of the old case silently decode as the new one";
    EnumCaseAdded = "enum_case_added", Ok,
        "no stored value uses its number yet";
    ErrorCodeRemoved = "error_code_removed", Breaking,
        "callers handling the code (a contract's try_ call, a client's message) get another outcome for the same condition, and a later build could reuse the number unseen by any two-build check: keep the case";
    ErrorCodeRenumbered = "error_code_renumbered", Breaking,
        "errors reach callers as numbers: the old number now means nothing or something else";
    ErrorCodeReused = "error_code_reused", Breaking,
        "callers matching the number take the new error for the old one";
    ErrorCodeAdded = "error_code_added", Ok,
        "a new number: callers that do not know it see an unknown contract error, as for any error they do not handle";
    TypeRemoved = "type_removed", Breaking,
        "values of it stored before, or sent by callers, have no type to decode as any more (a type made private without #[contracttype(export = true)] leaves the spec too)";
    TypeKindChanged = "type_kind_changed", Breaking,
        "structs, unions and enums are encoded differently: stored values no longer decode";
    TypeRenamed = "type_renamed", Ok,
        "a type's name is never stored nor sent (a struct is a map keyed by field name, a union a vector headed by the case name, an enum a number): with its shape kept, stored values and arguments decode unchanged; only bindings regenerated from the spec see the new name";
    TypeAdded = "type_added", Ok,
        "no stored value or caller uses it yet";
    DuplicateType = "duplicate_type", Breaking,
        "two different types share a name (e.g. from two libraries) and a spec refers to types by name alone: neither this check nor a client can tell which one a function or a field means; rename one (identical duplicates are merged)";
    EventRemoved = "event_removed", Breaking,
        "indexers following its topics stop seeing it";
    EventChanged = "event_changed", Breaking,
        "indexers decode an event by its topics and data layout: changed prefix topics, parameters (name, type, topic or data) or data format make them miss or misread it";
    EventRenamed = "event_renamed", Ok,
        "only the Rust name changed: the prefix topics, parameters and data format, all that is published, did not";
    EventAdded = "event_added", Ok,
        "indexers that do not know it ignore it";
    StorageUndeclared = "storage_undeclared", Breaking,
        "the old build declared this storage type (extref_spec::storage_types!) and the new one does not: the check can no longer vouch that every stored type is compared";
    StorageDeclared = "storage_declared", Ok,
        "the new build declares storage types: from now on a hidden change to them is caught";
    InterfaceRefused = "interface_refused", Breaking,
        "the host refuses, at upload, Wasm built for a protocol above the ledger's or a pre-release interface on a release network";
    InterfaceChanged = "interface_changed", Ok,
        "the ledger accepts the new interface version";
}

/// One difference between the two contracts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    /// The function, type, case or event concerned.
    pub subject: String,
    pub detail: String,
    pub verdict: Verdict,
    /// Not `ok`: the upgrade is not safe as it is.
    pub breaking: bool,
}

/// What the ledger the fleet lives on accepts.
#[derive(Clone, Copy, Debug)]
pub struct Network {
    pub protocol: u32,
    /// Whether the network runs a pre-release (`next`) host, which alone accepts
    /// pre-release interfaces of its own protocol.
    pub pre_release: bool,
}

impl Default for Network {
    /// The fork's protocol 28, a release network.
    fn default() -> Self {
        Network {
            protocol: 28,
            pre_release: false,
        }
    }
}

fn s<const N: u32>(m: &StringM<N>) -> String {
    m.to_utf8_string_lossy()
}

/// A user-defined type's shape: what its values look like on the ledger.
#[derive(Clone, Debug, PartialEq)]
enum Udt<'a> {
    /// Field name -> type (stored as a map: the order does not matter).
    Struct(BTreeMap<String, &'a ScSpecTypeDef>),
    /// Case name -> payload (`None`: a void case).
    Union(BTreeMap<String, Option<Vec<&'a ScSpecTypeDef>>>),
    Enum(BTreeMap<String, u32>),
    Error(BTreeMap<String, u32>),
}

impl Udt<'_> {
    /// Field or case names, to tell two definitions apart.
    fn members(&self) -> Vec<String> {
        match self {
            Udt::Struct(m) => m.keys().cloned().collect(),
            Udt::Union(m) => m.keys().cloned().collect(),
            Udt::Enum(m) | Udt::Error(m) => m.iter().map(|(n, v)| format!("{n} = {v}")).collect(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Udt::Struct(_) => "struct",
            Udt::Union(..) => "union",
            Udt::Enum(_) => "enum",
            Udt::Error(_) => "error enum",
        }
    }
}

/// One side's spec, by name.
struct Index<'a> {
    functions: BTreeMap<String, &'a ScSpecFunctionV0>,
    /// Types with one definition (identical duplicates merged).
    types: BTreeMap<String, Udt<'a>>,
    /// Names defined more than once, differently: name -> each definition, described.
    duplicates: BTreeMap<String, Vec<String>>,
    events: BTreeMap<String, &'a ScSpecEventV0>,
}

fn index(spec: &ContractSpec) -> Index<'_> {
    let mut functions = BTreeMap::new();
    let mut defs: BTreeMap<String, Vec<(String, Udt)>> = BTreeMap::new();
    let mut events = BTreeMap::new();
    for e in &spec.entries {
        let (lib, name, udt) = match e {
            ScSpecEntry::FunctionV0(f) => {
                functions.insert(f.name.0.to_utf8_string_lossy(), f);
                continue;
            }
            ScSpecEntry::EventV0(ev) => {
                events.insert(s(&ev.name), ev);
                continue;
            }
            ScSpecEntry::UdtStructV0(t) => (
                s(&t.lib),
                s(&t.name),
                Udt::Struct(t.fields.iter().map(|f| (s(&f.name), &f.type_)).collect()),
            ),
            ScSpecEntry::UdtUnionV0(t) => (
                s(&t.lib),
                s(&t.name),
                Udt::Union(
                    t.cases
                        .iter()
                        .map(|c| match c {
                            ScSpecUdtUnionCaseV0::VoidV0(v) => (s(&v.name), None),
                            ScSpecUdtUnionCaseV0::TupleV0(v) => {
                                (s(&v.name), Some(v.type_.iter().collect()))
                            }
                        })
                        .collect(),
                ),
            ),
            ScSpecEntry::UdtEnumV0(t) => (
                s(&t.lib),
                s(&t.name),
                Udt::Enum(t.cases.iter().map(|c| (s(&c.name), c.value)).collect()),
            ),
            ScSpecEntry::UdtErrorEnumV0(t) => (
                s(&t.lib),
                s(&t.name),
                Udt::Error(t.cases.iter().map(|c| (s(&c.name), c.value)).collect()),
            ),
        };
        defs.entry(name).or_default().push((lib, udt));
    }
    let mut types = BTreeMap::new();
    let mut duplicates = BTreeMap::new();
    for (name, mut list) in defs {
        let (_, first) = &list[0];
        if list.iter().all(|(_, u)| u == first) {
            types.insert(name, list.swap_remove(0).1);
        } else {
            let defs = list
                .iter()
                .map(|(lib, u)| {
                    let members = u.members().join(", ");
                    if lib.is_empty() {
                        format!("{} {{ {members} }}", u.kind())
                    } else {
                        format!("{} {{ {members} }} of lib {lib}", u.kind())
                    }
                })
                .collect();
            duplicates.insert(name, defs);
        }
    }
    Index {
        functions,
        types,
        duplicates,
        events,
    }
}

/// Old type name -> new, for types renamed with their shape kept.
type Renames = BTreeMap<String, String>;

/// Whether a value of `old` type (in the old spec) decodes as `new` (in the new one).
fn same_type(old: &ScSpecTypeDef, new: &ScSpecTypeDef, renames: &Renames) -> bool {
    use ScSpecTypeDef as T;
    match (old, new) {
        (T::Udt(a), T::Udt(b)) => {
            let a = s(&a.name);
            renames.get(&a).unwrap_or(&a) == &s(&b.name)
        }
        (T::Option(a), T::Option(b)) => same_type(&a.value_type, &b.value_type, renames),
        (T::Result(a), T::Result(b)) => {
            same_type(&a.ok_type, &b.ok_type, renames)
                && same_type(&a.error_type, &b.error_type, renames)
        }
        (T::Vec(a), T::Vec(b)) => same_type(&a.element_type, &b.element_type, renames),
        (T::Map(a), T::Map(b)) => {
            same_type(&a.key_type, &b.key_type, renames)
                && same_type(&a.value_type, &b.value_type, renames)
        }
        (T::Tuple(a), T::Tuple(b)) => same_types(&a.value_types, &b.value_types, renames),
        (a, b) => a == b,
    }
}

fn same_types<'a>(
    old: impl IntoIterator<Item = &'a ScSpecTypeDef>,
    new: impl IntoIterator<Item = &'a ScSpecTypeDef>,
    renames: &Renames,
) -> bool {
    let (old, new): (Vec<_>, Vec<_>) = (old.into_iter().collect(), new.into_iter().collect());
    old.len() == new.len() && old.iter().zip(&new).all(|(a, b)| same_type(a, b, renames))
}

fn same_shape(old: &Udt, new: &Udt, renames: &Renames) -> bool {
    match (old, new) {
        (Udt::Struct(a), Udt::Struct(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(n, t)| b.get(n).is_some_and(|u| same_type(t, u, renames)))
        }
        (Udt::Union(a), Udt::Union(b)) => {
            a.len() == b.len()
                && a.iter().all(|(n, c)| match (c, b.get(n)) {
                    (None, Some(None)) => true,
                    (Some(x), Some(Some(y))) => {
                        same_types(x.iter().copied(), y.iter().copied(), renames)
                    }
                    _ => false,
                })
        }
        (Udt::Enum(a), Udt::Enum(b)) | (Udt::Error(a), Udt::Error(b)) => a == b,
        _ => false,
    }
}

/// Types that left under one name and arrived under another with the same shape. A
/// removed type matching several arrivals is not taken for a rename (ambiguous); the
/// search repeats so that types referring to renamed types are found too.
fn renames(old: &Index, new: &Index) -> (Renames, BTreeMap<String, Vec<String>>) {
    let left: Vec<&String> = old
        .types
        .keys()
        .filter(|n| !new.types.contains_key(*n) && !new.duplicates.contains_key(*n))
        .collect();
    let arrived: Vec<&String> = new
        .types
        .keys()
        .filter(|n| !old.types.contains_key(*n) && !old.duplicates.contains_key(*n))
        .collect();
    let mut renames = Renames::new();
    let mut ambiguous = BTreeMap::new();
    loop {
        let taken: BTreeSet<&String> = renames.values().collect();
        let mut found = None;
        ambiguous.clear();
        for &o in left.iter().filter(|o| !renames.contains_key(**o)) {
            let candidates: Vec<String> = arrived
                .iter()
                .filter(|a| !taken.contains(**a))
                .filter(|a| {
                    let mut tentative = renames.clone();
                    tentative.insert(o.clone(), (**a).clone());
                    same_shape(&old.types[o], &new.types[**a], &tentative)
                })
                .map(|a| (*a).clone())
                .collect();
            match candidates.len() {
                0 => {}
                1 if found.is_none() => found = Some((o.clone(), candidates[0].clone())),
                1 => {}
                _ => {
                    ambiguous.insert(o.clone(), candidates);
                }
            }
        }
        match found {
            Some((o, a)) => {
                renames.insert(o, a);
            }
            None => return (renames, ambiguous),
        }
    }
}

fn finding(rule: Rule, subject: impl Into<String>, detail: String) -> Finding {
    let verdict = rule.verdict();
    Finding {
        rule,
        subject: subject.into(),
        detail,
        verdict,
        breaking: verdict != Verdict::Ok,
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

const CONSTRUCTOR: &str = "__constructor";

fn check_functions(old: &Index, new: &Index, renames: &Renames, out: &mut Vec<Finding>) {
    for (name, f) in &old.functions {
        let subject = format!("fn {name}");
        let Some(g) = new.functions.get(name) else {
            out.push(if name == CONSTRUCTOR {
                finding(
                    Rule::ConstructorRemoved,
                    subject,
                    format!(
                        "removed; deploying with constructor arguments {} now fails",
                        signature(f)
                    ),
                )
            } else {
                finding(
                    Rule::FunctionRemoved,
                    subject,
                    format!("removed; callers of {name}{} fail", signature(f)),
                )
            });
            continue;
        };
        let same = same_types(
            f.inputs.iter().map(|i| &i.type_),
            g.inputs.iter().map(|i| &i.type_),
            renames,
        ) && same_types(f.outputs.iter(), g.outputs.iter(), renames);
        if !same {
            out.push(if name == CONSTRUCTOR {
                finding(
                    Rule::ConstructorChanged,
                    subject,
                    format!(
                        "migration needed: {} became {}; followers deployed before ran the old one",
                        signature(f),
                        signature(g)
                    ),
                )
            } else {
                finding(
                    Rule::FunctionSignature,
                    subject,
                    format!("{} became {}", signature(f), signature(g)),
                )
            });
        } else if f
            .inputs
            .iter()
            .map(|i| &i.name)
            .ne(g.inputs.iter().map(|i| &i.name))
        {
            out.push(finding(
                Rule::FunctionInputRenamed,
                subject,
                format!(
                    "inputs renamed: {} became {} (arguments are positional)",
                    signature(f),
                    signature(g)
                ),
            ));
        }
    }
    for (name, g) in &new.functions {
        if old.functions.contains_key(name) {
            continue;
        }
        out.push(if name == CONSTRUCTOR {
            finding(
                Rule::ConstructorAdded,
                format!("fn {name}"),
                format!(
                    "migration needed: added {name}{}; followers deployed before never ran it",
                    signature(g)
                ),
            )
        } else {
            finding(
                Rule::FunctionAdded,
                format!("fn {name}"),
                format!("added: {name}{}", signature(g)),
            )
        });
    }
}

fn list(types: &[&ScSpecTypeDef]) -> String {
    types
        .iter()
        .map(|t| type_name(t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Cases of an integer or error enum: removed, renumbered, reused, added.
fn check_numbered(
    name: &str,
    old: &BTreeMap<String, u32>,
    new: &BTreeMap<String, u32>,
    rules: [Rule; 4],
    what: &str,
    out: &mut Vec<Finding>,
) {
    let [removed, renumbered, reused, added] = rules;
    for (case, v) in old {
        match new.get(case) {
            None => out.push(finding(
                removed,
                format!("{name}::{case}"),
                format!("{what} {case} = {v} removed"),
            )),
            Some(w) if w != v => out.push(finding(
                renumbered,
                format!("{name}::{case}"),
                format!("{case} renumbered from {v} to {w}"),
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
            )),
            None => out.push(finding(
                added,
                format!("{name}::{case}"),
                format!("{what} {case} = {w} added"),
            )),
        }
    }
}

fn check_types(
    old: &Index,
    new: &Index,
    renames: &Renames,
    ambiguous: &BTreeMap<String, Vec<String>>,
    out: &mut Vec<Finding>,
) {
    for (side, index) in [("old", old), ("new", new)] {
        for (name, defs) in &index.duplicates {
            out.push(finding(
                Rule::DuplicateType,
                name.clone(),
                format!(
                    "the {side} spec defines {} different types named {name}: {}; which one a reference means is ambiguous, so {name} is not compared",
                    defs.len(),
                    defs.join(" and ")
                ),
            ));
        }
    }
    for (name, t) in &old.types {
        if new.duplicates.contains_key(name) {
            continue;
        }
        if let Some(to) = renames.get(name) {
            out.push(finding(
                Rule::TypeRenamed,
                name.clone(),
                format!("{} {name} renamed {to}, its shape kept", t.kind()),
            ));
            continue;
        }
        let Some(u) = new.types.get(name) else {
            let detail = match ambiguous.get(name) {
                Some(c) => format!(
                    "{} {name} removed (the new types {} have its shape: which one replaces it is ambiguous)",
                    t.kind(),
                    c.join(", ")
                ),
                None => format!(
                    "{} {name} no longer in the spec (removed, or private without export = true)",
                    t.kind()
                ),
            };
            out.push(finding(Rule::TypeRemoved, name.clone(), detail));
            continue;
        };
        match (t, u) {
            (Udt::Struct(a), Udt::Struct(b)) => {
                let mut changes = vec![];
                for (field, ty) in a {
                    match b.get(field) {
                        None => changes.push(format!("{field}: {} removed", type_name(ty))),
                        Some(u) if !same_type(ty, u, renames) => changes.push(format!(
                            "{field}: {} became {}",
                            type_name(ty),
                            type_name(u)
                        )),
                        Some(_) => {}
                    }
                }
                for (field, ty) in b {
                    if !a.contains_key(field) {
                        changes.push(format!("{field}: {} added", type_name(ty)));
                    }
                }
                if !changes.is_empty() {
                    out.push(finding(
                        Rule::StructFields,
                        name.clone(),
                        format!(
                            "{}; values stored before no longer decode",
                            changes.join(", ")
                        ),
                    ));
                }
            }
            (Udt::Union(a), Udt::Union(b)) => {
                for (case, payload) in a {
                    let subject = format!("{name}::{case}");
                    match (payload, b.get(case)) {
                        (_, None) => out.push(finding(
                            Rule::UnionCaseRemoved,
                            subject,
                            format!("case {case} removed; stored values and keys of it are lost"),
                        )),
                        (None, Some(None)) => {}
                        (Some(x), Some(Some(y)))
                            if same_types(x.iter().copied(), y.iter().copied(), renames) => {}
                        (x, Some(y)) => {
                            let show = |p: &Option<Vec<&ScSpecTypeDef>>| match p {
                                None => "no payload".to_string(),
                                Some(p) => format!("({})", list(p)),
                            };
                            out.push(finding(
                                Rule::UnionCaseChanged,
                                subject,
                                format!("payload {} became {}", show(x), show(y)),
                            ))
                        }
                    }
                }
                for (case, payload) in b {
                    if !a.contains_key(case) {
                        out.push(finding(
                            Rule::UnionCaseAdded,
                            format!("{name}::{case}"),
                            match payload {
                                None => format!("case {case} added"),
                                Some(p) => format!("case {case}({}) added", list(p)),
                            },
                        ));
                    }
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
                "case",
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
                "code",
                out,
            ),
            (t, u) => out.push(finding(
                Rule::TypeKindChanged,
                name.clone(),
                format!("{} {name} became a {}", t.kind(), u.kind()),
            )),
        }
    }
    let renamed: BTreeSet<&String> = renames.values().collect();
    for (name, u) in &new.types {
        if !old.types.contains_key(name)
            && !old.duplicates.contains_key(name)
            && !renamed.contains(name)
        {
            out.push(finding(
                Rule::TypeAdded,
                name.clone(),
                format!("{} {name} added", u.kind()),
            ));
        }
    }
}

/// An event as it is published: prefix topics, topic parameters in order, data
/// format, and data parameters (in order, or by name for a map).
fn event_wire_diff(old: &ScSpecEventV0, new: &ScSpecEventV0, renames: &Renames) -> Vec<String> {
    let topics = |e: &ScSpecEventV0| -> Vec<String> {
        e.prefix_topics
            .iter()
            .map(|t| t.0.to_utf8_string_lossy())
            .collect()
    };
    fn params(e: &ScSpecEventV0, at: ScSpecEventParamLocationV0) -> Vec<(String, &ScSpecTypeDef)> {
        e.params
            .iter()
            .filter(|p| p.location == at)
            .map(|p| (s(&p.name), &p.type_))
            .collect()
    }
    let show = |ps: &[(String, &ScSpecTypeDef)]| {
        ps.iter()
            .map(|(n, t)| format!("{n}: {}", type_name(t)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let same_params = |a: &[(String, &ScSpecTypeDef)], b: &[(String, &ScSpecTypeDef)]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|((n, t), (m, u))| n == m && same_type(t, u, renames))
    };
    let mut diff = vec![];
    if topics(old) != topics(new) {
        diff.push(format!(
            "prefix topics {:?} became {:?}",
            topics(old),
            topics(new)
        ));
    }
    let (a, b) = (
        params(old, ScSpecEventParamLocationV0::TopicList),
        params(new, ScSpecEventParamLocationV0::TopicList),
    );
    if !same_params(&a, &b) {
        diff.push(format!("topics ({}) became ({})", show(&a), show(&b)));
    }
    if old.data_format != new.data_format {
        diff.push(format!(
            "data format {} became {}",
            old.data_format.name(),
            new.data_format.name()
        ));
    }
    let (mut a, mut b) = (
        params(old, ScSpecEventParamLocationV0::Data),
        params(new, ScSpecEventParamLocationV0::Data),
    );
    if old.data_format == ScSpecEventDataFormat::Map
        && new.data_format == ScSpecEventDataFormat::Map
    {
        // A map's keys are sorted on the ledger: declaration order is not published.
        a.sort_by(|x, y| x.0.cmp(&y.0));
        b.sort_by(|x, y| x.0.cmp(&y.0));
    }
    if !same_params(&a, &b) {
        diff.push(format!("data ({}) became ({})", show(&a), show(&b)));
    }
    diff
}

fn check_events(old: &Index, new: &Index, renames: &Renames, out: &mut Vec<Finding>) {
    let mut taken = BTreeSet::new();
    for (name, e) in &old.events {
        let subject = format!("event {name}");
        if let Some(f) = new.events.get(name) {
            let diff = event_wire_diff(e, f, renames);
            if !diff.is_empty() {
                out.push(finding(
                    Rule::EventChanged,
                    subject,
                    format!("{}; indexers must follow", diff.join("; ")),
                ));
            }
            continue;
        }
        let renamed = new.events.iter().find(|(n, f)| {
            !old.events.contains_key(*n)
                && !taken.contains(*n)
                && event_wire_diff(e, f, renames).is_empty()
        });
        match renamed {
            Some((to, _)) => {
                taken.insert(to.clone());
                out.push(finding(
                    Rule::EventRenamed,
                    subject,
                    format!("renamed {to}; published exactly as before"),
                ));
            }
            None => out.push(finding(
                Rule::EventRemoved,
                subject,
                "removed: indexers following it stop seeing it".into(),
            )),
        }
    }
    for name in new.events.keys() {
        if !old.events.contains_key(name) && !taken.contains(name) {
            out.push(finding(
                Rule::EventAdded,
                format!("event {name}"),
                "added".into(),
            ));
        }
    }
}

fn check_storage(
    old: &ContractSpec,
    new: &ContractSpec,
    new_index: &Index,
    renames: &Renames,
    out: &mut Vec<Finding>,
) {
    match (&old.storage, &new.storage) {
        (Some(o), None) => out.push(finding(
            Rule::StorageUndeclared,
            "storage types",
            format!(
                "the old build declares its storage types ({}); the new one declares none",
                o.join(", ")
            ),
        )),
        (Some(o), Some(n)) => {
            let mut carried = BTreeSet::new();
            for t in o {
                let t = renames.get(t).unwrap_or(t);
                carried.insert(t.clone());
                // A type gone from the spec is reported as removed.
                if !n.contains(t) && new_index.types.contains_key(t) {
                    out.push(finding(
                        Rule::StorageUndeclared,
                        t.clone(),
                        format!("{t} is no longer declared a storage type"),
                    ));
                }
            }
            let added: Vec<&String> = n.iter().filter(|t| !carried.contains(*t)).collect();
            if !added.is_empty() {
                out.push(finding(
                    Rule::StorageDeclared,
                    "storage types",
                    format!(
                        "newly declared: {}",
                        added
                            .iter()
                            .map(|t| t.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        (None, Some(n)) => out.push(finding(
            Rule::StorageDeclared,
            "storage types",
            format!(
                "the new build declares {}; the old one declared none, so a type it kept out of its spec was not compared",
                n.join(", ")
            ),
        )),
        (None, None) => {}
    }
}

fn check_interface(
    old: &ContractSpec,
    new: &ContractSpec,
    ledger: Network,
    out: &mut Vec<Finding>,
) {
    let Some((protocol, pre)) = new.interface else {
        out.push(finding(
            Rule::InterfaceRefused,
            "env interface",
            "the new Wasm declares no env interface version: the host refuses it".into(),
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
        ));
    } else if pre != 0 && (protocol != ledger.protocol || !ledger.pre_release) {
        out.push(finding(
            Rule::InterfaceRefused,
            "env interface",
            format!(
                "pre-release interface {protocol}.{pre}: only a pre-release (`next`) network at protocol {protocol} accepts it"
            ),
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
        ));
    }
}

/// Every difference that matters when `new` replaces `old` under a fleet on `ledger`,
/// breaking ones first, then those needing a migration.
pub fn check(old: &ContractSpec, new: &ContractSpec, ledger: Network) -> Vec<Finding> {
    let (a, b) = (index(old), index(new));
    let (renames, ambiguous) = renames(&a, &b);
    let mut out = Vec::new();
    check_interface(old, new, ledger, &mut out);
    check_functions(&a, &b, &renames, &mut out);
    check_types(&a, &b, &renames, &ambiguous, &mut out);
    check_events(&a, &b, &renames, &mut out);
    check_storage(old, new, &b, &renames, &mut out);
    out.sort_by(|x, y| x.verdict.cmp(&y.verdict).then(x.rule.cmp(&y.rule)));
    out
}

/// Whether the upgrade is safe: every finding `ok`.
pub fn is_safe(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.verdict == Verdict::Ok)
}

/// The worst verdict among `findings` (`Ok` for none).
pub fn verdict(findings: &[Finding]) -> Verdict {
    findings
        .iter()
        .map(|f| f.verdict)
        .min()
        .unwrap_or(Verdict::Ok)
}

/// What the check cannot see for this pair, in plain words: every report carries it.
pub fn not_checked(old: &ContractSpec, new: &ContractSpec) -> Vec<String> {
    let declared = match (&old.storage, &new.storage) {
        (None, None) => {
            "storage types: neither build declares them (extref_spec::storage_types!). \
            soroban-sdk writes only `pub` #[contracttype]s into the spec, so a private storage \
            type (an `enum DataKey`, say) was not compared and a change to it passes this check; \
            export it with #[contracttype(export = true)] and declare it"
                .to_string()
        }
        (_, Some(n)) => format!(
            "storage types: the new build declares {}; a stored type left out of that list and \
             private without export = true is still invisible",
            n.join(", ")
        ),
        (Some(_), None) => "storage types: the new build declares none (reported above); a \
            private storage type not exported is invisible"
            .to_string(),
    };
    vec![
        "storage keys and durability: which keys each build reads and writes, and whether in \
         instance, persistent or temporary storage, are not in a contract's spec; a value moved \
         to another key or durability, or a key the new code reads that the old one never \
         wrote, passes this check"
            .to_string(),
        declared,
        "behaviour: function bodies are not compared (what a __constructor stores, \
         authorization, TTL policy, what each function does)"
            .to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use soroban_env_host::xdr::{
        ScSpecEventParamV0, ScSpecFunctionInputV0, ScSpecTypeUdt, ScSpecUdtEnumCaseV0,
        ScSpecUdtEnumV0, ScSpecUdtErrorEnumCaseV0, ScSpecUdtErrorEnumV0, ScSpecUdtStructFieldV0,
        ScSpecUdtStructV0, ScSpecUdtUnionCaseTupleV0, ScSpecUdtUnionCaseVoidV0, ScSpecUdtUnionV0,
        ScSymbol,
    };

    fn spec_fn(
        name: &str,
        inputs: &[(&str, ScSpecTypeDef)],
        out: Option<ScSpecTypeDef>,
    ) -> ScSpecEntry {
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

    fn spec_struct_in_lib(lib: &str, name: &str, fields: &[(&str, ScSpecTypeDef)]) -> ScSpecEntry {
        ScSpecEntry::UdtStructV0(ScSpecUdtStructV0 {
            doc: Default::default(),
            lib: lib.try_into().unwrap(),
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

    fn spec_struct(name: &str, fields: &[(&str, ScSpecTypeDef)]) -> ScSpecEntry {
        spec_struct_in_lib("", name, fields)
    }

    fn spec_union(name: &str, cases: &[(&str, Option<ScSpecTypeDef>)]) -> ScSpecEntry {
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

    fn spec_enum(name: &str, cases: &[(&str, u32)]) -> ScSpecEntry {
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

    fn spec_error_enum(name: &str, cases: &[(&str, u32)]) -> ScSpecEntry {
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

    /// An event: `topics` its prefix topics, then `(name, type, in topics?)` params.
    fn spec_event(
        name: &str,
        topics: &[&str],
        params: &[(&str, ScSpecTypeDef, bool)],
        format: ScSpecEventDataFormat,
        doc: &str,
    ) -> ScSpecEntry {
        ScSpecEntry::EventV0(ScSpecEventV0 {
            doc: doc.try_into().unwrap(),
            lib: Default::default(),
            name: ScSymbol(name.try_into().unwrap()),
            prefix_topics: topics
                .iter()
                .map(|t| ScSymbol((*t).try_into().unwrap()))
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
            params: params
                .iter()
                .map(|(n, t, topic)| ScSpecEventParamV0 {
                    doc: Default::default(),
                    name: (*n).try_into().unwrap(),
                    type_: t.clone(),
                    location: if *topic {
                        ScSpecEventParamLocationV0::TopicList
                    } else {
                        ScSpecEventParamLocationV0::Data
                    },
                })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
            data_format: format,
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
            storage: None,
        }
    }

    fn rules_of(findings: Vec<Finding>) -> Vec<(Rule, bool)> {
        let mut r: Vec<(Rule, bool)> = findings.into_iter().map(|f| (f.rule, f.breaking)).collect();
        r.sort();
        r
    }

    /// The rules that fire when `old` becomes `new`, with whether they break, sorted.
    fn rules(old: Vec<ScSpecEntry>, new: Vec<ScSpecEntry>) -> Vec<(Rule, bool)> {
        rules_of(check(&spec(old), &spec(new), Network::default()))
    }

    use ScSpecTypeDef::{Address, I128, U32, U64};

    #[test]
    fn every_rule_is_explained_and_named_as_serde_names_it() {
        let mut names = BTreeSet::new();
        for r in Rule::ALL {
            assert!(!r.reason().is_empty());
            assert_eq!(serde_json::to_value(r).unwrap(), r.name());
            assert!(names.insert(r.name()), "{} twice", r.name());
        }
    }

    #[test]
    fn identical_specs_are_safe_and_silent() {
        let s = vec![
            spec_fn("a", &[("x", U32)], Some(U32)),
            spec_struct("S", &[("a", U32)]),
        ];
        assert!(rules(s.clone(), s).is_empty());
    }

    #[test]
    fn functions() {
        let base = vec![spec_fn("pay", &[("to", Address), ("amount", I128)], None)];
        assert_eq!(rules(base.clone(), vec![]), [(Rule::FunctionRemoved, true)]);
        let retyped = vec![spec_fn("pay", &[("to", Address), ("amount", U64)], None)];
        assert_eq!(
            rules(base.clone(), retyped),
            [(Rule::FunctionSignature, true)]
        );
        let reordered = vec![spec_fn("pay", &[("amount", I128), ("to", Address)], None)];
        assert_eq!(
            rules(base.clone(), reordered),
            [(Rule::FunctionSignature, true)]
        );
        let output = vec![spec_fn(
            "pay",
            &[("to", Address), ("amount", I128)],
            Some(U32),
        )];
        assert_eq!(
            rules(base.clone(), output),
            [(Rule::FunctionSignature, true)]
        );
        let renamed = vec![spec_fn("pay", &[("dest", Address), ("amount", I128)], None)];
        assert_eq!(
            rules(base.clone(), renamed),
            [(Rule::FunctionInputRenamed, false)]
        );
        let mut added = base.clone();
        added.push(spec_fn("sent", &[], Some(U32)));
        assert_eq!(rules(base, added), [(Rule::FunctionAdded, false)]);
    }

    #[test]
    fn a_constructor_added_or_changed_needs_a_migration_never_ok() {
        let plain = vec![spec_fn("get", &[], Some(U32))];
        let mut with = plain.clone();
        with.push(spec_fn(CONSTRUCTOR, &[("admin", Address)], None));
        let findings = check(
            &spec(plain.clone()),
            &spec(with.clone()),
            Network::default(),
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, Rule::ConstructorAdded);
        assert_eq!(findings[0].verdict, Verdict::MigrationNeeded);
        assert!(findings[0].detail.starts_with("migration needed"));
        assert!(!is_safe(&findings));
        assert_eq!(verdict(&findings), Verdict::MigrationNeeded);

        let mut changed = plain.clone();
        changed.push(spec_fn(
            CONSTRUCTOR,
            &[("admin", Address), ("cap", I128)],
            None,
        ));
        assert_eq!(
            rules(with.clone(), changed),
            [(Rule::ConstructorChanged, true)]
        );
        assert_eq!(rules(with, plain), [(Rule::ConstructorRemoved, true)]);
    }

    #[test]
    fn structs_are_maps_keyed_by_field_name() {
        let base = vec![spec_struct(
            "Key",
            &[("from", Address), ("spender", Address)],
        )];
        for changed in [
            spec_struct("Key", &[("from", Address)]),
            spec_struct(
                "Key",
                &[("from", Address), ("spender", Address), ("n", U32)],
            ),
            spec_struct("Key", &[("from", Address), ("spender", U32)]),
        ] {
            assert_eq!(
                rules(base.clone(), vec![changed]),
                [(Rule::StructFields, true)]
            );
        }
        // The host stores a map's keys sorted: field order is not part of the value.
        assert!(rules(
            base,
            vec![spec_struct(
                "Key",
                &[("spender", Address), ("from", Address)]
            )]
        )
        .is_empty());
    }

    #[test]
    fn unions() {
        let base = vec![spec_union(
            "DataKey",
            &[("Admin", None), ("Balance", Some(Address))],
        )];
        let removed = vec![spec_union("DataKey", &[("Admin", None)])];
        assert_eq!(
            rules(base.clone(), removed),
            [(Rule::UnionCaseRemoved, true)]
        );
        let changed = vec![spec_union(
            "DataKey",
            &[("Admin", None), ("Balance", Some(U32))],
        )];
        assert_eq!(
            rules(base.clone(), changed),
            [(Rule::UnionCaseChanged, true)]
        );
        let to_void = vec![spec_union("DataKey", &[("Admin", None), ("Balance", None)])];
        assert_eq!(
            rules(base.clone(), to_void),
            [(Rule::UnionCaseChanged, true)]
        );
        let added = vec![spec_union(
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
        let base = vec![spec_enum("Color", &[("Red", 0), ("Blue", 1)])];
        let removed = vec![spec_enum("Color", &[("Red", 0)])];
        assert_eq!(
            rules(base.clone(), removed),
            [(Rule::EnumCaseRemoved, true)]
        );
        let renumbered = vec![spec_enum("Color", &[("Red", 0), ("Blue", 2)])];
        assert_eq!(
            rules(base.clone(), renumbered),
            [(Rule::EnumCaseRenumbered, true)]
        );
        let reused = vec![spec_enum("Color", &[("Red", 0), ("Green", 1)])];
        assert_eq!(
            rules(base.clone(), reused),
            [(Rule::EnumCaseRemoved, true), (Rule::EnumValueReused, true)]
        );
        let added = vec![spec_enum("Color", &[("Red", 0), ("Blue", 1), ("Green", 2)])];
        assert_eq!(rules(base, added), [(Rule::EnumCaseAdded, false)]);

        let base = vec![spec_error_enum(
            "Error",
            &[("Negative", 1), ("Insufficient", 2)],
        )];
        let reused = vec![spec_error_enum("Error", &[("Negative", 1), ("Paused", 2)])];
        assert_eq!(
            rules(base.clone(), reused),
            [
                (Rule::ErrorCodeRemoved, true),
                (Rule::ErrorCodeReused, true)
            ]
        );
        let renumbered = vec![spec_error_enum(
            "Error",
            &[("Negative", 1), ("Insufficient", 3)],
        )];
        assert_eq!(
            rules(base.clone(), renumbered),
            [(Rule::ErrorCodeRenumbered, true)]
        );
        // A code no longer returned is breaking too: callers handling it, and reuse later.
        let dropped = vec![spec_error_enum("Error", &[("Negative", 1)])];
        assert_eq!(
            rules(base.clone(), dropped),
            [(Rule::ErrorCodeRemoved, true)]
        );
        let added = vec![spec_error_enum(
            "Error",
            &[("Negative", 1), ("Insufficient", 2), ("Paused", 3)],
        )];
        assert_eq!(rules(base, added), [(Rule::ErrorCodeAdded, false)]);
    }

    #[test]
    fn types_removed_or_changing_kind() {
        let base = vec![spec_struct("S", &[("a", U32)]), spec_enum("E", &[("A", 0)])];
        assert_eq!(
            rules(base.clone(), vec![spec_struct("S", &[("a", U32)])]),
            [(Rule::TypeRemoved, true)]
        );
        assert_eq!(
            rules(
                base,
                vec![
                    spec_struct("S", &[("a", U32)]),
                    spec_union("E", &[("A", None)])
                ]
            ),
            [(Rule::TypeKindChanged, true)]
        );
        // A function taking the struct keeps its signature while the struct changes: the
        // struct rule, not the function rule, reports it.
        let old = vec![
            spec_fn("get", &[("k", udt("S"))], None),
            spec_struct("S", &[("a", U32)]),
        ];
        let new = vec![
            spec_fn("get", &[("k", udt("S"))], None),
            spec_struct("S", &[("a", U64)]),
        ];
        assert_eq!(rules(old, new), [(Rule::StructFields, true)]);
    }

    #[test]
    fn a_rename_with_the_shape_kept_is_ok_through_references() {
        // Config -> Settings (same fields); Key refers to it; a function takes it.
        let old = vec![
            spec_fn("set", &[("c", udt("Config"))], None),
            spec_struct("Config", &[("limit", I128)]),
            spec_union("Key", &[("Config", None), ("Of", Some(udt("Config")))]),
        ];
        let new = vec![
            spec_fn("set", &[("c", udt("Settings"))], None),
            spec_struct("Settings", &[("limit", I128)]),
            spec_union("Key", &[("Config", None), ("Of", Some(udt("Settings")))]),
        ];
        assert_eq!(rules(old.clone(), new), [(Rule::TypeRenamed, false)]);
        // Renamed and changed: a removal and an addition.
        let changed = vec![
            spec_fn("set", &[("c", udt("Settings"))], None),
            spec_struct("Settings", &[("limit", U64)]),
            spec_union("Key", &[("Config", None), ("Of", Some(udt("Settings")))]),
        ];
        assert_eq!(
            rules(old, changed),
            [
                (Rule::FunctionSignature, true),
                (Rule::UnionCaseChanged, true),
                (Rule::TypeRemoved, true),
                (Rule::TypeAdded, false),
            ]
        );
        // Two arrivals with the shape: ambiguous, so not a rename.
        let two = vec![
            spec_struct("A", &[("x", U32)]),
            spec_struct("B", &[("x", U32)]),
        ];
        let found = check(
            &spec(vec![spec_struct("Old", &[("x", U32)])]),
            &spec(two),
            Network::default(),
        );
        let removed = found.iter().find(|f| f.rule == Rule::TypeRemoved).unwrap();
        assert!(removed.detail.contains("ambiguous"), "{}", removed.detail);
    }

    #[test]
    fn duplicate_names_are_reported_not_overwritten() {
        let old = vec![spec_struct("Config", &[("limit", I128)])];
        let new = vec![
            spec_struct("Config", &[("limit", I128)]),
            spec_struct_in_lib("fees", "Config", &[("bps", U32)]),
        ];
        let found = check(&spec(old.clone()), &spec(new), Network::default());
        assert_eq!(rules_of(found.clone()), [(Rule::DuplicateType, true)]);
        assert!(
            found[0]
                .detail
                .contains("struct { limit } and struct { bps } of lib fees"),
            "{}",
            found[0].detail
        );
        // Identical definitions are one type.
        let same = vec![
            spec_struct("Config", &[("limit", I128)]),
            spec_struct("Config", &[("limit", I128)]),
        ];
        assert!(rules(old, same).is_empty());
    }

    #[test]
    fn events_are_compared_as_published() {
        use ScSpecEventDataFormat::{Map, SingleValue};
        // `name` with the topic `deposited` and `params`.
        let deposited = |name, params: &[(&str, ScSpecTypeDef, bool)], format, doc| {
            vec![spec_event(name, &["deposited"], params, format, doc)]
        };
        let (from, n) = (("from", Address, true), ("n", U32, false));
        let amount = ("amount", I128, false);
        let base = deposited(
            "Deposited",
            &[from.clone(), amount.clone(), n.clone()],
            Map,
            "",
        );
        assert_eq!(rules(base.clone(), vec![]), [(Rule::EventRemoved, true)]);
        let amount_in_topics = ("amount", I128, true);
        let to_topic = deposited(
            "Deposited",
            &[from.clone(), amount_in_topics, n.clone()],
            Map,
            "",
        );
        assert_eq!(rules(base.clone(), to_topic), [(Rule::EventChanged, true)]);
        let format = deposited(
            "Deposited",
            &[from.clone(), amount.clone(), n.clone()],
            SingleValue,
            "",
        );
        assert_eq!(rules(base.clone(), format), [(Rule::EventChanged, true)]);
        // Documentation and a map's field order are not published.
        let doc_and_order = deposited(
            "Deposited",
            &[from.clone(), n.clone(), amount.clone()],
            Map,
            "now documented",
        );
        assert!(rules(base.clone(), doc_and_order).is_empty());
        // The struct renamed, topics kept explicitly: the same event on the wire.
        let renamed = deposited("Deposit", &[from, amount, n], Map, "");
        assert_eq!(rules(base.clone(), renamed), [(Rule::EventRenamed, false)]);
        let mut added = base.clone();
        added.push(spec_event("Withdrawn", &["withdrawn"], &[], Map, ""));
        assert_eq!(rules(base, added), [(Rule::EventAdded, false)]);
    }

    #[test]
    fn storage_declarations() {
        let types = vec![
            spec_union("DataKey", &[("Admin", None)]),
            spec_struct("Config", &[("a", U32)]),
        ];
        let with = |names: Option<&[&str]>| ContractSpec {
            entries: types.clone(),
            interface: Some((27, 0)),
            storage: names.map(|n| n.iter().map(|s| s.to_string()).collect()),
        };
        let both: &[&str] = &["DataKey", "Config"];
        let check = |a, b| rules_of(check(&with(a), &with(b), Network::default()));
        assert!(check(Some(both), Some(both)).is_empty());
        assert_eq!(check(Some(both), None), [(Rule::StorageUndeclared, true)]);
        assert_eq!(
            check(Some(both), Some(&["DataKey"])),
            [(Rule::StorageUndeclared, true)]
        );
        assert_eq!(check(None, Some(both)), [(Rule::StorageDeclared, false)]);
        assert!(check(None, None).is_empty());
        // Every report says what the check cannot see.
        let notes = not_checked(&with(None), &with(None));
        assert!(notes[0].starts_with("storage keys and durability"));
        assert!(notes[1].contains("neither build declares"));
    }

    #[test]
    fn env_interface() {
        let old = spec(vec![]);
        let at = |p, r| ContractSpec {
            entries: vec![],
            interface: Some((p, r)),
            storage: None,
        };
        let fork = Network::default();
        let breaking = |new: &ContractSpec, ledger| !is_safe(&check(&old, new, ledger));
        assert!(!breaking(&at(28, 0), fork), "28.0 on a 28 ledger");
        assert!(breaking(&at(29, 0), fork), "29 on a 28 ledger");
        assert!(
            breaking(&at(28, 1), fork),
            "a pre-release on a release ledger"
        );
        let next = Network {
            protocol: 28,
            pre_release: true,
        };
        assert!(!breaking(&at(28, 1), next), "28.1 on a next ledger");
        let upstream27 = Network {
            protocol: 27,
            pre_release: false,
        };
        assert!(breaking(&at(28, 0), upstream27), "fork code on a 27 ledger");
        let none = ContractSpec {
            entries: vec![],
            interface: None,
            storage: None,
        };
        assert!(breaking(&none, fork));
    }
}
