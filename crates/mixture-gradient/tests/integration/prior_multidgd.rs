//! multiDGD's priors and loss: the reference values of anchors.md §3.4, recomputed there from
//! multiDGD's `_gmm.py` formulas in double precision.

use burn::tensor::{DType, Tensor};
use mixture_core::{
    LogPrior,
    tensor::{from_f64, to_vec_f64},
};
use mixture_gradient::module::{Family, GaussianMixtureModule, PriorWeighting};
use mixture_gradient::prior::{DirichletPrior, LogVariancePrior, MixturePrior, SoftballPrior};

type Nd = burn_ndarray::NdArray<f64>;
type Fx = burn_flex::Flex;

/// f64 end to end: the anchors have eight decimals, the sums involved are O(10).
const TOL_F64: f64 = 1e-7;
/// f32: a few ulps of values of size ~10.
const TOL_F32: f64 = 1e-4;

fn scalar<B: burn::tensor::backend::Backend>(t: Tensor<B, 1>) -> f64 {
    to_vec_f64(t).unwrap()[0]
}

/// The K = 2 example: isotropic, means (0,0) and (1,1), σ² = 1 and 0.25, uniform weights.
fn example<B: burn::tensor::backend::Backend>(dtype: DType) -> GaussianMixtureModule<B> {
    let dev = Default::default();
    GaussianMixtureModule::from_tensors(
        Family::Isotropic,
        from_f64::<B, 1>(vec![0.0, 0.0], [2], &dev, dtype),
        from_f64::<B, 2>(vec![0.0, 0.0, 1.0, 1.0], [2, 2], &dev, dtype),
        from_f64::<B, 2>(vec![0.0, 4f64.ln()], [2, 1], &dev, dtype),
        None,
        1e-6,
    )
    .unwrap()
}

fn multidgd_prior() -> MixturePrior {
    // softball(radius 2, sharpness 5), sd_init (0.5, 1), α = 1.
    MixturePrior::multidgd(2.0, 5.0, 0.5, 1.0, 1.0)
}

#[test]
fn softball_log_prob_matches_anchor() {
    let dev = Default::default();
    let z = from_f64::<Nd, 2>(vec![0.0, 0.0, 1.0, 1.0], [2, 2], &dev, DType::F64);
    let lp = to_vec_f64(SoftballPrior::new(2.0, 5.0).log_prob(z)).unwrap();
    assert!((lp[0] - -2.53773960).abs() < TOL_F64, "{}", lp[0]);
    assert!((lp[1] - -2.73901469).abs() < TOL_F64, "{}", lp[1]);
}

#[test]
fn prior_and_forward_match_anchor_f64() {
    let gmm = example::<Nd>(DType::F64);
    let prior = multidgd_prior();
    assert!((scalar(prior.log_prior(&gmm)) - -8.07553738).abs() < TOL_F64);

    let dev = Default::default();
    let x = from_f64::<Nd, 2>(vec![0.5, 0.0, 0.0, 0.0], [2, 2], &dev, DType::F64);
    let nll = to_vec_f64(gmm.forward(x.clone())).unwrap();
    assert!((nll[0] - 2.33971248).abs() < TOL_F64, "{}", nll[0]);
    assert!((nll[1] - 2.46032112).abs() < TOL_F64, "{}", nll[1]);
    let fwd = to_vec_f64(gmm.forward_with_prior(x.clone(), &prior)).unwrap();
    assert!((fwd[0] - 10.41524985).abs() < TOL_F64, "{}", fwd[0]);
    assert!((fwd[1] - 10.53585850).abs() < TOL_F64, "{}", fwd[1]);

    // PerSample weighting: the mean of multiDGD's per-row forward.
    let scale = PriorWeighting::PerSample.scale(2, 2);
    let loss = scalar(gmm.loss(x.clone(), Some(&prior), scale));
    assert!((loss - (10.41524985 + 10.53585850) / 2.0).abs() < TOL_F64);
    // PerBatch: the prior once for the two rows.
    let scale = PriorWeighting::PerBatch.scale(2, 2);
    let loss = scalar(gmm.loss(x, Some(&prior), scale));
    let want = (2.33971248 + 2.46032112 + 8.07553738) / 2.0;
    assert!((loss - want).abs() < TOL_F64, "{loss} vs {want}");
}

