//! `mixture select`: a grid of Gaussian mixtures (numbers of components × covariance types)
//! ranked by BIC, AIC or ICL (the library's `ModelSelectionConfig`), as a table, a JSON object
//! and a picture; the best model saved.

use std::fmt::Write as _;
use std::path::Path;

use burn::tensor::{backend::Backend, DType};
use mixture::em::selection::{Criterion, ModelSelectionConfig, SelectionCell, SelectionMethod};
use mixture::em::GaussianMixtureConfig;
use mixture::CovarianceType;
use serde::Serialize;

use crate::backend::{self, BackendJob, Dtype};
use crate::cli::SelectArgs;
use crate::dataset::Dataset;
use crate::error::CliError;
use crate::plot::{self, LineChart, Series};
use crate::precision;
use crate::progress::GridProgress;

/// The library configuration for the command-line options, validated.
fn config(args: &SelectArgs) -> Result<ModelSelectionConfig, CliError> {
    let base = GaussianMixtureConfig::new(1)
        .with_init(args.init)
        .with_tol(args.tol)
        .with_reg_covar(args.reg_covar)
        .with_max_iter(args.max_iter)
        .with_n_init(args.n_init)
        .with_seed(args.seed)
        .with_statistics_centre(args.statistics_centre);
    let config = ModelSelectionConfig::new(args.components.0.clone(), args.covariance.clone())
        .with_criterion(args.criterion)
        .with_method(args.method)
        .with_base(base);
    config.validate()?;
    Ok(config)
}

/// One cell of the table, as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
struct Cell {
    n_components: usize,
    covariance_type: CovarianceType,
    bic: Option<f64>,
    aic: Option<f64>,
    icl: Option<f64>,
    mean_log_likelihood: Option<f64>,
    converged: Option<bool>,
    n_iter: Option<usize>,
    /// `--method variational`: the cell's evidence lower bound (a sum over rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    elbo: Option<f64>,
    /// Why the cell did not fit; `null` when it did.
    error: Option<String>,
}

impl Cell {
    fn new(c: &SelectionCell, dtype: Dtype) -> Self {
        let scores = c.result.as_ref().ok();
        Self {
            n_components: c.n_components,
            covariance_type: c.covariance_type,
            bic: scores.map(|s| s.bic),
            aic: scores.map(|s| s.aic),
            icl: scores.map(|s| s.icl),
            mean_log_likelihood: scores.map(|s| s.mean_log_likelihood),
            converged: scores.map(|s| s.converged),
            n_iter: scores.map(|s| s.n_iter),
            elbo: scores.and_then(|s| s.elbo),
            error: c.result.as_ref().err().map(|e| {
                if e.numerical && dtype == Dtype::F32 {
                    format!("{e} (the fit ran in f32: --dtype f64 may succeed)")
                } else {
                    e.to_string()
                }
            }),
        }
    }

    fn value(&self, criterion: Criterion) -> Option<f64> {
        match criterion {
            Criterion::Bic => self.bic,
            Criterion::Aic => self.aic,
            Criterion::Icl => self.icl,
        }
    }
}

/// What the grid gives on the host.
struct Outcome {
    cells: Vec<Cell>,
    best: Option<usize>,
    best_json: Option<String>,
}

/// The grid, as a job for any backend.
struct SelectJob<'a> {
    config: ModelSelectionConfig,
    data: &'a Dataset,
    show_progress: bool,
    /// Column means taken off on the host before an f32 grid (`precision::data_plan`).
    shift: Option<&'a [f64]>,
}

impl BackendJob for SelectJob<'_> {
    type Output = Outcome;

    fn run<B: Backend>(self, device: B::Device, dtype: DType) -> Result<Outcome, CliError> {
        let m = &self.data.matrix;
        let shift = self.shift.filter(|_| dtype == DType::F32);
        let x = m
            .values
            .tensor_shifted::<B>(0..m.n_rows, m.n_cols, &device, dtype, shift);
        let progress = GridProgress::new(self.show_progress, self.config.grid().len());
        let selection = self.config.fit_with(&x, &mut |c: &SelectionCell| {
            progress.step(format!("K = {}, {}", c.n_components, c.covariance_type));
        })?;
        let mut outcome = outcome(&selection, dtype)?;
        if let Some(offset) = shift {
            outcome.move_by(offset)?;
        }
        Ok(outcome)
    }
}

impl Outcome {
    /// The best model moved by `offset` (a grid over rows centred on the host, back to the
    /// data's units), in f64; the scores do not move.
    fn move_by(&mut self, offset: &[f64]) -> Result<(), CliError> {
        if let Some(json) = &self.best_json {
            self.best_json = Some(mixture::em::persist::translate(json, offset)?);
        }
        Ok(())
    }
}

