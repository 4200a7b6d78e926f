//! `mixture kmeans`: k-means clustering (the library's `KMeansConfig`, scikit-learn's `KMeans`
//! with Lloyd's algorithm), its report and its saved model.

use std::time::Instant;

use burn::tensor::{backend::Backend, DType};
use mixture::core::tensor::to_vec_f64;
use mixture::em::KMeansConfig;
use serde::Serialize;

use crate::backend::{self, BackendJob};
use crate::cli::KMeansArgs;
use crate::dataset::Dataset;
use crate::error::CliError;
use crate::precision::{self, Choice};
use crate::report::{self, ClassTable};

/// What a k-means fit gives, on the host.
#[derive(Debug, Clone, PartialEq)]
struct KMeansOutcome {
    converged: bool,
    n_iter: usize,
    inertia: f64,
    /// `[K][D]`.
    centres: Vec<Vec<f64>>,
    labels: Vec<usize>,
    /// Rows per cluster (from the labels).
    sizes: Vec<usize>,
    fit_seconds: f64,
    model_json: String,
}

/// Rows per cluster of `labels`.
fn sizes(labels: &[usize], k: usize) -> Vec<usize> {
    let mut sizes = vec![0; k];
    for &l in labels {
        if let Some(size) = sizes.get_mut(l) {
            *size += 1;
        }
    }
    sizes
}

/// The library configuration for the command-line options, validated.
///
/// # Errors
/// The library's `InvalidConfig` error for an out-of-range value (exit code 2).
fn config(args: &KMeansArgs) -> Result<KMeansConfig, CliError> {
    let config = KMeansConfig::new(args.clusters)
        .with_init(args.init)
        .with_n_init(args.n_init)
        .with_max_iter(args.max_iter)
        .with_tol(args.tol)
        .with_seed(args.seed)
        .with_batch_size(args.batch_size);
    config.validate()?;
    Ok(config)
}

/// The fit, as a job for any backend.
struct KMeansJob<'a> {
    config: KMeansConfig,
    data: &'a Dataset,
    /// Column means taken off on the host before an f32 fit (`precision::data_plan`).
    shift: Option<&'a [f64]>,
}

impl BackendJob for KMeansJob<'_> {
    type Output = KMeansOutcome;

    fn run<B: Backend>(self, device: B::Device, dtype: DType) -> Result<KMeansOutcome, CliError> {
        let m = &self.data.matrix;
        let shift = self.shift.filter(|_| dtype == DType::F32);
        let x = m
            .values
            .tensor_shifted::<B>(0..m.n_rows, m.n_cols, &device, dtype, shift);
        let start = Instant::now();
        let model = self.config.fit(&x)?;
        let fit_seconds = start.elapsed().as_secs_f64();
        let mut outcome = outcome(&model, m.n_cols, fit_seconds, true)?;
        if let Some(offset) = shift {
            outcome.move_by(offset)?;
        }
        Ok(outcome)
    }
}

impl KMeansOutcome {
    /// The centres and the saved model moved by `offset` (a fit of rows centred on the host,
    /// back to the data's units), in f64.
    fn move_by(&mut self, offset: &[f64]) -> Result<(), CliError> {
        for row in &mut self.centres {
            row.iter_mut().zip(offset).for_each(|(c, o)| *c += o);
        }
        self.model_json = mixture::em::persist::translate(&self.model_json, offset)?;
        Ok(())
    }
}

/// The fitted model on the host; `keep_labels`: every row's label in the report (not for a
/// stream, whose sizes come from the labels all the same).
fn outcome<B: Backend>(
    model: &mixture::em::KMeans<B>,
    d: usize,
    fit_seconds: f64,
    keep_labels: bool,
) -> Result<KMeansOutcome, CliError> {
    {
        let centres = to_vec_f64(model.centroids())?;
        let labels: Vec<usize> = model
            .labels()
            .unwrap_or_default()
            .iter()
            .map(|&l| l as usize)
            .collect();
        let sizes = sizes(&labels, model.n_clusters());
        Ok(KMeansOutcome {
            converged: model.converged(),
            n_iter: model.n_iter(),
            inertia: model.inertia(),
            centres: centres.chunks(d.max(1)).map(<[f64]>::to_vec).collect(),
            // A fitted model has its labels; they are cluster indices in 0..K.
            labels: if keep_labels { labels } else { Vec::new() },
            sizes,
            fit_seconds,
            model_json: model.to_json()?,
        })
    }
}

