//! lakekeeper-setup: sets up Lakekeeper (the Apache Iceberg REST catalog) with Entra ID, ADLS
//! Gen2 and a shared PostgreSQL, writing `backend/.env` and a docker compose override.
//!
//! The shape: answers (wizard | line prompts | profile + environment) → `validate` →
//! `SetupConfig` → `plan` (pure) → `apply` (atomic writes) → `verify` (live checks).

// `outln!` and friends panic on a closed pipe: everything printed goes through
// `output::stdio` (see there), by these macros.
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// `print!` to stdout that never panics: a closed pipe ends the process quietly
/// ([`output::stdio`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::stdio::write($crate::output::stdio::Stream::Stdout, format_args!($($arg)*))
    };
}

/// `outln!` that never panics ([`output::stdio`]).
#[macro_export]
macro_rules! outln {
    () => { $crate::out!("\n") };
    ($($arg:tt)*) => {
        $crate::output::stdio::write($crate::output::stdio::Stream::Stdout, format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that never panics ([`output::stdio`]).
#[macro_export]
macro_rules! eout {
    ($($arg:tt)*) => {
        $crate::output::stdio::write($crate::output::stdio::Stream::Stderr, format_args!($($arg)*))
    };
}

/// `eoutln!` that never panics ([`output::stdio`]).
#[macro_export]
macro_rules! eoutln {
    () => { $crate::eout!("\n") };
    ($($arg:tt)*) => {
        $crate::output::stdio::write($crate::output::stdio::Stream::Stderr, format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub mod apply;
pub mod azure;
pub mod backups;
pub mod check;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod compose;
pub mod derive;
pub mod envfile;
pub mod git;
pub mod helm;
pub mod keys;
pub mod model;
pub mod output;
pub mod plan;
pub mod production;
pub mod profile;
pub mod prompt;
pub mod resolve;
pub mod root;
pub mod searchpath;
pub mod secret;
pub mod strings;
pub mod tui;
pub mod validate;
pub mod verify;
pub mod wizard;
