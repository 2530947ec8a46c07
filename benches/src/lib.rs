//! Benchmarks live in `benches/`; shared setup is in `extref-testkit`.
