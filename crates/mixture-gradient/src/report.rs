//! What a gradient fit reports.

use serde::{Deserialize, Serialize};

/// The outcome of a gradient fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientReport {
    /// The objective of the returned module on the whole data (mean negative
    /// log-likelihood minus the weighted log-prior), computed after the last step.
    pub final_loss: f64,
    /// The objective per iteration (per epoch with mini-batches: the row-weighted mean of the
    /// batch losses), before that iteration's steps.
    pub loss_history: Vec<f64>,
    /// Iterations (epochs) run.
    pub n_iter: usize,
    /// Whether the fit stopped early because the loss changed by less than `tol` for
    /// `patience` iterations in a row.
    pub converged: bool,
    /// Wall-clock seconds of the fit, initialisation included.
    pub fit_seconds: f64,
}
