//! `cargo fuzz` entry point; the input and its properties are in `fuzz/checks/validators.rs`, which
//! `tests/fuzz_replay.rs` also runs on the seeds and past failures.
#![no_main]

#[path = "../checks/validators.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