#[test]
fn prior_and_forward_match_anchor_f32_on_flex() {
    let gmm = example::<Fx>(DType::F32);
    let prior = multidgd_prior();
    assert!((scalar(prior.log_prior(&gmm)) - -8.07553738).abs() < TOL_F32);
    let dev = Default::default();
    let x = from_f64::<Fx, 2>(vec![0.5, 0.0, 0.0, 0.0], [2, 2], &dev, DType::F32);
    let fwd = to_vec_f64(gmm.forward_with_prior(x, &prior)).unwrap();
    assert!((fwd[0] - 10.41524985).abs() < TOL_F32, "{}", fwd[0]);
    assert!((fwd[1] - 10.53585850).abs() < TOL_F32, "{}", fwd[1]);
}

#[test]
fn parts_add_up_and_each_is_optional() {
    let gmm = example::<Nd>(DType::F64);
    let soft = scalar(SoftballPrior::new(2.0, 5.0).log_prior(&gmm));
    assert!((soft - (-2.53773960 - 2.73901469)).abs() < TOL_F64);
    // N(0 | 2 ln 2, 1) + N(ln 4 | 2 ln 2, 1): −½ ln 2π − ½ (2 ln 2)² and −½ ln 2π.
    let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
    let want = -2.0 * half_ln_2pi - 0.5 * (2.0 * 2f64.ln()).powi(2);
    let lv = scalar(LogVariancePrior::from_std(0.5, 1.0).log_prior(&gmm));
    assert!((lv - want).abs() < 1e-12);
    // Dirichlet(1) on two weights: lgamma(2) − 2 lgamma(1) = 0.
    assert!(scalar(DirichletPrior::new(1.0).log_prior(&gmm)).abs() < 1e-12);
    // Dirichlet(3) on (½, ½): lgamma(6) − 2 lgamma(3) + 2 · 2 ln ½ = ln 120 − 2 ln 2 − 4 ln 2.
    let want = 120f64.ln() - 6.0 * 2f64.ln();
    assert!((scalar(DirichletPrior::new(3.0).log_prior(&gmm)) - want).abs() < 1e-10);
    assert_eq!(scalar(MixturePrior::none().log_prior(&gmm)), 0.0);
    let sum = scalar(multidgd_prior().log_prior(&gmm));
    assert!((sum - (soft + lv)).abs() < 1e-12);
}

#[test]
fn softball_gradient_is_finite_at_the_origin() {
    type Ad = burn::backend::Autodiff<Nd>;
    let dev = Default::default();
    let z = from_f64::<Ad, 2>(vec![0.0, 0.0], [1, 2], &dev, DType::F64).require_grad();
    let lp = SoftballPrior::new(2.0, 5.0).log_prob(z.clone()).sum();
    let grads = lp.backward();
    let g = to_vec_f64(z.grad(&grads).unwrap()).unwrap();
    assert_eq!(g, vec![0.0, 0.0]);
}

#[test]
fn invalid_priors_are_rejected() {
    assert!(SoftballPrior::new(0.0, 5.0).validate().is_err());
    assert!(SoftballPrior::new(2.0, f64::NAN).validate().is_err());
    assert!(LogVariancePrior::new(0.0, 0.0).validate().is_err());
    assert!(DirichletPrior::new(-1.0).validate().is_err());
    let p = MixturePrior::none().with_dirichlet(DirichletPrior::new(0.0));
    assert!(p.validate().is_err());
    assert!(multidgd_prior().validate().is_ok());
}

#[test]
fn softball_samples_stay_in_the_ball() {
    let dev = Default::default();
    let z = SoftballPrior::new(2.0, 5.0).sample::<Nd>(500, 3, &dev, DType::F64, 1);
    let norms = to_vec_f64(z.square().sum_dim(1)).unwrap();
    assert!(norms.iter().all(|v| v.sqrt() <= 2.0 + 1e-12));
    // Uniform in the ball: E‖z‖² = r² d/(d+2) = 4·3/5 = 2.4; sd of the mean ≈ 0.05.
    let mean = norms.iter().sum::<f64>() / 500.0;
    assert!((mean - 2.4).abs() < 0.2, "{mean}");
}
