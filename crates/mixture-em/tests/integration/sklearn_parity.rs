//! Parity with scikit-learn's `GaussianMixture` on the committed fixtures.
//!
//! `fixtures/gmm/*.json` are written by `fixtures/scripts/gmm_fixtures.py` (scikit-learn and
//! numpy versions recorded in each file): iris (150×4) and a seeded 400×3 set, K = 3, every
//! covariance type, each fitted twice (tol 1e-3 / max_iter 100 and tol 1e-10 / max_iter 500)
//! from explicit `weights_init`, `means_init` and `precisions_init`, so the fit draws nothing
//! at random and replays exactly.
//!
//! We replay each fit with the same initial parameters and settings and compare every fitted
//! attribute: weights, means, covariances, precisions, their Cholesky factors, `n_iter`,
//! `converged`, the lower bound of every iteration, `score`, `bic`, `aic`, the number of
//! free parameters and the predicted labels of the training data.
//!
//! Backends: `NdArray<f64>` and Flex with f64 data (both at 1e-6 relative, the issue's
//! target), and Flex with f32 data at a looser, justified tolerance (see [`F32`]).

use std::path::PathBuf;

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::tensor::{from_f64, to_vec_f64, to_vec_i64};
use mixture_em::{GaussianMixture, GaussianMixtureConfig};
use mixture_experts::CovarianceType;
use serde::Deserialize;

/// One fixture file: a data set, a covariance type, the initial parameters and the fits.
#[derive(Debug, Deserialize)]
struct Fixture {
    sklearn_version: String,
    dataset: String,
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    covariance_type: String,
    reg_covar: f64,
    data: Vec<f64>,
    weights_init: Vec<f64>,
    means_init: Vec<f64>,
    precisions_init: Vec<f64>,
    runs: Vec<Run>,
}

/// scikit-learn's fitted attributes for one setting of `tol` and `max_iter`.
#[derive(Debug, Deserialize)]
struct Run {
    name: String,
    tol: f64,
    max_iter: usize,
    weights: Vec<f64>,
    means: Vec<f64>,
    covariances: Vec<f64>,
    precisions: Vec<f64>,
    precisions_cholesky: Vec<f64>,
    converged: bool,
    n_iter: usize,
    lower_bound: f64,
    lower_bounds: Vec<f64>,
    score: f64,
    bic: f64,
    aic: f64,
    n_parameters: usize,
    labels: Vec<i64>,
}

/// How close a replay must come to scikit-learn.
#[derive(Debug, Clone, Copy)]
struct Tolerance {
    /// Relative tolerance on parameter arrays, measured against the array's largest
    /// magnitude (see [`close`]).
    params: f64,
    /// Relative tolerance on the scalars `score`, `bic`, `aic` and the lower bounds.
    scalars: f64,
    /// Training points whose predicted label may differ from scikit-learn's.
    label_mismatches: usize,
    /// Whether the `tight` runs (tol 1e-10) are replayed.
    tight_runs: bool,
}

/// f64 on either backend: the 1e-6 relative, on parameters and scalars alike; the
/// same iteration count, convergence flag and every label.
///
/// Both implementations compute the same formulas in f64 from the same start; what differs is
/// summation order and whether a covariance is formed around the mean or from sufficient
/// statistics. On these data that costs at most ~1e-13 relative per iteration, and the EM map
/// is contracting near the optimum, so 1e-6 leaves orders of magnitude of room while still
/// catching any formula difference (reg_covar placement, the 10·eps in nk, a biased vs
/// unbiased variance, a wrong M-step order all show up at 1e-4 or more).
const F64: Tolerance = Tolerance {
    params: 1e-6,
    scalars: 1e-6,
    label_mismatches: 0,
    tight_runs: true,
};

/// f32 data on Flex: 1e-3 relative on parameters, 2e-5 on scalars, at most one label flip,
/// default runs only.
///
/// f32 has a unit roundoff of 6e-8. The covariances are formed from sums over 150–400 rows of
/// values up to ~8 (iris), so the sums carry ~1e-6 relative error, and precisions amplify
/// that by the covariance's condition number (up to ~1e3 for iris's full covariances):
/// ~1e-4 after a few iterations (measured: 1.5e-4 at worst, iris full precisions). 1e-3
/// bounds that with a factor 7 of room. The scalars are means of log-densities; for diag and
/// spherical covariances the log-density is expanded, as in scikit-learn, into
/// x²/σ² − 2xμ/σ² + μ²/σ², terms of ~1e3 on iris that cancel to ~1, so each point keeps
/// ~1e3 · 6e-8 = 6e-5 absolute error and the mean a few 1e-6 relative (measured: 4e-6 at
/// worst, iris diag); 2e-5 leaves a factor 5. A point within ~1e-5 of a decision boundary
/// may flip, hence one label (none flip today). The `tight` runs stop when the bound changes
/// by less than 1e-10, below f32's resolution of a bound near 1 (1.2e-7), so their iteration
/// count is meaningless in f32 and they are skipped; the default runs' iteration counts and
/// convergence flags must still match (their last changes sit ≥ 1e-4 away from tol).
const F32: Tolerance = Tolerance {
    params: 1e-3,
    scalars: 2e-5,
    label_mismatches: 1,
    tight_runs: false,
};