/// `mixture kmeans --stream`: Lloyd over the file in batches (over every rank's shard in an
/// MPI job).
struct StreamJob<'a> {
    config: KMeansConfig,
    plan: &'a crate::stream::Plan,
    batch_size: Option<usize>,
}

impl BackendJob for StreamJob<'_> {
    type Output = (KMeansOutcome, crate::stream::Streamed);

    fn run<B: Backend>(
        self,
        device: B::Device,
        dtype: DType,
    ) -> Result<(KMeansOutcome, crate::stream::Streamed), CliError> {
        let k = self.config.n_clusters;
        let config = &self.config;
        let (mut outcome, read) =
            self.plan
                .with_source::<B, _>(&device, dtype, self.batch_size, k, |source| {
                    let start = Instant::now();
                    let model = config.fit_source(&source)?;
                    let fit_seconds = start.elapsed().as_secs_f64();
                    let mut outcome = outcome(&model, source.n_features(), fit_seconds, false)?;
                    // A shard's sizes count its own rows: the sizes of every rank.
                    if let Some(reducer) = source.reducer() {
                        let mut sizes: Vec<f64> = outcome.sizes.iter().map(|&s| s as f64).collect();
                        reducer.all_reduce_sum(&mut sizes)?;
                        outcome.sizes = sizes.into_iter().map(|s| s as usize).collect();
                    }
                    Ok(outcome)
                })?;
        if let Some(c) = &read.centring {
            outcome.move_by(&c.shift)?;
        }
        Ok((outcome, read))
    }
}

/// Runs `mixture kmeans --stream`, or k-means across the ranks of an MPI job.
fn run_stream(args: &KMeansArgs, delimiter: Option<u8>) -> Result<(), CliError> {
    let config = config(args)?.with_batch_size(None);
    let plan = crate::stream::Plan::new(
        args.input.as_deref(),
        delimiter,
        args.shard_rows,
        args.dtype,
        args.backend,
    )?;
    let job = StreamJob {
        config,
        plan: &plan,
        batch_size: args.batch_size,
    };
    let (outcome, read) = backend::dispatch(args.backend, plan.dtype, job)?;
    if let Some(path) = &args.save {
        crate::save_model(path, &outcome.model_json)?;
    }
    let (data, choice) = plan.describe(args.input.as_deref(), read);
    let mut report = KMeansReport::new(args, &data, outcome, choice);
    report.world_size = plan.world_size();
    crate::print_report(&report, args.json, render_text)
}

/// Runs `mixture kmeans`.
pub fn run(args: &KMeansArgs, delimiter: Option<u8>) -> Result<(), CliError> {
    if crate::stream::wanted(args.input.as_deref(), args.stream, args.shard_rows)? {
        return run_stream(args, delimiter);
    }
    let config = config(args)?;
    let data = Dataset::load(args.input.as_deref(), delimiter)?;
    let (choice, centring) = precision::data_plan(args.dtype, args.backend, &data)?;
    let job = KMeansJob {
        config,
        data: &data,
        shift: centring.as_ref().map(|c| c.shift.as_slice()),
    };
    let outcome = backend::dispatch(args.backend, choice.dtype, job)?;
    if let Some(path) = &args.save {
        crate::save_model(path, &outcome.model_json)?;
    }
    let report = KMeansReport::new(args, &data, outcome, choice);
    crate::print_report(&report, args.json, render_text)
}

