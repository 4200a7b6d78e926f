//! Full covariances: each component its own general covariance matrix.

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{
    linalg::{cholesky, diagonal, inverse_lower, symmetrize},
    rowwise::{triangular_square_norms, weighted_scatter},
    tensor::eye_like,
};

use super::{Centred, Family, half_log_2pi};
use crate::gaussian::{CovarianceType, Covariances, SecondMoment, StatisticsCentre};

/// Full covariances, `[K, D, D]`.
#[derive(Debug, Clone)]
pub(crate) struct Full;

/// `y = [x − c, 1] · [P_1 … P_K; −μ_1P_1 … −μ_KP_K]`, `joint = −½‖y_k‖² + bias`.
#[derive(Debug, Clone)]
pub(crate) struct FullScoring<B: Backend> {
    /// `[D + 1, K·D]`: column block k is `P_k` over `−(m_k − c) P_k`.
    side: Tensor<B, 2>,
    /// `Σ log P_ii − ½ D log 2π`, `[1, K]`.
    bias: Tensor<B, 2>,
}

impl<B: Backend> Family<B> for Full {
    const TYPE: CovarianceType = CovarianceType::Full;
    type Shaped = Tensor<B, 3>;
    type Scoring = FullScoring<B>;
    type Features = Centred<B>;

    fn covariances(t: Tensor<B, 3>) -> Covariances<B> {
        Covariances::Full(t)
    }

    fn moment(t: Tensor<B, 3>) -> SecondMoment<B> {
        SecondMoment::Full(t)
    }

    fn cast(t: Tensor<B, 3>, dtype: DType) -> Tensor<B, 3> {
        t.cast(dtype)
    }

    fn identity(k: usize, d: usize, like: &Tensor<B, 2>) -> Tensor<B, 3> {
        eye_like(d, like).unsqueeze_dim::<3>(0).repeat_dim(0, k)
    }

    fn precision_cholesky(cov: &Tensor<B, 3>, _k: usize) -> (Tensor<B, 3>, Tensor<B, 1>) {
        let (l, pivot) = cholesky(cov.clone());
        (inverse_lower(l).swap_dims(1, 2), pivot)
    }

    fn invert_precisions(precisions: Tensor<B, 3>, _k: usize) -> (Tensor<B, 3>, Tensor<B, 1>) {
        let (l, pivot) = cholesky(precisions);
        let inv = inverse_lower(l);
        (inv.clone().swap_dims(1, 2).matmul(inv), pivot)
    }

    fn precisions(pc: &Tensor<B, 3>) -> Tensor<B, 3> {
        pc.clone().matmul(pc.clone().swap_dims(1, 2))
    }

    fn factors(cov: &Tensor<B, 3>, _k: usize, _d: usize) -> Tensor<B, 3> {
        cholesky(cov.clone()).0
    }

    fn log_det(pc: &Tensor<B, 3>, k: usize, _d: usize) -> Tensor<B, 1> {
        diagonal(pc.clone()).log().sum_dim(1).reshape([k])
    }

    /// The same for both centres: the expanded form cancels only linearly. (A product form
    /// of the residual statistics, as the other families have, was measured slower here:
    /// 387 against 292 ms per iteration at 100k × 16, K = 16, for its transposes.)
    fn scoring(
        mean_c: Tensor<B, 2>,
        p: &Tensor<B, 3>,
        _centre: StatisticsCentre,
    ) -> FullScoring<B> {
        let [k, d] = mean_c.dims();
        // [K, D, D] -> [D, K, D] -> [D, K·D]: column block k is P_k; the last row is −μ_k P_k.
        // Every P_k here comes from `precision_cholesky`: upper triangular with exact zeros
        // below the diagonal, which `triangular_square_norms` relies on.
        let side = p.clone().swap_dims(0, 1).reshape([d, k * d]);
        let mu_p = mean_c
            .unsqueeze_dim::<3>(1)
            .matmul(p.clone())
            .reshape([1, k * d]);
        let log_det = diagonal(p.clone()).log().sum_dim(1).reshape([1, k]);
        FullScoring {
            side: Tensor::cat(vec![side, mu_p.neg()], 0),
            bias: log_det.add_scalar(half_log_2pi(d)),
        }
    }

