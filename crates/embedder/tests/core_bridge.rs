//! The fork as stellar-core's p28 slot sees it: built with core's features only, called
//! only through core's bridge API, across a 27 -> 28 protocol upgrade.

use embedder_check::{
    declared_patched_identity,
    network::{calibrated_cost_params, config_entries, NetworkConfig},
    scenario::{self, thousands, FOLLOWERS, FOLLOWER_V1},
};
use soroban_env_host::{
    budget::Budget,
    meta::INTERFACE_VERSION,
    xdr::{ContractCostType, ScError, ScErrorCode},
};

#[test]
fn the_host_reports_protocol_28_with_and_without_next() {
    assert_eq!(INTERFACE_VERSION.protocol, 28);
    assert_eq!(soroban_env_host::VERSION.interface.protocol, 28);
    // Core checks `pre_release` against its own build: 1 for a `next` slot, else 0.
    let expected_pre_release = if cfg!(feature = "next") { 1 } else { 0 };
    assert_eq!(INTERFACE_VERSION.pre_release, expected_pre_release);
}

#[test]
fn the_xdr_identity_names_the_patched_contract_x() {
    let v = soroban_env_host::xdr::VERSION;
    assert_eq!(v.xdr, "68fa1ac55692f68ad2a2ca549d0a283273554439");
    assert!(v.pkg.ends_with("+extref.1"), "{}", v.pkg);
    let files = soroban_env_host::xdr::XDR_FILES_SHA256;
    let contract = files
        .iter()
        .find(|(f, _)| *f == "xdr/Stellar-contract.x")
        .expect("Stellar-contract.x is listed");
    assert_eq!(contract.1, declared_patched_identity());
    // Upstream's own identity of the file must not be there: core would accept a C++
    // build without the diff and then disagree with the host on the wire.
    assert_ne!(
        contract.1,
        "5d8063e6ddc09be5c22569f1668720b5c705505a70e9224f00748fa58aab2fc5"
    );
    // The other twelve files are upstream's.
    assert_eq!(files.len(), 13);
}

#[test]
fn a_budget_from_the_network_settings_meters_as_the_host_default() {
    let config = NetworkConfig::load(&config_entries().unwrap());
    let (cpu, mem) = calibrated_cost_params().unwrap();
    assert_eq!(config.cpu_cost_params, cpu);
    assert_eq!(config.mem_cost_params, mem);
    // Three types' memory slopes are read at 16 inputs (see calibrated_cost_params).
    let approximate_mem = [
        ContractCostType::Bls12381G2Msm,
        ContractCostType::Bls12381Pairing,
        ContractCostType::Bn254Pairing,
    ];
    for ty in ContractCostType::variants() {
        let takes_input = Budget::default().get_tracker(ty).unwrap().inputs.is_some();
        // 7 is not a multiple of 128: the fixed-point rounding must agree too.
        let input = takes_input.then_some(7);
        let default = Budget::default();
        default.charge(ty, input).unwrap();
        let configured = config.budget(100_000_000).unwrap();
        configured.charge(ty, input).unwrap();
        let (d, c) = (
            default.get_tracker(ty).unwrap(),
            configured.get_tracker(ty).unwrap(),
        );
        assert_eq!(d.cpu, c.cpu, "{ty:?} cpu");
        if approximate_mem.contains(&ty) {
            assert!(
                d.mem.abs_diff(c.mem) <= 1,
                "{ty:?} mem {} vs {}",
                d.mem,
                c.mem
            );
        } else {
            assert_eq!(d.mem, c.mem, "{ty:?} mem");
        }
    }
}

