//! `mixture-bench`: times EM iterations of `GaussianMixture` at large N, the binary behind
//! `cargo xtask bench` (which builds it in release with the backend's feature and prints the
//! table).
//!
//! For every (N, D) it draws a seeded synthetic data set (K Gaussian blobs, f32) and, for each
//! covariance type, fits `GaussianMixtureConfig { tol: 0, max_iter: 1 + warmup + reps }` from
//! explicit initial weights, means and precisions (no k-means). A fit observer stamps the end
//! of every iteration; every iteration ends with the driver's single host read of the bound,
//! which also synchronises GPU backends. The time of iteration t is the gap between the stamps
//! of t − 1 and t, so initialisation and validation never count; the first `warmup` of these
//! are dropped and the median of the remaining `reps` is reported, with points per second and
//! the mean log-likelihood (the last lower bound).
//!
//! `--write-data DIR` also writes each data set as `.npy` and `DIR/cases.json` with the
//! initial parameters and iteration counts, for `fixtures/scripts/sklearn_bench.py`.
//!
//! `--two-planes` instead times the two-planes mixture-of-experts fits (Dirichlet and softmax
//! gate, 100 gate epochs), and `--gradient` the iterations of a diagonal mixture trained by
//! gradient descent on the same data sets as the EM table.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use mixture::core::{FitEvent, FitObserver};
use mixture::em::{BayesianGaussianMixtureConfig, GaussianMixtureConfig, StatisticsCentre};
use mixture::experts::CovarianceType;
use mixture_benches::{backend_name, median, Bench, Problem, COVARIANCE_TYPES};
use serde::Serialize;

#[derive(Debug, Parser)]
#[command(about = "Times EM iterations of GaussianMixture (median after warm-up).")]
struct Args {
    /// N = 100 000 only, 1 warm-up and 3 timed iterations.
    #[arg(long)]
    quick: bool,
    /// Sample sizes (default 100000,1000000; --quick: 100000).
    #[arg(long, value_delimiter = ',')]
    n: Vec<usize>,
    /// Dimensions.
    #[arg(long, value_delimiter = ',', default_values_t = [16usize, 64])]
    d: Vec<usize>,
    /// Components.
    #[arg(long, default_value_t = 16)]
    k: usize,
    /// Covariance types (default: all four).
    #[arg(long, value_delimiter = ',')]
    covariance: Vec<CovarianceType>,
    /// Timed iterations per case (default 5; --quick: 3).
    #[arg(long)]
    reps: Option<usize>,
    /// Untimed iterations after the first (default 1).
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Rows per batch of the exact mini-batch path (default: the whole data at once).
    #[arg(long)]
    batch_size: Option<usize>,
    /// About which point the E-step takes second moments (`data-mean`, the default, or
    /// `component-means`).
    #[arg(long, default_value = "data-mean")]
    statistics_centre: StatisticsCentre,
    /// Compute dtype of the EM table (`f32` or `f64`; the data are drawn as f32 either way).
    #[arg(long, default_value = "f32", value_parser = ["f32", "f64"])]
    dtype: String,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Skip cases whose estimated cost N·K·D² (full and tied) exceeds this many multiply-adds
    /// per iteration (default: no limit).
    #[arg(long)]
    max_work: Option<f64>,
    /// Write the results as JSON here (and print no table).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the data sets (.npy) and cases.json here, for the scikit-learn comparison.
    #[arg(long)]
    write_data: Option<PathBuf>,
    /// Instead of the EM table: time the two-planes mixture-of-experts fits (N=200, Dirichlet
    /// and softmax gate, 100 gate epochs; median of --reps fits; default 15).
    #[arg(long)]
    two_planes: bool,
    /// With --two-planes: only the cases whose label contains this text (say `dirichlet`).
    #[arg(long)]
    only: Option<String>,
    /// Instead of the EM table: time gradient-descent iterations (diagonal family, Adam on
    /// Autodiff) on the same data sets, to set beside the EM table's diag rows.
    #[arg(long)]
    gradient: bool,
    /// Time the variational Bayesian Gaussian mixture (scikit-learn's
    /// BayesianGaussianMixture) instead of EM: default N = 100 000, D = 16, diag and full,
    /// from one-hot responsibilities at the nearest initial mean.
    #[arg(long)]
    variational: bool,
}

/// MixtureLib's time per fit of the two-planes example on a 2-core machine (issue 3): about
/// 15 ms with the Dirichlet gate (10 EM iterations, N = 200) and 2.4 s with the network gate
/// (10 EM iterations × 100 gate epochs).
const MIXTURELIB_MS_DIRICHLET: f64 = 15.0;
const MIXTURELIB_MS_NETWORK: f64 = 2400.0;

