//! The network's Soroban settings as a validator holds them: `ConfigSetting` ledger
//! entries, stored as XDR and decoded when a ledger starts, from which each transaction's
//! `Budget` and the fee and rent configurations are built.

use soroban_env_host::{
    budget::Budget,
    fees::{
        compute_rent_write_fee_per_1kb, FeeConfiguration, RentFeeConfiguration,
        RentWriteFeeConfiguration,
    },
    xdr::{
        ConfigSettingContractBandwidthV0, ConfigSettingContractComputeV0,
        ConfigSettingContractEventsV0, ConfigSettingContractHistoricalDataV0,
        ConfigSettingContractLedgerCostExtV0, ConfigSettingContractLedgerCostV0,
        ConfigSettingEntry, ContractCostParamEntry, ContractCostParams, ContractCostType,
        ExtensionPoint, LedgerEntry, LedgerEntryData, LedgerEntryExt, StateArchivalSettings,
    },
    HostError,
};

use crate::xdr_bytes::{decode, encode};

/// The settings this test's network runs with. They are close to the public network's
/// published settings but not authoritative: every fee this crate reports scales with them.
pub mod settings {
    pub const TX_MAX_INSTRUCTIONS: i64 = 100_000_000;
    pub const TX_MEMORY_LIMIT: u32 = 41_943_040;
    pub const FEE_PER_INSTRUCTIONS_INCREMENT: i64 = 25;
    pub const FEE_DISK_READ_ENTRY: i64 = 6_250;
    pub const FEE_WRITE_ENTRY: i64 = 10_000;
    pub const FEE_DISK_READ_1KB: i64 = 1_786;
    pub const FEE_WRITE_1KB: i64 = 3_500;
    pub const STATE_TARGET_SIZE_BYTES: i64 = 3_000_000_000;
    pub const RENT_FEE_1KB_STATE_SIZE_LOW: i64 = -17_000;
    pub const RENT_FEE_1KB_STATE_SIZE_HIGH: i64 = 10_000;
    pub const STATE_RENT_FEE_GROWTH_FACTOR: u32 = 5_000;
    /// The live Soroban state size the rent write fee is computed from.
    pub const LIVE_STATE_SIZE_BYTES: i64 = 800_000_000;
    pub const FEE_HISTORICAL_1KB: i64 = 16_235;
    pub const FEE_CONTRACT_EVENTS_1KB: i64 = 10_000;
    pub const FEE_TX_SIZE_1KB: i64 = 1_624;
    /// 180 days, 1 day and 120 days of 5-second ledgers.
    pub const MAX_ENTRY_TTL: u32 = 3_110_400;
    pub const MIN_TEMPORARY_TTL: u32 = 17_280;
    pub const MIN_PERSISTENT_TTL: u32 = 2_073_600;
    pub const PERSISTENT_RENT_RATE_DENOMINATOR: i64 = 1_215;
    pub const TEMP_RENT_RATE_DENOMINATOR: i64 = 2_430;
}

/// The host's calibrated cost model (its `Budget::default()`), read off the way any
/// embedder can: charge each cost type on a fresh default budget with input 0 (the constant
/// term) and 128 (constant plus the fixed-point linear term, whose 7 fraction bits 128
/// cancels exactly) and read the type's tracker. These are the values a network installs
/// as its `ContractCostParams*` settings.
///
/// Three types (BLS12-381 G2 MSM and pairing, BN254 pairing) cost more at 128 inputs than
/// a default budget allows. Their CPU is still exact (the tracker counts the charge that
/// failed); their memory slope is read at 16 inputs and scaled, which is exact to 7/128
/// of a byte per input. No transaction here uses them.
pub fn calibrated_cost_params() -> Result<(ContractCostParams, ContractCostParams), HostError> {
    let probe = |ty: ContractCostType, input: Option<u64>| -> Result<(i64, i64, bool), HostError> {
        let budget = Budget::default();
        let charged = budget.charge(ty, input).is_ok();
        let t = budget.get_tracker(ty)?;
        Ok((t.cpu as i64, t.mem as i64, charged))
    };
    let (mut cpu, mut mem) = (Vec::new(), Vec::new());
    for ty in ContractCostType::variants() {
        let takes_input = Budget::default().get_tracker(ty)?.inputs.is_some();
        let (c0, m0, ok) = probe(ty, takes_input.then_some(0))?;
        assert!(ok, "the constant term of {ty:?} fits a default budget");
        let (c_slope, m_slope) = if !takes_input {
            (0, 0)
        } else {
            match probe(ty, Some(128))? {
                (c128, m128, true) => (c128 - c0, m128 - m0),
                (c128, _, false) => {
                    let (_, m16, ok) = probe(ty, Some(16))?;
                    assert!(ok, "16 inputs of {ty:?} fit a default budget");
                    (c128 - c0, (m16 - m0) * 8)
                }
            }
        };
        let entry = |const_term, linear_term| ContractCostParamEntry {
            ext: ExtensionPoint::V0,
            const_term,
            linear_term,
        };
        cpu.push(entry(c0, c_slope));
        mem.push(entry(m0, m_slope));
    }
    Ok((
        ContractCostParams(cpu.try_into().expect("cost types fit")),
        ContractCostParams(mem.try_into().expect("cost types fit")),
    ))
}

