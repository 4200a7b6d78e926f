//! The variational Bayesian Gaussian mixture against scikit-learn's `BayesianGaussianMixture`
//! (fixtures by `fixtures/scripts/bgm_fixtures.py`), and scikit-learn's own test cases.
//!
//! Each fixture case starts from the same one-hot responsibilities (k-means labels), so both
//! implementations run the same deterministic iteration. Tolerance 1e-6 relative in f64 on
//! every posterior parameter, every iteration's bound, the per-row scores and the predictive
//! densities (scaled, as in `sklearn_parity`, by the array's largest magnitude · 1e-3 for
//! entries near zero); equal iteration counts, convergence flags and labels. The two compute
//! the same formulas in f64 from the same start and differ only in summation order (and our
//! statistics are sums about the data mean), ~1e-13 per iteration.

use std::path::PathBuf;

use burn::tensor::{DType, Tensor};
use mixture_core::tensor::{from_f64, to_vec_f64, to_vec_i64};
use mixture_em::{
    BayesianGaussianMixture, BayesianGaussianMixtureConfig, CovarianceType, Density, WeightPrior,
};
use serde::Deserialize;

type B = burn_ndarray::NdArray<f64>;

#[derive(Debug, Deserialize)]
struct Fixture {
    dataset: String,
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    data: Vec<f64>,
    resp_init: Vec<f64>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    covariance_type: String,
    weight_prior: String,
    weights: Vec<f64>,
    weight_concentration: Vec<f64>,
    means: Vec<f64>,
    covariances: Vec<f64>,
    precisions_cholesky: Vec<f64>,
    mean_precision: Vec<f64>,
    degrees_of_freedom: Vec<f64>,
    converged: bool,
    n_iter: usize,
    lower_bound: f64,
    lower_bounds: Vec<f64>,
    score_samples: Vec<f64>,
    predictive: Vec<f64>,
    labels: Vec<i64>,
}

fn fixture(name: &str) -> Fixture {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../fixtures/bgm/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture parses")
}

/// `|got − want| ≤ rtol · max(|want|, 1e-3 · max_j |want_j|)`, element-wise.
fn close(what: &str, got: &[f64], want: &[f64], rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs())) * 1e-3;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= rtol * w.abs().max(scale),
            "{what}[{i}]: got {g}, scikit-learn {w}"
        );
    }
}

fn replay(name: &str) {
    let f = fixture(name);
    let dev = Default::default();
    let (n, d, k) = (f.n_samples, f.n_features, f.n_components);
    let x: Tensor<B, 2> = from_f64(f.data.clone(), [n, d], &dev, DType::F64);
    let resp: Tensor<B, 2> = from_f64(f.resp_init.clone(), [n, k], &dev, DType::F64);
    assert_eq!(f.cases.len(), 8);
    for case in &f.cases {
        let what = format!(
            "{} {} {}",
            f.dataset, case.covariance_type, case.weight_prior
        );
        let config = BayesianGaussianMixtureConfig::new(k)
            .with_covariance_type(case.covariance_type.parse::<CovarianceType>().unwrap())
            .with_weight_concentration_prior_type(
                case.weight_prior.parse::<WeightPrior>().unwrap(),
            );
        let m = config.fit_from_responsibilities(&x, &resp).expect(&what);
        assert_eq!(m.n_iter(), case.n_iter, "{what}: n_iter");
        assert_eq!(m.converged(), case.converged, "{what}: converged");
        let v = |t: Tensor<B, 1>| to_vec_f64(t).unwrap();
        close(
            &format!("{what} weights"),
            &v(m.weights()),
            &case.weights,
            1e-6,
        );
        close(
            &format!("{what} weight_concentration"),
            &to_vec_f64(m.weight_concentration()).unwrap(),
            &case.weight_concentration,
            1e-6,
        );
        close(
            &format!("{what} means"),
            &to_vec_f64(m.means()).unwrap(),
            &case.means,
            1e-6,
        );
        close(
            &format!("{what} covariances"),
            &m.covariances().to_vec_f64().unwrap(),
            &case.covariances,
            1e-6,
        );
        close(
            &format!("{what} precisions_cholesky"),
            &m.precisions_cholesky().to_vec_f64().unwrap(),
            &case.precisions_cholesky,
            1e-6,
        );
        close(
            &format!("{what} mean_precision"),
            &v(m.mean_precision()),
            &case.mean_precision,
            1e-6,
        );
        close(
            &format!("{what} degrees_of_freedom"),
            &v(m.degrees_of_freedom()),
            &case.degrees_of_freedom,
            1e-6,
        );
        close(
            &format!("{what} lower_bounds"),
            m.lower_bounds(),
            &case.lower_bounds,
            1e-6,
        );
        close(
            &format!("{what} lower_bound"),
            &[m.lower_bound()],
            &[case.lower_bound],
            1e-6,
        );
        close(
            &format!("{what} score_samples"),
            &v(m.score_samples(&x).unwrap()),
            &case.score_samples,
            1e-6,
        );
        close(
            &format!("{what} predictive"),
            &v(m.score_samples_with(&x, Density::Predictive).unwrap()),
            &case.predictive,
            1e-6,
        );
        assert_eq!(
            to_vec_i64(m.predict(&x).unwrap()).unwrap(),
            case.labels,
            "{what}: labels"
        );
        // The saved model reads back to the same scores, bit for bit.
        let back = BayesianGaussianMixture::<B>::from_json(&m.to_json().unwrap(), &dev).unwrap();
        assert_eq!(
            v(back.score_samples(&x).unwrap()),
            v(m.score_samples(&x).unwrap()),
            "{what}"
        );
        assert_eq!(back.lower_bounds(), m.lower_bounds());
    }
}

