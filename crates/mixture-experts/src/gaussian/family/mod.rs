//! One module per covariance structure, behind one internal trait, [`Family`].
//!
//! Each structure (full, tied, diagonal, spherical) writes its own algebra once: how its
//! covariance-shaped tensors are factored, inverted and regularised, how a batch is turned
//! into features, how the features are scored against the components and summed into the
//! second moment, and (for the variational mixture) how its Wishart posterior is updated.
//! [`TypedComponents`](super::typed::TypedComponents) writes what every structure shares
//! (means, centre, chunking, the E-step order) once, generic over the family; the public
//! [`GaussianComponents`](super::GaussianComponents) holds one of the four, chosen at run
//! time from a [`CovarianceType`], and dispatches in one place.
//!
//! Diagonal and spherical covariances share their features ([`LinearFeatures`]) and scoring
//! ([`LinearScoring`]): one product of `[x − c, sq, 1]` with a parameter matrix, or two when
//! the features of centred data hold the rows themselves beside `[sq, 1]`.

mod diag;
mod full;
mod spherical;
mod tied;

use std::fmt::Debug;

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{
    special::LN_2PI,
    tall::{matmul_rows, transpose_matmul},
    tensor::from_f64_like,
};

use super::{CovarianceType, Covariances, SecondMoment, StatisticsCentre};

pub(crate) use diag::Diag;
pub(crate) use full::Full;
pub(crate) use spherical::Spherical;
pub(crate) use tied::Tied;

