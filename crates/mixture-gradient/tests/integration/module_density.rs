//! The learnable mixture's densities, covariances, floor and configuration.

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{
    Error,
    tensor::{from_f64, to_vec_f64, to_vec_i64},
};
use mixture_gradient::module::{
    Family, GaussianMixtureModule, GaussianMixtureModuleConfig, MeanInit, ScaleInit,
};

type Nd = burn_ndarray::NdArray<f64>;
type Fx = burn_flex::Flex;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

fn t2<B: Backend>(v: Vec<f64>, shape: [usize; 2], dtype: DType) -> Tensor<B, 2> {
    from_f64(v, shape, &Default::default(), dtype)
}

/// `log N(x | μ, Σ)` on the host for 2×2 `Σ` (closed-form inverse and determinant).
fn log_normal_2d(x: [f64; 2], mu: [f64; 2], s: [f64; 4]) -> f64 {
    let det = s[0] * s[3] - s[1] * s[2];
    let (a, b) = (x[0] - mu[0], x[1] - mu[1]);
    let q = (s[3] * a * a - (s[1] + s[2]) * a * b + s[0] * b * b) / det;
    -0.5 * (2.0 * LN_2PI + det.ln() + q)
}

fn full_example<B: Backend>(dtype: DType) -> GaussianMixtureModule<B> {
    GaussianMixtureModuleConfig::new(2, 2)
        .with_mean_init(MeanInit::Values(vec![0.0, 0.0, 3.0, -1.0]))
        .with_scale_init(ScaleInit::Covariances(vec![
            4.0, 3.0, 3.0, 8.0, //
            0.5, -0.2, -0.2, 0.3,
        ]))
        .with_weights_init(vec![0.25, 0.75])
        .init::<B>(&Default::default(), dtype)
        .unwrap()
}

#[test]
fn full_family_matches_the_closed_form() {
    let gmm = full_example::<Nd>(DType::F64);
    let pts = [[0.5, 0.0], [2.0, -1.5], [-3.0, 4.0]];
    let x = t2::<Nd>(pts.iter().flatten().copied().collect(), [3, 2], DType::F64);
    let comp = to_vec_f64(gmm.component_log_prob(x.clone())).unwrap();
    let lp = to_vec_f64(gmm.log_prob(x)).unwrap();
    let covs = [[4.0, 3.0, 3.0, 8.0], [0.5, -0.2, -0.2, 0.3]];
    let mus = [[0.0, 0.0], [3.0, -1.0]];
    for (i, p) in pts.iter().enumerate() {
        let c0 = log_normal_2d(*p, mus[0], covs[0]);
        let c1 = log_normal_2d(*p, mus[1], covs[1]);
        // f64 through a Cholesky and a triangular inverse: 1e-10 is ample.
        assert!((comp[2 * i] - c0).abs() < 1e-10);
        assert!((comp[2 * i + 1] - c1).abs() < 1e-10);
        let mix = (0.25 * c0.exp() + 0.75 * c1.exp()).ln();
        assert!((lp[i] - mix).abs() < 1e-10, "{} vs {mix}", lp[i]);
    }
    // The covariances come back from the precision factors.
    let cov = to_vec_f64(gmm.covariance()).unwrap();
    let want = [4.0, 3.0, 3.0, 8.0, 0.5, -0.2, -0.2, 0.3];
    for (a, b) in cov.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{cov:?}");
    }
    let var = to_vec_f64(gmm.variances()).unwrap();
    assert!((var[0] - 4.0).abs() < 1e-12 && (var[3] - 0.3).abs() < 1e-12);
    assert_eq!(gmm.n_parameters(), 1 + 4 + 6);
}