#[test]
fn a_protocol_upgrade_on_one_ledger_with_real_fees() {
    let report = scenario::run().expect("no host-level failure");
    let failed = report.failed_checks();
    assert!(
        failed.is_empty(),
        "failed checks: {failed:#?}\n{}",
        report.table()
    );

    // At 27, ExternalRef is refused by the host, after the C++ side decoded it.
    let refused = report.step("p27 create ExternalRef follower");
    assert_eq!(
        refused.error,
        Some(ScError::Value(ScErrorCode::InvalidInput))
    );

    // Every applied transaction paid, and its fee is the sum of its parts.
    for s in &report.steps {
        assert!(s.fee.non_refundable > 0, "{} paid nothing", s.name);
        assert_eq!(
            s.fee.total(),
            s.fee.non_refundable + s.fee.events + s.fee.rent
        );
        assert!(
            s.cpu_insns > 0 && s.mem_bytes > 0,
            "{} metered nothing",
            s.name
        );
    }

    // A follower call costs more than the same call on a plain Wasm contract (one more
    // entry read and the resolution), but of the same order.
    let plain = report.step("p28 call plain version()");
    let follower = report.step("p28 call follower version()");
    assert!(follower.fee.total() > plain.fee.total());
    assert!(follower.fee.total() < 2 * plain.fee.total());
    assert!(follower.cpu_insns > plain.cpu_insns);

    // The ref entry pays rent when created, none when moved (same size, same TTL).
    let created = report.step("p28 manager set_ref(fleet, v1)");
    let upgrade = report.step("p28 fleet upgrade set_ref(fleet, v2)");
    assert!(created
        .rents
        .iter()
        .any(|(e, r)| e == "ref entry" && *r > 0));
    assert!(upgrade
        .rents
        .iter()
        .any(|(e, r)| e == "ref entry" && *r == 0));
    assert_eq!(upgrade.fee.rent, 0);
    assert_eq!(upgrade.fee.write_entries, 1);

    // Modules came from the cache: no follower call after the upgrade instantiated from
    // scratch.
    for i in 0..FOLLOWERS {
        let s = report.step(&format!("p28 follower {i} version() after upgrade"));
        assert_eq!(s.vm_instantiation_cpu, 0, "{}", s.name);
    }
}

/// `docs/embedding.md` quotes this scenario's figures: its fee table must be exactly
/// `Report::fee_table` (what `embedder-check --markdown` prints), and every figure its text
/// quotes must be this run's. Fees, instructions and sizes are deterministic, so a change
/// that moves one fails here until the document moves too.
#[test]
fn the_documented_fees_are_this_run() {
    let report = scenario::run().expect("no host-level failure");
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/embedding.md"
    ))
    .expect("docs/embedding.md");
    let table = report.fee_table();
    assert!(
        doc.contains(&table),
        "docs/embedding.md's fee table should read:\n{table}"
    );

    let rent = |step: &str, entry: &str| {
        report
            .step(step)
            .rents
            .iter()
            .find(|(e, _)| e == entry)
            .unwrap_or_else(|| panic!("{step}: no rent of {entry}"))
            .1
    };
    let plain = report.step("p28 call plain version()");
    let follower = report.step("p28 call follower version()");
    let extra = follower.fee.total() - plain.fee.total();
    let upload = report.step("p27 upload follower v1");
    let quotes = [
        format!("(`scenario::run`, {} checks)", report.checks.len()),
        format!(
            "**Ref entry rent: {} stroops**",
            thousands(rent("p28 manager set_ref(fleet, v1)", "ref entry"))
        ),
        format!(
            "**Follower instance rent: {} stroops** at creation, against {} for",
            thousands(rent("p28 factory deploy follower 0", "follower instance")),
            thousands(rent("p27 create plain Wasm contract", "instance"))
        ),
        format!(
            "**A follower call costs {} stroops more** (+{:.0}%)",
            thousands(extra),
            extra as f64 / plain.fee.total() as f64 * 100.0
        ),
        format!(
            "one more footprint key in the envelope (+{} bytes",
            follower.fee.tx_size_bytes - plain.fee.tx_size_bytes
        ),
        format!(
            "and {} more instructions",
            thousands(i64::from(follower.fee.instructions) - i64::from(plain.fee.instructions))
        ),
        format!("**The fleet upgrade costs the same for {FOLLOWERS} followers or 10,000.**"),
        format!(
            "pays rent of {} stroops for its {} bytes",
            thousands(upload.fee.rent),
            thousands(FOLLOWER_V1.len() as i64)
        ),
    ];
    let missing: Vec<&String> = quotes
        .iter()
        .filter(|q| !doc.contains(q.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/embedding.md should quote, from this run:\n{}",
        missing
            .iter()
            .map(|q| format!("  {q}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
