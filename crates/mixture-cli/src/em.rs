//! `mixture fit --method em`: a Gaussian mixture by expectation-maximisation.

use std::time::Instant;

use burn::tensor::{backend::Backend, Tensor};
use mixture::core::FitObserver;
use mixture::em::GaussianMixtureConfig;

use crate::cli::FitArgs;
use crate::error::CliError;
use crate::fit::FitOutcome;

/// The library configuration for the command-line options, validated.
///
/// # Errors
/// The library's `InvalidConfig` error for an out-of-range value (exit code 2).
pub fn config(args: &FitArgs) -> Result<GaussianMixtureConfig, CliError> {
    let config = GaussianMixtureConfig::new(args.components)
        .with_covariance_type(args.covariance)
        .with_init(args.init)
        .with_tol(args.tol)
        .with_reg_covar(args.reg_covar)
        .with_max_iter(args.max_iter)
        .with_n_init(args.n_init)
        .with_seed(args.seed)
        .with_batch_size(args.batch_size)
        .with_statistics_centre(args.statistics_centre);
    config.validate()?;
    Ok(config)
}

/// Fits by EM, saves the model if asked, and summarises it on the host.
pub fn fit<B: Backend>(
    x: &Tensor<B, 2>,
    args: &FitArgs,
    want_labels: bool,
    observer: &mut dyn FitObserver,
) -> Result<FitOutcome, CliError> {
    let config = config(args)?;
    let start = Instant::now();
    let model = config.fit_with(x, None, observer)?;
    let fit_seconds = start.elapsed().as_secs_f64();

    let mut outcome = FitOutcome::gaussian(
        &model,
        model.score(x)?,
        x.dims()[0],
        fit_seconds,
        model.to_json()?,
    )?;
    if want_labels {
        outcome.labels = Some(crate::fit::labels(model.predict(x)?)?);
    }
    Ok(outcome)
}