fn fixtures() -> Vec<(String, Fixture)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/gmm");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let out: Vec<(String, Fixture)> = paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read fixture");
            let fixture: Fixture = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("parsing {}: {e}", p.display()));
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, fixture)
        })
        .collect();
    // Two data sets × four covariance types.
    assert_eq!(out.len(), 8, "expected 8 fixtures in {}", dir.display());
    out
}

/// `|got − want| ≤ rtol · max(|want|, max_j |want_j|·1e-3)`, element-wise.
///
/// Plain relative error is meaningless for entries that are (nearly) zero by structure, such
/// as the off-diagonal of a precision Cholesky factor or a tiny covariance entry next to large
/// ones, so each entry's scale is floored at 1e-3 of the array's largest magnitude.
fn close(what: &str, got: &[f64], want: &[f64], rtol: f64, failures: &mut Vec<String>) {
    if got.len() != want.len() {
        failures.push(format!("{what}: length {} != {}", got.len(), want.len()));
        return;
    }
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut worst = (0.0f64, 0usize);
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs() / w.abs().max(1e-3 * scale).max(f64::MIN_POSITIVE);
        if !(err <= worst.0) {
            worst = (err, j);
        }
    }
    if !(worst.0 <= rtol) {
        let j = worst.1;
        failures.push(format!(
            "{what}: relative error {:.3e} > {rtol:e} at [{j}] (got {}, want {})",
            worst.0, got[j], want[j]
        ));
    }
}

fn close_scalar(what: &str, got: f64, want: f64, rtol: f64, failures: &mut Vec<String>) {
    close(what, &[got], &[want], rtol, failures);
}

fn covariance_type(name: &str) -> CovarianceType {
    name.parse()
        .unwrap_or_else(|e| panic!("covariance type {name}: {e}"))
}

