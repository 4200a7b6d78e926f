//! Reference cases from PyCave's and scikit-learn's own tests and docs
//! (`anchors.md` §3.3 and §3.6, copied here with their sources so the repository stands alone).

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::tensor::{from_f64, to_vec_f64, to_vec_i64};
use mixture_em::GaussianMixtureConfig;
use mixture_experts::CovarianceType;

type Nd = burn_ndarray::NdArray<f64>;
type Flex = burn_flex::Flex;

fn tensor<B: Backend>(rows: &[&[f64]], dtype: DType) -> Tensor<B, 2> {
    let d = rows[0].len();
    let values: Vec<f64> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    from_f64(values, [rows.len(), d], &Default::default(), dtype)
}

fn assert_close(what: &str, got: f64, want: f64, atol: f64) {
    assert!(
        (got - want).abs() <= atol,
        "{what}: got {got}, want {want} (atol {atol:e})"
    );
}

// ---------------------------------------------------------------------------------------------
// PyCave `tests/bayes/gmm/test_gmm_estimator.py::test_fit_num_iter` and `test_fit_converged`:
// data [[0],[1],[3],[4]], K = 2, float64.
//
// k-means finds the centroids 0.5 and 3.5 from any start (every pair of distinct points
// converges to the split {0,1} | {3,4}), so the initial parameters are π = (½, ½),
// μ = {0.5, 3.5}, σ² = 0.25 + reg_covar. The responsibilities are then almost one-hot (the
// far component has a weight of ~e⁻¹² per point), so the first M-step barely moves anything.
//
// Iteration counts. We count like scikit-learn: iteration t is one E-step and one M-step, and
// its lower bound is the mean log-likelihood under the parameters *before* that M-step; the
// fit converges at the first t whose bound differs from the bound of t − 1 by less than tol.
// Here iteration 1's bound is −1.418935460946 (the initial parameters) and iteration 2's is
// −1.418935459657 (after one M-step): a change of 1.3e-9 < 1e-3, so n_iter = 2 and
// converged = true. scikit-learn 1.9.1 reports exactly that (n_iter_ 2, converged_ True,
// score −1.4189354596572232). PyCave counts *epochs* of its Lightning trainer instead: one
// initialisation epoch outside the count, then EM epochs that log the NLL of the parameters
// before their M-step, with EarlyStopping(patience=1) ending the run at the first epoch whose
// NLL fails to improve by more than tol. It also reports num_iter_ = 2 here, but for a
// different reason (the second epoch is the first without improvement); in general the two
// counts need not agree, and ours is scikit-learn's. Likewise PyCave's max_epochs = 1 →
// converged_ False has its counterpart in max_iter = 1 → converged false (no change can be
// measured after one iteration), and max_epochs = 3 → True in max_iter ≥ 2 → true.
// ---------------------------------------------------------------------------------------------

const FOUR_POINTS: [&[f64]; 4] = [&[0.0], &[1.0], &[3.0], &[4.0]];

/// ½ ln(2π · 0.25) + ½ + ln 2: the NLL of two unit-weight halves with σ² = 0.25 (anchors §3.3).
fn four_point_nll() -> f64 {
    0.5 * (2.0 * std::f64::consts::PI * 0.25).ln() + 0.5 + std::f64::consts::LN_2
}