/// What one covariance structure computes. `Shaped` is its covariance-shaped tensor
/// (full `[K, D, D]`, tied `[D, D]`, diagonal `[K, D]`, spherical `[K]`): covariances,
/// precisions, their Cholesky factors and the second-moment statistic all have that shape.
pub(crate) trait Family<B: Backend>: Clone + Debug + 'static {
    /// The structure's name in the public enum.
    const TYPE: CovarianceType;
    /// A covariance-shaped tensor of this structure.
    type Shaped: Clone + Debug;
    /// The scoring GEMM's parameters, derived once per parameter change.
    type Scoring: Clone + Debug;
    /// What a batch contributes to scoring and statistics, from `x − c`.
    type Features: Clone + Debug;

    /// Wraps into the public covariance enum.
    fn covariances(t: Self::Shaped) -> Covariances<B>;
    /// Wraps into the public second-moment enum.
    fn moment(t: Self::Shaped) -> SecondMoment<B>;

    /// The tensor in another float dtype.
    fn cast(t: Self::Shaped, dtype: DType) -> Self::Shaped;
    /// Identity covariances of `k` components in `d` dimensions, like `like`.
    fn identity(k: usize, d: usize, like: &Tensor<B, 2>) -> Self::Shaped;
    /// scikit-learn's `_compute_precision_cholesky` (`P` with `P Pᵀ = Σ⁻¹`: upper triangular
    /// for full and tied, `1/σ` otherwise) and the smallest Cholesky pivot of each of the `k`
    /// covariances, `[K]` (not positive: not positive definite).
    fn precision_cholesky(cov: &Self::Shaped, k: usize) -> (Self::Shaped, Tensor<B, 1>);
    /// Covariances from precision matrices, with the smallest pivot of each precision, `[K]`.
    fn invert_precisions(precisions: Self::Shaped, k: usize) -> (Self::Shaped, Tensor<B, 1>);
    /// Precision matrices `P Pᵀ` (or `1/σ²`) from their factors.
    fn precisions(pc: &Self::Shaped) -> Self::Shaped;
    /// Lower-triangular `A_k` with `A_k A_kᵀ = Σ_k`, `[K, D, D]`.
    fn factors(cov: &Self::Shaped, k: usize, d: usize) -> Tensor<B, 3>;
    /// `Σ_i ln P_ii` of each component, `[K]` (scikit-learn's `_compute_log_det_cholesky`).
    fn log_det(pc: &Self::Shaped, k: usize, d: usize) -> Tensor<B, 1>;

    /// The scoring parameters for means about the centre, `m − c` (`[K, D]`), and what the
    /// residual forms need when the statistics are taken about the component means.
    fn scoring(mean_c: Tensor<B, 2>, pc: &Self::Shaped, centre: StatisticsCentre) -> Self::Scoring;
    /// The features of centred rows `x − c` (`[N, D]`).
    fn features(xc: Tensor<B, 2>) -> Self::Features;
    /// The features of rows `x` (`[N, D]`) when the centre is the origin: those of
    /// [`features`](Self::features), except that a family whose features hold the rows may
    /// hold `x` itself (a view of the caller's tensor) instead of a copy.
    fn features_at_origin(x: Tensor<B, 2>) -> Self::Features {
        Self::features(x)
    }
    /// `log N(x_n | μ_k, Σ_k)` (`[N, K]`), plus `extra` (`[1, K]`) folded into the GEMM's
    /// bias row.
    fn score(f: &Self::Features, s: &Self::Scoring, extra: Option<Tensor<B, 2>>) -> Tensor<B, 2>;
    /// `x − c` (`[N, D]`), from the features.
    fn centred(f: &Self::Features) -> Tensor<B, 2>;
    /// The scores of [`score`](Self::score) written with per-component residuals (for
    /// [`StatisticsCentre::ComponentMeans`](super::StatisticsCentre)), where the expanded form
    /// loses `|μ_k − c|²/σ_k²` of its precision; `delta` is `μ_k − c` (`[K, D]`). Full
    /// covariances keep the expanded form, `(x − c) P_k − δ_k P_k`, whose cancellation is
    /// only linear in `|μ_k − c|/σ_k`.
    fn score_residual(
        f: &Self::Features,
        s: &Self::Scoring,
        _pc: &Self::Shaped,
        _delta: &Tensor<B, 2>,
        extra: Option<Tensor<B, 2>>,
    ) -> Tensor<B, 2> {
        Self::score(f, s, extra)
    }
    /// The second moment about per-component shifts from the residuals `y_kn` (`[K, N, D]`)
    /// and the responsibilities laid out `[K, 1, N]`.
    fn second_about(y: Tensor<B, 3>, r: &Tensor<B, 3>) -> Self::Shaped;
    /// `(n_k, Σ r y, second moment about the shift)` from the residuals `y = x − μ_k`
    /// (`delta` is `μ_k − c`). By default from the `[K, N, D]` residuals and batched
    /// products; a family whose scoring holds a [`Residual`] takes them from its GEMM form.
    fn summarize_residual(
        f: &Self::Features,
        _s: &Self::Scoring,
        resp: Tensor<B, 2>,
        delta: &Tensor<B, 2>,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Self::Shaped) {
        summarize_residual_3d::<B, Self>(f, resp, delta)
    }
    /// `(n_k, Σ r (x − c), second moment)` of a batch from its features and
    /// responsibilities `[N, K]`.
    fn summarize(
        f: &Self::Features,
        resp: Tensor<B, 2>,
        k: usize,
        d: usize,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Self::Shaped);
    /// The covariances from the second moment about the centre, the totals `n_k` (with
    /// `NK_EPS` added) and the centred means; `reg` added to the diagonals.
    fn covariance(
        second: Self::Shaped,
        nk: &Tensor<B, 1>,
        mean_c: &Tensor<B, 2>,
        reg: f64,
    ) -> Self::Shaped;
    /// `Σ_k tr(Λ_k M_k)`, `[1]`, with `M_k = Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ` written from the
    /// statistics about the centre and `δ_k = μ_k − c`.
    fn trace(
        second: &Self::Shaped,
        sx: Tensor<B, 2>,
        nk: Tensor<B, 1>,
        delta: Tensor<B, 2>,
        pc: &Self::Shaped,
    ) -> Tensor<B, 1>;
    /// scikit-learn's `_estimate_wishart_*`: the degrees of freedom `ν_k` (`[K]`) and the
    /// covariances `(ν_k W_k)⁻¹` of the Normal-Wishart posterior, from the estimated
    /// covariances `S_k`, the prior's scale `Ψ0` (one component's, see
    /// [`NormalWishartPrior`](super::NormalWishartPrior)), `n_k`, `β_k`, `x̄_k − m0` and the
    /// prior's `β0`, `ν0`.
    fn wishart(
        sk: Self::Shaped,
        psi: &Self::Shaped,
        nk: Tensor<B, 1>,
        beta: Tensor<B, 1>,
        diff: Tensor<B, 2>,
        beta0: f64,
        nu0: f64,
    ) -> (Tensor<B, 1>, Self::Shaped);
}