/// Replays one fixture run on backend `B` with data of `dtype`; returns the failures.
fn replay<B: Backend>(
    name: &str,
    fx: &Fixture,
    run: &Run,
    device: &B::Device,
    dtype: DType,
    tol: Tolerance,
) -> Vec<String> {
    let tag = format!("{name}/{} ({dtype:?})", run.name);
    let mut failures = Vec::new();
    let x: Tensor<B, 2> = from_f64(
        fx.data.clone(),
        [fx.n_samples, fx.n_features],
        device,
        dtype,
    );
    let config = GaussianMixtureConfig::new(fx.n_components)
        .with_covariance_type(covariance_type(&fx.covariance_type))
        .with_tol(run.tol)
        .with_reg_covar(fx.reg_covar)
        .with_max_iter(run.max_iter)
        .with_weights_init(fx.weights_init.clone())
        .with_means_init(fx.means_init.clone())
        .with_precisions_init(fx.precisions_init.clone());
    let gm: GaussianMixture<B> = match config.fit(&x) {
        Ok(gm) => gm,
        Err(e) => return vec![format!("{tag}: fit failed: {e}")],
    };
    let f = &mut failures;
    let p = tol.params;
    let s = tol.scalars;
    let tagged = |what: &str| format!("{tag}: {what}");

    if gm.n_iter() != run.n_iter {
        f.push(tagged(&format!(
            "n_iter {} != sklearn {}",
            gm.n_iter(),
            run.n_iter
        )));
    }
    if gm.converged() != run.converged {
        f.push(tagged(&format!(
            "converged {} != sklearn {}",
            gm.converged(),
            run.converged
        )));
    }
    if gm.n_parameters() != run.n_parameters {
        f.push(tagged(&format!(
            "n_parameters {} != sklearn {}",
            gm.n_parameters(),
            run.n_parameters
        )));
    }
    let read = |t: Tensor<B, 1>| to_vec_f64(t).expect("read back");
    let read2 = |t: Tensor<B, 2>| to_vec_f64(t).expect("read back");
    close(&tagged("weights"), &read(gm.weights()), &run.weights, p, f);
    close(&tagged("means"), &read2(gm.means()), &run.means, p, f);
    let cov = gm.covariances().to_vec_f64().expect("read back");
    close(&tagged("covariances"), &cov, &run.covariances, p, f);
    let prec = gm.precisions().to_vec_f64().expect("read back");
    close(&tagged("precisions"), &prec, &run.precisions, p, f);
    let chol = gm.precisions_cholesky().to_vec_f64().expect("read back");
    close(
        &tagged("precisions_cholesky"),
        &chol,
        &run.precisions_cholesky,
        p,
        f,
    );

    close_scalar(
        &tagged("lower_bound"),
        gm.lower_bound(),
        run.lower_bound,
        s,
        f,
    );
    if gm.lower_bounds().len() == run.lower_bounds.len() {
        close(
            &tagged("lower_bounds"),
            gm.lower_bounds(),
            &run.lower_bounds,
            s,
            f,
        );
    } else {
        f.push(tagged(&format!(
            "{} lower bounds != sklearn {}",
            gm.lower_bounds().len(),
            run.lower_bounds.len()
        )));
    }
    match gm.score(&x) {
        Ok(v) => close_scalar(&tagged("score"), v, run.score, s, f),
        Err(e) => f.push(tagged(&format!("score failed: {e}"))),
    }
    match gm.bic(&x) {
        Ok(v) => close_scalar(&tagged("bic"), v, run.bic, s, f),
        Err(e) => f.push(tagged(&format!("bic failed: {e}"))),
    }
    match gm.aic(&x) {
        Ok(v) => close_scalar(&tagged("aic"), v, run.aic, s, f),
        Err(e) => f.push(tagged(&format!("aic failed: {e}"))),
    }
    match gm.predict(&x).map(|l| to_vec_i64(l).expect("read back")) {
        Ok(labels) if labels.len() == run.labels.len() => {
            let wrong = labels
                .iter()
                .zip(&run.labels)
                .filter(|(a, b)| a != b)
                .count();
            if wrong > tol.label_mismatches {
                f.push(tagged(&format!(
                    "{wrong} of {} predicted labels differ from sklearn (allowed {})",
                    labels.len(),
                    tol.label_mismatches
                )));
            }
        }
        Ok(labels) => f.push(tagged(&format!(
            "{} labels for {} rows",
            labels.len(),
            fx.n_samples
        ))),
        Err(e) => f.push(tagged(&format!("predict failed: {e}"))),
    }
    failures
}

/// Replays every fixture (and every run the tolerance allows) and reports all failures.
fn check_all<B: Backend>(device: &B::Device, dtype: DType, tol: Tolerance) {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, fx) in fixtures() {
        assert!(
            fx.sklearn_version.starts_with('1'),
            "{name}: sklearn {}",
            fx.sklearn_version
        );
        assert_eq!(
            fx.data.len(),
            fx.n_samples * fx.n_features,
            "{name}/{}",
            fx.dataset
        );
        for run in &fx.runs {
            if run.name == "tight" && !tol.tight_runs {
                continue;
            }
            failures.extend(replay::<B>(&name, &fx, run, device, dtype, tol));
            replayed += 1;
        }
    }
    let expected = if tol.tight_runs { 16 } else { 8 };
    assert_eq!(replayed, expected, "fits replayed");
    assert!(
        failures.is_empty(),
        "{} mismatches with scikit-learn:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ndarray_f64_matches_sklearn() {
    let device = Default::default();
    check_all::<burn_ndarray::NdArray<f64>>(&device, DType::F64, F64);
}

#[test]
fn flex_f64_matches_sklearn() {
    let device = Default::default();
    check_all::<burn_flex::Flex>(&device, DType::F64, F64);
}

#[test]
fn flex_f32_matches_sklearn_within_f32_tolerance() {
    let device = Default::default();
    check_all::<burn_flex::Flex>(&device, DType::F32, F32);
}

/// The fitted model keeps the data's dtype: an f64 fit on Flex is an f64 model.
#[test]
fn flex_f64_fit_stays_f64() {
    let (_, fx) = fixtures().into_iter().next().expect("a fixture");
    let device = Default::default();
    let x: Tensor<burn_flex::Flex, 2> = from_f64(
        fx.data.clone(),
        [fx.n_samples, fx.n_features],
        &device,
        DType::F64,
    );
    let gm = GaussianMixtureConfig::new(fx.n_components)
        .with_covariance_type(covariance_type(&fx.covariance_type))
        .with_means_init(fx.means_init.clone())
        .with_weights_init(fx.weights_init.clone())
        .with_precisions_init(fx.precisions_init.clone())
        .fit(&x)
        .expect("fit");
    assert_eq!(gm.means().dtype(), DType::F64);
    assert_eq!(gm.weights().dtype(), DType::F64);
}
