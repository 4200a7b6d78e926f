//! `mixture fit --stream`: EM over a `.npy` file read in batches on every pass
//! (`mixture_io::NpySource`), for data larger than memory.

use std::path::Path;
use std::time::Instant;

use burn::tensor::{backend::Backend, DType};
use mixture::core::{tensor::to_vec_f64, DataSource};
use mixture::io::{default_batch_rows, NpySource};

use crate::backend::{self, BackendJob, Dtype};
use crate::cli::{FitArgs, Method};
use crate::data::Matrix;
use crate::dataset::Dataset;
use crate::error::CliError;
use crate::fit::FitOutcome;
use crate::precision::Choice;
use crate::progress::ProgressObserver;

/// The checks `--stream` needs before any backend work: an `.npy` input and EM.
fn path(args: &FitArgs) -> Result<&Path, CliError> {
    let Some(path) = args.input.as_deref() else {
        return Err(CliError::Usage(
            "--stream reads a file: give --input FILE.npy".into(),
        ));
    };
    if path.extension().and_then(|e| e.to_str()) != Some("npy") {
        return Err(CliError::Usage(format!(
            "--stream reads .npy files (little-endian float32 or float64, C order); {} is not one: convert it, or drop --stream",
            path.display()
        )));
    }
    if args.method == Method::Gradient {
        return Err(CliError::Usage(
            "--stream fits by --method em or variational; --method gradient loads the data (drop --stream)"
                .into(),
        ));
    }
    Ok(path)
}

/// Whether the file holds float64 values (from its header alone).
fn file_is_f64(path: &Path) -> Result<bool, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let npy = npyz::NpyFile::new(std::io::BufReader::new(file))
        .map_err(|e| CliError::Usage(format!("{} is not a .npy file: {e}", path.display())))?;
    Ok(npy.dtype().descr().contains("f8"))
}

/// The streamed fit, as a job for any backend.
struct StreamJob<'a> {
    args: &'a FitArgs,
    path: &'a Path,
}

impl BackendJob for StreamJob<'_> {
    type Output = (FitOutcome, usize, usize, usize);

    fn run<B: Backend>(
        self,
        device: B::Device,
        dtype: DType,
    ) -> Result<(FitOutcome, usize, usize, usize), CliError> {
        let args = self.args;
        let source = NpySource::<B>::open(self.path, &device, dtype)?;
        let (n, d) = (source.n_samples(), source.n_features());
        let rows = args
            .batch_size
            .unwrap_or_else(|| default_batch_rows(d, args.components));
        let source = source.with_batch_rows(rows);
        let mut observer = ProgressObserver::new(!args.json && !args.no_progress);
        let outcome = match args.method {
            Method::Variational => variational(args, &source, &mut observer)?,
            _ => em(args, &source, &mut observer)?,
        };
        Ok((outcome, n, d, rows))
    }
}

/// Runs `mixture fit --stream`: returns the outcome, a dataset that describes the file (no
/// values) and how the dtype was chosen.
pub fn fit(args: &FitArgs) -> Result<(FitOutcome, Dataset, Choice), CliError> {
    let path = path(args)?;
    let (dtype, note) = match args.dtype.fixed() {
        Some(d) => (d, None),
        None => {
            let d = if file_is_f64(path)? && args.backend.has_f64() {
                Dtype::F64
            } else {
                Dtype::F32
            };
            (
                d,
                Some(format!(
                    "{} (auto with --stream: the file's dtype)",
                    d.name()
                )),
            )
        }
    };
    let (outcome, n, d, rows) = backend::dispatch(args.backend, dtype, StreamJob { args, path })?;
    let data = Dataset {
        name: path.display().to_string(),
        matrix: Matrix {
            values: Vec::new(),
            n_rows: n,
            n_cols: d,
            header: None,
            note: Some(format!("streamed from disk in batches of {rows} rows")),
        },
        classes: None,
    };
    Ok((outcome, data, Choice { dtype, note }))
}

/// Sums `f(batch) · rows` over the batches, divided by the rows: a mean over the stream.
fn stream_mean<B: Backend>(
    source: &NpySource<B>,
    f: &mut dyn FnMut(&burn::tensor::Tensor<B, 2>) -> mixture::core::Result<f64>,
) -> Result<f64, CliError> {
    let mut total = 0.0;
    source.for_each_batch(&mut |b| {
        total += f(&b.x)? * b.n_samples() as f64;
        Ok(())
    })?;
    Ok(total / source.n_samples() as f64)
}

/// EM over the stream, and one more pass for the mean log-likelihood.
fn em<B: Backend>(
    args: &FitArgs,
    source: &NpySource<B>,
    observer: &mut ProgressObserver,
) -> Result<FitOutcome, CliError> {
    let (n, d) = (source.n_samples(), source.n_features());
    // The source does the batching; the config's batch size is not used by fit_source.
    let config = crate::em::config(args)?.with_batch_size(None);
    let start = Instant::now();
    let model = config.fit_source(source, observer)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let score = stream_mean(source, &mut |x| model.score(x))?;
    let total = score * n as f64;
    let p = model.n_parameters();
    let means = to_vec_f64(model.means())?;
    Ok(FitOutcome {
        converged: model.converged(),
        n_iter: model.n_iter(),
        lower_bound: model.lower_bound(),
        mean_log_likelihood: score,
        bic: mixture::core::criteria::bic(total, p, n as f64),
        aic: mixture::core::criteria::aic(total, p),
        n_parameters: p,
        weights: to_vec_f64(model.weights())?,
        means: means.chunks(d).map(<[f64]>::to_vec).collect(),
        labels: None,
        fit_seconds,
        final_loss: None,
        model_json: Some(model.to_json()?),
        variational: None,
    })
}

/// Variational EM over the stream; the scores as `mixture fit --method variational` reports
/// them, each from one more pass.
fn variational<B: Backend>(
    args: &FitArgs,
    source: &NpySource<B>,
    observer: &mut ProgressObserver,
) -> Result<FitOutcome, CliError> {
    let (n, d) = (source.n_samples(), source.n_features());
    let config = crate::variational::config(args)?.with_batch_size(None);
    let start = Instant::now();
    let model = config.fit_source(source, observer)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let score = stream_mean(source, &mut |x| model.score(x))?;
    let point = model.point_estimate();
    let total = stream_mean(source, &mut |x| point.score(x))? * n as f64;
    let p = model.n_parameters();
    let means = to_vec_f64(model.means())?;
    Ok(FitOutcome {
        converged: model.converged(),
        n_iter: model.n_iter(),
        lower_bound: model.lower_bound() / n as f64,
        mean_log_likelihood: score,
        bic: mixture::core::criteria::bic(total, p, n as f64),
        aic: mixture::core::criteria::aic(total, p),
        n_parameters: p,
        weights: to_vec_f64(model.weights())?,
        means: means.chunks(d).map(<[f64]>::to_vec).collect(),
        labels: None,
        fit_seconds,
        final_loss: None,
        model_json: Some(model.to_json()?),
        variational: Some(crate::fit::VariationalOutcome {
            elbo: model.lower_bound(),
            n_effective_components: model
                .n_effective_components(crate::variational::EFFECTIVE_WEIGHT)?,
            weight_prior: config.weight_concentration_prior_type.to_string(),
            weight_concentration_prior: config.alpha0(),
        }),
    })
}
