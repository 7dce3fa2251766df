//! Drives a real program in a real pseudo-terminal: a private tmux server (its own socket, so
//! tests can run in parallel), `send-keys` for typing, `paste-buffer -p` for bracketed paste,
//! `capture-pane -p` for the rendered screen. ratatui repaints only changed cells, so tests
//! match the screen as tmux renders it, never the raw byte stream.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `program args` in `dir` on a `width`×`height` terminal with only `env` (plus
    /// PATH and HOME) in its environment. When the program ends, the pane shows `EXIT=<code>`.
    pub fn start(
        dir: &Path,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        width: u16,
        height: u16,
    ) -> Tmux {
        let socket = format!(
            "lk-wizard-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut vars = format!(
            "PATH={} HOME={}",
            shell_quote(&std::env::var("PATH").unwrap_or_default()),
            shell_quote(&dir.display().to_string())
        );
        for (k, v) in env {
            vars = format!("{vars} {k}={}", shell_quote(v));
        }
        let cmd = format!(
            "cd {} && env -i TERM=\"$TERM\" {vars} {} {}; echo EXIT=$?; sleep 600",
            shell_quote(&dir.display().to_string()),
            shell_quote(&program.display().to_string()),
            args.iter()
                .map(|a| shell_quote(a))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let t = Tmux { socket };
        t.tmux(&[
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &cmd,
        ]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Named keys (`Enter`, `C-c`, `Down`…), each its own key press.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "main", k]);
        }
    }

    /// Types `text` literally, as keystrokes.
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "main", "-l", text]);
    }

    /// Pastes `text` as a bracketed paste (when the program asked for bracketed paste).
    pub fn paste(&self, text: &str) {
        self.tmux(&["set-buffer", "-b", "p", text]);
        self.tmux(&["paste-buffer", "-p", "-d", "-b", "p", "-t", "main"]);
    }

    pub fn resize(&self, width: u16, height: u16) {
        self.tmux(&[
            "resize-window",
            "-t",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// The process id of the pane's command (the `sh -c` wrapper).
    pub fn pane_pid(&self) -> String {
        self.tmux(&["list-panes", "-t", "main", "-F", "#{pane_pid}"])
            .trim()
            .to_owned()
    }

    /// The pid of the program the pane runs (`sh -c "…"`'s only child).
    pub fn child_pid(&self) -> String {
        let shell = self.pane_pid();
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .expect("/proc children");
        children
            .split_whitespace()
            .next()
            .expect("the program runs")
            .to_owned()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "main"])
    }

    /// Everything the pane has shown, scrollback included.
    pub fn history(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-S", "-", "-t", "main"])
    }

    /// Waits until `needle` is no longer on the screen.
    pub fn wait_gone(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if !s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {needle:?} to go; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Waits until the screen shows every one of `needles`; panics with the screen otherwise.
    pub fn wait_for(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if needles.iter().all(|n| s.contains(n)) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {needles:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
