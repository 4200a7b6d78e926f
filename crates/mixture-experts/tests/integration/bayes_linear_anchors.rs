//! Bayesian linear experts against MixtureLib's `EachModelLinear` (anchors.md §3.1) and
//! closed forms.

use burn::tensor::{DType, Tensor};
use mixture_core::{
    Batch, Components,
    tensor::{from_f64, to_vec_f64},
};
use mixture_experts::{
    BayesianLinear, BayesianLinearConfig, Learned, LinearStats, Prior, PriorType,
};

type N = burn_ndarray::NdArray<f64>;
type F = burn_flex::Flex;

fn t2<B: burn::tensor::backend::Backend>(
    v: &[f64],
    shape: [usize; 2],
    dtype: DType,
) -> Tensor<B, 2> {
    from_f64(v.to_vec(), shape, &Default::default(), dtype)
}

fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}[{i}]: got {g}, want {w} (tol {tol})"
        );
    }
}

/// MixtureLib's `HP['beta']` is a noise variance; it uses `β = 1 / (beta + 1e-6)`, hence the
/// initial noise variance `1 + 1e-6` below.
///
/// The deterministic hand case of anchors.md §3.1: X = [[1,0],[0,1],[1,1]], Y = [1,2,3],
/// Z = 1, β = 1/(1+1e-6), A = diag(1, 1), w0 = 0.
fn hand_case(learn: Learned) -> (BayesianLinear<N>, Batch<N>, LinearStats<N>) {
    let x = t2::<N>(&[1.0, 0.0, 0.0, 1.0, 1.0, 1.0], [3, 2], DType::F64);
    let y = t2::<N>(&[1.0, 2.0, 3.0], [3, 1], DType::F64);
    let config = BayesianLinearConfig::new(1, 2)
        .with_intercept(false)
        .with_prior(PriorType::Diag)
        .with_noise_variance(1.0 + 1e-6)
        .with_learn(learn);
    let mut experts = config.init(&x).unwrap();
    let batch = Batch::new(x.clone()).with_targets(y);
    let stats = experts
        .statistics(&batch, x.clone().slice([0..3, 0..1]).ones_like())
        .unwrap();
    experts.update(stats.clone());
    (experts, batch, stats)
}

#[test]
fn hand_case_posterior_log_likelihood_and_prior_update_match_mixturelib() {
    // Learn A and w0 but not β, so that the log-likelihood below uses MixtureLib's β.
    let learn = Learned {
        prior_covariance: true,
        prior_mean: true,
        noise: false,
    };
    let (experts, batch, stats) = hand_case(learn);
    // anchors give 8 significant digits (float32 recomputation); f64 here.
    let tol = 1e-7;
    close(
        &to_vec_f64(experts.covariance()).unwrap(),
        &[0.37500022, -0.12500003, -0.12500003, 0.37500022],
        tol,
        "B",
    );
    close(
        &to_vec_f64(experts.mean()).unwrap(),
        &[0.87499984, 1.37499959],
        tol,
        "W",
    );
    let ll = to_vec_f64(experts.log_likelihood(&batch).unwrap()).unwrap();
    close(
        &ll,
        &[-1.11425147, -1.30175151, -1.45018911],
        tol,
        "log-likelihood expectation",
    );
    // OptimizeHyperParameters('beta') = mean over rows of the expected squared error.
    let err = to_vec_f64(experts.weighted_squared_error(&stats)).unwrap();
    close(&[err[0] / 3.0], &[0.73958407], tol, "beta term");
    // M-step: A ← B + (W − w0)(W − w0)ᵀ with the old w0 = 0 (diagonal), then w0 ← W.
    match experts.prior() {
        Prior::Diag(a) => close(
            &to_vec_f64(a.clone()).unwrap(),
            &[1.14062495, 2.26562410],
            1e-6,
            "A",
        ),
        other => panic!("{other:?}"),
    }
    close(
        &to_vec_f64(experts.prior_mean()).unwrap(),
        &[0.87499984, 1.37499959],
        tol,
        "w0",
    );
}

