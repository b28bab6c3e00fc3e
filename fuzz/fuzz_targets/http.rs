#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| moth_fuzz::http::run(data));
