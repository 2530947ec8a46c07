//! The network settings simulation runs with: those of `embedder-check`'s test network
//! (its `ConfigSetting` entries, the host's calibrated cost model), in the form crates.io
//! `soroban-simulation` takes, so that a simulated transaction reports the resources and
//! resource fee stellar-rpc would report on that network.

use std::sync::OnceLock;

use embedder_check::network::{config_entries, NetworkConfig as Settings};
use soroban_simulation::NetworkConfig;

/// The network's settings, decoded once per process.
pub fn network_config() -> &'static NetworkConfig {
    static CONFIG: OnceLock<NetworkConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let settings = Settings::load(&config_entries().expect("the calibrated cost model"));
        NetworkConfig {
            fee_configuration: settings.fee_config(),
            rent_fee_configuration: settings.rent_config(),
            tx_max_instructions: settings.compute.tx_max_instructions,
            tx_memory_limit: settings.compute.tx_memory_limit,
            cpu_cost_params: settings.cpu_cost_params.clone(),
            memory_cost_params: settings.mem_cost_params.clone(),
            min_temp_entry_ttl: settings.archival.min_temporary_ttl,
            min_persistent_entry_ttl: settings.archival.min_persistent_ttl,
            max_entry_ttl: settings.archival.max_entry_ttl,
        }
    })
}