#[test]
fn hand_case_noise_update_is_the_mean_expected_squared_error() {
    let (experts, _, _) = hand_case(Learned::all());
    // Z = 1 for all three rows, so 1/β = Σ r e / Σ r = MixtureLib's beta term.
    close(
        &to_vec_f64(experts.noise_variance()).unwrap(),
        &[0.73958407],
        1e-7,
        "1/β",
    );
}

/// The first case of anchors.md §3.1 (torch seed 42 tensors): W = 1e-5·[..], B = I, β from
/// HP beta = 1.
#[test]
fn seed_42_log_likelihood_expectation_and_beta_term() {
    let x = t2::<N>(
        &[
            0.23446236550807953,
            0.23033303022384644,
            -1.1228563785552979,
            -0.18632829189300537,
        ],
        [2, 2],
        DType::F64,
    );
    let y = t2::<N>(
        &[2.2082014083862305, -0.637997031211853],
        [2, 1],
        DType::F64,
    );
    let z = t2::<N>(
        &[0.46165722608566284, 0.2673508822917938],
        [2, 1],
        DType::F64,
    );
    let w: Vec<f64> = vec![1e-5 * 0.33669036626815796, 1e-5 * 0.12880940735340118];
    let config = BayesianLinearConfig::new(1, 2)
        .with_intercept(false)
        .with_prior(PriorType::Full)
        .with_noise_variance(1.0 + 1e-6);
    let mut experts = config.init(&x).unwrap();
    let mean = from_f64::<N, 3>(w, [1, 2, 1], &Default::default(), DType::F64);
    let eye = experts.covariance(); // B = I: the initial A
    experts.set_posterior(mean, eye).unwrap();
    let (pred, _) = experts.predict(&x);
    close(
        &to_vec_f64(pred).unwrap(),
        &[1.0861027703867876e-06, -4.020557753392495e-06],
        1e-12,
        "forward",
    );
    let batch = Batch::new(x.clone()).with_targets(y);
    let ll = to_vec_f64(experts.log_likelihood(&batch).unwrap()).unwrap();
    // the test values are float32 results: 1e-6
    close(
        &ll,
        &[-3.4110240936279297, -1.7702181339263916],
        1e-6,
        "log-likelihood expectation",
    );
    let stats = experts.statistics(&batch, z.clone()).unwrap();
    let err = to_vec_f64(experts.weighted_squared_error(&stats)).unwrap();
    // MixtureLib divides by the rows passed in (2), not by Σ z: the test asserts 1.38 (2 d.p.).
    assert!(
        (err[0] / 2.0 - 1.378080).abs() < 1e-5,
        "beta term {}",
        err[0] / 2.0
    );
    let stats0 = experts.statistics(&batch, z.zeros_like()).unwrap();
    assert_eq!(
        to_vec_f64(experts.weighted_squared_error(&stats0)).unwrap(),
        vec![0.0]
    );
}

/// Without a prior the update is weighted least squares: interpolation on two rows
/// (MixtureLib's test rounds the predictions to [2, 0]).
#[test]
fn no_prior_interpolates_and_matches_weighted_least_squares() {
    let x = t2::<N>(
        &[
            0.23446236550807953,
            0.23033303022384644,
            -1.1228563785552979,
            -0.18632829189300537,
        ],
        [2, 2],
        DType::F64,
    );
    let y = t2::<N>(
        &[2.2082014083862305, -0.637997031211853],
        [2, 1],
        DType::F64,
    );
    let z = t2::<N>(
        &[0.46165722608566284, 0.2673508822917938],
        [2, 1],
        DType::F64,
    );
    let mut experts = BayesianLinearConfig::new(1, 2)
        .with_intercept(false)
        .with_prior(PriorType::None)
        .init(&x)
        .unwrap();
    let batch = Batch::new(x.clone()).with_targets(y.clone());
    let check = experts.update(experts.statistics(&batch, z).unwrap());
    let (pred, _) = experts.predict(&x);
    close(
        &to_vec_f64(pred).unwrap(),
        &to_vec_f64(y).unwrap(),
        1e-10,
        "interpolation",
    );
    // the weight check reports Σ r (no prior: an empty expert is an error)
    close(
        &to_vec_f64(check.weight.expect("no prior: weights are checked")).unwrap(),
        &[0.46165722608566284 + 0.2673508822917938],
        1e-12,
        "Σr",
    );
}

