//! `mixture fit --method gradient`: a Gaussian mixture trained by gradient descent.
//!
//! Not wired up yet. Replace [`fit`] with a call into `mixture::gradient` that returns a
//! [`FitOutcome`] (and saves the model when `args.save` is set); nothing else in the CLI needs
//! to change.

use burn::tensor::{backend::Backend, Tensor};
use mixture::core::FitObserver;

use crate::cli::FitArgs;
use crate::error::CliError;
use crate::fit::FitOutcome;

/// Fits by gradient descent. For now: a clear usage error.
pub fn fit<B: Backend>(
    _x: &Tensor<B, 2>,
    _args: &FitArgs,
    _want_labels: bool,
    _observer: &mut dyn FitObserver,
) -> Result<FitOutcome, CliError> {
    Err(CliError::Usage(
        "--method gradient is not available yet in this version of the CLI; use --method em".into(),
    ))
}
