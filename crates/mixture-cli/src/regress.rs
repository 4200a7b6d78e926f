//! `mixture regress`: a mixture of linear regressions (experts) by variational EM.

use std::time::Instant;

use burn::tensor::{backend::Backend, DType};
use mixture::core::tensor::{from_f64_slice, to_vec_f64};
use mixture::em::experts::two_planes;
use mixture::em::MixtureOfExpertsConfig;
use serde::Serialize;

use crate::backend::{self, BackendJob, Dtype};
use crate::cli::RegressArgs;
use crate::data::{Matrix, Values};
use crate::dataset::Dataset;
use crate::error::CliError;
use crate::progress::ProgressObserver;

/// Rows of the bundled two-planes data set.
const TWO_PLANES_N: usize = 200;
/// Noise standard deviation of the bundled two-planes data set (MixtureLib's example).
const TWO_PLANES_NOISE: f64 = 5.0;

/// The inputs and the target, split from the data's columns.
#[derive(Debug, Clone)]
struct Problem {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    n: usize,
    d: usize,
    feature_names: Vec<String>,
    target_name: String,
}

/// One fitted expert.
#[derive(Debug, Clone, Serialize)]
pub struct ExpertReport {
    /// Coefficients of the input columns, in order.
    pub weights: Vec<f64>,
    /// The intercept (0 with `--no-intercept`).
    pub intercept: f64,
    /// The noise variance `1/β`.
    pub noise_variance: f64,
    /// The gate's weight averaged over the training rows.
    pub gate_weight: f64,
}

/// Everything `mixture regress` reports. Serialised as the `--json` object.
#[derive(Debug, Clone, Serialize)]
pub struct RegressReport {
    /// The data: a file path, or `two-planes (bundled)`.
    pub input: String,
    /// Backend the fit ran on.
    pub backend: &'static str,
    /// Float precision of the fit.
    pub dtype: &'static str,
    /// Rows of the data.
    pub n_samples: usize,
    /// Input columns.
    pub n_features: usize,
    /// Names of the input columns.
    pub feature_names: Vec<String>,
    /// Name of the target column.
    pub target: String,
    /// Experts.
    pub n_experts: usize,
    /// The gate.
    pub gate: &'static str,
    /// The EM variant.
    pub mode: &'static str,
    /// The experts' prior covariance.
    pub prior: &'static str,
    /// Whether the experts have an intercept.
    pub intercept: bool,
    /// Random seed.
    pub seed: u64,
    /// Convergence threshold.
    pub tol: f64,
    /// Iteration limit.
    pub max_iter: usize,
    /// Whether the fit converged.
    pub converged: bool,
    /// Iterations run.
    pub n_iter: usize,
    /// The final lower bound (per row).
    pub lower_bound: f64,
    /// Mean log-likelihood of (x, y) per row under the fitted model.
    pub mean_log_likelihood: f64,
    /// Mean squared error of the prediction `Σ_k π_k(x) ŷ_k(x)` on the training data.
    pub train_mse: f64,
    /// The gate's weights averaged over the training rows, `[K]`.
    pub gate_mean_weights: Vec<f64>,
    /// The experts.
    pub experts: Vec<ExpertReport>,
    /// Free parameters.
    pub n_parameters: usize,
    /// Seconds spent fitting.
    pub fit_seconds: f64,
    /// Where the model was saved, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<String>,
}

/// What the fit produced, on the host.
struct Outcome {
    converged: bool,
    n_iter: usize,
    lower_bound: f64,
    mean_log_likelihood: f64,
    train_mse: f64,
    gate_mean_weights: Vec<f64>,
    experts: Vec<ExpertReport>,
    n_parameters: usize,
    fit_seconds: f64,
}

/// The library configuration for the command-line options, validated.
fn config(args: &RegressArgs) -> Result<MixtureOfExpertsConfig, CliError> {
    let config = MixtureOfExpertsConfig::new(args.experts)
        .with_gate(args.gate)
        .with_mode(args.mode)
        .with_prior(args.prior)
        .with_intercept(!args.no_intercept)
        .with_gate_epochs(args.gate_epochs)
        .with_max_iter(args.max_iter)
        .with_tol(args.tol)
        .with_n_init(args.n_init)
        .with_seed(args.seed);
    config.validate()?;
    Ok(config)
}