fn four_point_fit<B: Backend>(dtype: DType, seed: u64) {
    let x = tensor::<B>(&FOUR_POINTS, dtype);
    let gm = GaussianMixtureConfig::new(2)
        .with_seed(seed)
        .fit(&x)
        .expect("fit");
    assert_eq!(gm.n_iter(), 2, "sklearn-semantics n_iter (seed {seed})");
    assert!(gm.converged(), "converged (seed {seed})");
    assert_eq!(gm.lower_bounds().len(), 2);
    // scikit-learn 1.9.1 on the same data: score −1.4189354596572232, lower bounds
    // [−1.418935460945592, −1.418935459657087]. f64 replays these to rounding (1e-10); the
    // closed form 1.41894 (anchors, 5 decimals) holds to 1e-5. In f32 the score is accurate to
    // a few ulps of 1.4 (3e-7); 1e-5 is the anchors' own precision.
    let score = gm.score(&x).expect("score");
    assert_close("score vs closed form", score, -four_point_nll(), 1e-5);
    if dtype == DType::F64 {
        assert_close("score vs sklearn", score, -1.418_935_459_657_223_2, 1e-10);
        assert_close(
            "bound 1",
            gm.lower_bounds()[0],
            -1.418_935_460_945_592,
            1e-10,
        );
        assert_close(
            "bound 2",
            gm.lower_bounds()[1],
            -1.418_935_459_657_087,
            1e-10,
        );
    }
    let weights = to_vec_f64(gm.weights()).unwrap();
    let mut means = to_vec_f64(gm.means()).unwrap();
    means.sort_by(f64::total_cmp);
    let covariances = gm.covariances().to_vec_f64().unwrap();
    // After two M-steps the means sit 6e-6 inside 0.5 / 3.5 and σ² = 0.25001945 (sklearn).
    let atol = if dtype == DType::F64 { 1e-7 } else { 1e-5 };
    assert_close("weight 0", weights[0], 0.5, atol);
    assert_close("weight 1", weights[1], 0.5, atol);
    assert_close("mean 0", means[0], 0.500_006_15, atol);
    assert_close("mean 1", means[1], 3.499_993_85, atol);
    for c in covariances {
        assert_close("variance", c, 0.250_019_45, atol);
    }
}

#[test]
fn pycave_four_points_ndarray_f64() {
    for seed in [0, 1, 7] {
        four_point_fit::<Nd>(DType::F64, seed);
    }
}

#[test]
fn pycave_four_points_flex_f64() {
    four_point_fit::<Flex>(DType::F64, 0);
}

#[test]
fn pycave_four_points_flex_f32() {
    four_point_fit::<Flex>(DType::F32, 0);
}

#[test]
fn pycave_four_points_convergence_flag() {
    let x = tensor::<Nd>(&FOUR_POINTS, DType::F64);
    let one = GaussianMixtureConfig::new(2)
        .with_max_iter(1)
        .fit(&x)
        .expect("fit");
    assert_eq!(one.n_iter(), 1);
    assert!(
        !one.converged(),
        "one iteration measures no change: not converged"
    );
    for max_iter in [2, 3] {
        let gm = GaussianMixtureConfig::new(2)
            .with_max_iter(max_iter)
            .fit(&x)
            .expect("fit");
        assert!(gm.converged(), "max_iter {max_iter}");
        assert_eq!(gm.n_iter(), 2, "max_iter {max_iter}");
    }
}

// ---------------------------------------------------------------------------------------------
// scikit-learn's GaussianMixture docstring example:
// GaussianMixture(n_components=2, random_state=0).fit([[1,2],[1,4],[1,0],[10,2],[10,4],[10,0]])
// → means_ [[10, 2], [1, 2]], predict([[0,0],[12,3]]) = [1, 0].
// Recomputed (order-free): covariances diag(1e-6, 2.6666677), weights ½, score 3.38631641,
// BIC −20.92644270, AIC −18.63579687 (11 free parameters). Full digits from scikit-learn
// 1.9.1: score 3.386316405506948, bic −20.92644270457477, aic −18.635796866083375.
// ---------------------------------------------------------------------------------------------

const SIX_POINTS: [&[f64]; 6] = [
    &[1.0, 2.0],
    &[1.0, 4.0],
    &[1.0, 0.0],
    &[10.0, 2.0],
    &[10.0, 4.0],
    &[10.0, 0.0],
];

