//! No panic is reachable from the public fit and predict API on bad user input: every
//! estimator's `fit` and every fitted model's predictions are fed empty data, NaN, a wrong
//! width, mismatched or missing targets and more components than rows, and each must return
//! a typed error (caught panics fail the test with the input that caused them).

use std::panic::{AssertUnwindSafe, catch_unwind};

use burn::tensor::{DType, Tensor};
use mixture_core::{Error, Result, tensor::from_f64};
use mixture_em::{
    GaussianMixtureConfig, KMeansConfig, MixtureOfExpertsConfig, experts::two_planes,
};

type N = burn_ndarray::NdArray<f64>;

fn t(values: Vec<f64>, shape: [usize; 2]) -> Tensor<N, 2> {
    from_f64(values, shape, &Default::default(), DType::F64)
}

/// Runs `f`, which must return an error (not panic, not succeed); returns it.
fn refused<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Error {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(_)) => panic!("{what}: accepted"),
        Ok(Err(e)) => e,
        Err(_) => panic!("{what}: panicked instead of returning an error"),
    }
}

/// Bad data sets for a model fitted on `d` columns, with the error each must give.
fn bad_inputs(d: usize) -> Vec<(&'static str, Tensor<N, 2>)> {
    let mut nan = vec![0.5; 4 * d];
    nan[d + 1] = f64::NAN;
    let mut inf = vec![0.5; 4 * d];
    inf[0] = f64::INFINITY;
    vec![
        ("empty rows", t(Vec::new(), [0, d])),
        ("empty columns", t(Vec::new(), [4, 0])),
        ("NaN", t(nan, [4, d])),
        ("infinity", t(inf, [4, d])),
        ("wrong width", t(vec![0.5; 4 * (d + 1)], [4, d + 1])),
    ]
}

#[test]
fn gaussian_mixture_and_kmeans_refuse_bad_input() {
    let data = two_planes(60, 5.0, 1);
    let x = t(data.x, [60, 2]);
    let gmm = GaussianMixtureConfig::new(2).fit(&x).unwrap();
    let km = KMeansConfig::new(2).fit(&x).unwrap();
    for (what, bad) in bad_inputs(2) {
        // Predictions: every bad input, the wrong width included.
        refused(what, || gmm.predict(&bad));
        refused(what, || gmm.predict_proba(&bad));
        refused(what, || gmm.score_samples(&bad));
        refused(what, || gmm.score(&bad));
        refused(what, || gmm.bic(&bad));
        refused(what, || km.predict(&bad));
        refused(what, || km.transform(&bad));
        refused(what, || km.score(&bad));
        if what != "wrong width" {
            // A fit takes any width; the rest are errors.
            refused(what, || GaussianMixtureConfig::new(2).fit(&bad));
            refused(what, || KMeansConfig::new(2).fit(&bad));
        }
    }
    // More components than rows.
    let few = t(vec![0.0, 1.0, 2.0, 3.0], [2, 2]);
    let e = refused("K > N", || GaussianMixtureConfig::new(3).fit(&few));
    assert!(matches!(e, Error::TooFewSamples { .. }), "{e}");
    let e = refused("K > N", || KMeansConfig::new(3).fit(&few));
    assert!(matches!(e, Error::TooFewSamples { .. }), "{e}");
    // Weights of the wrong length, negative or all zero.
    for (what, w) in [
        ("short weights", vec![1.0; 59]),
        ("negative weight", [vec![-1.0], vec![1.0; 59]].concat()),
        ("zero weights", vec![0.0; 60]),
    ] {
        let n = w.len();
        let w: Tensor<N, 1> = from_f64(w, [n], &Default::default(), DType::F64);
        refused(what, || GaussianMixtureConfig::new(2).fit_weighted(&x, &w));
    }
}

