//! Learning-rate schedules.

use serde::{Deserialize, Serialize};

/// Cosine annealing from `initial` to zero over `total_steps` optimizer steps, PyTorch's
/// `CosineAnnealingLR(T_max = total_steps, eta_min = 0)` as GMMPytorch uses it:
///
/// ```text
/// lr(t) = initial · (1 + cos(π t / T)) / 2,   t = 0, 1, …, T − 1
/// ```
///
/// burn's `CosineAnnealingLrScheduler` computes the same curve but rejects an initial rate
/// of zero (GMMPytorch's tests freeze the weights with `mixture_lr = 0`) or above one, so the
/// formula is written out here.
///
/// ```
/// use mixture_gradient::CosineSchedule;
/// let s = CosineSchedule::new(0.1, 4, true);
/// assert_eq!(s.lr(0), 0.1);
/// assert!((s.lr(2) - 0.05).abs() < 1e-15);
/// assert_eq!(CosineSchedule::new(0.1, 4, false).lr(3), 0.1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CosineSchedule {
    /// The learning rate at step 0.
    pub initial: f64,
    /// Steps of the half cosine, `T`.
    pub total_steps: usize,
    /// Whether to anneal; `false` keeps the rate constant.
    pub enabled: bool,
}

impl CosineSchedule {
    /// A schedule from `initial` over `total_steps` steps (constant when `enabled` is false).
    pub fn new(initial: f64, total_steps: usize, enabled: bool) -> Self {
        Self {
            initial,
            total_steps,
            enabled,
        }
    }

    /// The learning rate of step `step` (0-based).
    pub fn lr(&self, step: usize) -> f64 {
        if !self.enabled || self.total_steps == 0 {
            return self.initial;
        }
        let t = step.min(self.total_steps) as f64 / self.total_steps as f64;
        self.initial * 0.5 * (1.0 + (core::f64::consts::PI * t).cos())
    }
}
