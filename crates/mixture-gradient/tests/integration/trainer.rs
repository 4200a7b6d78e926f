//! The trainer: observer events, seeding, early stopping, mini-batches, learned weights,
//! priors and their weighting, and typed errors.

use crate::common::{exact_cluster, gaussian_entropy};
use burn::backend::Autodiff;
use burn::tensor::{DType, Tensor};
use mixture_core::{Error, FitEvent, tensor::from_f64, tensor::to_vec_f64};
use mixture_gradient::{
    Family, GradientMixtureConfig, MeanInit, MixturePrior, PriorWeighting, ScaleInit, SoftballPrior,
};

type Ad = Autodiff<burn_ndarray::NdArray<f64>>;

fn data(values: Vec<f64>, d: usize) -> Tensor<Ad, 2> {
    let n = values.len() / d;
    from_f64(values, [n, d], &Default::default(), DType::F64)
}

fn two_clusters() -> Tensor<Ad, 2> {
    let mut v = exact_cluster(150, &[-3.0], &[1.0], 1);
    v.extend(exact_cluster(50, &[3.0], &[1.0], 2));
    data(v, 1)
}

#[test]
fn observer_sees_every_iteration() {
    let x = two_clusters();
    let mut events: Vec<FitEvent> = Vec::new();
    let config = GradientMixtureConfig::new(2)
        .with_iterations(30)
        .with_tol(0.0);
    let (_, report) = config.fit_with(&x, &mut events).unwrap();
    assert_eq!(report.n_iter, 30);
    assert!(!report.converged);
    assert_eq!(report.loss_history.len(), 30);
    assert_eq!(events.len(), 32);
    assert!(matches!(
        events[0],
        FitEvent::InitStart { init: 0, n_init: 1 }
    ));
    match &events[5] {
        FitEvent::Iteration {
            iteration,
            value,
            max_iter,
            ..
        } => {
            assert_eq!((*iteration, *max_iter), (5, 30));
            assert_eq!(*value, report.loss_history[4]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        events[31],
        FitEvent::InitEnd {
            n_iter: 30,
            converged: false,
            ..
        }
    ));
    assert!(report.fit_seconds > 0.0);
}

#[test]
fn seeded_fits_repeat_exactly() {
    let x = two_clusters();
    let config = GradientMixtureConfig::new(2)
        .with_iterations(50)
        .with_batch_size(Some(64));
    let (_, a) = config.clone().with_seed(3).fit(&x).unwrap();
    let (_, b) = config.clone().with_seed(3).fit(&x).unwrap();
    let (_, c) = config.with_seed(4).fit(&x).unwrap();
    assert_eq!(a.loss_history, b.loss_history);
    assert_ne!(a.loss_history, c.loss_history);
}

#[test]
fn learns_the_mixing_weights() {
    let x = two_clusters();
    let (gmm, report) = GradientMixtureConfig::new(2)
        .with_family(Family::Isotropic)
        .with_iterations(800)
        .with_mixture_lr(0.05)
        .with_component_lr(0.05)
        .fit(&x)
        .unwrap();
    let mut w = to_vec_f64(gmm.mixture_probs()).unwrap();
    w.sort_by(f64::total_cmp);
    // Clusters 6σ apart hold 150 and 50 rows: weights ¼ and ¾ up to the overlap (~1e-3).
    assert!(
        (w[0] - 0.25).abs() < 5e-3 && (w[1] - 0.75).abs() < 5e-3,
        "{w:?}"
    );
    assert!(report.final_loss < report.loss_history[0]);
}

#[test]
fn early_stopping_on_tolerance() {
    let x = two_clusters();
    let (_, report) = GradientMixtureConfig::new(2)
        .with_iterations(5000)
        .with_component_lr(0.05)
        .with_tol(1e-5)
        .with_patience(5)
        .fit(&x)
        .unwrap();
    assert!(report.converged);
    assert!(report.n_iter < 5000, "{}", report.n_iter);
    let tail = &report.loss_history[report.n_iter - 5..];
    assert!(tail.windows(2).all(|w| (w[1] - w[0]).abs() < 1e-5));
}

#[test]
fn mini_batches_reach_the_full_batch_optimum() {
    let x = data(
        exact_cluster(256, &[1.0, -1.0], &[2.0, 0.5, 0.5, 1.0], 9),
        2,
    );
    let want = gaussian_entropy(&[2.0, 0.5, 0.5, 1.0], 2);
    let (_, report) = GradientMixtureConfig::new(1)
        .with_iterations(150)
        .with_batch_size(Some(32))
        .with_component_lr(0.02)
        .with_tol(0.0)
        .fit(&x)
        .unwrap();
    assert_eq!(report.n_iter, 150);
    // Noisy steps annealed to zero: within 5e-3 of the optimum (full batch gets 1e-3).
    assert!(
        (report.final_loss - want).abs() < 5e-3,
        "{} vs {want}",
        report.final_loss
    );
}

#[test]
fn constant_family_learns_means_only() {
    let x = two_clusters();
    let (gmm, _) = GradientMixtureConfig::new(2)
        .with_family(Family::Constant)
        .with_scale_init(ScaleInit::Std(0.5))
        .with_iterations(300)
        .with_component_lr(0.05)
        .fit(&x)
        .unwrap();
    let sd = to_vec_f64(gmm.stddev()).unwrap();
    assert!(sd.iter().all(|s| (s - 0.5).abs() < 1e-12), "{sd:?}");
    let mut m = to_vec_f64(gmm.means.val()).unwrap();
    m.sort_by(f64::total_cmp);
    assert!(
        (m[0] + 3.0).abs() < 0.05 && (m[1] - 3.0).abs() < 0.05,
        "{m:?}"
    );
}

#[test]
fn prior_weighting_sets_the_prior_strength() {
    // Data far outside a small softball: per sample (multiDGD) the prior counts N times per
    // pass, per dataset once, so the per-sample fit pulls the mean much closer to the ball.
    let x = data(exact_cluster(100, &[6.0], &[1.0], 5), 1);
    let fit = |w: PriorWeighting| {
        let (gmm, _) = GradientMixtureConfig::new(1)
            .with_family(Family::Diagonal)
            .with_mean_init(MeanInit::Values(vec![6.0]))
            .with_scale_init(ScaleInit::Std(1.0))
            .with_prior(MixturePrior::none().with_softball(SoftballPrior::new(2.0, 5.0)))
            .with_prior_weighting(w)
            .with_iterations(400)
            .with_component_lr(0.05)
            .fit(&x)
            .unwrap();
        to_vec_f64(gmm.means.val()).unwrap()[0]
    };
    let per_dataset = fit(PriorWeighting::PerDataset);
    let per_sample = fit(PriorWeighting::PerSample);
    // Once per dataset: the softball's gradient 5/2 · σ(5(6/2−1)) ≈ 2.5 against the data's
    // 100 · (6 − μ): μ ≈ 6 − 0.025.
    assert!((per_dataset - 5.975).abs() < 5e-3, "{per_dataset}");
    // Per sample: the prior weighs as much as the mean NLL. The variance inflates to
    // σ² = 1 + (6 − μ)² and the stationary point of (6 − μ)/σ² = 2.5·sigmoid(5(μ/2 − 1)) is
    // μ = 1.0066, inside the ball; the pull there is weak, so 400 annealed steps end within 0.1.
    assert!((per_sample - 1.0066).abs() < 0.1, "{per_sample}");
}

#[test]
fn bad_input_gives_typed_errors() {
    let x = two_clusters();
    let c = GradientMixtureConfig::new(2);
    let field = |r: Result<_, Error>| match r {
        Err(Error::InvalidConfig { field, .. }) => field,
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("accepted"),
    };
    assert_eq!(field(c.clone().with_iterations(0).fit(&x)), "iterations");
    assert_eq!(field(c.clone().with_mixture_lr(-1.0).fit(&x)), "mixture_lr");
    assert_eq!(
        field(c.clone().with_batch_size(Some(0)).fit(&x)),
        "batch_size"
    );
    assert_eq!(field(c.clone().with_min_std(0.0).fit(&x)), "min_std");
    assert_eq!(
        field(c.clone().with_betas(1.0, 0.9).fit(&x)),
        "optimizer.beta_1"
    );
    let bad_prior = MixturePrior::none().with_softball(SoftballPrior::new(-1.0, 5.0));
    assert_eq!(
        field(c.clone().with_prior(bad_prior).fit(&x)),
        "softball.radius"
    );

    let nan = data(vec![0.0, f64::NAN, 1.0], 1);
    assert!(matches!(c.fit(&nan), Err(Error::NonFinite { row: 1, .. })));
    let few = data(vec![0.0], 1);
    assert!(matches!(c.fit(&few), Err(Error::TooFewSamples { .. })));
    let (gmm, _) = c.clone().with_iterations(2).fit(&x).unwrap();
    let wide = data(vec![0.0, 1.0], 2);
    let r = c.fit_module(gmm, &wide, &mut mixture_core::NoopObserver);
    assert!(matches!(r, Err(Error::DimensionMismatch { .. })));
}

#[test]
fn stepwise_training_equals_one_shot() {
    let x = two_clusters();
    let config = GradientMixtureConfig::new(2)
        .with_iterations(40)
        .with_tol(0.0)
        .with_seed(1);
    let (_, whole) = config.fit(&x).unwrap();
    let module = config.init_module(&x).unwrap();
    let mut trainer = mixture_gradient::GradientTrainer::new(&config, module, &x).unwrap();
    let mut chunks = 0;
    while !trainer.is_done() {
        assert_eq!(
            trainer
                .iterate(15, &mut mixture_core::NoopObserver)
                .unwrap(),
            15.min(40 - 15 * chunks)
        );
        chunks += 1;
    }
    assert_eq!(chunks, 3);
    let (_, report) = trainer.finish(&mut mixture_core::NoopObserver).unwrap();
    assert_eq!(report.loss_history, whole.loss_history);
    assert_eq!(report.final_loss, whole.final_loss);
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<GradientMixtureConfig>();
    send_sync::<mixture_gradient::GradientReport>();
    send_sync::<mixture_gradient::GaussianMixtureModule<Ad>>();
    send_sync::<mixture_gradient::RepresentationLayer<Ad>>();
    send_sync::<mixture_gradient::SupervisedGaussianMixture<Ad>>();
    send_sync::<MixturePrior>();
    fn send<T: Send>() {}
    send::<mixture_gradient::GradientTrainer<Ad>>();
}

#[test]
fn fits_start_where_em_starts_and_reach_its_optimum() {
    use mixture_em::{CovarianceType, GaussianMixtureConfig};
    // Two clusters of 150 and 50 rows: EM's start (k-means) has the 3:1 weights already.
    let x = two_clusters();
    let inner = x.clone().inner();
    for (family, covariance_type) in [
        (Family::Full, CovarianceType::Full),
        (Family::Diagonal, CovarianceType::Diag),
        (Family::Isotropic, CovarianceType::Spherical),
    ] {
        let config = GradientMixtureConfig::new(2)
            .with_family(family)
            .with_iterations(300)
            .with_component_lr(0.02);
        assert_eq!(config.module.mean_init, MeanInit::KMeans, "the default");
        let (w0, m0, _) = GaussianMixtureConfig::new(2)
            .with_covariance_type(covariance_type)
            .initial_parameters(&inner)
            .unwrap();
        let module = config.init_module(&x).unwrap();
        let close = |a: Vec<f64>, b: Vec<f64>| a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 1e-9);
        assert!(close(
            to_vec_f64(module.means.val().inner()).unwrap(),
            to_vec_f64(m0).unwrap()
        ));
        let w = to_vec_f64(module.mixture_probs()).unwrap();
        assert!(close(w.clone(), to_vec_f64(w0).unwrap()), "{w:?}");
        assert!((w[0].max(w[1]) - 0.75).abs() < 1e-9, "{w:?}");
        // Trained from there, the loss ends at EM's optimum on the same data (to 1e-4).
        let (_, report) = config.fit(&x).unwrap();
        let em = GaussianMixtureConfig::new(2)
            .with_covariance_type(covariance_type)
            .with_tol(1e-10)
            .fit(&inner)
            .unwrap();
        let em_loss = -em.score(&inner).unwrap();
        assert!(
            report.final_loss <= em_loss + 1e-4,
            "{family:?}: {} vs EM {em_loss}",
            report.final_loss
        );
    }
}