/// `−½ D ln 2π`, the constant of every log-density in `d` dimensions.
pub(crate) fn half_log_2pi(d: usize) -> f64 {
    -0.5 * d as f64 * LN_2PI
}

/// The scoring of diagonal and spherical covariances: `[x − c, sq, 1] · [head; bias]`, where
/// `sq` is `(x − c)²` (diagonal) or `‖x − c‖²` (spherical).
#[derive(Debug, Clone)]
pub(crate) struct LinearScoring<B: Backend> {
    /// `[W_lin; W_sq]`: `W_lin = (Λ_k m_k)ᵀ` (`[D, K]`) over `W_sq = −½ Λ_kᵀ` (the diagonal
    /// precisions, `[D, K]` or `[1, K]`).
    head: Tensor<B, 2>,
    /// `Σ log P_ii − ½ D log 2π − ½ μᵀΛμ`, `[1, K]`.
    bias: Tensor<B, 2>,
    /// The residual form ([`StatisticsCentre::ComponentMeans`] only).
    residual: Option<Residual<B>>,
}

impl<B: Backend> LinearScoring<B> {
    /// From centred means `[K, D]`, diagonal precisions `prec` (`[K, D]` or `[K, 1]`) and
    /// `Σ log P_ii` (`[K, 1]`); with the residual form of features `width` wide when the
    /// statistics are taken about the component means.
    pub(crate) fn new(
        mean_c: Tensor<B, 2>,
        prec: Tensor<B, 2>,
        log_det: Tensor<B, 2>,
        residual: Option<usize>,
    ) -> Self {
        let [k, d] = mean_c.dims();
        let residual = residual.map(|width| {
            let w = if prec.dims()[1] == d {
                prec.clone()
            } else {
                prec.clone().repeat_dim(1, d)
            };
            Residual::new(&mean_c, width, w, log_det.clone().reshape([k]))
        });
        let mp = mean_c.clone() * prec.clone();
        let bias = (mean_c * mp.clone()).sum_dim(1).mul_scalar(-0.5) + log_det;
        Self {
            head: Tensor::cat(vec![mp.transpose(), prec.mul_scalar(-0.5).transpose()], 0),
            bias: bias.add_scalar(half_log_2pi(d)).transpose(),
            residual,
        }
    }

    /// The residual form, when the statistics are taken about the component means.
    pub(crate) fn residual(&self) -> Option<&Residual<B>> {
        self.residual.as_ref()
    }

    /// `−½ (x − μ)ᵀ Λ (x − μ) + log det + const`, expanded about the centre: one product of
    /// packed features, two of split ones.
    pub(crate) fn score(&self, f: &LinearFeatures<B>, extra: Option<Tensor<B, 2>>) -> Tensor<B, 2> {
        let bias = match extra {
            Some(e) => self.bias.clone() + e,
            None => self.bias.clone(),
        };
        let w = Tensor::cat(vec![self.head.clone(), bias], 0);
        match f {
            LinearFeatures::Packed { f, .. } => matmul_rows(f.clone(), w),
            LinearFeatures::Split { x, rest } => {
                let d = x.dims()[1];
                let [h, k] = w.dims();
                matmul_rows(x.clone(), w.clone().slice([0..d, 0..k]))
                    + matmul_rows(rest.clone(), w.slice([d..h, 0..k]))
            }
        }
    }
}

/// [`Family::summarize_residual`] from the `[K, N, D]` residuals and batched products.
pub(crate) fn summarize_residual_3d<B: Backend, F: Family<B>>(
    f: &F::Features,
    resp: Tensor<B, 2>,
    delta: &Tensor<B, 2>,
) -> (Tensor<B, 1>, Tensor<B, 2>, F::Shaped) {
    let [k, d] = delta.dims();
    let y = residuals(F::centred(f), delta); // [K, N, D]
    let n = y.dims()[1];
    let r = resp.clone().transpose().reshape([k, 1, n]);
    (
        resp.sum_dim(0).reshape([k]),
        r.clone().matmul(y.clone()).reshape([k, d]),
        F::second_about(y, &r),
    )
}