fn six_point_fit<B: Backend>() {
    let x = tensor::<B>(&SIX_POINTS, DType::F64);
    let gm = GaussianMixtureConfig::new(2).fit(&x).expect("fit");
    assert_eq!(gm.n_parameters(), 11);
    // The first coordinate has zero spread in each cluster, so its variance is reg_covar = 1e-6
    // and the density is ~400 per unit there: the score is dominated by −½ ln(1e-6). Formed
    // from sufficient statistics (Σ r x² − n μ²) that variance carries a cancellation error of
    // ~1e-16 · 100 = 1e-14, i.e. 1e-8 relative, moving the score by ~1e-8: 1e-6 is safe and
    // still pins the anchors' 8 digits.
    assert_close("score", gm.score(&x).unwrap(), 3.386_316_405_506_948, 1e-6);
    assert_close("bic", gm.bic(&x).unwrap(), -20.926_442_704_574_77, 1e-5);
    assert_close("aic", gm.aic(&x).unwrap(), -18.635_796_866_083_375, 1e-5);

    let means = to_vec_f64(gm.means()).unwrap();
    let mut pairs: Vec<[f64; 2]> = means.chunks(2).map(|c| [c[0], c[1]]).collect();
    pairs.sort_by(|a, b| a[0].total_cmp(&b[0]));
    for (got, want) in pairs.iter().zip([[1.0, 2.0], [10.0, 2.0]]) {
        assert_close("mean x", got[0], want[0], 1e-9);
        assert_close("mean y", got[1], want[1], 1e-9);
    }
    for w in to_vec_f64(gm.weights()).unwrap() {
        assert_close("weight", w, 0.5, 1e-9);
    }
    // Full covariances diag(1e-6, 8/3 + 1e-6).
    let cov = gm.covariances().to_vec_f64().unwrap();
    assert_eq!(cov.len(), 8);
    for c in cov.chunks(4) {
        assert_close("var x", c[0], 1e-6, 1e-12);
        assert_close("cov xy", c[1], 0.0, 1e-9);
        assert_close("cov yx", c[2], 0.0, 1e-9);
        assert_close("var y", c[3], 8.0 / 3.0 + 1e-6, 1e-9);
    }

    // predict([[0,0],[12,3]]) names the component at [1,2] and the one at [10,2], whichever
    // order the init gave them (scikit-learn's docs print [1, 0] for its order).
    let near_one = means
        .chunks(2)
        .position(|c| (c[0] - 1.0).abs() < 1e-6)
        .expect("a component at [1, 2]") as i64;
    let probe = tensor::<B>(&[&[0.0, 0.0], &[12.0, 3.0]], DType::F64);
    let labels = to_vec_i64(gm.predict(&probe).unwrap()).unwrap();
    assert_eq!(labels, vec![near_one, 1 - near_one]);
    let train = to_vec_i64(gm.predict(&x).unwrap()).unwrap();
    assert_eq!(train[..3], [near_one; 3]);
    assert_eq!(train[3..], [1 - near_one; 3]);
}

#[test]
fn sklearn_docstring_example_ndarray_f64() {
    six_point_fit::<Nd>();
}

#[test]
fn sklearn_docstring_example_flex_f64() {
    six_point_fit::<Flex>();
}

/// The same example with the other covariance types, against scikit-learn 1.9.1's scores.
/// Tied's and diag's x-variance is again reg_covar plus cancellation noise (scikit-learn's own
/// tied value is 1.0000000379e-6), so the score is compared at 1e-6 as above.
#[test]
fn sklearn_docstring_example_other_covariances() {
    let x = tensor::<Nd>(&SIX_POINTS, DType::F64);
    let cases = [
        (CovarianceType::Tied, 3.386_316_386_559_141_5, 8),
        (CovarianceType::Diag, 3.386_316_381_928_698_8, 9),
    ];
    for (ct, score, p) in cases {
        let gm = GaussianMixtureConfig::new(2)
            .with_covariance_type(ct)
            .fit(&x)
            .expect("fit");
        assert_eq!(gm.n_parameters(), p, "{ct}");
        assert_close(&format!("{ct} score"), gm.score(&x).unwrap(), score, 1e-6);
    }
}