/// Several outputs and an intercept: noiseless data is recovered exactly, per expert, and
/// the f32 (Flex) and f64 (NdArray) paths agree.
#[test]
fn several_outputs_with_intercept_recover_the_generating_weights() {
    // two experts; rows 0..6 follow expert 0, rows 6..12 expert 1
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut resp = Vec::new();
    for i in 0..12 {
        let a = (i as f64 * 0.7).sin() * 2.0;
        let b = (i as f64 * 1.3).cos();
        xs.extend([a, b]);
        if i < 6 {
            ys.extend([1.0 + 2.0 * a - b, -0.5 + 0.5 * b]);
            resp.extend([1.0, 0.0]);
        } else {
            ys.extend([3.0 - a + 4.0 * b, 2.0 * a]);
            resp.extend([0.0, 1.0]);
        }
    }
    let want = [
        // expert 0: rows (x1, x2, 1) × outputs
        2.0, 0.0, -1.0, 0.5, 1.0, -0.5, // expert 1
        -1.0, 2.0, 4.0, 0.0, 3.0, 0.0,
    ];
    for dtype in [DType::F64, DType::F32] {
        let (got, tol) = if dtype == DType::F64 {
            let x = t2::<N>(&xs, [12, 2], dtype);
            let y = t2::<N>(&ys, [12, 2], dtype);
            let r = t2::<N>(&resp, [12, 2], dtype);
            let mut e = BayesianLinearConfig::new(2, 2)
                .with_n_outputs(2)
                .with_prior(PriorType::None)
                .init(&x)
                .unwrap();
            let batch = Batch::new(x).with_targets(y);
            e.update(e.statistics(&batch, r).unwrap());
            (to_vec_f64(e.mean()).unwrap(), 1e-9)
        } else {
            let x = t2::<F>(&xs, [12, 2], dtype);
            let y = t2::<F>(&ys, [12, 2], dtype);
            let r = t2::<F>(&resp, [12, 2], dtype);
            let mut e = BayesianLinearConfig::new(2, 2)
                .with_n_outputs(2)
                .with_prior(PriorType::None)
                .init(&x)
                .unwrap();
            let batch = Batch::new(x).with_targets(y);
            e.update(e.statistics(&batch, r).unwrap());
            // f32: normal equations on O(1) data lose ~1e-6 relative
            (to_vec_f64(e.mean()).unwrap(), 1e-3)
        };
        close(&got, &want, tol, "weights");
    }
}