/// `−½ q + Σ log P_ii − ½ D log 2π (+ extra)` for squared Mahalanobis distances `q`
/// (`[N, K]`): the score of a family written with residuals.
pub(crate) fn residual_score<B: Backend>(
    q: Tensor<B, 2>,
    log_det: Tensor<B, 1>,
    d: usize,
    extra: Option<Tensor<B, 2>>,
) -> Tensor<B, 2> {
    let k = log_det.dims()[0];
    let bias = log_det.reshape([1, k]).add_scalar(half_log_2pi(d));
    let bias = match extra {
        Some(e) => bias + e,
        None => bias,
    };
    q.mul_scalar(-0.5) + bias
}

/// `y_kn = (x_n − c) − δ_k`, laid out `[K, N, D]` so that the sums over rows below are
/// batched matrix products.
///
/// Both operands are laid out at full size first: burn-flex runs a subtraction that
/// broadcasts along the middle axis an order of magnitude slower than one of equal shapes.
pub(crate) fn residuals<B: Backend>(xc: Tensor<B, 2>, delta: &Tensor<B, 2>) -> Tensor<B, 3> {
    let n = xc.dims()[0];
    let k = delta.dims()[0];
    let xs = Tensor::cat(vec![xc.unsqueeze_dim::<3>(0); k], 0);
    xs - delta.clone().unsqueeze_dim::<3>(1).repeat_dim(1, n)
}

/// `Σ_d w_kd y_knd²` (`w` `[K, D]`; all ones when `None`), `[N, K]`: one batched product.
pub(crate) fn square_norms<B: Backend>(y: Tensor<B, 3>, w: Option<Tensor<B, 2>>) -> Tensor<B, 2> {
    let [k, n, d] = y.dims();
    let w = match w {
        Some(w) => w,
        None => y
            .clone()
            .slice([0..k, 0..1, 0..d])
            .reshape([k, d])
            .ones_like(),
    };
    (y.clone() * y)
        .matmul(w.unsqueeze_dim::<3>(2))
        .reshape([k, n])
        .transpose()
}

/// `Σ_n r_nk y_kn²`, `[K, D]`: one batched product with `r` laid out `[K, 1, N]`.
pub(crate) fn weighted_squares<B: Backend>(y: Tensor<B, 3>, r: &Tensor<B, 3>) -> Tensor<B, 2> {
    let [k, _, d] = y.dims();
    r.clone().matmul(y.clone() * y).reshape([k, d])
}

/// Up to this feature width `W` the residual form of the diagonal (`W = 2D + 1`), spherical
/// (`D + 2`) and tied (`D + 1`) families is [`Residual`]'s product; beyond it, the
/// `[K, N, D]` residuals, whose copies cost `N·K·D` where the product costs `N·K·D·W`.
/// Measured on burn-flex (100k rows, K = 16, f32, ms per iteration, product against copies):
/// diagonal at D = 16 (`W` = 33) 108 against 227, at D = 64 (`W` = 129) 528 against 323;
/// spherical at D = 64 (`W` = 66) 450 against 860; tied at D = 64 (`W` = 65) 536 against 1190.
pub(crate) const RESIDUAL_PRODUCT_MAX_WIDTH: usize = 96;

/// Whether the residual form of components whose features are `width` wide is
/// [`Residual`]'s product.
pub(crate) fn residual_product(centre: StatisticsCentre, width: usize) -> bool {
    centre == StatisticsCentre::ComponentMeans && width <= RESIDUAL_PRODUCT_MAX_WIDTH
}

/// The residuals `y_nk = x_n − μ_k` of a block as one product, `[N, K·D]` (component k's
/// in columns `k·D..(k + 1)·D`), and what turns them into scores and statistics: the form
/// [`StatisticsCentre::ComponentMeans`] takes for the diagonal, spherical and tied families.
/// Every product here multiplies by exact ones and zeros, so `y` is `x − μ_k` rounded once,
/// as a subtraction would give it; and no `[K, N, D]` tensor is assembled (burn-flex copies
/// those slowly).
#[derive(Debug, Clone)]
pub(crate) struct Residual<B: Backend> {
    /// `[W, K·D]`: the features' first `D` columns copied to every component's block, the
    /// other feature columns to nothing, the last (ones) column to `−δ_k`.
    lift: Tensor<B, 2>,
    /// `[1, K·D]`: the weight of `y_nkd²` in component k's squared distance.
    weights: Tensor<B, 2>,
    /// `Σ log P_ii − ½ D log 2π`, `[1, K]`.
    bias: Tensor<B, 2>,
}

