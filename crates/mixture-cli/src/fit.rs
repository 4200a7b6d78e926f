//! `mixture fit`: load the data, fit on the chosen backend, report.

use burn::tensor::{backend::Backend, DType};
use mixture::core::tensor::{to_vec_f64, to_vec_i64};

use crate::backend::{self, BackendJob, Dtype};
use crate::cli::{FitArgs, Method};
use crate::data::Values;
use crate::dataset::Dataset;
use crate::error::CliError;
use crate::precision::{self, Choice};
use crate::progress::ProgressObserver;
use crate::report::{self, FitReport};

/// What a fitted Gaussian mixture looks like on the host, whichever method trained it.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOutcome {
    /// Whether the change of the lower bound fell below `tol`.
    pub converged: bool,
    /// Iterations run (in the best initialisation).
    pub n_iter: usize,
    /// The final lower bound (per-sample mean).
    pub lower_bound: f64,
    /// scikit-learn's `score`: mean log-likelihood per sample under the fitted model.
    pub mean_log_likelihood: f64,
    /// Bayesian information criterion on the training data.
    pub bic: f64,
    /// Akaike information criterion on the training data.
    pub aic: f64,
    /// Free parameters of the model.
    pub n_parameters: usize,
    /// Mixing weights, `[K]`.
    pub weights: Vec<f64>,
    /// Means, `K` rows of `D`.
    pub means: Vec<Vec<f64>>,
    /// The predicted component of every row, when asked for (datasets with known classes).
    pub labels: Option<Vec<usize>>,
    /// Wall-clock seconds of the fit itself (not loading, not reporting).
    pub fit_seconds: f64,
    /// The final training loss (gradient fits only).
    pub final_loss: Option<f64>,
    /// The fitted model as the JSON `--save` writes (EM fits; gradient fits have none yet).
    pub model_json: Option<String>,
    /// What only a variational fit has.
    pub variational: Option<VariationalOutcome>,
    /// About which point the E-step took second moments (EM and variational fits).
    pub statistics_centre: Option<mixture::em::StatisticsCentre>,
}

impl FitOutcome {
    /// What every Gaussian mixture fit reports, from `model` (an EM fit, or a variational
    /// fit's point estimate) and its mean log-likelihood `score` on the `n` training rows:
    /// BIC and AIC as `GaussianMixture::bic` and `aic` compute them, without scoring the
    /// rows again. No labels, no variational part: the caller adds what it has.
    pub(crate) fn gaussian<B: Backend>(
        model: &mixture::em::GaussianMixture<B>,
        score: f64,
        n: usize,
        fit_seconds: f64,
        model_json: String,
    ) -> Result<Self, CliError> {
        use mixture::core::criteria::{aic, bic};
        let n = n as f64;
        let p = model.n_parameters();
        let d = model.n_features();
        let means = to_vec_f64(model.means())?;
        Ok(Self {
            converged: model.converged(),
            n_iter: model.n_iter(),
            lower_bound: model.lower_bound(),
            mean_log_likelihood: score,
            bic: bic(score * n, p, n),
            aic: aic(score * n, p),
            n_parameters: p,
            weights: to_vec_f64(model.weights())?,
            means: means.chunks(d.max(1)).map(<[f64]>::to_vec).collect(),
            labels: None,
            fit_seconds,
            final_loss: None,
            model_json: Some(model_json),
            variational: None,
            statistics_centre: Some(model.config().statistics_centre),
        })
    }
}

impl FitOutcome {
    /// The outcome of a fit to data centred by `-offset`, in the data's own units: the means
    /// and the saved model moved by `offset` (in f64). Scores, weights and labels do not move.
    pub(crate) fn move_by(&mut self, offset: &[f64]) -> Result<(), CliError> {
        for row in &mut self.means {
            row.iter_mut().zip(offset).for_each(|(m, o)| *m += o);
        }
        if let Some(json) = &self.model_json {
            self.model_json = Some(mixture::em::persist::translate(json, offset)?);
        }
        Ok(())
    }
}

/// Component labels read back as indices.
pub(crate) fn labels<B: Backend>(
    labels: burn::tensor::Tensor<B, 1, burn::tensor::Int>,
) -> Result<Vec<usize>, CliError> {
    Ok(to_vec_i64(labels)?
        .into_iter()
        .map(|v| v as usize)
        .collect())
}

/// The part of a variational fit's outcome the other methods do not have.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VariationalOutcome {
    /// The evidence lower bound: exactly scikit-learn's `lower_bound_` (a sum over samples,
    /// constants dropped).
    pub elbo: f64,
    /// Components with a weight above 1 % (one row in a hundred).
    pub n_effective_components: usize,
    /// The weight prior: `dirichlet-process` or `dirichlet-distribution`.
    pub weight_prior: String,
    /// `α0`.
    pub weight_concentration_prior: f64,
}

/// The fit, as a job for any backend.
pub(crate) struct FitJob<'a> {
    /// The options.
    pub args: &'a FitArgs,
    /// The data.
    pub data: &'a Dataset,
    /// The data's values, when the dataset lent them ([`Dataset::lend_values`]): they
    /// become the fit's tensor, so the data are held once.
    pub values: Option<Values>,
    /// Column means to take off the data on the host, in f64, before an f32 fit (data that
    /// the cast would otherwise round: see `precision::f32_fit`); the outcome is moved back.
    /// An f32 fit without them takes off the data's column means.
    pub shift: Option<&'a [f64]>,
}