// ---------------------------------------------------------------------------------------------
// PyCave `tests/bayes/gmm/test_gmm_metrics.py`: priors, means and covariances from given
// responsibilities. PyCave feeds the rows in two batches to its metric aggregators; here the
// two batches' `GaussianStats` are merged (the same additive statistics exact mini-batch EM
// uses) and one M-step (`Components::update`) turns them into parameters.
//
//   data1 = [[5,2],[3,4],[1,0]],   resp1 = [[.3,.3,.4],[.8,.1,.1],[.4,.5,.1]]
//   data2 = [[8,2.5],[1.5,4]],     resp2 = [[.7,.2,.1],[.5,.4,.1]]
//
// data1 alone → priors [0.5, 0.3, 0.2], means [[2.8667, 2.5333], [2.5556, 1.1111], [4, 2]];
// all five rows → priors [0.54, 0.3, 0.16], means [[3.9444, 2.7963], [3.0, 2.0667],
// [4.1875, 2.3125]] (PyCave checks atol 1e-4).
//
// PyCave's covariance aggregators take the covariance about *given* means
// m = [[3,2.5],[2.5,1],[4,2]] (reg 1e-5) and expect, over all five rows:
//   full Σ₀ = [[7.935195, 0.212963],[0.212963, 2.037047]], Σ₁ = [[6.316677, 1.4],[1.4, 3.833343]],
//   Σ₂ = [[4.53126, 0.125],[0.125, 1.53126]]; diag = those diagonals;
//   spherical (scikit-learn convention, reg added once) [4.986121, 5.07501, 3.03126];
//   tied (the scikit-learn/PyCave formula (XᵀX − Σ n_k m_k m_kᵀ)/N + reg) = [[10.95501, 3.52],[3.52, 4.13501]].
// Our M-step, like scikit-learn's, takes the covariance about the *weighted* means μ_k it has
// just computed. The two are tied by exact identities, which we check instead:
//   Σ_k(m) = Σ_k(μ) + (μ_k − m_k)(μ_k − m_k)ᵀ             (full; diag takes the diagonal;
//   σ²_k(m) = σ²_k(μ) + mean_j (μ_kj − m_kj)²               spherical the mean of it)
//   Σ_tied(m) = Σ_tied(μ) + Σ_k n_k (μ_k μ_kᵀ − m_k m_kᵀ) / N
// so the anchors' values are reproduced from our statistics and update with nothing but
// host arithmetic. Tolerance 1e-5: the anchors are given to 6–7 significant digits.
// ---------------------------------------------------------------------------------------------

mod metrics {
    use super::*;
    use mixture_core::{Batch, Components, stats::accumulate};
    use mixture_experts::GaussianComponents;

    const DATA1: [&[f64]; 3] = [&[5.0, 2.0], &[3.0, 4.0], &[1.0, 0.0]];
    const RESP1: [&[f64]; 3] = [&[0.3, 0.3, 0.4], &[0.8, 0.1, 0.1], &[0.4, 0.5, 0.1]];
    const DATA2: [&[f64]; 2] = [&[8.0, 2.5], &[1.5, 4.0]];
    const RESP2: [&[f64]; 2] = [&[0.7, 0.2, 0.1], &[0.5, 0.4, 0.1]];
    const FIXED_MEANS: [[f64; 2]; 3] = [[3.0, 2.5], [2.5, 1.0], [4.0, 2.0]];
    const REG: f64 = 1e-5;

