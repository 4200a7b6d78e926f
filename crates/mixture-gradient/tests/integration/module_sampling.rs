//! Sampling from the learnable mixture, the supervised variant, the representation layer,
//! and gradients under `Autodiff`.

use burn::backend::Autodiff;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::{DType, Int, Tensor, TensorData, backend::Backend};
use mixture_core::{
    Error,
    logsumexp::logsumexp,
    tensor::{from_f64, to_vec_f64, to_vec_i64},
};
use mixture_gradient::module::{
    Family, GaussianMixtureModule, GaussianMixtureModuleConfig, MeanInit, NewPoints,
    RepresentationLayer, ScaleInit, SupervisedGaussianMixture, SupervisedSample,
};

type Nd = burn_ndarray::NdArray<f64>;
type Fx = burn_flex::Flex;

fn gmm<B: Backend>(family: Family, dtype: DType) -> GaussianMixtureModule<B> {
    let scale = match family {
        Family::Full => ScaleInit::Covariances(vec![4.0, 1.5, 1.5, 1.0, 0.25, 0.0, 0.0, 0.25]),
        _ => ScaleInit::Std(0.5),
    };
    GaussianMixtureModuleConfig::new(2, 2)
        .with_family(family)
        .with_mean_init(MeanInit::Values(vec![-5.0, 0.0, 5.0, 2.0]))
        .with_scale_init(scale)
        .with_weights_init(vec![0.3, 0.7])
        .init::<B>(&Default::default(), dtype)
        .unwrap()
}

/// Mean and (biased) covariance of the rows of an `[n, 2]` host matrix.
fn moments(v: &[f64]) -> ([f64; 2], [f64; 4]) {
    let n = v.len() as f64 / 2.0;
    let m = [
        v.chunks(2).map(|r| r[0]).sum::<f64>() / n,
        v.chunks(2).map(|r| r[1]).sum::<f64>() / n,
    ];
    let mut c = [0.0; 4];
    for r in v.chunks(2) {
        let d = [r[0] - m[0], r[1] - m[1]];
        c[0] += d[0] * d[0] / n;
        c[1] += d[0] * d[1] / n;
        c[2] += d[1] * d[0] / n;
        c[3] += d[1] * d[1] / n;
    }
    (m, c)
}

#[test]
fn samples_follow_the_mixture() {
    let g = gmm::<Nd>(Family::Full, DType::F64);
    let n = 20_000;
    let (x, labels) = g.sample(n, 11);
    let x = to_vec_f64(x).unwrap();
    let labels = to_vec_i64(labels).unwrap();
    // Weight of component 1: 0.7, binomial sd 0.0032 → 5 sd.
    let frac = labels.iter().filter(|&&l| l == 1).count() as f64 / n as f64;
    assert!((frac - 0.7).abs() < 0.016, "{frac}");
    // Component 0's rows: mean (−5, 0), covariance [[4, 1.5], [1.5, 1]]; with ~6000 draws
    // the mean's sd is ≤ 0.026 and a covariance entry's ≤ 0.08 → tolerances 0.1 and 0.3.
    let rows: Vec<f64> = x
        .chunks(2)
        .zip(&labels)
        .filter(|&(_, &l)| l == 0)
        .flat_map(|(r, _)| r.to_vec())
        .collect();
    let (m, c) = moments(&rows);
    assert!((m[0] + 5.0).abs() < 0.1 && m[1].abs() < 0.1, "{m:?}");
    for (a, b) in c.iter().zip([4.0, 1.5, 1.5, 1.0]) {
        assert!((a - b).abs() < 0.3, "{c:?}");
    }
    // Same seed, same draw; another seed, another draw.
    let draw = |seed| to_vec_f64(g.sample(5, seed).0).unwrap();
    assert_eq!(draw(11), draw(11));
    assert_ne!(draw(11), draw(12));
}

#[test]
fn component_samples_and_new_points() {
    for family in [Family::Full, Family::Diagonal] {
        let g = gmm::<Fx>(family, DType::F32);
        let n = 4000;
        let s = g.component_sample(n, 3);
        assert_eq!(s.dims(), [n, 2, 2]);
        let v = to_vec_f64(s).unwrap();
        // Component 1 (mean (5, 2), sd 0.5): sd of the mean 0.008.
        let c1: Vec<f64> = v.chunks(4).flat_map(|r| r[2..4].to_vec()).collect();
        let (m, c) = moments(&c1);
        assert!(
            (m[0] - 5.0).abs() < 0.04 && (m[1] - 2.0).abs() < 0.04,
            "{family}: {m:?}"
        );
        assert!(
            (c[0] - 0.25).abs() < 0.03 && c[1].abs() < 0.03,
            "{family}: {c:?}"
        );

        let means = g.sample_new_points(NewPoints::Mean, 7, 0);
        assert_eq!(to_vec_f64(means).unwrap(), vec![-5.0, 0.0, 5.0, 2.0]);
        let pts = g.sample_new_points(NewPoints::Sample, 3, 0);
        assert_eq!(pts.dims(), [6, 2]);
    }
}