    fn features(xc: Tensor<B, 2>) -> Centred<B> {
        Centred::new(xc)
    }

    fn score(f: &Centred<B>, s: &FullScoring<B>, extra: Option<Tensor<B, 2>>) -> Tensor<B, 2> {
        let k = s.bias.dims()[1];
        let bias = match extra {
            Some(e) => s.bias.clone() + e,
            None => s.bias.clone(),
        };
        triangular_square_norms(f.f.clone(), s.side.clone(), k).mul_scalar(-0.5) + bias
    }

    fn centred(f: &Centred<B>) -> Tensor<B, 2> {
        f.xc.clone()
    }

    /// `Σ_n r_nk y_kn y_knᵀ`: one batched product `[K, D, N] × [K, N, D]`.
    fn second_about(y: Tensor<B, 3>, r: &Tensor<B, 3>) -> Tensor<B, 3> {
        let ry = y.clone() * r.clone().swap_dims(1, 2);
        ry.swap_dims(1, 2).matmul(y)
    }

    fn summarize(
        f: &Centred<B>,
        resp: Tensor<B, 2>,
        k: usize,
        d: usize,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Tensor<B, 3>) {
        let (nk, sx) = f.first_moments(resp.clone(), k, d);
        (nk, sx, weighted_scatter(f.xc.clone(), resp))
    }

    fn covariance(
        second: Tensor<B, 3>,
        nk: &Tensor<B, 1>,
        mean_c: &Tensor<B, 2>,
        reg: f64,
    ) -> Tensor<B, 3> {
        let [k, d] = mean_c.dims();
        let outer = mean_c.clone().unsqueeze_dim::<3>(2) * mean_c.clone().unsqueeze_dim::<3>(1);
        let cov = second / nk.clone().reshape([k, 1, 1]) - outer;
        let eye = eye_like(d, &cov).unsqueeze_dim::<3>(0).mul_scalar(reg);
        symmetrize(cov) + eye
    }

    fn trace(
        second: &Tensor<B, 3>,
        sx: Tensor<B, 2>,
        nk: Tensor<B, 1>,
        delta: Tensor<B, 2>,
        pc: &Tensor<B, 3>,
    ) -> Tensor<B, 1> {
        let k = nk.dims()[0];
        let cross = sx.unsqueeze_dim::<3>(2) * delta.clone().unsqueeze_dim::<3>(1);
        let m = second.clone() - cross.clone() - cross.swap_dims(1, 2)
            + (delta.clone().unsqueeze_dim::<3>(2) * delta.unsqueeze_dim::<3>(1))
                * nk.reshape([k, 1, 1]);
        (Self::precisions(pc) * m).sum()
    }

    fn wishart(
        sk: Tensor<B, 3>,
        psi: &Tensor<B, 3>,
        nk: Tensor<B, 1>,
        beta: Tensor<B, 1>,
        diff: Tensor<B, 2>,
        beta0: f64,
        nu0: f64,
    ) -> (Tensor<B, 1>, Tensor<B, 3>) {
        let k = nk.dims()[0];
        // n_k β0 / β_k: the weight of the means' spread in the scale matrix.
        let spread = nk.clone() * beta.recip().mul_scalar(beta0);
        let nu = nk.clone().add_scalar(nu0);
        let outer = diff.clone().unsqueeze_dim::<3>(2) * diff.unsqueeze_dim::<3>(1);
        let scale = psi.clone() + sk * nk.reshape([k, 1, 1]) + outer * spread.reshape([k, 1, 1]);
        let cov = scale / nu.clone().reshape([k, 1, 1]);
        (nu, cov)
    }
}
