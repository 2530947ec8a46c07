//! The module cache an embedder builds outside any host, with the embedder check's
//! compilation context (core's: a budget of its own, outside any transaction).

use embedder_check::node::CoreCompilationContext;
use soroban_env_host::{HostError, ModuleCache};

/// A module cache holding `wasms` parsed for `protocol`, as stellar-core
/// builds one from the live contract code at ledger start.
pub fn module_cache(protocol: u32, wasms: &[&[u8]]) -> Result<ModuleCache, HostError> {
    let ctx = CoreCompilationContext::new();
    let cache = ModuleCache::new(&ctx)?;
    for wasm in wasms {
        cache.parse_and_cache_module_simple(&ctx, protocol, wasm)?;
    }
    Ok(cache)
}