/// The Bayesian posterior, KL and predictive variance against a direct f64 computation for a
/// full prior with nonzero mean.
#[test]
fn full_prior_posterior_and_kl_match_closed_forms() {
    let xs = [0.5, -1.0, 1.5, 2.0, -0.3, 0.8, 1.1, 0.1];
    let ys = [1.0, 2.5, -0.5, 0.7];
    let x = t2::<N>(&xs, [4, 2], DType::F64);
    let y = t2::<N>(&ys, [4, 1], DType::F64);
    let a = [2.0, 0.5, 0.5, 1.0];
    let w0 = [0.3, -0.2];
    let beta = 2.0;
    let config = BayesianLinearConfig::new(1, 2)
        .with_intercept(false)
        .with_prior(PriorType::Full)
        .with_learn(Learned::none());
    let dev = Default::default();
    let prior = Prior::Full(from_f64::<N, 3>(a.to_vec(), [1, 2, 2], &dev, DType::F64));
    let w0t = from_f64::<N, 3>(w0.to_vec(), [1, 2, 1], &dev, DType::F64);
    let bt = from_f64::<N, 1>(vec![beta], [1], &dev, DType::F64);
    let mut e = BayesianLinear::from_parts(&config, prior, w0t, bt).unwrap();
    let batch = Batch::new(x.clone()).with_targets(y);
    let r = [0.2, 0.9, 0.5, 1.0];
    e.update(
        e.statistics(&batch, t2::<N>(&r, [4, 1], DType::F64))
            .unwrap(),
    );

    // host computation
    let det_a = a[0] * a[3] - a[1] * a[2];
    let ai = [a[3] / det_a, -a[1] / det_a, -a[2] / det_a, a[0] / det_a];
    let mut s = [0.0; 4];
    let mut t = [0.0; 2];
    for n in 0..4 {
        let (x0, x1) = (xs[2 * n], xs[2 * n + 1]);
        s[0] += r[n] * x0 * x0;
        s[1] += r[n] * x0 * x1;
        s[2] += r[n] * x1 * x0;
        s[3] += r[n] * x1 * x1;
        t[0] += r[n] * x0 * ys[n];
        t[1] += r[n] * x1 * ys[n];
    }
    let prec: Vec<f64> = (0..4).map(|i| ai[i] + beta * s[i]).collect();
    let det_p = prec[0] * prec[3] - prec[1] * prec[2];
    let bm = [
        prec[3] / det_p,
        -prec[1] / det_p,
        -prec[2] / det_p,
        prec[0] / det_p,
    ];
    let rhs = [
        ai[0] * w0[0] + ai[1] * w0[1] + beta * t[0],
        ai[2] * w0[0] + ai[3] * w0[1] + beta * t[1],
    ];
    let m = [
        bm[0] * rhs[0] + bm[1] * rhs[1],
        bm[2] * rhs[0] + bm[3] * rhs[1],
    ];
    close(&to_vec_f64(e.covariance()).unwrap(), &bm, 1e-12, "B");
    close(&to_vec_f64(e.mean()).unwrap(), &m, 1e-12, "m");
    // KL(N(m, B) || N(w0, A))
    let tr = ai[0] * bm[0] + ai[1] * bm[2] + ai[2] * bm[1] + ai[3] * bm[3];
    let d = [m[0] - w0[0], m[1] - w0[1]];
    let maha = d[0] * (ai[0] * d[0] + ai[1] * d[1]) + d[1] * (ai[2] * d[0] + ai[3] * d[1]);
    let det_b = bm[0] * bm[3] - bm[1] * bm[2];
    let kl = 0.5 * (tr - 2.0 + det_a.ln() - det_b.ln() + maha);
    close(
        &to_vec_f64(e.kl_divergence().unwrap()).unwrap(),
        &[kl],
        1e-12,
        "KL",
    );
    close(
        &to_vec_f64(e.bound_correction().unwrap()).unwrap(),
        &[-kl],
        1e-12,
        "bound correction",
    );
    // predictive variance 1/β + xᵀBx for the first row
    let (x0, x1) = (xs[0], xs[1]);
    let quad = x0 * (bm[0] * x0 + bm[1] * x1) + x1 * (bm[2] * x0 + bm[3] * x1);
    let (_, var) = e.predict(&x);
    close(
        &to_vec_f64(var).unwrap()[..1],
        &[1.0 / beta + quad],
        1e-12,
        "predictive variance",
    );
}

/// Experts with a prior and no rows keep their prior and report no weights to check (an
/// empty expert is no failure); without a prior they report their zero weight.
#[test]
fn empty_experts_with_a_prior_are_not_reported_empty() {
    let x = t2::<N>(&[1.0, 2.0, 3.0], [3, 1], DType::F64);
    let y = t2::<N>(&[1.0, 2.0, 3.0], [3, 1], DType::F64);
    let batch = Batch::new(x.clone()).with_targets(y);
    let resp = t2::<N>(&[1.0, 0.0, 1.0, 0.0, 1.0, 0.0], [3, 2], DType::F64);
    let mut with = BayesianLinearConfig::new(2, 1).init(&x).unwrap();
    let check = with.update(with.statistics(&batch, resp.clone()).unwrap());
    assert!(check.weight.is_none());
    assert!(to_vec_f64(check.pivot).unwrap().iter().all(|p| *p > 0.0));
    // the empty expert keeps its prior mean 0 and its noise variance 1
    let m = to_vec_f64(with.mean()).unwrap();
    assert_eq!(&m[2..], &[0.0, 0.0]);
    assert_eq!(to_vec_f64(with.noise_variance()).unwrap()[1], 1.0);
    let mut without = BayesianLinearConfig::new(2, 1)
        .with_prior(PriorType::None)
        .init(&x)
        .unwrap();
    let check = without.update(without.statistics(&batch, resp).unwrap());
    assert_eq!(to_vec_f64(check.weight.unwrap()).unwrap()[1], 0.0);
}