/// The fit, as a job for any backend.
struct RegressJob<'a> {
    args: &'a RegressArgs,
    problem: &'a Problem,
}

impl BackendJob for RegressJob<'_> {
    type Output = Outcome;

    fn run<B: Backend>(self, device: B::Device, dtype: DType) -> Result<Outcome, CliError> {
        let p = self.problem;
        let config = config(self.args)?;
        let x = from_f64_slice::<B, 2>(&p.x, [p.n, p.d], &device, dtype);
        let y = from_f64_slice::<B, 2>(&p.y, [p.n, 1], &device, dtype);
        let mut observer = ProgressObserver::new(!self.args.json && !self.args.no_progress);
        let start = Instant::now();
        let model = config.fit_with(&x, &y, None, &mut [], &mut observer)?;
        let fit_seconds = start.elapsed().as_secs_f64();
        drop(observer);
        if let Some(path) = &self.args.save {
            model
                .save(path)
                .map_err(|e| CliError::Runtime(format!("cannot save the model: {e}")))?;
        }

        let k = model.n_experts();
        // [K, D(+1), 1]: the input columns' coefficients, then the intercept.
        let coef = to_vec_f64(model.coefficients())?;
        let rows = coef.len() / k;
        let intercepts = to_vec_f64(model.intercepts())?;
        let noise = to_vec_f64(model.noise_variance())?;
        let gate_mean_weights = to_vec_f64(model.mean_gate_weights())?;
        let experts = (0..k)
            .map(|e| ExpertReport {
                weights: coef[e * rows..e * rows + p.d].to_vec(),
                intercept: intercepts[e],
                noise_variance: noise[e],
                gate_weight: gate_mean_weights[e],
            })
            .collect();
        Ok(Outcome {
            converged: model.converged(),
            n_iter: model.n_iter(),
            lower_bound: model.lower_bound(),
            mean_log_likelihood: model.score(&x, &y)?,
            train_mse: model.mean_squared_error(&x, &y)?,
            gate_mean_weights,
            experts,
            n_parameters: model.n_parameters(),
            fit_seconds,
        })
    }
}

/// Runs `mixture regress`.
pub fn run(args: &RegressArgs, delimiter: Option<u8>) -> Result<(), CliError> {
    let data = match &args.input {
        Some(path) => Dataset::load(Some(path), delimiter)?,
        None => bundled_two_planes(),
    };
    if args.dtype == Dtype::F32 {
        crate::fit::check_f32_range(&data)?;
    }
    let problem = split(&data, args.target.as_deref())?;
    let outcome = backend::dispatch(
        args.backend,
        args.dtype,
        RegressJob {
            args,
            problem: &problem,
        },
    )?;
    let report = RegressReport {
        input: problem.name,
        backend: args.backend.name(),
        dtype: args.dtype.name(),
        n_samples: problem.n,
        n_features: problem.d,
        feature_names: problem.feature_names,
        target: problem.target_name,
        n_experts: args.experts,
        gate: config(args)?.gate.as_str(),
        mode: args.mode.as_str(),
        prior: args.prior.as_str(),
        intercept: !args.no_intercept,
        seed: args.seed,
        tol: args.tol,
        max_iter: args.max_iter,
        converged: outcome.converged,
        n_iter: outcome.n_iter,
        lower_bound: outcome.lower_bound,
        mean_log_likelihood: outcome.mean_log_likelihood,
        train_mse: outcome.train_mse,
        gate_mean_weights: outcome.gate_mean_weights,
        experts: outcome.experts,
        n_parameters: outcome.n_parameters,
        fit_seconds: outcome.fit_seconds,
        saved_to: args.save.as_ref().map(|p| p.display().to_string()),
    };
    crate::print_report(&report, args.json, render_text)
}

/// MixtureLib's two-planes data (N=200, planes [10, 0] and [0, 30], noise 5, seed 0), with
/// the columns `x1`, `x2`, `y`.
fn bundled_two_planes() -> Dataset {
    let data = two_planes(TWO_PLANES_N, TWO_PLANES_NOISE, 0);
    let n = data.n_samples();
    let values = (0..n)
        .flat_map(|i| [data.x[2 * i], data.x[2 * i + 1], data.y[i]])
        .collect();
    Dataset {
        name: "two-planes (bundled)".to_string(),
        reload: None,
        matrix: Matrix {
            values: Values::F64(values),
            n_rows: n,
            n_cols: 3,
            header: Some(vec!["x1".into(), "x2".into(), "y".into()]),
            note: None,
        },
        classes: None,
    }
}

