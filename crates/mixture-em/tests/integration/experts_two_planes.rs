//! MixtureLib's integration case (anchors.md §3.2): two planes, N = 200, noise 5, fitted as a
//! mixture of models (Dirichlet gate) and as a mixture of experts (softmax gate).

use burn::tensor::{DType, Tensor};
use mixture_core::tensor::{from_f64, to_vec_f64};
use mixture_em::experts::{
    GateKind, MixtureOfExperts, MixtureOfExpertsConfig, TWO_PLANES, two_planes,
};

type F = burn_flex::Flex;

fn tensors(data_seed: u64) -> (Tensor<F, 2>, Tensor<F, 2>) {
    let data = two_planes(200, 5.0, data_seed);
    let dev = Default::default();
    (
        from_f64(data.x, [200, 2], &dev, DType::F32),
        from_f64(data.y, [200, 1], &dev, DType::F32),
    )
}

/// The largest coordinate distance of each fitted plane to the true plane it matches (the
/// experts' order is arbitrary).
fn plane_errors(model: &MixtureOfExperts<F>) -> [f64; 2] {
    let w = to_vec_f64(model.coefficients()).unwrap(); // [2, 2, 1]
    let err = |k: usize, t: usize| {
        (w[2 * k] - TWO_PLANES[t][0])
            .abs()
            .max((w[2 * k + 1] - TWO_PLANES[t][1]).abs())
    };
    let straight = err(0, 0).max(err(1, 1));
    let crossed = err(0, 1).max(err(1, 0));
    if straight <= crossed {
        [err(0, 0), err(1, 1)]
    } else {
        [err(0, 1), err(1, 0)]
    }
}

// Each coefficient's sampling error is about σ / √(N_k · var x) = 5 / √(100 · 0.8) ≈ 0.56, so
// "within 1.0 of the true plane" is a statement about the draw as much as about the fit: with
// either gate the fitted planes of `two_planes(200, 5, s)` are within 0.75 of the truth for
// s = 0 and 1, while for s = 2 one coefficient lands 0.86 (Dirichlet) to 1.07 (softmax) away.
// The init seeds are what the algorithm must be robust to.

#[test]
fn mixture_of_models_recovers_both_planes_for_every_init_seed() {
    for data_seed in [0, 1] {
        let (x, y) = tensors(data_seed);
        for seed in 0..3 {
            let model = MixtureOfExpertsConfig::new(2)
                .with_gate(GateKind::Dirichlet)
                .with_intercept(false)
                .with_seed(seed)
                .fit(&x, &y)
                .unwrap();
            let err = plane_errors(&model);
            assert!(
                err[0] < 1.0 && err[1] < 1.0,
                "data {data_seed} seed {seed}: {err:?}"
            );
            assert!(model.converged(), "data {data_seed} seed {seed}");
            // global weights near one half each (100 rows per plane)
            let w = to_vec_f64(model.mean_gate_weights()).unwrap();
            assert!((w[0] - 0.5).abs() < 0.1, "{w:?}");
            // noise variances near 25
            for v in to_vec_f64(model.noise_variance()).unwrap() {
                assert!((v - 25.0).abs() < 10.0, "noise variance {v}");
            }
        }
    }
}

#[test]
fn mixture_of_experts_recovers_both_planes_and_a_low_training_mse() {
    // MixtureLib's median training MSE over 10 seeds is 175 with its network gate; predicting
    // every point with its true plane gives about 25 (the noise). A gate that only knew the
    // input distributions could not beat ~210 here (the planes' inputs overlap); the fitted
    // network learns where in x each plane's points lie. Observed: 56, 62, 47.
    let (x, y) = tensors(0);
    for seed in 0..3 {
        let model = MixtureOfExpertsConfig::new(2)
            .with_gate(GateKind::Softmax)
            .with_intercept(false)
            .with_seed(seed)
            .fit(&x, &y)
            .unwrap();
        let err = plane_errors(&model);
        assert!(err[0] < 1.0 && err[1] < 1.0, "seed {seed}: {err:?}");
        let mse = model.mean_squared_error(&x, &y).unwrap();
        assert!(mse < 100.0, "seed {seed}: training MSE {mse}");
    }
}
