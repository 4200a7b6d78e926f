//! Invariants of the Gaussian mixture fit: responsibilities, monotone bound, order and
//! batch independence, sample weights, persistence, backends, and typed errors.
//!
//! Tolerances: f64 fits that differ only by summation order agree to ~1e-12 relative after a
//! few EM iterations; 1e-8 leaves room for the amplification by iterated updates. f32 vs f64:
//! parameters of O(1) data agree to ~1e-5 (f32 rounding of sums over ~100 rows, amplified by
//! a few iterations); 1e-3 is used where the fit runs many iterations.

use burn::tensor::{DType, Tensor};
use mixture_core::{
    Error,
    tensor::{from_f64, to_vec_f64, to_vec_i64},
};
use mixture_em::{CovarianceType, GaussianMixture, GaussianMixtureConfig, InitMethod};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng, rngs::StdRng};

type N64 = burn_ndarray::NdArray<f64>;
type N32 = burn_ndarray::NdArray<f32>;
type F = burn_flex::Flex;

/// Three blobs in `d` dimensions, `n` rows, seeded.
fn blobs(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut v = Vec::with_capacity(n * d);
    for i in 0..n {
        let c = (i % 3) as f64 * 4.0 - 4.0;
        for j in 0..d {
            let u: f64 = rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>() - 1.5;
            v.push(c + if j % 2 == 0 { 1.0 } else { -0.5 } * c * 0.3 + u);
        }
    }
    v
}

fn t64(v: &[f64], n: usize, d: usize) -> Tensor<N64, 2> {
    from_f64(v.to_vec(), [n, d], &Default::default(), DType::F64)
}

fn close(a: &[f64], b: &[f64], rel: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= rel * (1.0 + x.abs().max(y.abs())))
}

fn params<B: burn::tensor::backend::Backend>(g: &GaussianMixture<B>) -> Vec<f64> {
    let mut v = to_vec_f64(g.weights()).unwrap();
    v.extend(to_vec_f64(g.means()).unwrap());
    v.extend(g.covariances().to_vec_f64().unwrap());
    v
}

/// A deterministic start: the first K rows as means, unit precisions, uniform weights.
fn fixed_start(cfg: GaussianMixtureConfig, x: &[f64], d: usize) -> GaussianMixtureConfig {
    let k = cfg.n_components;
    let prec = match cfg.covariance_type {
        CovarianceType::Full => (0..k).flat_map(|_| identity(d)).collect(),
        CovarianceType::Tied => identity(d),
        CovarianceType::Diag => vec![1.0; k * d],
        CovarianceType::Spherical => vec![1.0; k],
    };
    cfg.with_weights_init(vec![1.0 / k as f64; k])
        .with_means_init(x[..k * d].to_vec())
        .with_precisions_init(prec)
}

fn identity(d: usize) -> Vec<f64> {
    (0..d * d)
        .map(|i| if i % (d + 1) == 0 { 1.0 } else { 0.0 })
        .collect()
}

