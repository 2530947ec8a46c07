//! Prints the upgrade scenario's report: every step with its metered cost and the fees it
//! was charged (stroops), and the module cache at the points core maintains it.
//! `--json` prints it as JSON; `--markdown` prints the fee table of `docs/embedding.md`
//! (which the embedder test requires the document to hold exactly).

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let markdown = std::env::args().any(|a| a == "--markdown");
    let report = embedder_check::scenario::run().expect("the scenario runs");
    if markdown {
        print!("{}", report.fee_table());
        return;
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).expect("json")
        );
        return;
    }
    let v = soroban_env_host::VERSION;
    println!(
        "host {} interface protocol {} pre-release {}; xdr {} ({})",
        v.pkg, v.interface.protocol, v.interface.pre_release, v.xdr.pkg, v.xdr.xdr
    );
    print!("\n{}", report.table());
    println!("\nentry rents (stroops):");
    for s in &report.steps {
        for (what, stroops) in &s.rents {
            println!("  {:<40} {:<20} {stroops:>10}", s.name, what);
        }
    }
    println!("\nmodule cache:");
    for (when, state) in &report.cache {
        let listed: Vec<String> = state
            .iter()
            .map(|(n, c)| format!("{n}: {}", if *c { "cached" } else { "absent" }))
            .collect();
        println!("  {when}: {}", listed.join(", "));
    }
    let failed = report.failed_checks();
    println!("\n{} checks, {} failed", report.checks.len(), failed.len());
    for f in &failed {
        println!("  FAILED: {f}");
    }
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
