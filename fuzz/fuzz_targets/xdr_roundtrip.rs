#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| extref_fuzz_targets::xdr_roundtrip::run(data));