/// How much round-off the fit's covariances can carry, relative to their thinnest direction.
/// Statistics are sums about the data mean `c` (one pass, additive over batches), so
/// `Σ_k = S_k / N_k − (μ_k − c)(μ_k − c)ᵀ` is rounded at `ε·(λ_max + |μ_k − c|²)`; divided by
/// `λ_min` that is `ε·κ'` with `κ' = (tr Σ_k + |μ_k − c|²)·tr Σ_k⁻¹`, an upper bound because
/// `λ_max ≤ tr Σ` and `1/λ_min ≤ tr Σ⁻¹`. Returns the largest over the components.
fn roundoff_scale<B: burn::tensor::backend::Backend>(g: &GaussianMixture<B>, x: &[f64]) -> f64 {
    let d = g.n_features();
    let k = g.n_components();
    let traces = |v: Vec<f64>| -> Vec<f64> {
        let t: Vec<f64> = match g.covariance_type() {
            CovarianceType::Full | CovarianceType::Tied => v
                .chunks(d * d)
                .map(|m| (0..d).map(|i| m[i * (d + 1)]).sum())
                .collect(),
            CovarianceType::Diag => v.chunks(d).map(|m| m.iter().sum()).collect(),
            CovarianceType::Spherical => v.iter().map(|s| s * d as f64).collect(),
        };
        (0..k).map(|i| t[i % t.len()]).collect()
    };
    let cov = traces(g.covariances().to_vec_f64().unwrap());
    let prec = traces(g.precisions().to_vec_f64().unwrap());
    let n = x.len() / d;
    let c: Vec<f64> = (0..d)
        .map(|j| x.iter().skip(j).step_by(d).sum::<f64>() / n as f64)
        .collect();
    let means = to_vec_f64(g.means()).unwrap();
    (0..k)
        .map(|i| {
            let shift: f64 = (0..d).map(|j| (means[i * d + j] - c[j]).powi(2)).sum();
            (cov[i] + shift) * prec[i]
        })
        .fold(1.0, f64::max)
}

