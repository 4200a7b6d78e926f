//! Spherical covariances: each component one variance.

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::tensor::{eye_like, full_like_dtype};

use super::{
    Family, LinearFeatures, LinearScoring, residual_product, residual_score, residuals,
    square_norms, summarize_residual_3d, weighted_squares,
};
use crate::gaussian::{CovarianceType, Covariances, SecondMoment, StatisticsCentre};

/// Spherical covariances, `[K]`; their precision factors hold `1/σ_k`.
#[derive(Debug, Clone)]
pub(crate) struct Spherical;

impl<B: Backend> Family<B> for Spherical {
    const TYPE: CovarianceType = CovarianceType::Spherical;
    type Shaped = Tensor<B, 1>;
    type Scoring = LinearScoring<B>;
    /// `[x − c, ‖x − c‖², 1]`, `[N, D + 2]` (packed, or `x` beside the rest about the origin).
    type Features = LinearFeatures<B>;

    fn covariances(t: Tensor<B, 1>) -> Covariances<B> {
        Covariances::Spherical(t)
    }

    fn moment(t: Tensor<B, 1>) -> SecondMoment<B> {
        SecondMoment::Spherical(t)
    }

    fn cast(t: Tensor<B, 1>, dtype: DType) -> Tensor<B, 1> {
        t.cast(dtype)
    }

    fn identity(k: usize, _d: usize, like: &Tensor<B, 2>) -> Tensor<B, 1> {
        full_like_dtype::<B, 1, 2>([k], 1.0, like)
    }

    fn precision_cholesky(cov: &Tensor<B, 1>, _k: usize) -> (Tensor<B, 1>, Tensor<B, 1>) {
        (cov.clone().sqrt().recip(), cov.clone())
    }

    fn invert_precisions(precisions: Tensor<B, 1>, _k: usize) -> (Tensor<B, 1>, Tensor<B, 1>) {
        (precisions.clone().recip(), precisions)
    }

    fn precisions(pc: &Tensor<B, 1>) -> Tensor<B, 1> {
        pc.clone() * pc.clone()
    }

    fn factors(cov: &Tensor<B, 1>, k: usize, d: usize) -> Tensor<B, 3> {
        let eye = eye_like(d, cov).unsqueeze_dim::<3>(0);
        cov.clone().sqrt().reshape([k, 1, 1]) * eye
    }

    fn log_det(pc: &Tensor<B, 1>, _k: usize, d: usize) -> Tensor<B, 1> {
        pc.clone().log().mul_scalar(d as f64)
    }

    fn scoring(
        mean_c: Tensor<B, 2>,
        pc: &Tensor<B, 1>,
        centre: StatisticsCentre,
    ) -> LinearScoring<B> {
        let [k, d] = mean_c.dims();
        LinearScoring::new(
            mean_c,
            Self::precisions(pc).reshape([k, 1]),
            pc.clone().log().reshape([k, 1]).mul_scalar(d as f64),
            residual_product(centre, d + 2).then_some(d + 2),
        )
    }

    fn features(xc: Tensor<B, 2>) -> LinearFeatures<B> {
        LinearFeatures::packed_from(xc.clone(), (xc.clone() * xc).sum_dim(1))
    }

    fn features_at_origin(x: Tensor<B, 2>) -> LinearFeatures<B> {
        LinearFeatures::split_from(x.clone(), (x.clone() * x).sum_dim(1))
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

    /// `‖x − μ_k‖² / σ_k²` from the residuals.
    fn score_residual(
        f: &LinearFeatures<B>,
        s: &LinearScoring<B>,
        pc: &Tensor<B, 1>,
        delta: &Tensor<B, 2>,
        extra: Option<Tensor<B, 2>>,
    ) -> Tensor<B, 2> {
        match s.residual() {
            Some(r) => r.score(&f.packed(), extra),
            None => {
                let [k, d] = delta.dims();
                let q = square_norms(residuals(Self::centred(f), delta), None)
                    * Self::precisions(pc).reshape([1, k]);
                residual_score(q, Self::log_det(pc, k, d), d, extra)
            }
        }
    }

    fn summarize_residual(
        f: &LinearFeatures<B>,
        s: &LinearScoring<B>,
        resp: Tensor<B, 2>,
        delta: &Tensor<B, 2>,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Tensor<B, 1>) {
        match s.residual() {
            Some(r) => {
                let (nk, sx, squares) = r.weighted_squares(&f.packed(), resp);
                let k = nk.dims()[0];
                (nk, sx, squares.sum_dim(1).reshape([k]))
            }
            None => summarize_residual_3d::<B, Self>(f, resp, delta),
        }
    }

    /// `Σ_n r_nk ‖y_kn‖²`, `[K]`.
    fn second_about(y: Tensor<B, 3>, r: &Tensor<B, 3>) -> Tensor<B, 1> {
        let k = y.dims()[0];
        weighted_squares(y, r).sum_dim(1).reshape([k])
    }

    fn summarize(
        f: &LinearFeatures<B>,
        resp: Tensor<B, 2>,
        k: usize,
        _d: usize,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Tensor<B, 1>) {
        let (nk, sx, s2) = f.summarize(resp);
        (nk, sx, s2.reshape([k]))
    }

    /// The mean over dimensions of the diagonal variances, plus `reg` (scikit-learn).
    fn covariance(
        second: Tensor<B, 1>,
        nk: &Tensor<B, 1>,
        mean_c: &Tensor<B, 2>,
        reg: f64,
    ) -> Tensor<B, 1> {
        let [k, d] = mean_c.dims();
        let var = (second / nk.clone()).div_scalar(d as f64)
            - (mean_c.clone() * mean_c.clone()).mean_dim(1).reshape([k]);
        var.add_scalar(reg)
    }

    fn trace(
        second: &Tensor<B, 1>,
        sx: Tensor<B, 2>,
        nk: Tensor<B, 1>,
        delta: Tensor<B, 2>,
        pc: &Tensor<B, 1>,
    ) -> Tensor<B, 1> {
        let k = nk.dims()[0];
        let m = second.clone() - (sx * delta.clone()).sum_dim(1).reshape([k]).mul_scalar(2.0)
            + (delta.clone() * delta).sum_dim(1).reshape([k]) * nk;
        (Self::precisions(pc) * m).sum()
    }

    fn wishart(
        sk: Tensor<B, 1>,
        psi: &Tensor<B, 1>,
        nk: Tensor<B, 1>,
        beta: Tensor<B, 1>,
        diff: Tensor<B, 2>,
        beta0: f64,
        nu0: f64,
    ) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let k = nk.dims()[0];
        let nu = nk.clone().add_scalar(nu0);
        let ratio = beta.recip().mul_scalar(beta0);
        let sq = (diff.clone() * diff).mean_dim(1).reshape([k]);
        let scale = psi.clone() + (sk + ratio * sq) * nk;
        (nu.clone(), scale / nu)
    }
}