impl<B: Backend> Residual<B> {
    /// For shifts `delta` (`[K, D]`) of rows whose features are `width` wide (`x − c` first,
    /// ones last), per-coordinate weights `w` (`[K, D]`) and `Σ log P_ii` (`[K]`).
    pub(crate) fn new(
        delta: &Tensor<B, 2>,
        width: usize,
        w: Tensor<B, 2>,
        log_det: Tensor<B, 1>,
    ) -> Self {
        let [k, d] = delta.dims();
        let kd = k * d;
        let mut tile = vec![0.0; (width - 1) * kd];
        for j in 0..d {
            for c in 0..k {
                tile[j * kd + c * d + j] = 1.0;
            }
        }
        let tile = from_f64_like::<B, 2, 2>(tile, [width - 1, kd], delta);
        Self {
            lift: Tensor::cat(vec![tile, delta.clone().reshape([1, kd]).neg()], 0),
            weights: w.reshape([1, kd]),
            bias: log_det.reshape([1, k]).add_scalar(half_log_2pi(d)),
        }
    }

    /// `y`, `[N, K·D]`.
    pub(crate) fn residuals(&self, f: &Tensor<B, 2>) -> Tensor<B, 2> {
        matmul_rows(f.clone(), self.lift.clone())
    }

    /// `−½ Σ_d w_kd y_nkd² + bias (+ extra)`, `[N, K]`.
    pub(crate) fn score(&self, f: &Tensor<B, 2>, extra: Option<Tensor<B, 2>>) -> Tensor<B, 2> {
        let y = self.residuals(f);
        let bias = match extra {
            Some(e) => self.bias.clone() + e,
            None => self.bias.clone(),
        };
        let [n, kd] = y.dims();
        let k = self.bias.dims()[1];
        ((y.clone() * y) * self.weights.clone())
            .reshape([n, k, kd / k])
            .sum_dim(2)
            .reshape([n, k])
            .mul_scalar(-0.5)
            + bias
    }

    /// `(n_k, Σ_n r_nk y_nk, Σ_n r_nk y_nk²)`, the last two `[K, D]`: the diagonal second
    /// moment about the shifts (the spherical one is its row sums).
    pub(crate) fn weighted_squares(
        &self,
        f: &Tensor<B, 2>,
        resp: Tensor<B, 2>,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Tensor<B, 2>) {
        let (nk, sx, y, ry) = self.weighted(f, resp);
        let shape = sx.dims();
        (nk, sx, (ry * y).sum_dim(0).reshape(shape))
    }

    /// `(n_k, Σ_n r_nk y_nk (as [K, D]), y, r y)` with `y` and `r y` `[N, K·D]`.
    pub(crate) fn weighted(
        &self,
        f: &Tensor<B, 2>,
        resp: Tensor<B, 2>,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Tensor<B, 2>, Tensor<B, 2>) {
        let y = self.residuals(f);
        let [n, kd] = y.dims();
        let k = resp.dims()[1];
        let ry = (y.clone().reshape([n, k, kd / k]) * resp.clone().unsqueeze_dim::<3>(2))
            .reshape([n, kd]);
        let sx = ry.clone().sum_dim(0).reshape([k, kd / k]);
        (resp.sum_dim(0).reshape([k]), sx, y, ry)
    }
}

/// The features of diagonal and spherical covariances: `[x − c, sq, 1]`, with `sq` the
/// squares `(x − c)²` (diagonal, `[N, D]`) or their row sums `‖x − c‖²` (spherical, `[N, 1]`).
///
/// Packed, they are one tensor, scored and summed with one product each. About the origin
/// they may be split: the rows `x` themselves (the caller's tensor, not a copy) beside
/// `[sq, 1]`, at the cost of a second, narrower product. A fit that keeps the features of
/// centred data for every pass ([`GaussianComponents::with_center_at_origin`]) then holds
/// the data once instead of twice.
///
/// [`GaussianComponents::with_center_at_origin`]: crate::GaussianComponents::with_center_at_origin
#[derive(Debug, Clone)]
pub(crate) enum LinearFeatures<B: Backend> {
    /// `[x − c, sq, 1]` in one tensor.
    Packed {
        /// The features, `[N, D + W + 1]`.
        f: Tensor<B, 2>,
        /// `D`.
        d: usize,
    },
    /// `x` (the centre is the origin) and `[sq, 1]`.
    Split {
        /// The rows, `[N, D]`.
        x: Tensor<B, 2>,
        /// `[sq, 1]`.
        rest: Tensor<B, 2>,
    },
}

