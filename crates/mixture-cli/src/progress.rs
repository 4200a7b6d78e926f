//! A progress bar for long fits, as a [`FitObserver`].
//!
//! The bar appears only when stderr is a terminal, the output is not JSON, and the fit has
//! run for a moment ([`SHOW_AFTER`]), so quick fits print nothing extra. It is cleared when
//! the observer is dropped.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mixture::core::{FitEvent, FitObserver};

/// How long a fit runs before its bar appears.
pub const SHOW_AFTER: Duration = Duration::from_millis(300);

/// Shows iterations, the current restart, and the lower bound on stderr.
pub struct ProgressObserver {
    enabled: bool,
    start: Instant,
    bar: Option<ProgressBar>,
    n_init: usize,
}

impl ProgressObserver {
    /// A bar that shows if `wanted` and stderr is a terminal.
    pub fn new(wanted: bool) -> Self {
        Self {
            enabled: wanted && crate::parallel::is_root() && std::io::stderr().is_terminal(),
            start: Instant::now(),
            bar: None,
            n_init: 1,
        }
    }

    /// The bar, created on first use once the fit has run for [`SHOW_AFTER`].
    fn bar(&mut self, max_iter: usize) -> Option<&ProgressBar> {
        if self.bar.is_none() && self.enabled && self.start.elapsed() >= SHOW_AFTER {
            let bar =
                ProgressBar::with_draw_target(Some(max_iter as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix} [{elapsed}] {bar:20} {pos:>3}/{len} it  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            self.bar = Some(bar);
        }
        self.bar.as_ref()
    }
}

impl FitObserver for ProgressObserver {
    fn observe(&mut self, event: &FitEvent) {
        match event {
            FitEvent::Iteration {
                init,
                iteration,
                max_iter,
                value,
                change,
            } => {
                let n_init = self.n_init;
                if let Some(bar) = self.bar(*max_iter) {
                    bar.set_prefix(format!("init {}/{n_init}", init + 1));
                    bar.set_length(*max_iter as u64);
                    bar.set_position(*iteration as u64);
                    let change = if change.is_finite() {
                        format!("  change {change:.1e}")
                    } else {
                        String::new()
                    };
                    bar.set_message(format!("bound {value:.6}{change}"));
                }
            }
            FitEvent::InitStart { init, n_init } => {
                self.n_init = *n_init;
                if let Some(bar) = &self.bar {
                    bar.set_prefix(format!("init {}/{}", init + 1, n_init));
                    bar.set_position(0);
                }
            }
            _ => {}
        }
    }
}

impl Drop for ProgressObserver {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// A bar over the cells of `mixture select`'s grid, on stderr when it is a terminal.
pub struct GridProgress {
    bar: Option<ProgressBar>,
}

impl GridProgress {
    /// A bar of `cells` steps that shows if `wanted` and stderr is a terminal.
    pub fn new(wanted: bool, cells: usize) -> Self {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(cells as u64), ProgressDrawTarget::stderr());
            let style =
                ProgressStyle::with_template("[{elapsed}] {bar:20} {pos:>3}/{len} fits  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Self { bar }
    }

    /// One more cell done; `msg` names it.
    pub fn step(&self, msg: String) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(msg);
        }
    }
}

impl Drop for GridProgress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
