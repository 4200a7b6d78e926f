//! `mixture fit --method variational`: a variational Bayesian Gaussian mixture
//! (scikit-learn's `BayesianGaussianMixture`).

use std::time::Instant;

use burn::tensor::{backend::Backend, Tensor};
use mixture::core::FitObserver;
use mixture::em::{BayesianGaussianMixture, BayesianGaussianMixtureConfig};

use crate::cli::FitArgs;
use crate::error::CliError;
use crate::fit::{FitOutcome, VariationalOutcome};

/// The weight above which a component counts as effective in the report: one row in a
/// hundred.
pub const EFFECTIVE_WEIGHT: f64 = 1e-2;

/// The library configuration for the command-line options, validated.
///
/// # Errors
/// The library's `InvalidConfig` error for an out-of-range value (exit code 2).
pub fn config(args: &FitArgs) -> Result<BayesianGaussianMixtureConfig, CliError> {
    let mut config = BayesianGaussianMixtureConfig::new(args.components)
        .with_covariance_type(args.covariance)
        .with_init(args.init)
        .with_tol(args.tol)
        .with_reg_covar(args.reg_covar)
        .with_max_iter(args.max_iter)
        .with_n_init(args.n_init)
        .with_seed(args.seed)
        .with_batch_size(args.batch_size)
        .with_statistics_centre(args.statistics_centre)
        .with_weight_concentration_prior_type(args.weight_prior);
    config.weight_concentration_prior = args.weight_concentration;
    config.mean_precision_prior = args.mean_precision;
    config.degrees_of_freedom_prior = args.degrees_of_freedom;
    config.validate()?;
    Ok(config)
}

/// Fits by variational EM and summarises the model on the host. The mean log-likelihood is
/// scikit-learn's `score` (the variational expectations); BIC and AIC are those of the
/// point estimate (`weights_`, `means_`, `covariances_`), all K components counted.
pub fn fit<B: Backend>(
    x: &Tensor<B, 2>,
    args: &FitArgs,
    want_labels: bool,
    observer: &mut dyn FitObserver,
) -> Result<FitOutcome, CliError> {
    let config = config(args)?;
    let start = Instant::now();
    let model = config.fit_with(x, observer)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let point_score = model.point_estimate().score(x)?;
    let mut outcome = outcome(
        &model,
        &config,
        model.score(x)?,
        point_score,
        x.dims()[0],
        fit_seconds,
    )?;
    if want_labels {
        outcome.labels = Some(crate::fit::labels(model.predict(x)?)?);
    }
    Ok(outcome)
}

/// A variational fit's outcome from its mean scores on the `n` training rows: `score`
/// (scikit-learn's, the variational expectations) and `point_score` (the point estimate's,
/// for BIC and AIC). The bound per row, the ELBO and the effective components are its own.
pub(crate) fn outcome<B: Backend>(
    model: &BayesianGaussianMixture<B>,
    config: &BayesianGaussianMixtureConfig,
    score: f64,
    point_score: f64,
    n: usize,
    fit_seconds: f64,
) -> Result<FitOutcome, CliError> {
    let mut outcome = FitOutcome::gaussian(
        &model.point_estimate(),
        point_score,
        n,
        fit_seconds,
        model.to_json()?,
    )?;
    outcome.lower_bound = model.lower_bound() / n as f64;
    outcome.mean_log_likelihood = score;
    outcome.variational = Some(VariationalOutcome {
        elbo: model.lower_bound(),
        n_effective_components: model.n_effective_components(EFFECTIVE_WEIGHT)?,
        weight_prior: config.weight_concentration_prior_type.to_string(),
        weight_concentration_prior: config.alpha0(),
    });
    Ok(outcome)
}