/// Everything `mixture kmeans` reports; serialised as the `--json` object.
#[derive(Debug, Clone, Serialize)]
struct KMeansReport {
    input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_note: Option<String>,
    backend: &'static str,
    dtype: &'static str,
    dtype_requested: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dtype_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    world_size: Option<usize>,
    n_samples: usize,
    n_features: usize,
    n_clusters: usize,
    init: String,
    n_init: usize,
    seed: u64,
    tol: f64,
    max_iter: usize,
    batch_size: Option<usize>,
    converged: bool,
    n_iter: usize,
    /// scikit-learn's `inertia_`: the sum of squared distances to the closest centre.
    inertia: f64,
    /// scikit-learn's `cluster_centers_`, `[K][D]`.
    cluster_centers: Vec<Vec<f64>>,
    /// Rows per cluster.
    cluster_sizes: Vec<usize>,
    /// scikit-learn's `labels_`: the cluster of every row (not with `--stream`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    labels: Vec<usize>,
    fit_seconds: f64,
    feature_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    saved_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    class_table: Option<ClassTable>,
}

impl KMeansReport {
    fn new(args: &KMeansArgs, data: &Dataset, outcome: KMeansOutcome, choice: Choice) -> Self {
        let k = args.clusters;
        Self {
            input: data.name.clone(),
            data_note: data.matrix.note.clone(),
            world_size: None,
            backend: args.backend.name(),
            dtype: choice.dtype.name(),
            dtype_requested: args.dtype.name(),
            dtype_note: choice.note,
            n_samples: data.matrix.n_rows,
            n_features: data.matrix.n_cols,
            n_clusters: k,
            init: args.init.to_string(),
            n_init: args.n_init,
            seed: args.seed,
            tol: args.tol,
            max_iter: args.max_iter,
            batch_size: args.batch_size,
            converged: outcome.converged,
            n_iter: outcome.n_iter,
            inertia: outcome.inertia,
            cluster_centers: outcome.centres,
            cluster_sizes: outcome.sizes,
            class_table: data
                .classes
                .as_ref()
                .map(|c| ClassTable::new(c, &outcome.labels, k)),
            labels: outcome.labels,
            fit_seconds: outcome.fit_seconds,
            feature_names: data.feature_names(),
            saved_to: args.save.as_ref().map(|p| p.display().to_string()),
        }
    }
}

/// The report as text for a terminal (the labels are in `--json`).
fn render_text(r: &KMeansReport) -> String {
    let mut out = format!(
        "k-means on {}: {} samples x {} features\n\n",
        r.input, r.n_samples, r.n_features
    );
    let mut line = |key: &str, value: String| out.push_str(&format!("  {key:<21}{value}\n"));
    if let Some(note) = &r.data_note {
        line("data", note.clone());
    }
    line(
        "clusters",
        format!(
            "{}, init {}, n_init {}, seed {}",
            r.n_clusters, r.init, r.n_init, r.seed
        ),
    );
    let batch = r
        .batch_size
        .map_or(String::new(), |b| format!(", batch size {b}"));
    line("backend", format!("{}, {}{batch}", r.backend, r.dtype));
    if let Some(note) = &r.dtype_note {
        line("precision", note.clone());
    }
    let converged = if r.converged { "yes" } else { "NO" };
    line(
        "converged",
        format!(
            "{converged}, after {} iterations (tol {}, max_iter {})",
            r.n_iter,
            report::short_number(r.tol),
            r.max_iter
        ),
    );
    line("inertia", format!("{:.6}", r.inertia));
    line("fit time", format!("{:.3} s", r.fit_seconds));
    if let Some(path) = &r.saved_to {
        line("saved to", path.clone());
    }
    let rows: Vec<(String, &[f64])> = r
        .cluster_sizes
        .iter()
        .zip(&r.cluster_centers)
        .map(|(size, c)| (size.to_string(), c.as_slice()))
        .collect();
    report::push_table(
        &mut out,
        ("cluster", "size"),
        &rows,
        &r.feature_names,
        "centres",
    );
    if let Some(t) = &r.class_table {
        report::push_class_table(&mut out, "cluster", t);
    }
    out.push_str("\n  (every row's label: --json, or `mixture predict` with --save's model)\n");
    out
}