impl BackendJob for FitJob<'_> {
    type Output = FitOutcome;

    fn run<B: Backend>(self, device: B::Device, dtype: DType) -> Result<FitOutcome, CliError> {
        let m = &self.data.matrix;
        // f64 holds the raw values exactly: only an f32 fit is centred, always, on the host
        // in f64 before the cast. f32 then rounds the data about their centre, and the fit,
        // which finds them centred, takes its statistics about the origin and holds the rows
        // once instead of beside a centred copy (`GaussianComponents::with_center_at_origin`).
        let shift: Option<Vec<f64>> = (dtype == DType::F32).then(|| match self.shift {
            Some(s) => s.to_vec(),
            None => self
                .values
                .as_ref()
                .unwrap_or(&m.values)
                .column_means(m.n_cols),
        });
        let shift = shift.as_deref();
        let x = match self.values {
            Some(values) => values.into_tensor::<B>(m.n_cols, &device, dtype, shift),
            None => m
                .values
                .tensor_shifted::<B>(0..m.n_rows, m.n_cols, &device, dtype, shift),
        };
        let want_labels = self.data.classes.is_some();
        let mut observer = ProgressObserver::new(!self.args.json && !self.args.no_progress);
        // The one place that picks the training method.
        let mut outcome = match self.args.method {
            Method::Em => crate::em::fit(&x, self.args, want_labels, &mut observer),
            Method::Gradient => crate::gradient::fit(&x, self.args, want_labels, &mut observer),
            Method::Variational => {
                crate::variational::fit(&x, self.args, want_labels, &mut observer)
            }
        }?;
        if let Some(offset) = shift {
            outcome.move_by(offset)?;
        }
        Ok(outcome)
    }
}

/// Fits `data` in `dtype` on the chosen backend, about `shift` (see [`FitJob`]). The values
/// of a `.npy` file are lent to the fit, which holds them once; whatever reads them next reads
/// them again ([`Dataset::ensure_values`]).
pub(crate) fn fit_in(
    args: &FitArgs,
    data: &mut Dataset,
    dtype: Dtype,
    shift: Option<&[f64]>,
) -> Result<FitOutcome, CliError> {
    data.ensure_values()?;
    let values = data.lend_values();
    let job = FitJob {
        args,
        data,
        values,
        shift,
    };
    backend::dispatch(args.backend, dtype, job)
}

/// Runs `mixture fit`.
pub fn run(args: &FitArgs, delimiter: Option<u8>) -> Result<(), CliError> {
    // A fit across the ranks of an MPI job streams each rank's shard.
    // So does a Parquet file, which is never loaded whole.
    if crate::stream::wanted(args.input.as_deref(), args.stream, args.shard_rows)? {
        let (outcome, data, choice, world_size) = crate::stream::fit(args, delimiter)?;
        return finish(args, &data, outcome, choice, world_size);
    }
    let mut data = Dataset::load(args.input.as_deref(), delimiter)?;
    let (outcome, choice) = match args.dtype.fixed() {
        Some(_) => {
            let (choice, centring) = precision::data_plan(args.dtype, args.backend, &data)?;
            let shift = centring.as_ref().map(|c| c.shift.as_slice());
            let outcome = match fit_in(args, &mut data, choice.dtype, shift) {
                Err(e) if choice.dtype == Dtype::F32 => {
                    return Err(precision::in_f32(e, &mut data));
                }
                outcome => outcome?,
            };
            (outcome, choice)
        }
        None => precision::auto(args, &mut data)?,
    };
    finish(args, &data, outcome, choice, None)
}

/// Saves the model if asked and prints the report.
fn finish(
    args: &FitArgs,
    data: &Dataset,
    outcome: FitOutcome,
    choice: Choice,
    world_size: Option<usize>,
) -> Result<(), CliError> {
    if let (Some(path), Some(json)) = (&args.save, &outcome.model_json) {
        crate::save_model(path, json)?;
    }
    let mut report = FitReport::new(args, data, outcome, choice);
    report.world_size = world_size;
    crate::print_report(&report, args.json, report::render_text)
}

/// Whether a library error is a numerical failure of the fit (exit 1) rather than bad input.
pub(crate) fn is_numerical(e: &mixture::core::Error) -> bool {
    use mixture::core::Error as E;
    matches!(
        e,
        E::EmptyComponent { .. } | E::NotPositiveDefinite { .. } | E::Diverged { .. }
    )
}

/// Values beyond f32's range would silently become infinite in an f32 fit; say so instead.
pub(crate) fn check_f32_range(data: &Dataset) -> Result<(), CliError> {
    let m = &data.matrix;
    match m.values.beyond_f32() {
        None => Ok(()),
        Some(i) => Err(CliError::Usage(format!(
            "{}: value {:e} (row {}, column {}, 0-based) does not fit in f32; use --dtype f64 or scale the data",
            data.name,
            m.values.get(i),
            i / m.n_cols,
            i % m.n_cols
        ))),
    }
}