/// The grid over a streamed input (and across the ranks of an MPI job).
struct StreamSelectJob<'a> {
    config: ModelSelectionConfig,
    plan: &'a crate::stream::Plan,
    batch_size: Option<usize>,
    show_progress: bool,
}

impl BackendJob for StreamSelectJob<'_> {
    type Output = (Outcome, crate::stream::Streamed);

    fn run<B: Backend>(
        self,
        device: B::Device,
        dtype: DType,
    ) -> Result<(Outcome, crate::stream::Streamed), CliError> {
        let widest = self.config.grid().iter().map(|c| c.0).max().unwrap_or(1);
        let config = &self.config;
        let show = self.show_progress && crate::parallel::is_root();
        let (mut outcome, read) =
            self.plan
                .with_source::<B, _>(&device, dtype, self.batch_size, widest, |source| {
                    let progress = GridProgress::new(show, config.grid().len());
                    let selection = config.fit_source_with(&source, &mut |c: &SelectionCell| {
                        progress.step(format!("K = {}, {}", c.n_components, c.covariance_type));
                    })?;
                    outcome(&selection, dtype)
                })?;
        if let Some(c) = &read.centring {
            outcome.move_by(&c.shift)?;
        }
        Ok((outcome, read))
    }
}

/// The grid's cells and best model on the host.
fn outcome<B: Backend>(
    selection: &mixture::em::selection::ModelSelection<B>,
    dtype: DType,
) -> Result<Outcome, CliError> {
    let dtype = if dtype == DType::F64 {
        Dtype::F64
    } else {
        Dtype::F32
    };
    let cells = selection
        .cells()
        .iter()
        .map(|c| Cell::new(c, dtype))
        .collect();
    let best_json = match selection.best() {
        Some((_, model)) => Some(model.to_json()?),
        None => None,
    };
    Ok(Outcome {
        cells,
        best: selection.best_index(),
        best_json,
    })
}

/// Everything `mixture select` reports; serialised as the `--json` object.
#[derive(Debug, Clone, Serialize)]
struct SelectReport {
    input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_note: Option<String>,
    /// MPI ranks the grid ran on, when it ran across a job.
    #[serde(skip_serializing_if = "Option::is_none")]
    world_size: Option<usize>,
    n_samples: usize,
    n_features: usize,
    backend: &'static str,
    dtype: &'static str,
    dtype_requested: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dtype_note: Option<String>,
    criterion: Criterion,
    /// How the cells were fitted: `em` or `variational`.
    method: SelectionMethod,
    cells: Vec<Cell>,
    /// The cell with the lowest criterion; `null` when none fitted.
    best: Option<Cell>,
    #[serde(skip_serializing_if = "Option::is_none")]
    saved_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plot: Option<String>,
}

/// Runs `mixture select`.
pub fn run(args: &SelectArgs, delimiter: Option<u8>) -> Result<(), CliError> {
    let config = config(args)?;
    let show_progress = !args.json && !args.no_progress;
    let streamed = crate::stream::wanted(args.input.as_deref(), args.stream, args.shard_rows)?;
    let (data, choice, outcome, world_size) = if streamed {
        let plan = crate::stream::Plan::new(
            args.input.as_deref(),
            delimiter,
            args.shard_rows,
            args.dtype,
            args.backend,
        )?;
        let job = StreamSelectJob {
            config,
            plan: &plan,
            batch_size: args.batch_size,
            show_progress,
        };
        let (outcome, read) = backend::dispatch(args.backend, plan.dtype, job)?;
        let (data, choice) = plan.describe(args.input.as_deref(), read);
        (data, choice, outcome, plan.world_size())
    } else {
        let data = Dataset::load(args.input.as_deref(), delimiter)?;
        let (choice, centring) = precision::data_plan(args.dtype, args.backend, &data)?;
        let job = SelectJob {
            config,
            data: &data,
            show_progress,
            shift: centring.as_ref().map(|c| c.shift.as_slice()),
        };
        let outcome = backend::dispatch(args.backend, choice.dtype, job)?;
        (data, choice, outcome, None)
    };
    let best = outcome.best.map(|i| outcome.cells[i].clone());
    if let Some(path) = &args.save {
        let Some(json) = &outcome.best_json else {
            return Err(CliError::Runtime(
                "no cell of the grid fitted, so there is no model to save".into(),
            ));
        };
        crate::save_model(path, json)?;
    }
    let report = SelectReport {
        input: data.name.clone(),
        data_note: data.matrix.note.clone(),
        world_size,
        n_samples: data.matrix.n_rows,
        n_features: data.matrix.n_cols,
        backend: args.backend.name(),
        dtype: choice.dtype.name(),
        dtype_requested: args.dtype.name(),
        dtype_note: choice.note,
        criterion: args.criterion,
        method: args.method,
        cells: outcome.cells,
        best,
        saved_to: args.save.as_ref().map(|p| p.display().to_string()),
        plot: args.plot.as_ref().map(|p| p.display().to_string()),
    };
    // In a job of several ranks, rank 0 alone draws.
    if let Some(path) = args.plot.as_ref().filter(|_| crate::parallel::is_root()) {
        draw(path, &report)?;
    }
    crate::print_report(&report, args.json, render_text)
}

