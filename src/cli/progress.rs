//! A one-line progress bar for the slower commands.

use std::io::IsTerminal;

/// A one-line progress bar on stderr, drawn only on a terminal.
pub(super) struct Progress {
    steps: usize,
    started: std::time::Instant,
    on_terminal: bool,
}

impl Progress {
    pub(super) fn new(steps: usize) -> Progress {
        Progress {
            steps,
            started: std::time::Instant::now(),
            on_terminal: std::io::stderr().is_terminal(),
        }
    }

    pub(super) fn step(&self, done: usize, label: &str) {
        if self.on_terminal {
            let width = 30;
            let filled = width * done / self.steps;
            eprint!(
                "\r[{}{}] {done}/{} {label:<28} {:>6.1} s",
                "#".repeat(filled),
                "-".repeat(width - filled),
                self.steps,
                self.started.elapsed().as_secs_f64()
            );
            if done == self.steps {
                eprintln!();
            }
        }
    }
}
