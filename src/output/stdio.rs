//! Writing to standard output and standard error without ever panicking on a closed pipe.
//!
//! `outln!` and `eoutln!` panic when the stream is gone (`check --json | head -c 100`
//! closes stdout early; the panic hook then reported an "internal error"). Every line the tool
//! prints goes through [`write`] instead (the [`crate::outln!`] family of macros), which treats
//! a broken pipe as ripgrep does: the reader has what it wanted, so the process ends at once,
//! quietly, with exit code 0 (ripgrep's `main`: "exit gracefully with a success exit code").
//!
//! One exception keeps work from being lost: once a command has been told to change something
//! (the user confirmed, or `--yes`), [`committed`] makes a closed stream only silence its
//! output; the writes go on to the end and the command exits with its own code.
//!
//! Both streams are treated alike, as ripgrep treats them (its `messages.rs` exits 0 when
//! stderr's pipe is closed, ripgrep issue 1966). Any other write error (a full disk behind a
//! redirect) ends the process with exit code 2, reported on stderr when stdout failed.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// One of the two output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Exit code after a write failed for a reason other than a closed pipe
/// ([`crate::commands::Exit::CouldNotRun`]).
const WRITE_FAILED: i32 = 2;

static COMMITTED: AtomicBool = AtomicBool::new(false);
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

fn closed_flag(stream: Stream) -> &'static AtomicBool {
    match stream {
        Stream::Stdout => &STDOUT_CLOSED,
        Stream::Stderr => &STDERR_CLOSED,
    }
}

/// From now on the command is changing files or Azure objects: a closed stream silences output
/// instead of ending the process, so nothing is left half-done.
pub fn committed() {
    COMMITTED.store(true, Ordering::SeqCst);
}

/// Whether a stream was found closed (its output since then was dropped).
pub fn closed(stream: Stream) -> bool {
    closed_flag(stream).load(Ordering::SeqCst)
}

/// Writes `args` to `stream` and flushes it. Never panics; see the module doc for what a failed
/// write does.
pub fn write(stream: Stream, args: fmt::Arguments<'_>) {
    if closed(stream) {
        return;
    }
    let result = match stream {
        Stream::Stdout => {
            let mut out = io::stdout().lock();
            out.write_fmt(args).and_then(|()| out.flush())
        }
        Stream::Stderr => {
            let mut err = io::stderr().lock();
            err.write_fmt(args).and_then(|()| err.flush())
        }
    };
    if let Err(e) = result {
        failed(stream, &e);
    }
}

/// Flushes stdout before the process ends (a closed pipe found here ends quietly too).
pub fn flush() {
    if closed(Stream::Stdout) {
        return;
    }
    if let Err(e) = io::stdout().lock().flush() {
        failed(Stream::Stdout, &e);
    }
}

fn failed(stream: Stream, e: &io::Error) {
    match decide(e.kind(), COMMITTED.load(Ordering::SeqCst)) {
        Outcome::Silence => closed_flag(stream).store(true, Ordering::SeqCst),
        Outcome::Exit(code) => {
            if code != 0 && stream == Stream::Stdout {
                let _ = writeln!(
                    io::stderr(),
                    "lakekeeper-setup: could not write to standard output: {e}"
                );
            }
            std::process::exit(code)
        }
    }
}

/// What a failed write leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Drop this stream's output from now on and carry on.
    Silence,
    /// End the process with this code.
    Exit(i32),
}

/// The decision, pure: mid-change, output is dropped and the work goes on; otherwise a closed
/// pipe ends quietly with 0 and any other error with 2. The stream does not matter (it is
/// only named in the message).
pub fn decide(kind: io::ErrorKind, committed: bool) -> Outcome {
    if committed {
        Outcome::Silence
    } else if kind == io::ErrorKind::BrokenPipe {
        Outcome::Exit(0)
    } else {
        Outcome::Exit(WRITE_FAILED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use io::ErrorKind::{BrokenPipe, StorageFull};

    #[test]
    fn a_closed_pipe_ends_quietly_unless_a_change_is_under_way() {
        for (kind, committed, want) in [
            (BrokenPipe, false, Outcome::Exit(0)),
            (BrokenPipe, true, Outcome::Silence),
            (StorageFull, false, Outcome::Exit(2)),
            (StorageFull, true, Outcome::Silence),
        ] {
            assert_eq!(
                decide(kind, committed),
                want,
                "{kind:?} committed={committed}"
            );
        }
    }
}
