//! The `lakekeeper-setup` binary: parse flags, run the command, map the outcome to an exit code.

// Printing goes through `output::stdio` (never panics on a closed pipe).
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use lakekeeper_setup::cli::{Cli, Command, Paths};
use lakekeeper_setup::commands::{self, RunError};
use lakekeeper_setup::output::{Style, stdio};
use lakekeeper_setup::{eoutln, root};

fn main() -> ExitCode {
    // A panic message could quote a value being processed (a secret among them): print where,
    // never what. The wizard replaces this with its own hook that also restores the terminal.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        // Not `eprintln!`: it panics again if stderr is gone.
        let _ = writeln!(
            std::io::stderr(),
            "lakekeeper-setup: internal error{at}; the message is withheld because it could contain a secret. Please report it."
        );
    }));
    let cli = Cli::parse();
    if cli.writes() {
        stdio::committed();
    }
    let outcome = match &cli.command {
        // Shell integration needs no project: answered before any path is resolved.
        Some(Command::Completions(args)) => commands::shell::completions(args),
        Some(Command::Man(args)) => commands::shell::man(args),
        _ => run_in_project(&cli),
    };
    let code = match outcome {
        Ok(exit) => exit,
        Err(e) => {
            eoutln!("{} {e}", Style::stderr().red("error:"));
            e.exit()
        }
    };
    stdio::flush();
    ExitCode::from(code as u8)
}

fn run_in_project(cli: &Cli) -> Result<commands::Exit, RunError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let paths = Paths::resolve(&cli.global, &cwd);
    if let Some(line) = root::announcement(&paths.root, &paths.origin) {
        eoutln!("{line}");
    }
    let process_env = std::env::vars().collect();
    match &cli.command {
        Some(_) if !paths.may_create(&cli.global) => {
            Err(RunError::Usage(root::not_found_message(&cwd)))
        }
        Some(Command::Apply(args)) => commands::apply::run(&paths, args, &process_env),
        Some(Command::Check(args)) => commands::check::run(&paths, args),
        Some(Command::Verify(args)) => commands::verify::run(&paths, args, &process_env),
        Some(Command::Warehouse(args)) => {
            commands::verify::run_warehouse(&paths, args, &process_env)
        }
        Some(Command::Export(target)) => commands::export::run(&paths, target, &process_env),
        Some(Command::Azure(command)) => commands::azure::run(&paths, command, &process_env),
        Some(Command::Completions(args)) => commands::shell::completions(args),
        Some(Command::Man(args)) => commands::shell::man(args),
        None => commands::wizard::run_from(
            &cli.global,
            paths,
            &cwd,
            cli.plain,
            cli.dry_run,
            &process_env,
        ),
    }
}
