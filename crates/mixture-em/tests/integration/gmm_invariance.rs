//! The fit commutes with the symmetries of the data (issue 12, item 5): translating the rows
//! translates the means and leaves the likelihood alone; scaling them by `s` scales the
//! parameters and moves the mean log-likelihood by exactly `−D · ln s`; permuting the features
//! permutes the parameters. Each pair of fits starts from parameters transformed the same way
//! (k-means would too in exact arithmetic, but its labels can flip on round-off, which is not
//! what these tests are about), runs 30 EM iterations, and compares.
//!
//! Tolerances, f64 on flex: the statistics are sums about the data's mean, so a translation by
//! `c` costs `ε · |c| / spread` relative in the centred data (2e-10 at `|c|` = 10⁶ spreads), and
//! 30 iterations amplify that modestly; 1e-6 relative leaves room and is still far below what
//! a wrong statistic changes. Scaling and permuting are exact up to summation order (1e-9).
//! f32 (the library computes in the dtype it is given): a translation of 10³ spreads costs
//! `6e-8 · 10³` of the spread in the cast alone, so the f32 test keeps `|c|` ≤ 10³ spreads at
//! 1e-2 relative; larger offsets need the data centred before the cast (the command line's
//! `--dtype auto` moves such data to f64).

use burn::tensor::{DType, Tensor};
use mixture_core::tensor::{from_f64, to_vec_f64};
use mixture_em::{CovarianceType, GaussianMixture, GaussianMixtureConfig};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng, rngs::StdRng};

type F = burn_flex::Flex;

const K: usize = 3;
const ITERATIONS: usize = 30;

/// Three separated blobs, `n` rows × `d` features, spread about 1.
fn blobs(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n * d)
        .map(|i| {
            let centre = ((i / d) % K) as f64 * 5.0 - 5.0 + (i % d) as f64;
            centre + rng.random::<f64>() + rng.random::<f64>() - 1.0
        })
        .collect()
}

fn tensor(v: &[f64], d: usize, dtype: DType) -> Tensor<F, 2> {
    from_f64(v.to_vec(), [v.len() / d, d], &Default::default(), dtype)
}

/// The precisions of a start with unit variances scaled by `1/s²`, for `ct`.
fn precisions(ct: CovarianceType, d: usize, s: f64) -> Vec<f64> {
    let p = 1.0 / (s * s);
    let eye = |m: usize| -> Vec<f64> {
        (0..m * d * d)
            .map(|i| {
                if (i % (d * d)).is_multiple_of(d + 1) {
                    p
                } else {
                    0.0
                }
            })
            .collect()
    };
    match ct {
        CovarianceType::Full => eye(K),
        CovarianceType::Tied => eye(1),
        CovarianceType::Diag => vec![p; K * d],
        CovarianceType::Spherical => vec![p; K],
    }
}

/// A fit of `x` (`[n, d]`) from the given means and precisions, `ITERATIONS` EM iterations.
fn fit(
    x: &[f64],
    d: usize,
    ct: CovarianceType,
    means: Vec<f64>,
    precisions: Vec<f64>,
    reg_covar: f64,
    dtype: DType,
) -> GaussianMixture<F> {
    GaussianMixtureConfig::new(K)
        .with_covariance_type(ct)
        .with_reg_covar(reg_covar)
        .with_tol(0.0)
        .with_max_iter(ITERATIONS)
        .with_weights_init(vec![1.0 / K as f64; K])
        .with_means_init(means)
        .with_precisions_init(precisions)
        .fit(&tensor(x, d, dtype))
        .unwrap()
}

/// The first row of each blob: a start that every transformation below maps to itself.
fn start(x: &[f64], d: usize) -> Vec<f64> {
    x[..K * d].to_vec()
}

fn cov_type() -> impl Strategy<Value = CovarianceType> {
    prop::sample::select(CovarianceType::ALL.to_vec())
}