#[test]
fn iris_matches_scikit_learn() {
    replay("iris");
}

#[test]
fn blobs_match_scikit_learn() {
    replay("blobs");
}

fn iris() -> Tensor<B, 2> {
    let f = fixture("iris");
    from_f64(
        f.data,
        [f.n_samples, f.n_features],
        &Default::default(),
        DType::F64,
    )
}

/// scikit-learn's `test_monotonic_likelihood`: with warm start and one iteration per call,
/// the bound never decreases.
#[test]
fn warm_start_bound_never_decreases() {
    let x = iris();
    for ct in CovarianceType::ALL {
        let config = BayesianGaussianMixtureConfig::new(4)
            .with_covariance_type(ct)
            .with_max_iter(1)
            .with_warm_start(true)
            .with_seed(0);
        let mut m = config.fit(&x).unwrap();
        let mut prev = m.lower_bound();
        for _ in 0..30 {
            m = m.refit(&x).unwrap();
            let b = m.lower_bound();
            assert!(b >= prev - 1e-9 * prev.abs(), "{ct}: {b} < {prev}");
            prev = b;
        }
    }
}

/// Translating the data translates the posterior means exactly and leaves the bound, the
/// weights and the covariances as they were (the default priors move with the data).
#[test]
fn translation_shifts_the_means() {
    let x = iris();
    let t = [3.0, -40.0, 1e3, 7.5];
    let shift: Tensor<B, 2> = from_f64(t.to_vec(), [1, 4], &Default::default(), DType::F64);
    for ct in CovarianceType::ALL {
        let config = BayesianGaussianMixtureConfig::new(3)
            .with_covariance_type(ct)
            .with_seed(1);
        let a = config.fit(&x).unwrap();
        let b = config.fit(&(x.clone() + shift.clone())).unwrap();
        let ma = to_vec_f64(a.means()).unwrap();
        let mb = to_vec_f64(b.means()).unwrap();
        for (i, (p, q)) in ma.iter().zip(&mb).enumerate() {
            assert!(
                (q - p - t[i % 4]).abs() < 1e-8 * (1.0 + t[i % 4].abs()),
                "{ct}: mean {i}"
            );
        }
        close(
            "weights",
            &to_vec_f64(b.weights()).unwrap(),
            &to_vec_f64(a.weights()).unwrap(),
            1e-8,
        );
        close("bound", &[b.lower_bound()], &[a.lower_bound()], 1e-9);
    }
}