/// `--two-planes`: times MixtureLib's two-planes example with both gates.
fn bench_two_planes(reps: usize, only: Option<&str>) {
    use burn::tensor::DType;
    use mixture::core::tensor::from_f64;
    use mixture::em::experts::two_planes;
    use mixture::em::{GateKind, MixtureOfExpertsConfig};
    let data = two_planes(200, 5.0, 0);
    let device = Default::default();
    let x = from_f64::<Bench, 2>(data.x.clone(), [200, 2], &device, DType::F32);
    let y = from_f64::<Bench, 2>(data.y.clone(), [200, 1], &device, DType::F32);
    println!(
        "| two planes (N=200) | ms / fit (median of {reps}) | EM iterations | training MSE \
         | MixtureLib ms / fit | speed-up |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    // Ours run to convergence; the "MixtureLib's settings" rows do the work MixtureLib's
    // timings were taken with: a fixed 10 EM iterations and, for the network gate, 100
    // epochs per M-step of a 2×5 hidden-layer MLP with batch 128 and Adam at 1e-3.
    let cases = [
        (
            "dirichlet gate, to convergence",
            MixtureOfExpertsConfig::new(2).with_gate(GateKind::Dirichlet),
            None,
        ),
        (
            "dirichlet gate, MixtureLib's settings (10 iterations)",
            MixtureOfExpertsConfig::new(2)
                .with_gate(GateKind::Dirichlet)
                .with_max_iter(10)
                .with_tol(0.0),
            Some(MIXTURELIB_MS_DIRICHLET),
        ),
        (
            "softmax gate, to convergence (100 epochs per M-step)",
            MixtureOfExpertsConfig::new(2)
                .with_gate(GateKind::Softmax)
                .with_gate_epochs(100),
            None,
        ),
        (
            "softmax gate, MixtureLib's settings (10 iterations × 100 epochs, 2×5 hidden, batch 128, lr 1e-3)",
            MixtureOfExpertsConfig::new(2)
                .with_gate(GateKind::Softmax)
                .with_gate_epochs(100)
                .with_gate_hidden(2, 5)
                .with_gate_batch_size(128)
                .with_gate_learning_rate(1e-3)
                .with_max_iter(10)
                .with_tol(0.0),
            Some(MIXTURELIB_MS_NETWORK),
        ),
    ];
    for (label, config, reference) in cases {
        if only.is_some_and(|o| !label.contains(o)) {
            continue;
        }
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..reps {
            let t = Instant::now();
            let model = config.fit(&x, &y).expect("two-planes fit");
            times.push(t.elapsed().as_secs_f64() * 1e3);
            last = Some(model);
        }
        let model = last.expect("at least one rep");
        let mse = model.mean_squared_error(&x, &y).expect("mse");
        let ms = median(&mut times);
        let (theirs, speed_up) = match reference {
            Some(r) => (format!("{r:.0}"), format!("{:.1}×", r / ms)),
            None => ("–".into(), "–".into()),
        };
        println!(
            "| {label} | {ms:.2} | {} | {mse:.2} | {theirs} | {speed_up} |",
            model.n_iter()
        );
    }
}

/// `--gradient`: times gradient-descent iterations of a diagonal mixture on each (N, D).
fn bench_gradient(ns: &[usize], args: &Args, warmup: usize, reps: usize) {
    use burn::backend::Autodiff;
    use mixture::gradient::{Family, GradientMixtureConfig};
    let device = Default::default();
    println!("| gradient (diagonal, full batch) | N | D | K | ms / iteration | points / s |");
    println!("|---|---:|---:|---:|---:|---:|");
    for &n in ns {
        for &d in &args.d {
            let seed = args.seed ^ ((n as u64) << 8) ^ d as u64;
            let problem = Problem::generate(n, d, args.k, seed);
            let x = problem.tensor::<Autodiff<Bench>>(&device);
            let config = GradientMixtureConfig::new(args.k)
                .with_family(Family::Diagonal)
                .with_iterations(1 + warmup + reps)
                .with_tol(0.0)
                .with_batch_size(args.batch_size);
            let mut stamps = Stamps(Vec::new());
            let result = config.fit_with(&x, &mut stamps);
            let mut gaps: Vec<f64> = stamps
                .0
                .windows(2)
                .skip(warmup)
                .map(|w| (w[1] - w[0]).as_secs_f64() * 1e3)
                .collect();
            match result {
                Ok(_) if !gaps.is_empty() => {
                    let ms = median(&mut gaps);
                    println!(
                        "| diagonal | {n} | {d} | {} | {ms:.2} | {:.3e} |",
                        args.k,
                        n as f64 / (ms / 1e3)
                    );
                }
                Ok(_) => println!(
                    "| diagonal | {n} | {d} | {} | (no iterations observed) | |",
                    args.k
                ),
                Err(e) => println!("| diagonal | {n} | {d} | {} | error: {e} | |", args.k),
            }
        }
    }
}

/// One timed case.
#[derive(Debug, Serialize)]
struct CaseResult {
    backend: &'static str,
    /// `em` (GaussianMixture) or `variational` (BayesianGaussianMixture).
    method: &'static str,
    covariance_type: String,
    n: usize,
    d: usize,
    k: usize,
    batch_size: Option<usize>,
    /// Iterations the fit ran (1 untimed + warmup + reps).
    iterations: usize,
    warmup: usize,
    reps: usize,
    ms_per_iter: f64,
    ms_min: f64,
    ms_max: f64,
    points_per_sec: f64,
    /// The last lower bound: the mean log-likelihood before the last M-step.
    mean_log_likelihood: f64,
    times_ms: Vec<f64>,
    error: Option<String>,
}

/// A case for scikit-learn: the data file and the same start.
#[derive(Debug, Serialize)]
struct SklearnCase {
    /// `em` or `variational` (then scikit-learn starts from the one-hot responsibilities of
    /// the nearest initial mean, and the bound is its `lower_bound_` divided by N).
    method: &'static str,
    covariance_type: String,
    n: usize,
    d: usize,
    k: usize,
    data: String,
    iterations: usize,
    warmup: usize,
    weights_init: Vec<f64>,
    means_init: Vec<f64>,
    precisions_init: Vec<f64>,
}

/// `[N, K]` one-hot responsibilities of `labels`, in the dtype of `like`.
fn one_hot<B: burn::tensor::backend::Backend>(
    labels: &[usize],
    k: usize,
    like: &burn::tensor::Tensor<B, 2>,
) -> burn::tensor::Tensor<B, 2> {
    let mut v = vec![0.0; labels.len() * k];
    for (i, &l) in labels.iter().enumerate() {
        v[i * k + l] = 1.0;
    }
    mixture::core::tensor::from_f64_like::<B, 2, 2>(v, [labels.len(), k], like)
}

/// Stamps the end of every EM iteration.
struct Stamps(Vec<Instant>);

impl FitObserver for Stamps {
    fn observe(&mut self, event: &FitEvent) {
        if let FitEvent::Iteration { .. } = event {
            self.0.push(Instant::now());
        }
    }
}

fn main() {
    let args = Args::parse();
    let ns = if !args.n.is_empty() {
        args.n.clone()
    } else if args.quick || args.variational {
        vec![100_000]
    } else {
        vec![100_000, 1_000_000]
    };
    let covs = if args.covariance.is_empty() && args.variational {
        vec![CovarianceType::Diag, CovarianceType::Full]
    } else if args.covariance.is_empty() {
        COVARIANCE_TYPES.to_vec()
    } else {
        args.covariance.clone()
    };
    let reps = args.reps.unwrap_or(if args.quick { 3 } else { 5 }).max(1);
    let warmup = args.warmup;
    if args.two_planes {
        bench_two_planes(args.reps.unwrap_or(15).max(1), args.only.as_deref());
        return;
    }
    if args.gradient {
        bench_gradient(&ns, &args, warmup, reps);
        return;
    }
    let iterations = 1 + warmup + reps;
    let device = Default::default();
    if let Some(dir) = &args.write_data {
        std::fs::create_dir_all(dir).expect("create the data directory");
    }
    eprintln!(
        "mixture-bench: backend {}, K = {}, {}, {} warm-up + {} timed iterations per case",
        backend_name(),
        args.k,
        args.dtype,
        warmup,
        reps
    );

    let mut results = Vec::new();
    let mut sk_cases = Vec::new();
    // The variational table defaults to D = 16 (the row); --d overrides.
    let ds = if args.variational && args.d == [16, 64] {
        vec![16]
    } else {
        args.d.clone()
    };
    let method = if args.variational {
        "variational"
    } else {
        "em"
    };
    for &n in &ns {
        for &d in &ds {
            let t0 = Instant::now();
            let seed = args.seed ^ ((n as u64) << 8) ^ d as u64;
            let problem = Problem::generate(n, d, args.k, seed);
            let data_name = format!("x_n{n}_d{d}.npy");
            if let Some(dir) = &args.write_data {
                problem
                    .write_npy(&dir.join(&data_name))
                    .expect("write .npy");
            }
            let dtype = if args.dtype == "f64" {
                burn::tensor::DType::F64
            } else {
                burn::tensor::DType::F32
            };
            let x = problem.tensor_as::<Bench>(&device, dtype);
            eprintln!(
                "  data n={n} d={d}: generated in {:.1} s",
                t0.elapsed().as_secs_f64()
            );
            for &ct in &covs {
                let work = match ct {
                    CovarianceType::Full | CovarianceType::Tied => (n * args.k * d * d) as f64,
                    _ => (n * args.k * d) as f64,
                };
                if args.max_work.is_some_and(|m| work > m) {
                    eprintln!("  {:>9} n={n} d={d}: skipped (--max-work)", ct.to_string());
                    continue;
                }
                let precisions_init = problem.precisions_init(ct);
                let config = GaussianMixtureConfig::new(args.k)
                    .with_covariance_type(ct)
                    .with_tol(0.0)
                    .with_max_iter(iterations)
                    .with_batch_size(args.batch_size)
                    .with_statistics_centre(args.statistics_centre)
                    .with_weights_init(problem.weights_init.clone())
                    .with_means_init(problem.means_init.clone())
                    .with_precisions_init(precisions_init.clone());
                let mut stamps = Stamps(Vec::with_capacity(iterations));
                let fit = if args.variational {
                    let resp = one_hot::<Bench>(&problem.nearest_init_labels(), args.k, &x);
                    BayesianGaussianMixtureConfig::new(args.k)
                        .with_covariance_type(ct)
                        .with_tol(0.0)
                        .with_max_iter(iterations)
                        .with_batch_size(args.batch_size)
                        .with_statistics_centre(args.statistics_centre)
                        .fit_from_responsibilities_with(&x, &resp, &mut stamps)
                        // The mean bound per row, to compare with scikit-learn's sum / N.
                        .map(|m| m.lower_bound() / n as f64)
                } else {
                    config
                        .fit_with(&x, None, &mut stamps)
                        .map(|m| m.lower_bound())
                };
                let mut times_ms: Vec<f64> = stamps
                    .0
                    .windows(2)
                    .map(|w| (w[1] - w[0]).as_secs_f64() * 1e3)
                    .skip(warmup)
                    .collect();
                let timed = times_ms.clone();
                let ms_min = times_ms.iter().copied().fold(f64::INFINITY, f64::min);
                let ms_max = times_ms.iter().copied().fold(0.0, f64::max);
                let ms = median(&mut times_ms);
                let (mean_ll, error) = match &fit {
                    Ok(bound) => (*bound, None),
                    Err(e) => (f64::NAN, Some(e.to_string())),
                };
                eprintln!(
                    "  {:>9} n={n} d={d}: {ms:9.2} ms/iter (min {ms_min:.2}, max {ms_max:.2}), \
                     mean log-likelihood {mean_ll:.6}{}",
                    ct.to_string(),
                    error
                        .as_deref()
                        .map(|e| format!(" ERROR {e}"))
                        .unwrap_or_default()
                );
                results.push(CaseResult {
                    backend: backend_name(),
                    method,
                    covariance_type: ct.to_string(),
                    n,
                    d,
                    k: args.k,
                    batch_size: args.batch_size,
                    iterations,
                    warmup,
                    reps,
                    ms_per_iter: ms,
                    ms_min,
                    ms_max,
                    points_per_sec: n as f64 / (ms / 1e3),
                    mean_log_likelihood: mean_ll,
                    times_ms: timed,
                    error,
                });
                sk_cases.push(SklearnCase {
                    method,
                    covariance_type: ct.to_string(),
                    n,
                    d,
                    k: args.k,
                    data: data_name.clone(),
                    iterations,
                    warmup,
                    weights_init: problem.weights_init.clone(),
                    means_init: problem.means_init.clone(),
                    precisions_init,
                });
            }
        }
    }

    if let Some(dir) = &args.write_data {
        let text = serde_json::to_string(&sk_cases).expect("serialise cases");
        std::fs::write(dir.join("cases.json"), text).expect("write cases.json");
    }
    match &args.json {
        Some(path) => {
            let text = serde_json::to_string_pretty(&results).expect("serialise results");
            std::fs::write(path, text).expect("write the results");
        }
        None => {
            println!(
                "| covariance | N | D | K | ms / iteration | points / s | mean log-likelihood |"
            );
            println!("|---|---:|---:|---:|---:|---:|---:|");
            for r in &results {
                println!(
                    "| {} | {} | {} | {} | {:.2} | {:.3e} | {:.6} |",
                    r.covariance_type,
                    r.n,
                    r.d,
                    r.k,
                    r.ms_per_iter,
                    r.points_per_sec,
                    r.mean_log_likelihood
                );
            }
        }
    }
}