/// The criterion's name as people write it.
fn upper(c: Criterion) -> String {
    c.as_str().to_ascii_uppercase()
}

/// The covariance types of the grid, in the order the user gave.
fn covariance_types(cells: &[Cell]) -> Vec<CovarianceType> {
    let mut types = Vec::new();
    for c in cells {
        if !types.contains(&c.covariance_type) {
            types.push(c.covariance_type);
        }
    }
    types
}

/// The numbers of components of the grid, in the order the user gave.
fn component_counts(cells: &[Cell]) -> Vec<usize> {
    let mut ks = Vec::new();
    for c in cells {
        if !ks.contains(&c.n_components) {
            ks.push(c.n_components);
        }
    }
    ks
}

/// The table: one row per K, one column per covariance type, the best cell starred.
fn render_text(r: &SelectReport) -> String {
    let name = upper(r.criterion);
    let mut out = format!(
        "Model selection on {}: {} samples x {} features, by {name} (lower is better)\n\n",
        r.input, r.n_samples, r.n_features
    );
    if let Some(note) = &r.data_note {
        let _ = writeln!(out, "  data                 {note}");
    }
    let _ = writeln!(out, "  backend              {}, {}", r.backend, r.dtype);
    if r.method == SelectionMethod::Variational {
        let _ = writeln!(
            out,
            "  method               variational Bayes (criteria of each fit's point estimate)"
        );
    }
    if let Some(note) = &r.dtype_note {
        let _ = writeln!(out, "  precision            {note}");
    }
    let types = covariance_types(&r.cells);
    let _ = write!(out, "\n  {:>4}", "K");
    for t in &types {
        let _ = write!(out, "  {:>13}", t.as_str());
    }
    out.push('\n');
    let best = r.best.as_ref();
    for k in component_counts(&r.cells) {
        let _ = write!(out, "  {k:>4}");
        for t in &types {
            let cell = r
                .cells
                .iter()
                .find(|c| c.n_components == k && c.covariance_type == *t);
            let text = match cell.and_then(|c| c.value(r.criterion)) {
                Some(v) => {
                    let starred =
                        best.is_some_and(|b| b.n_components == k && b.covariance_type == *t);
                    format!("{v:.3}{}", if starred { "*" } else { " " })
                }
                None if cell.is_some() => "failed ".to_string(),
                None => "".to_string(),
            };
            let _ = write!(out, "  {text:>13}");
        }
        out.push('\n');
    }
    match best {
        Some(b) => {
            let _ = writeln!(
                out,
                "\n  best (*): {} components, {} covariance, {name} {:.4}",
                b.n_components,
                b.covariance_type,
                b.value(r.criterion).unwrap_or(f64::NAN)
            );
        }
        None => out.push_str("\n  no cell fitted\n"),
    }
    let failed: Vec<&Cell> = r.cells.iter().filter(|c| c.error.is_some()).collect();
    if !failed.is_empty() {
        out.push_str("\n  failed:\n");
        for c in failed {
            let _ = writeln!(
                out,
                "    K = {}, {}: {}",
                c.n_components,
                c.covariance_type,
                c.error.as_deref().unwrap_or("")
            );
        }
    }
    if let Some(path) = &r.saved_to {
        let _ = writeln!(out, "\n  best model saved to {path}");
    }
    if let Some(path) = &r.plot {
        let _ = writeln!(out, "  plot written to {path}");
    }
    out
}

/// The criterion against K, one line per covariance type, the best cell ringed.
fn draw(path: &Path, r: &SelectReport) -> Result<(), CliError> {
    let name = upper(r.criterion);
    let series: Vec<Series> = covariance_types(&r.cells)
        .into_iter()
        .map(|t| Series {
            label: t.as_str().to_string(),
            points: r
                .cells
                .iter()
                .filter(|c| c.covariance_type == t)
                .filter_map(|c| Some((c.n_components as f64, c.value(r.criterion)?)))
                .collect(),
        })
        .collect();
    let highlight = r.best.as_ref().and_then(|b| {
        let v = b.value(r.criterion)?;
        Some((
            (b.n_components as f64, v),
            format!("best: K = {}, {}", b.n_components, b.covariance_type),
        ))
    });
    let title = format!("{name} of Gaussian mixtures on {}", r.input);
    let y_label = format!("{name} (lower is better)");
    plot::draw_png(
        path,
        &LineChart {
            title: &title,
            x_label: "number of components K",
            y_label: &y_label,
            series: &series,
            highlight,
        },
    )
}
