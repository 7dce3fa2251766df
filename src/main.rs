//! The `lakekeeper-setup` binary: parse flags, run the command, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use lakekeeper_setup::cli::{Cli, Command, Paths};
use lakekeeper_setup::commands;
use lakekeeper_setup::output::Style;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let paths = Paths::resolve(&cli.global);
    let process_env = std::env::vars().collect();
    let outcome = match &cli.command {
        Some(Command::Apply(args)) => commands::apply::run(&paths, args, &process_env),
        Some(Command::Check(args)) => commands::check::run(&paths, args),
        Some(Command::Verify(args)) => commands::verify::run(&paths, args, &process_env),
        Some(Command::Warehouse(args)) => {
            commands::verify::run_warehouse(&paths, args, &process_env)
        }
        None => commands::wizard::run(&paths, cli.plain, cli.dry_run, &process_env),
    };
    let code = match outcome {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("{} {e}", Style::stderr().red("error:"));
            e.exit()
        }
    };
    ExitCode::from(code as u8)
}