#[test]
fn supervised_mixture_groups_components_per_class() {
    // Two classes × two components.
    let dev = Default::default();
    let inner = GaussianMixtureModuleConfig::new(4, 1)
        .with_family(Family::Isotropic)
        .with_mean_init(MeanInit::Values(vec![-6.0, -4.0, 4.0, 6.0]))
        .with_weights_init(vec![0.1, 0.3, 0.2, 0.4])
        .init::<Nd>(&dev, DType::F64)
        .unwrap();
    let sup = SupervisedGaussianMixture::new(inner.clone(), 2, 2).unwrap();
    assert!(SupervisedGaussianMixture::new(inner.clone(), 3, 2).is_err());

    let x = from_f64::<Nd, 2>(vec![-5.0, 5.0, 0.0], [3, 1], &dev, DType::F64);
    let class_lp = sup.class_log_prob(x.clone());
    // Classes partition the mixture: logsumexp over classes is the mixture's log density.
    let total = to_vec_f64(logsumexp(class_lp.clone())).unwrap();
    let mix = to_vec_f64(inner.log_prob(x.clone())).unwrap();
    for (a, b) in total.iter().zip(&mix) {
        assert!((a - b).abs() < 1e-12);
    }
    // Labelled rows score log p(x, c); a negative label scores log p(x).
    let labels = SupervisedGaussianMixture::<Nd>::labels_tensor(&[Some(0), Some(1), None], &dev);
    let lp = to_vec_f64(sup.log_prob(x.clone(), Some(labels))).unwrap();
    let cl = to_vec_f64(class_lp).unwrap();
    assert!((lp[0] - cl[0]).abs() < 1e-12);
    assert!((lp[1] - cl[3]).abs() < 1e-12);
    assert!((lp[2] - mix[2]).abs() < 1e-12);
    // By hand for row 0 (x = −5, σ = 1): log(0.1 N(−5|−6) + 0.3 N(−5|−4)) = log(0.4 N(1)).
    let want = (0.4f64).ln() - 0.5 - 0.5 * (2.0 * std::f64::consts::PI).ln();
    assert!((lp[0] - want).abs() < 1e-12, "{} vs {want}", lp[0]);

    assert_eq!(to_vec_i64(sup.predict_class(x)).unwrap()[..2], [0, 1]);
    let within = to_vec_f64(sup.label_mixture_probs()).unwrap();
    for (a, b) in within.iter().zip([0.25, 0.75, 1.0 / 3.0, 2.0 / 3.0]) {
        assert!((a - b).abs() < 1e-12);
    }
    let cp = to_vec_f64(sup.class_probs()).unwrap();
    assert!((cp[0] - 0.4).abs() < 1e-12);

    // Sampling by label stays in the label's components.
    let pts = sup
        .supervised_sampling(&[0, 1, 1, 0], SupervisedSample::Mean, 5)
        .unwrap();
    let pts = to_vec_f64(pts).unwrap();
    assert!(pts[0] < 0.0 && pts[1] > 0.0 && pts[2] > 0.0 && pts[3] < 0.0);
    assert!(pts.iter().all(|p| [-6.0, -4.0, 4.0, 6.0].contains(p)));
    let r = sup.supervised_sampling(&[2], SupervisedSample::Random, 5);
    assert!(matches!(
        r,
        Err(Error::InvalidConfig {
            field: "labels",
            ..
        })
    ));
    let bad = Tensor::<Nd, 1, Int>::from_data(TensorData::new(vec![0i64, 2], [2]), &dev);
    assert!(sup.check_labels(&bad, 2).is_err());
}

#[test]
fn representation_layer_looks_up_and_learns() {
    type Ad = Autodiff<Fx>;
    let dev = Default::default();
    let layer = RepresentationLayer::<Ad>::zeros(5, 2, &dev, DType::F32);
    assert_eq!((layer.n_samples(), layer.dim()), (5, 2));
    let g = gmm::<Ad>(Family::Diagonal, DType::F32);
    let from_means = RepresentationLayer::from_mixture(&g, 6, NewPoints::Mean, 1);
    let z = to_vec_f64(from_means.all()).unwrap();
    assert!(z.chunks(2).all(|r| r == [-5.0, 0.0] || r == [5.0, 2.0]));

    // A mixture prior on the representations: a step moves the indexed rows only, towards
    // the components (the prior's gradient), and leaves the others untouched.
    let idx = Tensor::<Ad, 1, Int>::from_data(TensorData::new(vec![1i64, 3], [2]), &dev);
    let loss = g.forward(layer.forward(idx)).mean();
    let grads = GradientsParams::from_grads(loss.backward(), &layer);
    let mut opt = AdamConfig::new().init::<Ad, RepresentationLayer<Ad>>();
    let layer = opt.step(0.1, layer, grads);
    let z = to_vec_f64(layer.all()).unwrap();
    assert_eq!(&z[0..2], &[0.0, 0.0]);
    assert!(z[2] != 0.0 && z[6] != 0.0);
    assert_eq!(layer.num_params(), 10);
}

#[test]
fn every_learned_parameter_gets_a_gradient() {
    type Ad = Autodiff<Nd>;
    let dev = Default::default();
    let x = from_f64::<Ad, 2>(
        vec![0.0, 1.0, -2.0, 0.5, 4.0, 1.5],
        [3, 2],
        &dev,
        DType::F64,
    );
    for family in Family::ALL {
        let g = gmm::<Ad>(family, DType::F64);
        let loss = g.forward(x.clone()).mean();
        let mut grads = loss.backward();
        let ids = g.component_param_ids();
        let gp = GradientsParams::from_params(&mut grads, &g, &ids);
        assert_eq!(gp.len(), ids.len(), "{family}");
        assert_eq!(
            ids.len(),
            match family {
                Family::Full => 3,
                Family::Constant => 1,
                _ => 2,
            }
        );
        let gw = GradientsParams::from_params(&mut grads, &g, &g.mixture_param_ids());
        assert_eq!(gw.len(), 1, "{family}");
        let gm: Tensor<Nd, 2> = gp.get(g.means.id).unwrap();
        assert!(to_vec_f64(gm).unwrap().iter().all(|v| v.is_finite()));
    }
}
