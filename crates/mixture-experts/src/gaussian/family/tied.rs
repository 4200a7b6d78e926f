//! Tied covariance: one general covariance matrix shared by all components.

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{
    linalg::{cholesky, diagonal, inverse_lower, symmetrize},
    rowwise::group_square_norms,
    tall::transpose_matmul,
    tensor::eye_like,
};

use super::{
    Centred, Family, Residual, half_log_2pi, residual_product, residual_score, residuals,
    square_norms, summarize_residual_3d,
};
use crate::gaussian::{CovarianceType, Covariances, SecondMoment, StatisticsCentre};

/// A tied covariance, `[D, D]`.
#[derive(Debug, Clone)]
pub(crate) struct Tied;

/// `g = [(x − c) P, ‖(x − c) P‖², 1]`, `joint = g · [W; bias]`.
#[derive(Debug, Clone)]
pub(crate) struct TiedScoring<B: Backend> {
    /// The shared factor, `[D, D]`.
    p: Tensor<B, 2>,
    /// `[((m_k − c) P)ᵀ; −½]`, `[D + 1, K]`.
    w: Tensor<B, 2>,
    /// `log det P − ½ D log 2π − ½ ‖(m_k − c) P‖²`, `[1, K]`.
    bias: Tensor<B, 2>,
    /// The residual forms ([`StatisticsCentre::ComponentMeans`] only): of `[x − c, 1]` about
    /// `δ_k` for the statistics, of `[(x − c) P, 1]` about `δ_k P` for the scores.
    residual: Option<(Residual<B>, Residual<B>)>,
}

/// The single factor `[D, D]` of a `[1, D, D]` batch.
fn single<B: Backend>(t: Tensor<B, 3>) -> Tensor<B, 2> {
    let d = t.dims()[1];
    t.reshape([d, d])
}

impl<B: Backend> Family<B> for Tied {
    const TYPE: CovarianceType = CovarianceType::Tied;
    type Shaped = Tensor<B, 2>;
    type Scoring = TiedScoring<B>;
    type Features = Centred<B>;

    fn covariances(t: Tensor<B, 2>) -> Covariances<B> {
        Covariances::Tied(t)
    }

    fn moment(t: Tensor<B, 2>) -> SecondMoment<B> {
        SecondMoment::Tied(t)
    }

    fn cast(t: Tensor<B, 2>, dtype: DType) -> Tensor<B, 2> {
        t.cast(dtype)
    }

    fn identity(_k: usize, d: usize, like: &Tensor<B, 2>) -> Tensor<B, 2> {
        eye_like(d, like)
    }

    /// The one pivot, repeated for every component.
    fn precision_cholesky(cov: &Tensor<B, 2>, k: usize) -> (Tensor<B, 2>, Tensor<B, 1>) {
        let (l, pivot) = cholesky(cov.clone().unsqueeze_dim::<3>(0));
        (single(inverse_lower(l).swap_dims(1, 2)), pivot.expand([k]))
    }

    fn invert_precisions(precisions: Tensor<B, 2>, k: usize) -> (Tensor<B, 2>, Tensor<B, 1>) {
        let (l, pivot) = cholesky(precisions.unsqueeze_dim::<3>(0));
        let inv = inverse_lower(l);
        (
            single(inv.clone().swap_dims(1, 2).matmul(inv)),
            pivot.expand([k]),
        )
    }

    fn precisions(pc: &Tensor<B, 2>) -> Tensor<B, 2> {
        pc.clone().matmul(pc.clone().transpose())
    }

    fn factors(cov: &Tensor<B, 2>, k: usize, _d: usize) -> Tensor<B, 3> {
        cholesky(cov.clone().unsqueeze_dim::<3>(0))
            .0
            .repeat_dim(0, k)
    }

    fn log_det(pc: &Tensor<B, 2>, k: usize, _d: usize) -> Tensor<B, 1> {
        diagonal(pc.clone().unsqueeze_dim::<3>(0))
            .log()
            .sum()
            .expand([k])
    }

    fn scoring(mean_c: Tensor<B, 2>, p: &Tensor<B, 2>, centre: StatisticsCentre) -> TiedScoring<B> {
        let [k, d] = mean_c.dims();
        let mp = mean_c.clone().matmul(p.clone());
        let residual = residual_product(centre, d + 1).then(|| {
            let ones = mean_c.ones_like();
            let log_det = Self::log_det(p, k, d);
            (
                Residual::new(&mean_c, d + 1, ones.clone(), log_det.clone()),
                Residual::new(&mp, d + 1, ones, log_det),
            )
        });
        let log_det = diagonal(p.clone().unsqueeze_dim::<3>(0)).log().sum();
        let bias = (mp.clone() * mp.clone())
            .sum_dim(1)
            .mul_scalar(-0.5)
            .transpose()
            + log_det.unsqueeze_dim::<2>(0);
        let minus_half = bias.zeros_like().add_scalar(-0.5);
        TiedScoring {
            p: p.clone(),
            w: Tensor::cat(vec![mp.transpose(), minus_half], 0),
            bias: bias.add_scalar(half_log_2pi(d)),
            residual,
        }
    }

    fn features(xc: Tensor<B, 2>) -> Centred<B> {
        Centred::new(xc)
    }

