//! Criterion benchmarks of the kernels of one EM iteration of a Gaussian mixture, for each
//! covariance type: the N×K log-likelihood, the E-step (log-likelihood, log-weights and the
//! log-sum-exp into responsibilities), the sufficient statistics, the M-step, and one whole
//! iteration through the EM driver.
//!
//! Sizes are small so the suite runs in a few minutes on 2 cores: N = 10 000, D = 16, K = 8,
//! f32, seeded data built outside the timed closures. The backend is the cargo feature
//! (`flex` by default; `--features ndarray|wgpu|cuda`). Run with
//! `cargo bench -p mixture-benches --bench em`; the large-N timings of the README table come
//! from `cargo xtask bench`.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use burn::tensor::{backend::Backend, Tensor};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use mixture::core::{
    logsumexp::logsumexp_with_exp, tensor::from_f64_like, Batch, Components, Gate, TensorSource,
};
use mixture::em::driver::{e_step, EmMode};
use mixture::experts::{Covariances, GaussianComponents};
use mixture::gates::Weights;
use mixture_benches::{Bench, Problem, COVARIANCE_TYPES};
use rand::{rngs::StdRng, SeedableRng};

const N: usize = 10_000;
const D: usize = 16;
const K: usize = 8;
const SEED: u64 = 42;

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
    let means = from_f64_like(problem.means_init.clone(), [K, D], x);
    // Unit precisions are unit covariances.
    let covariances = Covariances::from_f64(
        covariance_type,
        problem.precisions_init(covariance_type),
        K,
        D,
        &x.device(),
        x.dtype(),
    );
    let (components, _) = GaussianComponents::from_covariances(means, covariances, 1e-6);
    let weights = Weights::learned(from_f64_like(problem.weights_init.clone(), [K], x));
    (components, weights)
}

fn kernels(c: &mut Criterion) {
    let device = Default::default();
    let problem = Problem::generate(N, D, K, SEED);
    let x = problem.tensor::<Bench>(&device);
    let batch = Batch::new(x.clone());
    let source = TensorSource::new(batch.clone(), None);

    for covariance_type in COVARIANCE_TYPES {
        let (components, gate) = model(&problem, covariance_type, &x);
        let mut group = c.benchmark_group(format!("em/{covariance_type}"));
        group.throughput(Throughput::Elements(N as u64));
        group.sample_size(20);
        let id = |kernel: &str| BenchmarkId::new(kernel, format!("n{N}_d{D}_k{K}"));

        group.bench_function(id("log_likelihood"), |b| {
            b.iter(|| {
                let ll = components.log_likelihood(&batch);
                sync::<Bench>(&device);
                ll
            })
        });

        group.bench_function(id("e_step"), |b| {
            b.iter(|| {
                let joint = gate.log_weights(&batch) + components.log_likelihood(&batch);
                let (lse, resp) = logsumexp_with_exp(joint);
                sync::<Bench>(&device);
                (lse, resp)
            })
        });

        let joint = gate.log_weights(&batch) + components.log_likelihood(&batch);
        let (_, resp) = logsumexp_with_exp(joint);
        group.bench_function(id("statistics"), |b| {
            b.iter(|| {
                let stats = components.statistics(&batch, resp.clone());
                sync::<Bench>(&device);
                stats
            })
        });

        let stats = components.statistics(&batch, resp.clone());
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
        group.bench_function(id("iteration"), |b| {
            let mut rng = StdRng::seed_from_u64(SEED);
            b.iter_batched(
                || (components.clone(), gate.clone()),
                |(mut comps, mut gate)| {
                    let e =
                        e_step(&comps, &gate, &source, EmMode::Weighted, &mut rng).expect("e-step");
                    let check = comps.update(e.components);
                    gate.update(e.gate);
                    sync::<Bench>(&device);
                    (comps, gate, check, e.log_likelihood)
                },
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, kernels);
criterion_main!(benches);