#[test]
fn full_family_in_f32_on_flex() {
    let gmm = full_example::<Fx>(DType::F32);
    let x = t2::<Fx>(vec![0.5, 0.0], [1, 2], DType::F32);
    let lp = to_vec_f64(gmm.log_prob(x)).unwrap()[0];
    let c0 = log_normal_2d([0.5, 0.0], [0.0, 0.0], [4.0, 3.0, 3.0, 8.0]);
    let c1 = log_normal_2d([0.5, 0.0], [3.0, -1.0], [0.5, -0.2, -0.2, 0.3]);
    let want = (0.25 * c0.exp() + 0.75 * c1.exp()).ln();
    // f32 relative precision 6e-8 on terms of size ~10.
    assert!((lp - want).abs() < 1e-5, "{lp} vs {want}");
}

#[test]
fn diagonal_isotropic_and_shared_match_independent_normals() {
    let x = vec![0.3, -1.2, 2.0, 0.5];
    let means = vec![0.0, 0.0, 1.0, 1.0];
    let cases: [(Family, Vec<f64>, [usize; 2]); 4] = [
        (Family::Diagonal, vec![0.0, 1.0, -0.5, 2.0], [2, 2]),
        (Family::Isotropic, vec![0.3, -1.0], [2, 1]),
        (Family::SharedIsotropic, vec![0.7], [1, 1]),
        (Family::Constant, vec![0.7], [1, 1]),
    ];
    for (family, nlv, shape) in cases {
        let gmm = GaussianMixtureModule::<Nd>::from_tensors(
            family,
            from_f64(vec![0.0, 1.0], [2], &Default::default(), DType::F64),
            t2(means.clone(), [2, 2], DType::F64),
            t2(nlv.clone(), shape, DType::F64),
            None,
            1e-6,
        )
        .unwrap();
        let comp = to_vec_f64(gmm.component_log_prob(t2(x.clone(), [2, 2], DType::F64))).unwrap();
        for n in 0..2 {
            for k in 0..2 {
                let mut want = 0.0;
                for j in 0..2 {
                    let v =
                        nlv[(k * shape[0] / 2).min(shape[0] - 1) * shape[1] + j.min(shape[1] - 1)];
                    let var = (-v).exp();
                    let r = x[2 * n + j] - means[2 * k + j];
                    want += -0.5 * (LN_2PI + var.ln() + r * r / var);
                }
                assert!((comp[2 * n + k] - want).abs() < 1e-12, "{family} n{n} k{k}");
            }
        }
        // Responsibilities sum to one; clustering is their argmax.
        let xt = t2::<Nd>(x.clone(), [2, 2], DType::F64);
        let p = to_vec_f64(gmm.predict_proba(xt.clone())).unwrap();
        assert!((p[0] + p[1] - 1.0).abs() < 1e-12 && (p[2] + p[3] - 1.0).abs() < 1e-12);
        let c = to_vec_i64(gmm.clustering(xt)).unwrap();
        assert_eq!(c[0], if p[0] > p[1] { 0 } else { 1 });
    }
}

#[test]
fn the_floor_caps_precision() {
    // neglogvar 40 would be σ = e^-20 ≈ 2e-9 < 1e-6: the densities read the floor.
    let gmm = GaussianMixtureModule::<Nd>::from_tensors(
        Family::Isotropic,
        from_f64(vec![0.0], [1], &Default::default(), DType::F64),
        t2(vec![0.0], [1, 1], DType::F64),
        t2(vec![40.0], [1, 1], DType::F64),
        None,
        1e-6,
    )
    .unwrap();
    let lp = to_vec_f64(gmm.log_prob(t2(vec![0.0], [1, 1], DType::F64))).unwrap()[0];
    assert!((lp - (-(1e-6f64).ln() - 0.5 * LN_2PI)).abs() < 1e-9, "{lp}");
    assert!((to_vec_f64(gmm.stddev()).unwrap()[0] - 1e-6).abs() < 1e-18);
    // apply_floor projects the parameter itself.
    let gmm = gmm.apply_floor();
    let v = to_vec_f64(gmm.neglogvar.val()).unwrap()[0];
    assert!((v - gmm.max_neglogvar()).abs() < 1e-12);
}