/// Splits the data into inputs and the target column (a header name or a 0-based index;
/// the last column when not given).
fn split(data: &Dataset, target: Option<&str>) -> Result<Problem, CliError> {
    let m = &data.matrix;
    let names = data.feature_names();
    let t = match target {
        None => m.n_cols - 1,
        Some(spec) => {
            let by_name = names.iter().position(|n| n == spec);
            match (by_name, spec.parse::<usize>()) {
                (Some(j), _) => j,
                (None, Ok(j)) if j < m.n_cols => j,
                (None, Ok(j)) => {
                    return Err(CliError::Usage(format!(
                        "{}: target column index {j} is out of range (the data has {} columns, 0-based)",
                        data.name, m.n_cols
                    )))
                }
                (None, Err(_)) => {
                    return Err(CliError::Usage(format!(
                        "{}: no column named {spec:?} for --target (columns: {})",
                        data.name,
                        names.join(", ")
                    )))
                }
            }
        }
    };
    if m.n_cols < 2 {
        return Err(CliError::Usage(format!(
            "{}: a regression needs at least two columns (inputs and the target); it has {}",
            data.name, m.n_cols
        )));
    }
    let d = m.n_cols - 1;
    let mut x = Vec::with_capacity(m.n_rows * d);
    let mut y = Vec::with_capacity(m.n_rows);
    m.values.for_each_row(m.n_cols, |row| {
        for (j, &v) in row.iter().enumerate() {
            if j == t {
                y.push(v);
            } else {
                x.push(v);
            }
        }
    });
    let mut feature_names = names.clone();
    let target_name = feature_names.remove(t);
    Ok(Problem {
        name: data.name.clone(),
        x,
        y,
        n: m.n_rows,
        d,
        feature_names,
        target_name,
    })
}

/// The report as text for a terminal.
fn render_text(r: &RegressReport) -> String {
    let mut out = String::new();
    let line = |out: &mut String, key: &str, value: String| {
        out.push_str(&format!("  {key:<21}{value}\n"));
    };
    out.push_str(&format!(
        "Mixture of linear regressions (variational EM) on {}: {} samples, {} inputs -> {}\n\n",
        r.input, r.n_samples, r.n_features, r.target
    ));
    line(
        &mut out,
        "experts",
        format!(
            "{}, {} gate, {} prior{}",
            r.n_experts,
            r.gate,
            r.prior,
            if r.intercept { ", intercept" } else { "" }
        ),
    );
    line(&mut out, "EM", format!("{}, seed {}", r.mode, r.seed));
    line(&mut out, "backend", format!("{}, {}", r.backend, r.dtype));
    let converged = if r.converged { "yes" } else { "NO" };
    line(
        &mut out,
        "converged",
        format!(
            "{converged}, after {} iterations (tol {}, max_iter {})",
            r.n_iter, r.tol, r.max_iter
        ),
    );
    line(
        &mut out,
        "mean log-likelihood",
        format!("{:.6}", r.mean_log_likelihood),
    );
    line(&mut out, "lower bound", format!("{:.6}", r.lower_bound));
    line(&mut out, "training MSE", format!("{:.4}", r.train_mse));
    line(&mut out, "parameters", r.n_parameters.to_string());
    line(&mut out, "fit time", format!("{:.3} s", r.fit_seconds));
    if let Some(path) = &r.saved_to {
        line(&mut out, "saved to", path.clone());
    }

    let widths: Vec<usize> = r.feature_names.iter().map(|n| n.len().max(9)).collect();
    out.push_str(&format!(
        "\n  {:<8}{:>8}  {:>10}  {:>10}",
        "expert", "weight", "noise var", "intercept"
    ));
    for (n, w) in r.feature_names.iter().zip(&widths) {
        out.push_str(&format!("  {n:>w$}"));
    }
    out.push('\n');
    for (k, e) in r.experts.iter().enumerate() {
        out.push_str(&format!(
            "  {k:<8}{:>8.4}  {:>10.4}  {:>10.4}",
            e.gate_weight, e.noise_variance, e.intercept
        ));
        for (v, w) in e.weights.iter().zip(&widths) {
            out.push_str(&format!("  {v:>w$.4}"));
        }
        out.push('\n');
    }
    out
}
