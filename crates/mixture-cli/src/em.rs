//! `mixture fit --method em`: a Gaussian mixture by expectation-maximisation.

use std::time::Instant;

use burn::tensor::{backend::Backend, Tensor};
use mixture::core::{
    tensor::{to_vec_f64, to_vec_i64},
    FitObserver,
};
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
        .with_batch_size(args.batch_size);
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

    let d = model.n_features();
    let means = to_vec_f64(model.means())?;
    let labels = if want_labels {
        let l = to_vec_i64(model.predict(x)?)?;
        Some(l.into_iter().map(|v| v as usize).collect())
    } else {
        None
    };
    Ok(FitOutcome {
        converged: model.converged(),
        n_iter: model.n_iter(),
        lower_bound: model.lower_bound(),
        mean_log_likelihood: model.score(x)?,
        bic: model.bic(x)?,
        aic: model.aic(x)?,
        n_parameters: model.n_parameters(),
        weights: to_vec_f64(model.weights())?,
        means: means.chunks(d).map(<[f64]>::to_vec).collect(),
        labels,
        fit_seconds,
        final_loss: None,
        model_json: Some(model.to_json()?),
        variational: None,
    })
}