/// The default priors are scikit-learn's: `m0` the data mean, `β0 = 1`, `ν0 = D`, `Ψ0` the
/// covariance with `ddof = 1` (or its diagonal, or its mean), `α0 = 1 / K`.
#[test]
fn default_priors_are_scikit_learns() {
    let f = fixture("iris");
    let x = iris();
    let (n, d) = (f.n_samples, f.n_features);
    // A constant column makes the default covariance prior singular; scikit-learn fits such
    // data (the posteriors add the scatter and reg_covar), and so do we.
    let mut constant = f.data.clone();
    (0..n).for_each(|i| constant[i * d + 1] = 3.0);
    let xc: Tensor<B, 2> = from_f64(constant, [n, d], &Default::default(), DType::F64);
    for ct in CovarianceType::ALL {
        BayesianGaussianMixtureConfig::new(3)
            .with_covariance_type(ct)
            .fit(&xc)
            .unwrap_or_else(|e| panic!("{ct}: {e}"));
    }
    let mean: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| f.data[i * d + j]).sum::<f64>() / n as f64)
        .collect();
    let cov: Vec<f64> = (0..d * d)
        .map(|ij| {
            let (a, b) = (ij / d, ij % d);
            (0..n)
                .map(|i| (f.data[i * d + a] - mean[a]) * (f.data[i * d + b] - mean[b]))
                .sum::<f64>()
                / (n - 1) as f64
        })
        .collect();
    for ct in CovarianceType::ALL {
        let m = BayesianGaussianMixtureConfig::new(3)
            .with_covariance_type(ct)
            .with_max_iter(1)
            .fit(&x)
            .unwrap();
        let prior = m.components().prior();
        assert_eq!(prior.mean_precision, 1.0);
        assert_eq!(prior.degrees_of_freedom, d as f64);
        close(
            "mean prior",
            &to_vec_f64(prior.mean.clone()).unwrap(),
            &mean,
            1e-12,
        );
        let diag: Vec<f64> = (0..d).map(|j| cov[j * d + j]).collect();
        let want = match ct {
            CovarianceType::Full | CovarianceType::Tied => cov.clone(),
            CovarianceType::Diag => diag.clone(),
            CovarianceType::Spherical => vec![diag.iter().sum::<f64>() / d as f64],
        };
        close(
            "covariance prior",
            &prior.covariance.to_vec_f64().unwrap(),
            &want,
            1e-12,
        );
        assert!((m.gate().concentration_prior() - 1.0 / 3.0).abs() < 1e-15);
    }
}

/// Fewer clusters than components: on the three-cluster blobs, with ten components offered,
/// the Dirichlet process keeps three above 1 % (scikit-learn, same settings: three as well,
/// plus three one-row components at 0.25 %, as our fit has one).
#[test]
fn extra_components_are_switched_off() {
    let f = fixture("blobs");
    let x: Tensor<B, 2> = from_f64(
        f.data,
        [f.n_samples, f.n_features],
        &Default::default(),
        DType::F64,
    );
    let m = BayesianGaussianMixtureConfig::new(10)
        .with_weight_concentration_prior(1e-3)
        .with_max_iter(500)
        .with_seed(0)
        .fit(&x)
        .unwrap();
    let w = to_vec_f64(m.weights()).unwrap();
    assert_eq!(m.n_effective_components(1e-2).unwrap(), 3, "{w:?}");
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(w.iter().filter(|v| **v < 1e-3).count() >= 6, "{w:?}");
    assert!(m.n_effective_components(1.5).is_err());
}

/// A 1-D predictive density integrates to one (trapezoid rule on a wide grid).
#[test]
fn the_predictive_density_integrates_to_one() {
    let rows: Vec<f64> = (0..60)
        .map(|i| if i % 3 == 0 { -2.0 } else { 3.0 } + ((i * 7) % 11) as f64 * 0.1)
        .collect();
    let dev = Default::default();
    let x: Tensor<B, 2> = from_f64(rows, [60, 1], &dev, DType::F64);
    for ct in CovarianceType::ALL {
        let m = BayesianGaussianMixtureConfig::new(3)
            .with_covariance_type(ct)
            .fit(&x)
            .unwrap();
        let (lo, hi, steps) = (-60.0, 60.0, 24_000);
        let h = (hi - lo) / steps as f64;
        let grid: Vec<f64> = (0..=steps).map(|i| lo + i as f64 * h).collect();
        let g: Tensor<B, 2> = from_f64(grid, [steps + 1, 1], &dev, DType::F64);
        let p: Vec<f64> = to_vec_f64(m.score_samples_with(&g, Density::Predictive).unwrap())
            .unwrap()
            .iter()
            .map(|v| v.exp())
            .collect();
        let total = h * (p.iter().sum::<f64>() - 0.5 * (p[0] + p[steps]));
        // Student-t tails beyond ±60 hold little mass at these degrees of freedom.
        assert!((total - 1.0).abs() < 5e-3, "{ct}: ∫ p = {total}");
    }
}

