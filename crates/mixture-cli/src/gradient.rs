//! `mixture fit --method gradient`: a Gaussian mixture trained by gradient descent (Adam on
//! the negative log-likelihood, `mixture::gradient::GradientMixtureConfig`) on burn's
//! autodiff backend wrapped around the chosen one.

use burn::backend::Autodiff;
use burn::tensor::{backend::Backend, Tensor};
use mixture::core::{
    criteria,
    tensor::{to_vec_f64, to_vec_i64},
    FitObserver,
};
use mixture::gradient::{
    DirichletPrior, GradientMixtureConfig, LogVariancePrior, MixturePrior, SoftballPrior,
};

use crate::cli::FitArgs;
use crate::error::CliError;
use crate::fit::FitOutcome;

/// The library configuration for the command-line options, validated. The trainer keeps
/// its own stopping tolerance (EM's `--tol` is on a different scale).
fn config(args: &FitArgs) -> Result<GradientMixtureConfig, CliError> {
    let config = GradientMixtureConfig::new(args.components)
        .with_family(args.family)
        .with_iterations(args.iterations)
        .with_mixture_lr(args.mixture_lr)
        .with_component_lr(args.component_lr)
        .with_batch_size(args.batch_size)
        .with_seed(args.seed)
        .with_prior(prior(args)?)
        .with_prior_weighting(args.prior_weighting);
    config.validate()?;
    Ok(config)
}

/// The priors named on the command line (`--prior-*`), composed.
fn prior(args: &FitArgs) -> Result<MixturePrior, CliError> {
    let pair = |name: &str, v: &Option<Vec<f64>>| match v {
        Some(v) if v.len() != 2 => Err(CliError::Usage(format!(
            "--{name} takes two comma-separated numbers, got {}",
            v.len()
        ))),
        _ => Ok(()),
    };
    pair("prior-softball", &args.prior_softball)?;
    pair("prior-log-variance", &args.prior_log_variance)?;
    let mut prior = MixturePrior::none();
    if let Some(v) = &args.prior_softball {
        prior = prior.with_softball(SoftballPrior::new(v[0], v[1]));
    }
    if let Some(v) = &args.prior_log_variance {
        prior = prior.with_log_variance(LogVariancePrior::new(v[0], v[1]));
    }
    if let Some(alpha) = args.prior_dirichlet {
        prior = prior.with_dirichlet(DirichletPrior::new(alpha));
    }
    Ok(prior)
}

/// Fits by gradient descent and summarises the model on the host.
pub fn fit<B: Backend>(
    x: &Tensor<B, 2>,
    args: &FitArgs,
    want_labels: bool,
    observer: &mut dyn FitObserver,
) -> Result<FitOutcome, CliError> {
    if args.save.is_some() {
        return Err(CliError::Usage(
            "--save is available only with --method em for now".into(),
        ));
    }
    let config = config(args)?;
    let xa = Tensor::<Autodiff<B>, 2>::from_inner(x.clone());
    let (model, report) = config.fit_with(&xa, observer)?;
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let mean_log_likelihood = to_vec_f64(model.log_prob(xa.clone()).mean())?[0];
    let n_parameters = model.n_parameters();
    let total_ll = mean_log_likelihood * n as f64;
    let means = to_vec_f64(model.means.val())?;
    let labels = if want_labels {
        let l = to_vec_i64(model.clustering(xa))?;
        Some(l.into_iter().map(|v| v as usize).collect())
    } else {
        None
    };
    Ok(FitOutcome {
        converged: report.converged,
        n_iter: report.n_iter,
        lower_bound: mean_log_likelihood,
        mean_log_likelihood,
        bic: criteria::bic(total_ll, n_parameters, n as f64),
        aic: criteria::aic(total_ll, n_parameters),
        n_parameters,
        weights: to_vec_f64(model.mixture_probs())?,
        means: means.chunks(d).map(<[f64]>::to_vec).collect(),
        labels,
        fit_seconds: report.fit_seconds,
        final_loss: Some(report.final_loss),
        model_json: None,
        variational: None,
        statistics_centre: None,
    })
}
