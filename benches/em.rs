//! Criterion benchmarks of the kernels of one EM iteration of a Gaussian mixture, for each
//! covariance type: the N×K log-likelihood (features and scores), the E-step (features, the
//! scores with the log-weights and the log-sum-exp into responsibilities), the sufficient
//! statistics from the features, the M-step, one whole
//! iteration through the EM driver on the data as one batch, and a whole two-iteration fit
//! through `GaussianMixtureConfig` (which runs in cache-sized row blocks).
//!
//! Sizes are small so the suite runs in a few minutes on 2 cores: N = 10 000, D = 16, K = 8,
//! f32, seeded data built outside the timed closures. To profile the large cases of
//! `cargo xtask bench`, override them with the environment variables `MIXTURE_BENCH_N`,
//! `MIXTURE_BENCH_D` and `MIXTURE_BENCH_K` (and pick a group with a filter, e.g.
//! `MIXTURE_BENCH_N=1000000 cargo bench -p mixture-benches --bench em -- em/diag`). The backend is the cargo feature
//! (`flex` by default; `--features ndarray|wgpu|cuda`). Run with
//! `cargo bench -p mixture-benches --bench em`; the large-N timings of the README table come
//! from `cargo xtask bench`.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use burn::tensor::{backend::Backend, Tensor};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use mixture::core::{
    logsumexp::{logsumexp_with_exp, softmax_with_logsumexp},
    tensor::from_f64_like,
    Batch, Components, Gate, TensorSource,
};
use mixture::em::driver::{e_step, EmMode, FitData};
use mixture::em::GaussianMixtureConfig;
use mixture::experts::{Covariances, GaussianComponents};
use mixture::gates::Weights;
use mixture_benches::{Bench, Problem, COVARIANCE_TYPES};
use rand::{rngs::StdRng, SeedableRng};

const SEED: u64 = 42;

/// A size from the environment, or its default.
fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Waits for queued work (GPU backends run asynchronously).
fn sync<B: Backend>(device: &B::Device) {
    B::sync(device).expect("device sync");
}

/// Components at the problem's initial means with unit covariances, and uniform weights.
fn model(
    problem: &Problem,
    covariance_type: mixture::experts::CovarianceType,
    x: &Tensor<Bench, 2>,
) -> (GaussianComponents<Bench>, Weights<Bench>) {
    let (k, d) = (problem.k, problem.d);
    let means = from_f64_like(problem.means_init.clone(), [k, d], x);
    // Unit precisions are unit covariances.
    let covariances = Covariances::from_f64(
        covariance_type,
        problem.precisions_init(covariance_type),
        k,
        d,
        &x.device(),
        x.dtype(),
    );
    let (components, _) = GaussianComponents::from_covariances(means, covariances, 1e-6);
    let weights = Weights::learned(from_f64_like(problem.weights_init.clone(), [k], x));
    (components, weights)
}

fn kernels(c: &mut Criterion) {
    let device = Default::default();
    let (n, d, k) = (
        size("MIXTURE_BENCH_N", 10_000),
        size("MIXTURE_BENCH_D", 16),
        size("MIXTURE_BENCH_K", 8),
    );
    let problem = Problem::generate(n, d, k, SEED);
    let x = problem.tensor::<Bench>(&device);
    let batch = Batch::new(x.clone());
    let source = TensorSource::new(batch.clone(), None);

    for covariance_type in COVARIANCE_TYPES {
        let (components, gate) = model(&problem, covariance_type, &x);
        let mut group = c.benchmark_group(format!("em/{covariance_type}"));
        group.throughput(Throughput::Elements(n as u64));
        // Fewer samples for large N: criterion's minimum is 10.
        group.sample_size(if n > 100_000 { 10 } else { 20 });
        let id = |kernel: &str| BenchmarkId::new(kernel, format!("n{n}_d{d}_k{k}"));

        group.bench_function(id("log_likelihood"), |b| {
            b.iter(|| {
                let ll = components.log_likelihood(&batch).expect("scores");
                sync::<Bench>(&device);
                ll
            })
        });

        group.bench_function(id("e_step"), |b| {
            b.iter(|| {
                let features = components.prepare(&batch).expect("features");
                let joint = components.score(&features, gate.log_weights(&batch));
                let (lse, resp) = softmax_with_logsumexp(joint);
                sync::<Bench>(&device);
                (lse, resp)
            })
        });

        // The E-step's normalisation alone: as the driver runs it (fused on burn-flex with
        // the `flex` feature) and composed from tensor operations.
        let features = components.prepare(&batch).expect("features");
        let joint = components.score(&features, gate.log_weights(&batch));
        group.bench_function(id("normalise"), |b| {
            b.iter_batched(
                || joint.clone() + 0.0,
                |joint| {
                    let out = softmax_with_logsumexp(joint);
                    sync::<Bench>(&device);
                    out
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function(id("normalise_composed"), |b| {
            b.iter(|| {
                let out = logsumexp_with_exp(joint.clone());
                sync::<Bench>(&device);
                out
            })
        });

        let (_, resp) = softmax_with_logsumexp(joint);
        group.bench_function(id("statistics"), |b| {
            b.iter(|| {
                let stats = components.summarize(&features, resp.clone());
                sync::<Bench>(&device);
                stats
            })
        });

        let stats = components.summarize(&features, resp.clone());
        group.bench_function(id("m_step"), |b| {
            b.iter_batched(
                || (components.clone(), stats.clone()),
                |(mut comps, stats)| {
                    let check = comps.update(stats);
                    sync::<Bench>(&device);
                    (comps, check)
                },
                BatchSize::SmallInput,
            )
        });

        // One whole iteration as the driver runs it (without its host read of the bound).
        let data = FitData::new(&source, n as f64);
        group.bench_function(id("iteration"), |b| {
            let mut rng = StdRng::seed_from_u64(SEED);
            b.iter_batched(
                || (components.clone(), gate.clone()),
                |(mut comps, mut gate)| {
                    let e =
                        e_step(&comps, &gate, &data, EmMode::Weighted, &mut rng).expect("e-step");
                    let check = comps.update(e.components);
                    gate.update(e.gate);
                    sync::<Bench>(&device);
                    (comps, gate, check, e.log_likelihood)
                },
                BatchSize::SmallInput,
            )
        });

        // The product path: a whole fit from explicit initial parameters (validation, the
        // initial precisions, two iterations in cache-sized row blocks, one host read each).
        let config = GaussianMixtureConfig::new(k)
            .with_covariance_type(covariance_type)
            .with_tol(0.0)
            .with_max_iter(2)
            .with_weights_init(problem.weights_init.clone())
            .with_means_init(problem.means_init.clone())
            .with_precisions_init(problem.precisions_init(covariance_type));
        group.bench_function(id("fit_2_iterations"), |b| {
            b.iter(|| config.fit(&x).expect("fit"))
        });
        group.finish();
    }
}

criterion_group!(benches, kernels);
criterion_main!(benches);