#[test]
fn configuration_errors_are_typed() {
    let dev = Default::default();
    let init = |c: GaussianMixtureModuleConfig| c.init::<Nd>(&dev, DType::F64);
    let field = |r: Result<GaussianMixtureModule<Nd>, Error>| match r {
        Err(Error::InvalidConfig { field, .. }) | Err(Error::InvalidInit { field, .. }) => field,
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("accepted"),
    };
    assert_eq!(
        field(init(GaussianMixtureModuleConfig::new(0, 2))),
        "n_components"
    );
    assert_eq!(
        field(init(
            GaussianMixtureModuleConfig::new(2, 2).with_min_std(-1.0)
        )),
        "min_std"
    );
    let c = GaussianMixtureModuleConfig::new(2, 2).with_mean_init(MeanInit::Values(vec![1.0]));
    assert_eq!(field(init(c)), "means_init");
    let c = GaussianMixtureModuleConfig::new(2, 2)
        .with_family(Family::Diagonal)
        .with_scale_init(ScaleInit::Covariances(vec![1.0; 8]));
    assert_eq!(field(init(c)), "scale_init");
    let c = GaussianMixtureModuleConfig::new(1, 2)
        .with_scale_init(ScaleInit::Covariances(vec![1.0, 2.0, 2.0, 1.0]));
    assert_eq!(field(init(c)), "covariances_init");
    let c = GaussianMixtureModuleConfig::new(2, 2).with_mean_init(MeanInit::FromData);
    assert_eq!(field(init(c)), "mean_init");
    let c = GaussianMixtureModuleConfig::new(2, 2).with_weights_init(vec![1.0, 0.0]);
    assert_eq!(field(init(c)), "weights_init");

    // Shapes in from_tensors.
    let r = GaussianMixtureModule::<Nd>::from_tensors(
        Family::Diagonal,
        from_f64(vec![0.0, 0.0], [2], &dev, DType::F64),
        t2(vec![0.0; 4], [2, 2], DType::F64),
        t2(vec![0.0; 2], [2, 1], DType::F64),
        None,
        1e-6,
    );
    assert_eq!(field(r), "neglogvar");

    // Data checks.
    let gmm = init(GaussianMixtureModuleConfig::new(2, 2)).unwrap();
    let x = t2::<Nd>(vec![0.0, f64::INFINITY], [1, 2], DType::F64);
    assert!(matches!(
        gmm.check_input(&x),
        Err(Error::NonFinite { column: 1, .. })
    ));
    let x = t2::<Nd>(vec![0.0; 3], [1, 3], DType::F64);
    assert!(matches!(
        gmm.check_input(&x),
        Err(Error::DimensionMismatch { .. })
    ));
    let x = t2::<Nd>(vec![0.0; 2], [1, 2], DType::F64);
    let c = GaussianMixtureModuleConfig::new(2, 2).with_mean_init(MeanInit::FromData);
    assert!(matches!(
        c.init_from_data(&x),
        Err(Error::TooFewSamples { .. })
    ));
}

#[test]
fn init_from_data_picks_spread_rows_and_scales() {
    // Four tight groups: k-means++ seeding puts one mean in each (with overwhelming odds).
    let mut v = Vec::new();
    for c in [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]] {
        for i in 0..10 {
            v.push(c[0] + 0.01 * i as f64);
            v.push(c[1] - 0.01 * i as f64);
        }
    }
    let x = t2::<Nd>(v, [40, 2], DType::F64);
    for family in Family::ALL {
        let gmm = GaussianMixtureModuleConfig::new(4, 2)
            .with_family(family)
            .with_mean_init(MeanInit::FromData)
            .with_scale_init(ScaleInit::FromData)
            .with_seed(7)
            .init_from_data(&x)
            .unwrap();
        let m = to_vec_f64(gmm.means.val()).unwrap();
        let mut corners: Vec<(i64, i64)> = m
            .chunks(2)
            .map(|r| ((r[0] / 5.0).round() as i64, (r[1] / 5.0).round() as i64))
            .collect();
        corners.sort();
        assert_eq!(corners, vec![(0, 0), (0, 2), (2, 0), (2, 2)], "{family}");
        // Per-feature variance 25 (unbiased: 25.6) shared by K^{2/D} = 4 components.
        let var = to_vec_f64(gmm.variances()).unwrap();
        assert!(
            var.iter().all(|v| (v - 25.6 / 4.0).abs() < 0.1),
            "{family}: {var:?}"
        );
    }
}

