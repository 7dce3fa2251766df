//! `completions` and `man`: the shell integration a well-made CLI ships. Both are generated from
//! the same clap definition as `--help`, so they cannot drift from the flags that exist.

use std::io::{self, Write};
use std::path::Path;

use clap::CommandFactory;

use super::{Exit, RunError};
use crate::cli::{Cli, CompletionsArgs, ManArgs};

const BIN: &str = "lakekeeper-setup";

pub fn completions(args: &CompletionsArgs) -> Result<Exit, RunError> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), BIN, &mut out);
    if args.shell == clap_complete::Shell::Bash {
        out = fix_bash_arm_labels(&out);
    }
    write_stdout(&out)
}

/// clap_complete 4.6 spells a hyphenated program's states two ways in bash: the loop that
/// walks the words arrives at `lakekeeper__setup__subcmd__verify`, the `case` arms say
/// `lakekeeper__subcmd__setup__subcmd__verify`, so nothing after a command ever completes
/// (clap-rs/clap#6421). Spell the arms as the loop does; a no-op once clap is fixed.
fn fix_bash_arm_labels(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script)
        .replace("lakekeeper__subcmd__setup", "lakekeeper__setup")
        .into_bytes()
}

pub fn man(args: &ManArgs) -> Result<Exit, RunError> {
    let cmd = Cli::command();
    match &args.out {
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .map_err(|e| RunError::Usage(format!("could not render the manual page: {e}")))?;
            write_stdout(&out)
        }
        Some(dir) => {
            write_pages(cmd, dir).map_err(|source| RunError::Read {
                path: dir.display().to_string(),
                source,
            })?;
            Ok(Exit::Ok)
        }
    }
}

/// One page for the program and one per command (`lakekeeper-setup-apply.1`, …), as `git` ships.
fn write_pages(cmd: clap::Command, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(cmd, dir)
}

fn write_stdout(bytes: &[u8]) -> Result<Exit, RunError> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(Exit::Ok),
        // `lakekeeper-setup man | head` closes the pipe early: not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Exit::Ok),
        Err(source) => Err(RunError::Read {
            path: "standard output".into(),
            source,
        }),
    }
}
