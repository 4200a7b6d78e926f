//! Diagonal covariances: each component its own variances, one per dimension.

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::tensor::{eye_like, full_like_dtype};

use super::{
    Family, LinearFeatures, LinearScoring, residual_product, residual_score, residuals,
    square_norms, summarize_residual_3d, weighted_squares,
};
use crate::gaussian::{CovarianceType, Covariances, SecondMoment, StatisticsCentre};

/// Diagonal covariances, `[K, D]`; their precision factors hold `1/σ_kj`.
#[derive(Debug, Clone)]
pub(crate) struct Diag;

impl<B: Backend> Family<B> for Diag {
    const TYPE: CovarianceType = CovarianceType::Diag;
    type Shaped = Tensor<B, 2>;
    type Scoring = LinearScoring<B>;
    /// `[x − c, (x − c)², 1]`, `[N, 2D + 1]` (packed, or `x` beside the rest about the origin).
    type Features = LinearFeatures<B>;

    fn covariances(t: Tensor<B, 2>) -> Covariances<B> {
        Covariances::Diag(t)
    }

    fn moment(t: Tensor<B, 2>) -> SecondMoment<B> {
        SecondMoment::Diag(t)
    }

    fn cast(t: Tensor<B, 2>, dtype: DType) -> Tensor<B, 2> {
        t.cast(dtype)
    }

    fn identity(k: usize, d: usize, like: &Tensor<B, 2>) -> Tensor<B, 2> {
        full_like_dtype::<B, 2, 2>([k, d], 1.0, like)
    }

    fn precision_cholesky(cov: &Tensor<B, 2>, k: usize) -> (Tensor<B, 2>, Tensor<B, 1>) {
        (
            cov.clone().sqrt().recip(),
            cov.clone().min_dim(1).reshape([k]),
        )
    }

    fn invert_precisions(precisions: Tensor<B, 2>, k: usize) -> (Tensor<B, 2>, Tensor<B, 1>) {
        let pivot = precisions.clone().min_dim(1).reshape([k]);
        (precisions.recip(), pivot)
    }

    fn precisions(pc: &Tensor<B, 2>) -> Tensor<B, 2> {
        pc.clone() * pc.clone()
    }

    fn factors(cov: &Tensor<B, 2>, _k: usize, d: usize) -> Tensor<B, 3> {
        let eye = eye_like(d, cov).unsqueeze_dim::<3>(0);
        cov.clone().sqrt().unsqueeze_dim::<3>(2) * eye
    }

    fn log_det(pc: &Tensor<B, 2>, k: usize, _d: usize) -> Tensor<B, 1> {
        pc.clone().log().sum_dim(1).reshape([k])
    }

    fn scoring(
        mean_c: Tensor<B, 2>,
        pc: &Tensor<B, 2>,
        centre: StatisticsCentre,
    ) -> LinearScoring<B> {
        let width = 2 * mean_c.dims()[1] + 1;
        LinearScoring::new(
            mean_c,
            Self::precisions(pc),
            pc.clone().log().sum_dim(1),
            residual_product(centre, width).then_some(width),
        )
    }

    fn features(xc: Tensor<B, 2>) -> LinearFeatures<B> {
        LinearFeatures::packed_from(xc.clone(), xc.clone() * xc)
    }

    fn features_at_origin(x: Tensor<B, 2>) -> LinearFeatures<B> {
        LinearFeatures::split_from(x.clone(), x.clone() * x)
    }

    fn score(
        f: &LinearFeatures<B>,
        s: &LinearScoring<B>,
        extra: Option<Tensor<B, 2>>,
    ) -> Tensor<B, 2> {
        s.score(f, extra)
    }

    fn centred(f: &LinearFeatures<B>) -> Tensor<B, 2> {
        f.centred()
    }

    /// `Σ_d Λ_kd (x_d − μ_kd)²` from the residuals.
    fn score_residual(
        f: &LinearFeatures<B>,
        s: &LinearScoring<B>,
        pc: &Tensor<B, 2>,
        delta: &Tensor<B, 2>,
        extra: Option<Tensor<B, 2>>,
    ) -> Tensor<B, 2> {
        match s.residual() {
            Some(r) => r.score(&f.packed(), extra),
            None => {
                let [k, d] = delta.dims();
                let y = residuals(Self::centred(f), delta);
                let q = square_norms(y, Some(Self::precisions(pc)));
                residual_score(q, Self::log_det(pc, k, d), d, extra)
            }
        }
    }

    fn summarize_residual(
        f: &LinearFeatures<B>,
        s: &LinearScoring<B>,
        resp: Tensor<B, 2>,
        delta: &Tensor<B, 2>,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Tensor<B, 2>) {
        match s.residual() {
            Some(r) => r.weighted_squares(&f.packed(), resp),
            None => summarize_residual_3d::<B, Self>(f, resp, delta),
        }
    }

    /// `Σ_n r_nk y_kn²`, `[K, D]`.
    fn second_about(y: Tensor<B, 3>, r: &Tensor<B, 3>) -> Tensor<B, 2> {
        weighted_squares(y, r)
    }

    fn summarize(
        f: &LinearFeatures<B>,
        resp: Tensor<B, 2>,
        _k: usize,
        _d: usize,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Tensor<B, 2>) {
        f.summarize(resp)
    }

    fn covariance(
        second: Tensor<B, 2>,
        nk: &Tensor<B, 1>,
        mean_c: &Tensor<B, 2>,
        reg: f64,
    ) -> Tensor<B, 2> {
        let var = second / nk.clone().unsqueeze_dim::<2>(1) - mean_c.clone() * mean_c.clone();
        var.add_scalar(reg)
    }

    fn trace(
        second: &Tensor<B, 2>,
        sx: Tensor<B, 2>,
        nk: Tensor<B, 1>,
        delta: Tensor<B, 2>,
        pc: &Tensor<B, 2>,
    ) -> Tensor<B, 1> {
        let m = second.clone() - (sx * delta.clone()).mul_scalar(2.0)
            + delta.clone() * delta * nk.unsqueeze_dim(1);
        (Self::precisions(pc) * m).sum()
    }

    fn wishart(
        sk: Tensor<B, 2>,
        psi: &Tensor<B, 2>,
        nk: Tensor<B, 1>,
        beta: Tensor<B, 1>,
        diff: Tensor<B, 2>,
        beta0: f64,
        nu0: f64,
    ) -> (Tensor<B, 1>, Tensor<B, 2>) {
        let nu = nk.clone().add_scalar(nu0);
        let ratio = beta.recip().mul_scalar(beta0).unsqueeze_dim(1);
        let scale = psi.clone() + (sk + ratio * diff.clone() * diff) * nk.unsqueeze_dim(1);
        let cov = scale / nu.clone().unsqueeze_dim(1);
        (nu, cov)
    }
}