impl<B: Backend> LinearFeatures<B> {
    /// `[x − c, sq, 1]` for `sq` (`[N, D]` or `[N, 1]`), packed.
    pub(crate) fn packed_from(xc: Tensor<B, 2>, sq: Tensor<B, 2>) -> Self {
        let d = xc.dims()[1];
        let f = Tensor::cat(vec![xc, sq.clone(), ones_column(&sq)], 1);
        Self::Packed { f, d }
    }

    /// `x` beside `[sq, 1]`, for rows about the origin.
    pub(crate) fn split_from(x: Tensor<B, 2>, sq: Tensor<B, 2>) -> Self {
        let rest = Tensor::cat(vec![sq.clone(), ones_column(&sq)], 1);
        Self::Split { x, rest }
    }

    /// `x − c` (`[N, D]`).
    pub(crate) fn centred(&self) -> Tensor<B, 2> {
        match self {
            Self::Packed { f, d } => {
                let n = f.dims()[0];
                f.clone().slice([0..n, 0..*d])
            }
            Self::Split { x, .. } => x.clone(),
        }
    }

    /// The packed tensor `[x − c, sq, 1]` (assembled for split features).
    pub(crate) fn packed(&self) -> Tensor<B, 2> {
        match self {
            Self::Packed { f, .. } => f.clone(),
            Self::Split { x, rest } => Tensor::cat(vec![x.clone(), rest.clone()], 1),
        }
    }

    /// `(n_k, Σ r (x − c), Σ r sq)` from `Rᵀ [x − c, sq, 1]` (one product of packed features,
    /// two of split ones); the last is `[K, W]` for `sq` of width `W`.
    pub(crate) fn summarize(
        &self,
        resp: Tensor<B, 2>,
    ) -> (Tensor<B, 1>, Tensor<B, 2>, Tensor<B, 2>) {
        let k = resp.dims()[1];
        let (sx, t, from) = match self {
            Self::Packed { f, d } => {
                let t = transpose_matmul(resp, f.clone());
                (t.clone().slice([0..k, 0..*d]), t, *d)
            }
            Self::Split { x, rest } => (
                transpose_matmul(resp.clone(), x.clone()),
                transpose_matmul(resp, rest.clone()),
                0,
            ),
        };
        let w = t.dims()[1];
        (
            t.clone().slice([0..k, w - 1..w]).reshape([k]),
            sx,
            t.slice([0..k, from..w - 1]),
        )
    }
}

/// A column of ones as long as `like` (`[N, 1]`).
fn ones_column<B: Backend>(like: &Tensor<B, 2>) -> Tensor<B, 2> {
    let n = like.dims()[0];
    like.clone().slice([0..n, 0..1]).ones_like()
}

/// The features of full and tied covariances, whose scores need more than linear terms.
#[derive(Debug, Clone)]
pub(crate) struct Centred<B: Backend> {
    /// `x − c`, `[N, D]`.
    pub(crate) xc: Tensor<B, 2>,
    /// `[x − c, 1]`, `[N, D + 1]`.
    pub(crate) f: Tensor<B, 2>,
}

impl<B: Backend> Centred<B> {
    /// From centred rows.
    pub(crate) fn new(xc: Tensor<B, 2>) -> Self {
        let f = Tensor::cat(vec![xc.clone(), ones_column(&xc)], 1);
        Self { xc, f }
    }

    /// `(n_k, Σ r (x − c))` from one product `Rᵀ [x − c, 1]`.
    pub(crate) fn first_moments(
        &self,
        resp: Tensor<B, 2>,
        k: usize,
        d: usize,
    ) -> (Tensor<B, 1>, Tensor<B, 2>) {
        let t = resp.transpose().matmul(self.f.clone());
        (
            t.clone().slice([0..k, d..d + 1]).reshape([k]),
            t.slice([0..k, 0..d]),
        )
    }
}