/// f32 on burn-flex against f64 on ndarray, both from the fixtures' start, after five
/// iterations: every iteration's bound against scikit-learn's to 1e-4 relative, the weights
/// and means against the f64 fit to 1e-4 (measured: 3e-6 at worst) and, for tied
/// covariances, 1e-2 (below). Five iterations, not the fixtures' 20 to 100: over a long run
/// a slowly converging fit carries f32's rounding (and the order of burn-flex's parallel
/// sums, which rayon picks under load) along its slow directions, to 1e-3 after 59
/// iterations (spherical, seen once), which says nothing about the arithmetic.
#[test]
fn f32_on_flex_follows_the_f64_fit() {
    type F = burn_flex::Flex;
    let f = fixture("iris");
    let dev = Default::default();
    let (n, d, k) = (f.n_samples, f.n_features, f.n_components);
    let x: Tensor<F, 2> = from_f64(f.data.clone(), [n, d], &dev, DType::F32);
    let resp: Tensor<F, 2> = from_f64(f.resp_init.clone(), [n, k], &dev, DType::F32);
    let x64: Tensor<B, 2> = from_f64(f.data.clone(), [n, d], &Default::default(), DType::F64);
    let resp64: Tensor<B, 2> =
        from_f64(f.resp_init.clone(), [n, k], &Default::default(), DType::F64);
    for case in &f.cases {
        let what = format!("f32 {} {}", case.covariance_type, case.weight_prior);
        let config = BayesianGaussianMixtureConfig::new(k)
            .with_covariance_type(case.covariance_type.parse().unwrap())
            .with_weight_concentration_prior_type(case.weight_prior.parse().unwrap())
            .with_max_iter(5);
        let m = config.fit_from_responsibilities(&x, &resp).expect(&what);
        let m64 = config
            .fit_from_responsibilities(&x64, &resp64)
            .expect(&what);
        assert_eq!(m.means().dtype(), DType::F32);
        // Tied covariances are formed as (Σ w (x − c)(x − c)ᵀ − Σ_k n_k m_k m_kᵀ) / N, a
        // difference that cancels most of its digits on iris (the species' means spread more
        // than the rows about them). Issue 12's per-component shift would remove that.
        let rtol = if case.covariance_type == "tied" {
            1e-2
        } else {
            1e-4
        };
        let v = |t: Tensor<B, 1>| to_vec_f64(t).unwrap();
        close(
            &format!("{what} weights"),
            &to_vec_f64(m.weights()).unwrap(),
            &v(m64.weights()),
            rtol,
        );
        close(
            &format!("{what} means"),
            &to_vec_f64(m.means()).unwrap(),
            &to_vec_f64(m64.means()).unwrap(),
            rtol,
        );
        close(
            &format!("{what} bounds"),
            m.lower_bounds(),
            &case.lower_bounds[..5],
            1e-4,
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        /// On any data: the weights sum to one, the responsibilities of every row sum to
        /// one, and the bound never decreases from one iteration to the next.
        #[test]
        fn weights_responsibilities_and_a_monotone_bound(
            n in 12usize..40,
            d in 1usize..4,
            k in 1usize..5,
            ct in 0usize..4,
            prior in 0usize..2,
            seed in 0u64..1000,
            spread in 0.1f64..10.0,
        ) {
            use rand::{rngs::StdRng, RngExt, SeedableRng};
            let mut rng = StdRng::seed_from_u64(seed);
            // Three groups of rows (every third row), uniform noise of width `spread`.
            let values: Vec<f64> = (0..n * d)
                .map(|i| (rng.random::<f64>() - 0.5) * spread + (i / d % 3) as f64 * 4.0)
                .collect();
            let x: Tensor<B, 2> = from_f64(values, [n, d], &Default::default(), DType::F64);
            let m = BayesianGaussianMixtureConfig::new(k)
                .with_covariance_type(CovarianceType::ALL[ct])
                .with_weight_concentration_prior_type(WeightPrior::ALL[prior])
                .with_seed(seed)
                .fit(&x)
                .unwrap();
            let w = to_vec_f64(m.weights()).unwrap();
            prop_assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let r = to_vec_f64(m.predict_proba(&x).unwrap()).unwrap();
            for row in r.chunks(k) {
                prop_assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            }
            for pair in m.lower_bounds().windows(2) {
                prop_assert!(pair[1] >= pair[0] - 1e-8 * pair[0].abs().max(1.0), "{:?}", m.lower_bounds());
            }
        }
    }
}

/// scikit-learn's `test_bayesian_mixture_fit_predict`: the labels of `fit_predict` are those
/// of `predict` on the fitted model.
#[test]
fn fit_predict_is_predict_after_fit() {
    let x = iris();
    for ct in CovarianceType::ALL {
        let config = BayesianGaussianMixtureConfig::new(4)
            .with_covariance_type(ct)
            .with_seed(2);
        let (model, labels) = config.fit_predict(&x).unwrap();
        assert_eq!(
            to_vec_i64(labels).unwrap(),
            to_vec_i64(model.predict(&x).unwrap()).unwrap()
        );
        let again = config.fit(&x).unwrap();
        assert_eq!(
            again.lower_bounds(),
            model.lower_bounds(),
            "{ct}: a fit is deterministic"
        );
    }
}