/// The `ConfigSetting` ledger entries of a network with [`settings`] and the calibrated
/// cost model, XDR-encoded as they are stored.
pub fn config_entries() -> Result<Vec<Vec<u8>>, HostError> {
    use settings::*;
    let (cpu, mem) = calibrated_cost_params()?;
    let settings = vec![
        ConfigSettingEntry::ContractComputeV0(ConfigSettingContractComputeV0 {
            ledger_max_instructions: 5 * TX_MAX_INSTRUCTIONS,
            tx_max_instructions: TX_MAX_INSTRUCTIONS,
            fee_rate_per_instructions_increment: FEE_PER_INSTRUCTIONS_INCREMENT,
            tx_memory_limit: TX_MEMORY_LIMIT,
        }),
        ConfigSettingEntry::ContractLedgerCostV0(ConfigSettingContractLedgerCostV0 {
            ledger_max_disk_read_entries: 1_000,
            ledger_max_disk_read_bytes: 7_000_000,
            ledger_max_write_ledger_entries: 500,
            ledger_max_write_bytes: 143_360,
            tx_max_disk_read_entries: 100,
            tx_max_disk_read_bytes: 200_000,
            tx_max_write_ledger_entries: 50,
            tx_max_write_bytes: 132_096,
            fee_disk_read_ledger_entry: FEE_DISK_READ_ENTRY,
            fee_write_ledger_entry: FEE_WRITE_ENTRY,
            fee_disk_read1_kb: FEE_DISK_READ_1KB,
            soroban_state_target_size_bytes: STATE_TARGET_SIZE_BYTES,
            rent_fee1_kb_soroban_state_size_low: RENT_FEE_1KB_STATE_SIZE_LOW,
            rent_fee1_kb_soroban_state_size_high: RENT_FEE_1KB_STATE_SIZE_HIGH,
            soroban_state_rent_fee_growth_factor: STATE_RENT_FEE_GROWTH_FACTOR,
        }),
        ConfigSettingEntry::ContractLedgerCostExtV0(ConfigSettingContractLedgerCostExtV0 {
            tx_max_footprint_entries: 100,
            fee_write1_kb: FEE_WRITE_1KB,
        }),
        ConfigSettingEntry::ContractHistoricalDataV0(ConfigSettingContractHistoricalDataV0 {
            fee_historical1_kb: FEE_HISTORICAL_1KB,
        }),
        ConfigSettingEntry::ContractEventsV0(ConfigSettingContractEventsV0 {
            tx_max_contract_events_size_bytes: 16_384,
            fee_contract_events1_kb: FEE_CONTRACT_EVENTS_1KB,
        }),
        ConfigSettingEntry::ContractBandwidthV0(ConfigSettingContractBandwidthV0 {
            ledger_max_txs_size_bytes: 133_120,
            tx_max_size_bytes: 132_096,
            fee_tx_size1_kb: FEE_TX_SIZE_1KB,
        }),
        ConfigSettingEntry::ContractCostParamsCpuInstructions(cpu),
        ConfigSettingEntry::ContractCostParamsMemoryBytes(mem),
        ConfigSettingEntry::StateArchival(StateArchivalSettings {
            max_entry_ttl: MAX_ENTRY_TTL,
            min_temporary_ttl: MIN_TEMPORARY_TTL,
            min_persistent_ttl: MIN_PERSISTENT_TTL,
            persistent_rent_rate_denominator: PERSISTENT_RENT_RATE_DENOMINATOR,
            temp_rent_rate_denominator: TEMP_RENT_RATE_DENOMINATOR,
            max_entries_to_archive: 1_000,
            live_soroban_state_size_window_sample_size: 30,
            live_soroban_state_size_window_sample_period: 64,
            eviction_scan_size: 500_000,
            starting_eviction_scan_level: 7,
        }),
    ];
    Ok(settings
        .into_iter()
        .map(|s| {
            encode(&LedgerEntry {
                last_modified_ledger_seq: 1,
                data: LedgerEntryData::ConfigSetting(s),
                ext: LedgerEntryExt::V0,
            })
        })
        .collect())
}

/// The settings a ledger runs with, decoded from the `ConfigSetting` entries.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    pub compute: ConfigSettingContractComputeV0,
    pub ledger_cost: ConfigSettingContractLedgerCostV0,
    pub ledger_cost_ext: ConfigSettingContractLedgerCostExtV0,
    pub historical: ConfigSettingContractHistoricalDataV0,
    pub events: ConfigSettingContractEventsV0,
    pub bandwidth: ConfigSettingContractBandwidthV0,
    pub cpu_cost_params: ContractCostParams,
    pub mem_cost_params: ContractCostParams,
    pub archival: StateArchivalSettings,
}

