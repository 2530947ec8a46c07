//! The module cache an embedder builds outside any host.

use soroban_env_host::{
    budget::{AsBudget, Budget},
    CompilationContext, Error, ErrorHandler, HostError, ModuleCache, Val,
};

/// The compilation context an embedder parses modules with, outside any host
/// (an unlimited budget of its own).
#[derive(Clone)]
pub struct CompileContext(Budget);

impl CompileContext {
    pub fn new() -> Result<Self, HostError> {
        let budget = Budget::default();
        budget.reset_unlimited()?;
        Ok(CompileContext(budget))
    }
}

impl AsBudget for CompileContext {
    fn as_budget(&self) -> &Budget {
        &self.0
    }
}

impl ErrorHandler for CompileContext {
    fn map_err<T, E>(&self, res: Result<T, E>) -> Result<T, HostError>
    where
        Error: From<E>,
        E: std::fmt::Debug,
    {
        res.map_err(|e| HostError::from(Error::from(e)))
    }

    fn error(&self, error: Error, _msg: &str, _args: &[Val]) -> HostError {
        HostError::from(error)
    }
}

impl CompilationContext for CompileContext {}

/// A module cache holding `wasms` parsed for `protocol`, as stellar-core
/// builds one from the live contract code at ledger start.
pub fn module_cache(protocol: u32, wasms: &[&[u8]]) -> Result<ModuleCache, HostError> {
    let ctx = CompileContext::new()?;
    let cache = ModuleCache::new(&ctx)?;
    for wasm in wasms {
        cache.parse_and_cache_module_simple(&ctx, protocol, wasm)?;
    }
    Ok(cache)
}