    fn score(f: &Centred<B>, s: &TiedScoring<B>, extra: Option<Tensor<B, 2>>) -> Tensor<B, 2> {
        let [n, d] = f.xc.dims();
        let bias = match extra {
            Some(e) => s.bias.clone() + e,
            None => s.bias.clone(),
        };
        let xp = f.xc.clone().matmul(s.p.clone());
        let sq = group_square_norms(xp.clone(), 1);
        let g = Tensor::cat(vec![xp, sq, f.f.clone().slice([0..n, d..d + 1])], 1);
        g.matmul(Tensor::cat(vec![s.w.clone(), bias], 0))
    }

    fn centred(f: &Centred<B>) -> Tensor<B, 2> {
        f.xc.clone()
    }

    /// `‖(x − c) P − δ_k P‖²` from the residuals of the whitened rows.
    fn score_residual(
        f: &Centred<B>,
        s: &TiedScoring<B>,
        pc: &Tensor<B, 2>,
        delta: &Tensor<B, 2>,
        extra: Option<Tensor<B, 2>>,
    ) -> Tensor<B, 2> {
        let [k, d] = delta.dims();
        let xp = f.xc.clone().matmul(pc.clone());
        match &s.residual {
            Some((_, scores)) => {
                let n = xp.dims()[0];
                let ones = f.f.clone().slice([0..n, d..d + 1]);
                scores.score(&Tensor::cat(vec![xp, ones], 1), extra)
            }
            None => {
                let mp = delta.clone().matmul(pc.clone());
                let q = square_norms(residuals(xp, &mp), None);
                residual_score(q, Self::log_det(pc, k, d), d, extra)
            }
        }
    }

    /// `Σ_k Σ_n r_nk y_nk y_nkᵀ`: one product over the `N·K` residual rows.
    fn summarize_residual(
        f: &Centred<B>,
        s: &TiedScoring<B>,
        resp: Tensor<B, 2>,
        delta: &Tensor<B, 2>,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Tensor<B, 2>) {
        match &s.residual {
            Some((stats, _)) => {
                let [k, d] = delta.dims();
                let n = resp.dims()[0];
                let (nk, sx, y, ry) = stats.weighted(&f.f, resp);
                let second = transpose_matmul(ry.reshape([n * k, d]), y.reshape([n * k, d]));
                (nk, sx, second)
            }
            None => summarize_residual_3d::<B, Self>(f, resp, delta),
        }
    }

    /// `Σ_k Σ_n r_nk y_kn y_knᵀ`: one product over the `K·N` residuals.
    fn second_about(y: Tensor<B, 3>, r: &Tensor<B, 3>) -> Tensor<B, 2> {
        let [k, n, d] = y.dims();
        let ry = y.clone() * r.clone().swap_dims(1, 2);
        ry.reshape([k * n, d])
            .transpose()
            .matmul(y.reshape([k * n, d]))
    }

    /// The second moment sums the responsibilities over components first:
    /// `Σ_n w_n (x_n − c)(x_n − c)ᵀ` with `w_n = Σ_k r_nk`.
    fn summarize(
        f: &Centred<B>,
        resp: Tensor<B, 2>,
        k: usize,
        d: usize,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Tensor<B, 2>) {
        let (nk, sx) = f.first_moments(resp.clone(), k, d);
        let w = resp.sum_dim(1); // [N, 1]
        (nk, sx, (f.xc.clone() * w).transpose().matmul(f.xc.clone()))
    }

    fn covariance(
        second: Tensor<B, 2>,
        nk: &Tensor<B, 1>,
        mean_c: &Tensor<B, 2>,
        reg: f64,
    ) -> Tensor<B, 2> {
        let d = mean_c.dims()[1];
        let means2 = (mean_c.clone() * nk.clone().unsqueeze_dim::<2>(1))
            .transpose()
            .matmul(mean_c.clone());
        let cov = (second - means2) / nk.clone().sum().unsqueeze_dim::<2>(1);
        let cov = single(symmetrize(cov.unsqueeze_dim::<3>(0)));
        cov + eye_like(d, mean_c).mul_scalar(reg)
    }

    fn trace(
        second: &Tensor<B, 2>,
        sx: Tensor<B, 2>,
        nk: Tensor<B, 1>,
        delta: Tensor<B, 2>,
        pc: &Tensor<B, 2>,
    ) -> Tensor<B, 1> {
        let cross = sx.transpose().matmul(delta.clone());
        let m = second.clone() - cross.clone() - cross.transpose()
            + (delta.clone() * nk.unsqueeze_dim(1))
                .transpose()
                .matmul(delta);
        (Self::precisions(pc) * m).sum()
    }

    /// One shared posterior: `ν = ν0 + N / K`, the scale summing every component's spread.
    fn wishart(
        sk: Tensor<B, 2>,
        psi: &Tensor<B, 2>,
        nk: Tensor<B, 1>,
        beta: Tensor<B, 1>,
        diff: Tensor<B, 2>,
        beta0: f64,
        nu0: f64,
    ) -> (Tensor<B, 1>, Tensor<B, 2>) {
        let k = nk.dims()[0];
        let per = nk.clone().sum().div_scalar(k as f64); // [1]
        let nu = per.clone().add_scalar(nu0);
        let w = (nk / beta).mul_scalar(beta0 / k as f64);
        let means2 = (diff.clone() * w.unsqueeze_dim(1)).transpose().matmul(diff);
        let scale = psi.clone() + sk * per.reshape([1, 1]) + means2;
        let cov = scale / nu.clone().reshape([1, 1]);
        (nu.expand([k]), cov)
    }
}