#[test]
fn mixture_of_experts_refuses_bad_input() {
    let data = two_planes(60, 5.0, 2);
    let x = t(data.x, [60, 2]);
    let y = t(data.y, [60, 1]);
    let moe = MixtureOfExpertsConfig::new(2)
        .with_max_iter(5)
        .fit(&x, &y)
        .unwrap();
    for (what, bad) in bad_inputs(2) {
        refused(what, || moe.predict(&bad));
        refused(what, || moe.predict_distribution(&bad));
        let rows = bad.dims()[0];
        let y_bad = t(vec![0.0; rows], [rows, 1]);
        refused(what, || moe.score(&bad, &y_bad));
        if what != "wrong width" {
            refused(what, || MixtureOfExpertsConfig::new(2).fit(&bad, &y_bad));
        }
    }
    // Targets with another number of rows, or none at all (an empty target matrix).
    let short = t(vec![0.0; 59], [59, 1]);
    let e = refused("short y", || MixtureOfExpertsConfig::new(2).fit(&x, &short));
    assert!(matches!(e, Error::DimensionMismatch { .. }), "{e}");
    refused("short y", || moe.score(&x, &short));
    refused("no target columns", || {
        MixtureOfExpertsConfig::new(2).fit(&x, &t(Vec::new(), [60, 0]))
    });
    let e = refused("K > N", || {
        MixtureOfExpertsConfig::new(3).fit(&t(vec![0.0; 4], [2, 2]), &t(vec![0.0; 2], [2, 1]))
    });
    assert!(matches!(e, Error::TooFewSamples { .. }), "{e}");
}

#[test]
fn variational_mixture_refuses_bad_input() {
    use mixture_em::{BayesianGaussianMixtureConfig, Density};
    let data = two_planes(60, 5.0, 1);
    let x = t(data.x, [60, 2]);
    let bgm = BayesianGaussianMixtureConfig::new(3).fit(&x).unwrap();
    for (what, bad) in bad_inputs(2) {
        refused(what, || bgm.predict(&bad));
        refused(what, || bgm.predict_proba(&bad));
        refused(what, || bgm.score_samples(&bad));
        refused(what, || bgm.score_samples_with(&bad, Density::Predictive));
        refused(what, || bgm.score(&bad));
        if what != "wrong width" {
            refused(what, || BayesianGaussianMixtureConfig::new(2).fit(&bad));
        } else {
            // A warm start continues from the fitted posteriors: the width must match.
            let warm = BayesianGaussianMixtureConfig::new(3)
                .with_warm_start(true)
                .fit(&x)
                .unwrap();
            refused(what, || warm.refit(&bad));
        }
    }
    let few = t(vec![0.0, 1.0, 2.0, 3.0], [2, 2]);
    let e = refused("K > N", || BayesianGaussianMixtureConfig::new(3).fit(&few));
    assert!(matches!(e, Error::TooFewSamples { .. }), "{e}");
    // Priors out of range or of the wrong size, and bad initial responsibilities.
    let base = BayesianGaussianMixtureConfig::new(2);
    for (what, config) in [
        (
            "ν0 ≤ D − 1",
            base.clone().with_degrees_of_freedom_prior(0.5),
        ),
        ("β0 = 0", base.clone().with_mean_precision_prior(0.0)),
        ("α0 < 0", base.clone().with_weight_concentration_prior(-1.0)),
        (
            "mean prior of 3",
            base.clone().with_mean_prior(vec![0.0; 3]),
        ),
        (
            "covariance prior of 3",
            base.clone().with_covariance_prior(vec![1.0; 3]),
        ),
        (
            "covariance prior not PD",
            base.clone().with_covariance_prior(vec![1.0, 2.0, 2.0, 1.0]),
        ),
    ] {
        let e = refused(what, || config.fit(&x));
        assert!(matches!(e, Error::InvalidConfig { .. }), "{what}: {e}");
    }
    let wrong = t(vec![0.5; 60 * 3], [60, 3]);
    refused("responsibilities of K + 1", || {
        base.fit_from_responsibilities(&x, &wrong)
    });
    let negative = t(vec![-0.5; 60 * 2], [60, 2]);
    refused("negative responsibilities", || {
        base.fit_from_responsibilities(&x, &negative)
    });
    assert!(bgm.sample(0, 0).is_err());
}