impl NetworkConfig {
    /// Decodes the network's `ConfigSetting` ledger entries (XDR). Panics on a missing
    /// setting: a ledger without one cannot run Soroban at all.
    pub fn load(entries: &[Vec<u8>]) -> NetworkConfig {
        let mut compute = None;
        let mut ledger_cost = None;
        let mut ledger_cost_ext = None;
        let mut historical = None;
        let mut events = None;
        let mut bandwidth = None;
        let mut cpu = None;
        let mut mem = None;
        let mut archival = None;
        for bytes in entries {
            let entry: LedgerEntry = decode(bytes);
            let LedgerEntryData::ConfigSetting(setting) = entry.data else {
                panic!("not a ConfigSetting entry");
            };
            match setting {
                ConfigSettingEntry::ContractComputeV0(s) => compute = Some(s),
                ConfigSettingEntry::ContractLedgerCostV0(s) => ledger_cost = Some(s),
                ConfigSettingEntry::ContractLedgerCostExtV0(s) => ledger_cost_ext = Some(s),
                ConfigSettingEntry::ContractHistoricalDataV0(s) => historical = Some(s),
                ConfigSettingEntry::ContractEventsV0(s) => events = Some(s),
                ConfigSettingEntry::ContractBandwidthV0(s) => bandwidth = Some(s),
                ConfigSettingEntry::ContractCostParamsCpuInstructions(s) => cpu = Some(s),
                ConfigSettingEntry::ContractCostParamsMemoryBytes(s) => mem = Some(s),
                ConfigSettingEntry::StateArchival(s) => archival = Some(s),
                _ => {}
            }
        }
        NetworkConfig {
            compute: compute.expect("ContractComputeV0"),
            ledger_cost: ledger_cost.expect("ContractLedgerCostV0"),
            ledger_cost_ext: ledger_cost_ext.expect("ContractLedgerCostExtV0"),
            historical: historical.expect("ContractHistoricalDataV0"),
            events: events.expect("ContractEventsV0"),
            bandwidth: bandwidth.expect("ContractBandwidthV0"),
            cpu_cost_params: cpu.expect("ContractCostParamsCpuInstructions"),
            mem_cost_params: mem.expect("ContractCostParamsMemoryBytes"),
            archival: archival.expect("StateArchival"),
        }
    }

    /// A transaction's budget: its declared instructions, the network's memory limit and
    /// cost model.
    pub fn budget(&self, instructions: u32) -> Result<Budget, HostError> {
        Budget::try_from_configs(
            u64::from(instructions),
            u64::from(self.compute.tx_memory_limit),
            self.cpu_cost_params.clone(),
            self.mem_cost_params.clone(),
        )
    }

    /// Rent per 1 KB written, from the live Soroban state size.
    pub fn rent_write_fee_per_1kb(&self) -> i64 {
        compute_rent_write_fee_per_1kb(
            settings::LIVE_STATE_SIZE_BYTES,
            &RentWriteFeeConfiguration {
                state_target_size_bytes: self.ledger_cost.soroban_state_target_size_bytes,
                rent_fee_1kb_state_size_low: self.ledger_cost.rent_fee1_kb_soroban_state_size_low,
                rent_fee_1kb_state_size_high: self.ledger_cost.rent_fee1_kb_soroban_state_size_high,
                state_size_rent_fee_growth_factor: self
                    .ledger_cost
                    .soroban_state_rent_fee_growth_factor,
            },
        )
    }

    pub fn fee_config(&self) -> FeeConfiguration {
        FeeConfiguration {
            fee_per_instruction_increment: self.compute.fee_rate_per_instructions_increment,
            fee_per_disk_read_entry: self.ledger_cost.fee_disk_read_ledger_entry,
            fee_per_write_entry: self.ledger_cost.fee_write_ledger_entry,
            fee_per_disk_read_1kb: self.ledger_cost.fee_disk_read1_kb,
            fee_per_write_1kb: self.ledger_cost_ext.fee_write1_kb,
            fee_per_historical_1kb: self.historical.fee_historical1_kb,
            fee_per_contract_event_1kb: self.events.fee_contract_events1_kb,
            fee_per_transaction_size_1kb: self.bandwidth.fee_tx_size1_kb,
        }
    }

    pub fn rent_config(&self) -> RentFeeConfiguration {
        RentFeeConfiguration {
            fee_per_write_1kb: self.ledger_cost_ext.fee_write1_kb,
            fee_per_rent_1kb: self.rent_write_fee_per_1kb(),
            fee_per_write_entry: self.ledger_cost.fee_write_ledger_entry,
            persistent_rent_rate_denominator: self.archival.persistent_rent_rate_denominator,
            temporary_rent_rate_denominator: self.archival.temp_rent_rate_denominator,
        }
    }
}