    /// Rows of a matrix.
    type Rows = &'static [&'static [f64]];
    /// A batch of data rows with their responsibilities.
    type RowsAndResp = (Rows, Rows);

    /// One M-step from the given batches; returns (priors, means [K][2], covariances flat).
    fn m_step(
        covariance_type: CovarianceType,
        batches: &[RowsAndResp],
    ) -> (Vec<f64>, Vec<[f64; 2]>, Vec<f64>) {
        let like = tensor::<Nd>(batches[0].0, DType::F64);
        let mut comps = GaussianComponents::standard(covariance_type, 3, 2, REG, &like);
        let mut stats = None;
        let mut start = 0;
        for (data, resp) in batches {
            let x = tensor::<Nd>(data, DType::F64);
            let r = tensor::<Nd>(resp, DType::F64);
            let batch = Batch::new(x).with_rows(start..start + data.len());
            start += data.len();
            stats = accumulate(stats, comps.statistics(&batch, r).unwrap());
        }
        let stats = stats.expect("at least one batch");
        let nk = to_vec_f64(stats.nk.clone()).unwrap();
        let total: f64 = nk.iter().sum();
        let priors = nk.iter().map(|v| v / total).collect();
        let check = comps.update(stats);
        // Every component has weight and a positive-definite covariance.
        assert!(to_vec_f64(check.pivot).unwrap().iter().all(|&p| p > 0.0));
        let means = to_vec_f64(comps.means()).unwrap();
        let means = means.chunks(2).map(|c| [c[0], c[1]]).collect();
        (priors, means, comps.covariances().to_vec_f64().unwrap())
    }

    fn all_rows() -> [RowsAndResp; 2] {
        [(&DATA1, &RESP1), (&DATA2, &RESP2)]
    }

    fn assert_all(what: &str, got: &[f64], want: &[f64], atol: f64) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_close(&format!("{what}[{i}]"), *g, *w, atol);
        }
    }

    #[test]
    fn priors_and_means_from_one_batch() {
        let (priors, means, _) = m_step(CovarianceType::Full, &[(&DATA1, &RESP1)]);
        assert_all("priors", &priors, &[0.5, 0.3, 0.2], 1e-12);
        let flat: Vec<f64> = means.iter().flatten().copied().collect();
        assert_all(
            "means",
            &flat,
            &[2.8667, 2.5333, 2.5556, 1.1111, 4.0, 2.0],
            1e-4,
        );
    }

    #[test]
    fn priors_and_means_from_two_batches() {
        for ct in [
            CovarianceType::Full,
            CovarianceType::Tied,
            CovarianceType::Diag,
            CovarianceType::Spherical,
        ] {
            let (priors, means, _) = m_step(ct, &all_rows());
            assert_all("priors", &priors, &[0.54, 0.3, 0.16], 1e-12);
            let flat: Vec<f64> = means.iter().flatten().copied().collect();
            let want = [3.9444, 2.7963, 3.0, 2.0667, 4.1875, 2.3125];
            assert_all(&format!("{ct} means"), &flat, &want, 1e-4);
        }
    }

    /// `Σ(μ) + (μ − m)(μ − m)ᵀ` for component k, as [a, b, b, c].
    fn about_fixed_mean(cov: &[f64], mu: [f64; 2], m: [f64; 2]) -> [f64; 4] {
        let d = [mu[0] - m[0], mu[1] - m[1]];
        [
            cov[0] + d[0] * d[0],
            cov[1] + d[0] * d[1],
            cov[2] + d[1] * d[0],
            cov[3] + d[1] * d[1],
        ]
    }

    #[test]
    fn full_covariances_match_pycave_about_fixed_means() {
        let (_, means, cov) = m_step(CovarianceType::Full, &all_rows());
        let want = [
            [7.935195, 0.212963, 0.212963, 2.037047],
            [6.316677, 1.4, 1.4, 3.833343],
            [4.53126, 0.125, 0.125, 1.53126],
        ];
        for k in 0..3 {
            let got = about_fixed_mean(&cov[4 * k..4 * k + 4], means[k], FIXED_MEANS[k]);
            assert_all(&format!("full Σ_{k}"), &got, &want[k], 1e-5);
        }
    }

    #[test]
    fn diag_covariances_match_pycave_about_fixed_means() {
        let (_, means, var) = m_step(CovarianceType::Diag, &all_rows());
        let want = [
            [7.935195, 2.037047],
            [6.316677, 3.833343],
            [4.53126, 1.53126],
        ];
        for k in 0..3 {
            let got: Vec<f64> = (0..2)
                .map(|j| var[2 * k + j] + (means[k][j] - FIXED_MEANS[k][j]).powi(2))
                .collect();
            assert_all(&format!("diag σ²_{k}"), &got, &want[k], 1e-5);
        }
    }

    #[test]
    fn spherical_variances_match_sklearn_convention_about_fixed_means() {
        let (_, means, var) = m_step(CovarianceType::Spherical, &all_rows());
        // scikit-learn's convention (reg added once); PyCave's own reg×D values would be
        // [4.986131, 5.07502, 3.03127], i.e. 1e-5 higher: our 1e-6 tolerance tells them apart.
        let want = [4.986121, 5.07501, 3.03126];
        for k in 0..3 {
            let shift: f64 = (0..2)
                .map(|j| (means[k][j] - FIXED_MEANS[k][j]).powi(2))
                .sum::<f64>()
                / 2.0;
            assert_close(&format!("spherical σ²_{k}"), var[k] + shift, want[k], 1e-6);
        }
    }

    #[test]
    fn tied_covariance_matches_the_sklearn_formula_about_fixed_means() {
        let (priors, means, cov) = m_step(CovarianceType::Tied, &all_rows());
        let n = 5.0;
        let nk: Vec<f64> = priors.iter().map(|p| p * n).collect();
        let mut got = [cov[0], cov[1], cov[2], cov[3]];
        for k in 0..3 {
            let (mu, m) = (means[k], FIXED_MEANS[k]);
            for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                got[2 * a + b] += nk[k] * (mu[a] * mu[b] - m[a] * m[b]) / n;
            }
        }
        assert_all("tied Σ", &got, &[10.95501, 3.52, 3.52, 4.13501], 1e-5);
    }
}
