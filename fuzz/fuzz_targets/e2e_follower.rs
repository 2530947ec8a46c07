#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| extref_fuzz_targets::e2e_follower::run(data));