fn cov_type() -> impl Strategy<Value = CovarianceType> {
    prop::sample::select(CovarianceType::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    #[test]
    fn responsibilities_sum_to_one(seed in 0u64..1000, n in 6usize..40, d in 1usize..4, k in 1usize..4, ct in cov_type()) {
        let x = blobs(n, d, seed);
        let g = GaussianMixtureConfig::new(k).with_covariance_type(ct).with_reg_covar(1e-3)
            .with_seed(seed).fit(&t64(&x, n, d)).unwrap();
        let p = to_vec_f64(g.predict_proba(&t64(&x, n, d)).unwrap()).unwrap();
        for row in p.chunks(k) {
            prop_assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            prop_assert!(row.iter().all(|&r| (0.0..=1.0).contains(&r)));
        }
    }

    #[test]
    fn lower_bound_never_decreases(seed in 0u64..1000, n in 10usize..60, d in 1usize..4, ct in cov_type(),
                                   init in prop::sample::select(vec![InitMethod::Random, InitMethod::KMeans])) {
        // EM increases the likelihood exactly when the M-step maximises it: reg_covar adds a
        // bias, so (as scikit-learn's own test does) keep it negligible here. What remains is
        // round-off, and it is not always small: a component that collapses onto fewer points
        // than dimensions (two of ten rows in 2-D, say) has a thin direction of variance
        // ≈ reg_covar, which the one-pass statistics fix only to ε·κ' (see `roundoff_scale`),
        // up to ~1e-4 here. Measured over 6 000 generated fits (sizes as below, two sweeps):
        // decreases beyond 1e-10 never exceeded 0.08 ε·κ', in the mean log-likelihood. The
        // allowance is 1e-10 relative plus ε·κ' absolute; for a well-conditioned fit (κ' < 10³)
        // that is ~1e-10, far below what a wrong M-step loses.
        let x = blobs(n, d, seed);
        let g = GaussianMixtureConfig::new(3).with_covariance_type(ct).with_reg_covar(1e-10)
            .with_init(init).with_tol(0.0).with_max_iter(25).with_seed(seed)
            .fit(&t64(&x, n, d)).unwrap();
        let slack = f64::EPSILON * roundoff_scale(&g, &x);
        for w in g.lower_bounds().windows(2) {
            let allowed = 1e-10 * w[0].abs().max(1.0) + slack;
            prop_assert!(w[1] >= w[0] - allowed, "{} then {} (allowed {allowed:e})", w[0], w[1]);
        }
    }

    #[test]
    fn mini_batch_equals_full_batch(seed in 0u64..1000, n in 8usize..50, bs in 1usize..20, ct in cov_type()) {
        let d = 2;
        let x = blobs(n, d, seed);
        let cfg = GaussianMixtureConfig::new(3).with_covariance_type(ct).with_reg_covar(1e-3)
            .with_init(InitMethod::Random).with_seed(seed).with_max_iter(20);
        let full = cfg.clone().fit(&t64(&x, n, d)).unwrap();
        let mini = cfg.with_batch_size(Some(bs)).fit(&t64(&x, n, d)).unwrap();
        prop_assert_eq!(full.n_iter(), mini.n_iter());
        prop_assert!(close(&params(&full), &params(&mini), 1e-8));
        prop_assert!((full.lower_bound() - mini.lower_bound()).abs() < 1e-9);
    }

    #[test]
    fn permuting_samples_does_not_change_the_fit(seed in 0u64..1000, n in 8usize..40, ct in cov_type()) {
        let d = 2;
        let x = blobs(n, d, seed);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let xp: Vec<f64> = order.iter().flat_map(|&i| x[i * d..(i + 1) * d].to_vec()).collect();
        let cfg = fixed_start(GaussianMixtureConfig::new(3).with_covariance_type(ct).with_reg_covar(1e-3), &x, d)
            .with_max_iter(20);
        let a = cfg.fit(&t64(&x, n, d)).unwrap();
        let b = cfg.fit(&t64(&xp, n, d)).unwrap();
        prop_assert_eq!(a.n_iter(), b.n_iter());
        prop_assert!(close(&params(&a), &params(&b), 1e-8));
    }

    #[test]
    fn integer_weights_equal_repeated_rows(seed in 0u64..1000, n in 6usize..30, ct in cov_type()) {
        let d = 2;
        let x = blobs(n, d, seed);
        let reps: Vec<usize> = (0..n).map(|i| 1 + (i * 7 + seed as usize) % 3).collect();
        let xr: Vec<f64> = (0..n).flat_map(|i| std::iter::repeat_n(x[i * d..(i + 1) * d].to_vec(), reps[i]).flatten()).collect();
        let nr = reps.iter().sum::<usize>();
        let cfg = fixed_start(GaussianMixtureConfig::new(3).with_covariance_type(ct).with_reg_covar(1e-3), &x, d)
            .with_max_iter(15);
        let w = from_f64::<N64, 1>(reps.iter().map(|&r| r as f64).collect(), [n], &Default::default(), DType::F64);
        let a = cfg.fit_weighted(&t64(&x, n, d), &w).unwrap();
        let b = cfg.fit(&t64(&xr, nr, d)).unwrap();
        prop_assert_eq!(a.n_iter(), b.n_iter());
        prop_assert!(close(&params(&a), &params(&b), 1e-8));
        prop_assert!((a.lower_bound() - b.lower_bound()).abs() < 1e-9);
    }

    #[test]
    fn save_and_load_round_trip_exactly(seed in 0u64..1000, ct in cov_type()) {
        let (n, d) = (30, 3);
        let x = blobs(n, d, seed);
        let g = GaussianMixtureConfig::new(2).with_covariance_type(ct).with_seed(seed).fit(&t64(&x, n, d)).unwrap();
        let back = GaussianMixture::<N64>::from_json(&g.to_json().unwrap(), &Default::default()).unwrap();
        prop_assert_eq!(params(&g), params(&back));
        prop_assert_eq!(g.lower_bounds(), back.lower_bounds());
        prop_assert_eq!(g.n_iter(), back.n_iter());
        prop_assert_eq!(to_vec_f64(g.score_samples(&t64(&x, n, d)).unwrap()).unwrap(),
                        to_vec_f64(back.score_samples(&t64(&x, n, d)).unwrap()).unwrap());
        // f32 on flex: the JSON holds the f32 values exactly.
        let xf = from_f64::<F, 2>(x.clone(), [n, d], &Default::default(), DType::F32);
        let gf = GaussianMixtureConfig::new(2).with_covariance_type(ct).with_seed(seed).fit(&xf).unwrap();
        let bf = GaussianMixture::<F>::from_json(&gf.to_json().unwrap(), &Default::default()).unwrap();
        prop_assert_eq!(bf.means().dtype(), DType::F32);
        prop_assert_eq!(params(&gf), params(&bf));
    }
}

#[test]
fn backends_and_precisions_agree() {
    let (n, d) = (120, 3);
    let x = blobs(n, d, 11);
    for ct in CovarianceType::ALL {
        let cfg = fixed_start(
            GaussianMixtureConfig::new(3).with_covariance_type(ct),
            &x,
            d,
        )
        .with_max_iter(10)
        .with_tol(0.0);
        let dev = Default::default();
        let a = cfg
            .fit(&from_f64::<N64, 2>(x.clone(), [n, d], &dev, DType::F64))
            .unwrap();
        let b = cfg
            .fit(&from_f64::<F, 2>(
                x.clone(),
                [n, d],
                &Default::default(),
                DType::F64,
            ))
            .unwrap();
        let c = cfg
            .fit(&from_f64::<F, 2>(
                x.clone(),
                [n, d],
                &Default::default(),
                DType::F32,
            ))
            .unwrap();
        let e = cfg
            .fit(&from_f64::<N32, 2>(
                x.clone(),
                [n, d],
                &Default::default(),
                DType::F32,
            ))
            .unwrap();
        assert_eq!(
            b.means().dtype(),
            DType::F64,
            "flex keeps f64 through the fit"
        );
        assert_eq!(c.means().dtype(), DType::F32);
        assert!(
            close(&params(&a), &params(&b), 1e-10),
            "{ct}: ndarray f64 vs flex f64"
        );
        assert!(
            close(&params(&a), &params(&c), 1e-4),
            "{ct}: f64 vs flex f32"
        );
        assert!(
            close(&params(&a), &params(&e), 1e-4),
            "{ct}: f64 vs ndarray f32"
        );
        assert!((a.lower_bound() - c.lower_bound()).abs() < 1e-4 * a.lower_bound().abs().max(1.0));
    }
}

#[test]
fn bad_input_gets_typed_errors() {
    let dev = Default::default();
    let cfg = GaussianMixtureConfig::new(2);
    let mut x = blobs(10, 2, 1);
    x[7] = f64::NAN;
    match cfg.fit(&t64(&x, 10, 2)) {
        Err(Error::NonFinite {
            row: 3, column: 1, ..
        }) => {}
        other => panic!("{other:?}"),
    }
    x[7] = f64::INFINITY;
    assert!(matches!(
        cfg.fit(&t64(&x, 10, 2)),
        Err(Error::NonFinite { .. })
    ));
    let empty = from_f64::<N64, 2>(vec![], [0, 2], &dev, DType::F64);
    assert!(matches!(cfg.fit(&empty), Err(Error::EmptyData { .. })));
    let few = t64(&[1.0, 2.0], 1, 2);
    assert!(matches!(
        cfg.fit(&few),
        Err(Error::TooFewSamples {
            n_samples: 1,
            n_components: 2
        })
    ));
    assert!(matches!(
        GaussianMixtureConfig::new(0).fit(&few),
        Err(Error::InvalidConfig {
            field: "n_components",
            ..
        })
    ));
    assert!(matches!(
        cfg.clone().with_tol(-1.0).fit(&few),
        Err(Error::InvalidConfig { field: "tol", .. })
    ));
    assert!(matches!(
        cfg.clone()
            .with_means_init(vec![0.0; 3])
            .fit(&t64(&blobs(10, 2, 1), 10, 2)),
        Err(Error::InvalidInit {
            field: "means_init",
            ..
        })
    ));
    let g = cfg.fit(&t64(&blobs(10, 2, 1), 10, 2)).unwrap();
    assert!(matches!(
        g.predict(&t64(&[1.0, 2.0, 3.0], 1, 3)),
        Err(Error::DimensionMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
    let w = from_f64::<N64, 1>(vec![1.0; 9], [9], &dev, DType::F64);
    assert!(matches!(
        cfg.fit_weighted(&t64(&blobs(10, 2, 1), 10, 2), &w),
        Err(Error::DimensionMismatch { .. })
    ));
}

#[test]
fn a_collapsed_component_names_itself_and_the_fix() {
    // Two distinct points, each repeated: with reg_covar = 0 a full covariance of one
    // repeated point is singular.
    let x = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0];
    let cfg = GaussianMixtureConfig::new(2)
        .with_reg_covar(0.0)
        .with_seed(0);
    let err = cfg.fit(&t64(&x, 6, 2)).unwrap_err();
    match &err {
        Error::NotPositiveDefinite { component, .. } => assert!(*component < 2),
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("reg_covar") && msg.contains("component"),
        "{msg}"
    );
    // The default reg_covar fits it.
    let g = GaussianMixtureConfig::new(2).fit(&t64(&x, 6, 2)).unwrap();
    assert!(g.converged());
}

#[test]
fn sampling_reproduces_the_parameters() {
    // One component: the sample mean must match the fitted mean.
    let cfg = GaussianMixtureConfig::new(1);
    let g = cfg.fit(&t64(&blobs(30, 2, 3), 30, 2)).unwrap();
    let (x, labels) = g.sample(20_000, 5).unwrap();
    assert_eq!(x.dims(), [20_000, 2]);
    assert!(to_vec_i64(labels).unwrap().iter().all(|&l| l == 0));
    let mean = to_vec_f64(x.clone().mean_dim(0)).unwrap();
    let want = to_vec_f64(g.means()).unwrap();
    let cov = g.covariances().to_vec_f64().unwrap();
    for j in 0..2 {
        // standard error sqrt(var/n) ≈ 0.02 for var ≈ 8; 5 se
        assert!(
            (mean[j] - want[j]).abs() < 5.0 * (cov[j * 3] / 20_000.0).sqrt(),
            "{mean:?} vs {want:?}"
        );
    }
    // Component counts follow the weights.
    let g = GaussianMixtureConfig::new(3)
        .with_covariance_type(CovarianceType::Diag)
        .with_seed(1)
        .fit(&t64(&blobs(90, 2, 4), 90, 2))
        .unwrap();
    let (_, labels) = g.sample(9000, 2).unwrap();
    let labels = to_vec_i64(labels).unwrap();
    let w = to_vec_f64(g.weights()).unwrap();
    for k in 0..3 {
        let share = labels.iter().filter(|&&l| l == k as i64).count() as f64 / 9000.0;
        assert!((share - w[k]).abs() < 0.03, "{share} vs {}", w[k]);
    }
    assert!(
        labels.windows(2).all(|p| p[0] <= p[1]),
        "grouped by component"
    );
}

#[test]
fn n_init_keeps_the_best_bound_and_warm_start_continues() {
    let (n, d) = (90, 2);
    let x = t64(&blobs(n, d, 9), n, d);
    let one = GaussianMixtureConfig::new(3)
        .with_init(InitMethod::Random)
        .with_seed(3)
        .fit(&x)
        .unwrap();
    let five = GaussianMixtureConfig::new(3)
        .with_init(InitMethod::Random)
        .with_seed(3)
        .with_n_init(5)
        .fit(&x)
        .unwrap();
    assert!(five.lower_bound() >= one.lower_bound() - 1e-12);
    let short = GaussianMixtureConfig::new(3)
        .with_max_iter(2)
        .with_tol(0.0)
        .with_warm_start(true)
        .with_seed(1)
        .fit(&x)
        .unwrap();
    let longer = short.refit(&x).unwrap();
    assert!(
        longer.lower_bounds()[0] >= short.lower_bound() - 1e-12,
        "warm start continues from the fit"
    );
}