fn close(a: f64, b: f64, rel: f64, scale: f64) -> bool {
    (a - b).abs() <= rel * (scale + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn translating_the_data_translates_the_means(
        seed in 0u64..1000, d in 1usize..4, ct in cov_type(),
        exponent in 0i32..7, sign in prop::sample::select(vec![-1.0, 1.0]),
    ) {
        let n = 60;
        let x = blobs(n, d, seed);
        // A different offset per feature, up to 10⁶ spreads.
        let offset: Vec<f64> = (0..d).map(|j| sign * 10f64.powi(exponent) * (1.0 + j as f64)).collect();
        let moved: Vec<f64> = x.iter().enumerate().map(|(i, v)| v + offset[i % d]).collect();
        let a = fit(&x, d, ct, start(&x, d), precisions(ct, d, 1.0), 1e-6, DType::F64);
        let b = fit(&moved, d, ct, start(&moved, d), precisions(ct, d, 1.0), 1e-6, DType::F64);
        let (sa, sb) = (a.score(&tensor(&x, d, DType::F64)).unwrap(), b.score(&tensor(&moved, d, DType::F64)).unwrap());
        prop_assert!(close(sa, sb, 1e-6, 1.0), "score {sa} vs {sb}");
        let (ma, mb) = (to_vec_f64(a.means()).unwrap(), to_vec_f64(b.means()).unwrap());
        for (i, (p, q)) in ma.iter().zip(&mb).enumerate() {
            prop_assert!(close(p + offset[i % d], *q, 1e-6, 1.0 + offset[i % d].abs() * 1e-9),
                "mean {i}: {p} + {} vs {q}", offset[i % d]);
        }
        let (ca, cb) = (a.covariances().to_vec_f64().unwrap(), b.covariances().to_vec_f64().unwrap());
        for (p, q) in ca.iter().zip(&cb) {
            prop_assert!(close(*p, *q, 1e-6, 1.0), "covariance {p} vs {q}");
        }
    }

    #[test]
    fn scaling_the_data_moves_the_score_by_d_ln_s(
        seed in 0u64..1000, d in 1usize..4, ct in cov_type(), exponent in -3i32..4,
    ) {
        let n = 60;
        let s = 10f64.powf(exponent as f64 / 2.0);
        let x = blobs(n, d, seed);
        let scaled: Vec<f64> = x.iter().map(|v| v * s).collect();
        // reg_covar is a variance: it scales by s² too, so that the problem is the same one.
        let a = fit(&x, d, ct, start(&x, d), precisions(ct, d, 1.0), 1e-6, DType::F64);
        let b = fit(&scaled, d, ct, start(&scaled, d), precisions(ct, d, s), 1e-6 * s * s, DType::F64);
        let sa = a.score(&tensor(&x, d, DType::F64)).unwrap();
        let sb = b.score(&tensor(&scaled, d, DType::F64)).unwrap();
        let want = sa - d as f64 * s.ln();
        prop_assert!(close(sb, want, 1e-9, 1.0), "score {sb}, expected {want}");
        let (ma, mb) = (to_vec_f64(a.means()).unwrap(), to_vec_f64(b.means()).unwrap());
        for (p, q) in ma.iter().zip(&mb) {
            prop_assert!(close(p * s, *q, 1e-9, s), "mean {p}·{s} vs {q}");
        }
    }

    #[test]
    fn permuting_the_features_permutes_the_fit(
        seed in 0u64..1000, d in 2usize..5, ct in cov_type(), rotate in 1usize..4,
    ) {
        let n = 60;
        let x = blobs(n, d, seed);
        // Feature j of the permuted data is feature (j + rotate) mod d of the original.
        let from = |j: usize| (j + rotate) % d;
        let permuted: Vec<f64> = (0..n * d).map(|i| x[(i / d) * d + from(i % d)]).collect();
        let a = fit(&x, d, ct, start(&x, d), precisions(ct, d, 1.0), 1e-6, DType::F64);
        let b = fit(&permuted, d, ct, start(&permuted, d), precisions(ct, d, 1.0), 1e-6, DType::F64);
        let sa = a.score(&tensor(&x, d, DType::F64)).unwrap();
        let sb = b.score(&tensor(&permuted, d, DType::F64)).unwrap();
        prop_assert!(close(sa, sb, 1e-9, 1.0), "score {sa} vs {sb}");
        let (ma, mb) = (to_vec_f64(a.means()).unwrap(), to_vec_f64(b.means()).unwrap());
        for k in 0..K {
            for j in 0..d {
                prop_assert!(close(ma[k * d + from(j)], mb[k * d + j], 1e-9, 1.0));
            }
        }
    }

    #[test]
    fn translations_in_f32_up_to_a_thousand_spreads(
        seed in 0u64..1000, d in 1usize..4, ct in cov_type(), exponent in 0i32..4,
    ) {
        let n = 60;
        let x = blobs(n, d, seed);
        let c = 10f64.powi(exponent);
        let moved: Vec<f64> = x.iter().map(|v| v + c).collect();
        let a = fit(&x, d, ct, start(&x, d), precisions(ct, d, 1.0), 1e-6, DType::F32);
        let b = fit(&moved, d, ct, start(&moved, d), precisions(ct, d, 1.0), 1e-6, DType::F32);
        let sa = a.score(&tensor(&x, d, DType::F32)).unwrap();
        let sb = b.score(&tensor(&moved, d, DType::F32)).unwrap();
        prop_assert!(close(sa, sb, 1e-2, 1.0), "score {sa} vs {sb} at offset {c}");
    }
}

/// Data far from the origin, fitted in f32 the way the command line does it: centred on the
/// host in f64, cast, fitted, and the saved model moved back (`persist::translate`). The
/// moved model, read in f64, gives the raw data the likelihood, labels and probabilities the
/// f32 model gave the centred data (to f32's rounding of those scores, 1e-5 relative), for a
/// Gaussian mixture (each covariance type), a variational one and k-means; and the locations
/// are exact in the user's units. Casting the raw data to f32 instead cannot even tell the
/// rows apart at this offset.
#[test]
fn an_f32_fit_of_host_centred_data_moves_back_exactly() {
    use mixture_em::persist::translate;
    use mixture_em::{
        BayesianGaussianMixture, BayesianGaussianMixtureConfig, KMeans, KMeansConfig,
    };
    let d = 2;
    let centred = blobs(300, d, 7);
    let offset = [1e8, -3e7];
    let raw: Vec<f64> = centred
        .iter()
        .enumerate()
        .map(|(i, v)| v + offset[i % d])
        .collect();
    let x32 = tensor(&centred, d, DType::F32);
    let x64 = tensor(&raw, d, DType::F64);
    let dev = Default::default();
    let labels = |t: Tensor<F, 1, burn::tensor::Int>| mixture_core::tensor::to_vec_i64(t).unwrap();
    for ct in [
        CovarianceType::Full,
        CovarianceType::Tied,
        CovarianceType::Diag,
        CovarianceType::Spherical,
    ] {
        let model = GaussianMixtureConfig::new(K)
            .with_covariance_type(ct)
            .fit(&x32)
            .unwrap();
        let moved = translate(&model.to_json().unwrap(), &offset).unwrap();
        let wide = GaussianMixture::<F>::from_json_as(&moved, &dev, DType::F64).unwrap();
        let (a, b) = (model.score(&x32).unwrap(), wide.score(&x64).unwrap());
        assert!(close(a, b, 1e-5, 1.0), "{ct:?}: {a} vs {b}");
        assert_eq!(
            labels(model.predict(&x32).unwrap()),
            labels(wide.predict(&x64).unwrap())
        );
        let means = to_vec_f64(model.means()).unwrap();
        let moved_means = to_vec_f64(wide.means()).unwrap();
        for (i, (m, w)) in means.iter().zip(&moved_means).enumerate() {
            assert_eq!(
                *w,
                m + offset[i % d],
                "{ct:?}: the means move by the offset, in f64"
            );
        }
    }
    let bgm = BayesianGaussianMixtureConfig::new(K).fit(&x32).unwrap();
    let moved = translate(&bgm.to_json().unwrap(), &offset).unwrap();
    let wide = BayesianGaussianMixture::<F>::from_json_as(&moved, &dev, DType::F64).unwrap();
    let (a, b) = (bgm.score(&x32).unwrap(), wide.score(&x64).unwrap());
    assert!(close(a, b, 1e-5, 1.0), "variational: {a} vs {b}");
    assert_eq!(
        labels(bgm.predict(&x32).unwrap()),
        labels(wide.predict(&x64).unwrap())
    );
    let km = KMeansConfig::new(K).fit(&x32).unwrap();
    let moved = translate(&km.to_json().unwrap(), &offset).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&moved).unwrap();
    let centroids: Vec<f64> = serde_json::from_value(doc["centroids"].clone()).unwrap();
    for (i, (c, m)) in to_vec_f64(km.centroids())
        .unwrap()
        .iter()
        .zip(&centroids)
        .enumerate()
    {
        assert_eq!(*m, c + offset[i % d]);
    }
    let km64 = KMeans::<F>::from_json(&moved.replace("\"f32\"", "\"f64\""), &dev).unwrap();
    assert_eq!(
        labels(km.predict(&x32).unwrap()),
        labels(km64.predict(&x64).unwrap())
    );
    // A regression has no location to move.
    let experts = format!(
        r#"{{"format": "{}", "version": 1, "dtype": "f32"}}"#,
        mixture_em::persist::ModelKind::MixtureOfExperts.format()
    );
    let e = translate(&experts, &offset).unwrap_err().to_string();
    assert!(e.contains("no location to move"), "{e}");
    // The plain cast: at 1e8, f32's spacing is 8, larger than the blobs' whole layout.
    let cast: Vec<f64> = raw.iter().map(|&v| f64::from(v as f32)).collect();
    let distinct: std::collections::BTreeSet<i64> =
        cast.iter().step_by(d).map(|&v| v as i64).collect();
    assert!(distinct.len() <= 3, "{distinct:?}");
}
