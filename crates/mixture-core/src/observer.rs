//! Watching a fit: progress bars, logging, recording.

/// What happened in a fit, as the driver reports it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FitEvent {
    /// An initialisation (restart) begins.
    InitStart {
        /// 0-based index of the restart.
        init: usize,
        /// Total restarts.
        n_init: usize,
    },
    /// An iteration finished.
    Iteration {
        /// 0-based index of the restart.
        init: usize,
        /// 1-based iteration.
        iteration: usize,
        /// Maximum iterations.
        max_iter: usize,
        /// The lower bound (mean log-likelihood, or the loss for gradient training).
        value: f64,
        /// Change from the previous iteration (`NaN` on the first).
        change: f64,
    },
    /// An initialisation ended.
    InitEnd {
        /// 0-based index of the restart.
        init: usize,
        /// Whether it converged.
        converged: bool,
        /// Iterations run.
        n_iter: usize,
        /// Its final lower bound.
        value: f64,
    },
}

/// Receives [`FitEvent`]s. The algorithms never print; they report here.
pub trait FitObserver {
    /// Called for every event.
    fn observe(&mut self, event: &FitEvent);
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopObserver;

impl FitObserver for NoopObserver {
    fn observe(&mut self, _event: &FitEvent) {}
}

impl<F: FnMut(&FitEvent)> FitObserver for F {
    fn observe(&mut self, event: &FitEvent) {
        self(event)
    }
}

impl FitObserver for Vec<FitEvent> {
    fn observe(&mut self, event: &FitEvent) {
        self.push(event.clone());
    }
}