#[test]
fn diagonal_density_stays_accurate_in_f32_near_collapse() {
    // x ≈ μ ≈ 100 with σ = 1e-3: the expanded form x²p² − 2xμp² + μ²p² (≈ 1e10 each) loses
    // everything in f32; the residual form keeps the error at the inputs' own rounding,
    // |x|·2⁻²⁴/σ ≈ 6e-3 standard deviations, so 1e-2 nats.
    let lp = |dtype: DType| -> Vec<f64> {
        let dev = Default::default();
        let nlv = -2.0 * 1e-3f64.ln();
        let g = GaussianMixtureModule::<Fx>::from_tensors(
            Family::Diagonal,
            from_f64(vec![0.0, 0.0], [2], &dev, dtype),
            from_f64(vec![100.0, 100.001], [2, 1], &dev, dtype),
            from_f64(vec![nlv, nlv], [2, 1], &dev, dtype),
            None,
            1e-6,
        )
        .unwrap();
        let x = from_f64::<Fx, 2>(vec![100.0, 100.001, 99.999, 100.0005], [4, 1], &dev, dtype);
        to_vec_f64(g.log_prob(x)).unwrap()
    };
    let (lo, hi) = (lp(DType::F32), lp(DType::F64));
    for (a, b) in lo.iter().zip(&hi) {
        assert!((a - b).abs() < 1e-2, "f32 {lo:?} vs f64 {hi:?}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// For any diagonal mixture, the log density is the host's
        /// `log Σ_k π_k Π_j N(x_j | μ_kj, σ_kj²)` and the responsibilities sum to one.
        #[test]
        fn diagonal_log_prob_matches_host(
            k in 1usize..4,
            d in 1usize..4,
            seed in any::<u64>(),
        ) {
            use rand::{rngs::StdRng, RngExt, SeedableRng};
            let mut rng = StdRng::seed_from_u64(seed);
            let mut u = |lo: f64, hi: f64| lo + (hi - lo) * rng.random::<f64>();
            let logits: Vec<f64> = (0..k).map(|_| u(-2.0, 2.0)).collect();
            let means: Vec<f64> = (0..k * d).map(|_| u(-3.0, 3.0)).collect();
            let nlv: Vec<f64> = (0..k * d).map(|_| u(-2.0, 2.0)).collect();
            let x: Vec<f64> = (0..5 * d).map(|_| u(-4.0, 4.0)).collect();
            let g = GaussianMixtureModule::<Nd>::from_tensors(
                Family::Diagonal,
                from_f64(logits.clone(), [k], &Default::default(), DType::F64),
                t2(means.clone(), [k, d], DType::F64),
                t2(nlv.clone(), [k, d], DType::F64),
                None,
                1e-6,
            )
            .unwrap();
            let xt = t2::<Nd>(x.clone(), [5, d], DType::F64);
            let lp = to_vec_f64(g.log_prob(xt.clone())).unwrap();
            let z: f64 = logits.iter().map(|l| l.exp()).sum();
            for n in 0..5 {
                let dens: f64 = (0..k)
                    .map(|c| {
                        let mut l = (logits[c].exp() / z).ln();
                        for j in 0..d {
                            let var = (-nlv[c * d + j]).exp();
                            let r = x[n * d + j] - means[c * d + j];
                            l += -0.5 * (LN_2PI + var.ln() + r * r / var);
                        }
                        l.exp()
                    })
                    .sum();
                // f64 sums of a few terms of size ≤ 100: 1e-9 relative is ample.
                prop_assert!((lp[n] - dens.ln()).abs() < 1e-9 * (1.0 + dens.ln().abs()));
            }
            let p = to_vec_f64(g.predict_proba(xt).sum_dim(1)).unwrap();
            prop_assert!(p.iter().all(|s| (s - 1.0).abs() < 1e-12));
        }
    }
}
