//! K Gaussian components, batched, for EM.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, ComponentCheck, ComponentFailure, Components, Error, Result,
    linalg::{cholesky, diagonal, inverse_lower},
    rowwise::{group_square_norms, triangular_square_norms, weighted_scatter},
    special::LN_2PI,
    tall::{matmul_rows, transpose_matmul},
    tensor::{eye_like, zeros_like_dtype},
    tuning::Tuning,
};

use super::{CovarianceType, Covariances, GaussianStats, stats::SecondMoment};

/// K Gaussian components with one covariance structure: means, covariances, and the
/// Cholesky factors of the precisions, in scikit-learn's shapes and conventions.
///
/// Implements [`Components`]: the log-likelihood is scikit-learn's
/// `_estimate_log_gaussian_prob`, the statistics are additive responsibility-weighted sums
/// (see [`GaussianStats`]) and the update is `_estimate_gaussian_parameters` followed by
/// `_compute_precision_cholesky`, with `reg_covar` added to the diagonal.
#[derive(Debug, Clone)]
pub struct GaussianComponents<B: Backend> {
    covariance_type: CovarianceType,
    means: Tensor<B, 2>,
    covariances: Covariances<B>,
    precisions_cholesky: Covariances<B>,
    reg_covar: f64,
    center: Tensor<B, 2>,
    /// The scoring GEMM's parameters, derived once per parameter change (not per batch).
    scoring: Scoring<B>,
}

/// Parameters of the scoring GEMM, derived from the means (about the centre) and the
/// precision factors once per update. `bias` holds `Σ log P_ii − ½ D log 2π` and, for the
/// linear forms, `−½ μᵀΛμ`; the gate's log-weights are added to it per call.
#[derive(Debug, Clone)]
enum Scoring<B: Backend> {
    /// Diagonal and spherical: `joint = [x − c, sq, 1] · [W_lin; W_sq; bias]`, where `sq` is
    /// `(x − c)²` (diagonal) or `‖x − c‖²` (spherical).
    Linear {
        /// `[W_lin; W_sq]`: `W_lin = (Λ_k m_k)ᵀ` (`[D, K]`) over `W_sq = −½ Λ_kᵀ` (the
        /// diagonal precisions, `[D, K]` or `[1, K]`).
        head: Tensor<B, 2>,
        /// `[1, K]`.
        bias: Tensor<B, 2>,
    },
    /// Tied: `g = [(x − c) P, ‖(x − c) P‖², 1]`, `joint = g · [W; bias]`.
    Tied {
        p: Tensor<B, 2>,
        w: Tensor<B, 2>,
        bias: Tensor<B, 2>,
    },
    /// Full: `y = [x − c, 1] · [P_1 … P_K; −μ_1P_1 … −μ_KP_K]`, `joint = −½‖y_k‖² + bias`.
    Full {
        side: Tensor<B, 2>,
        bias: Tensor<B, 2>,
    },
}

impl<B: Backend> GaussianComponents<B> {
    /// `k` components in `d` dimensions with zero means and identity covariances, on the
    /// device and with the dtype of `like`: a starting point to be updated from statistics.
    pub fn standard<const E: usize>(
        covariance_type: CovarianceType,
        k: usize,
        d: usize,
        reg_covar: f64,
        like: &Tensor<B, E>,
    ) -> Self {
        let means = zeros_like_dtype::<B, 2, E>([k, d], like);
        let eye = eye_like(d, like);
        let covariances = match covariance_type {
            CovarianceType::Full => Covariances::Full(eye.unsqueeze_dim::<3>(0).repeat_dim(0, k)),
            CovarianceType::Tied => Covariances::Tied(eye),
            CovarianceType::Diag => Covariances::Diag(means.ones_like()),
            CovarianceType::Spherical => {
                Covariances::Spherical(means.clone().sum_dim(1).reshape([k]).ones_like())
            }
        };
        let center = zeros_like_dtype::<B, 2, E>([1, d], like);
        let (precisions_cholesky, _) = precision_cholesky(&covariances);
        let scoring = derive_scoring(&means, &center, &precisions_cholesky);
        Self {
            covariance_type,
            means,
            covariances,
            precisions_cholesky,
            reg_covar,
            center,
            scoring,
        }
    }

    /// Components with the given means `[K, D]` and covariances. Returns them with the
    /// smallest Cholesky pivot of each covariance (`[K]`; not positive means the covariance
    /// is not positive definite).
    pub fn from_covariances(
        means: Tensor<B, 2>,
        covariances: Covariances<B>,
        reg_covar: f64,
    ) -> (Self, Tensor<B, 1>) {
        let k = means.dims()[0];
        let d = means.dims()[1];
        let (precisions_cholesky, pivot) = precision_cholesky(&covariances);
        let center = zeros_like_dtype::<B, 2, 2>([1, d], &means);
        let pivot = expand_pivot(pivot, k);
        let scoring = derive_scoring(&means, &center, &precisions_cholesky);
        (
            Self {
                covariance_type: covariances.covariance_type(),
                means,
                covariances,
                precisions_cholesky,
                reg_covar,
                center,
                scoring,
            },
            pivot,
        )
    }

    /// Sets the centre `[1, D]` about which statistics are taken. Any fixed point works; the
    /// data mean keeps second moments accurate in f32.
    pub fn with_center(mut self, center: Tensor<B, 2>) -> Self {
        self.center = center;
        self.refresh();
        self
    }

    /// The centre `[1, D]` about which statistics and scores are taken.
    pub fn center(&self) -> Tensor<B, 2> {
        self.center.clone()
    }

    /// Re-derives the scoring parameters after a parameter change.
    fn refresh(&mut self) {
        self.scoring = derive_scoring(&self.means, &self.center, &self.precisions_cholesky);
    }

    /// Replaces the means (`[K, D]`), keeping the covariances.
    pub fn set_means(&mut self, means: Tensor<B, 2>) {
        self.means = means;
        self.refresh();
    }

    /// Replaces the covariances by the inverses of `precisions` (same structure). Returns the
    /// smallest Cholesky pivot of each precision matrix (`[K]`).
    pub fn set_precisions(&mut self, precisions: Covariances<B>) -> Tensor<B, 1> {
        let k = self.means.dims()[0];
        let (covariances, pivot) = match precisions {
            Covariances::Full(p) => {
                let (l, piv) = cholesky(p);
                let inv = inverse_lower(l);
                (
                    Covariances::Full(inv.clone().swap_dims(1, 2).matmul(inv)),
                    piv,
                )
            }
            Covariances::Tied(p) => {
                let (l, piv) = cholesky(p.unsqueeze_dim::<3>(0));
                let inv = inverse_lower(l);
                let cov = inv.clone().swap_dims(1, 2).matmul(inv);
                let d = cov.dims()[1];
                (Covariances::Tied(cov.reshape([d, d])), piv)
            }
            Covariances::Diag(p) => {
                let piv = p.clone().min_dim(1).reshape([k]);
                (Covariances::Diag(p.recip()), piv)
            }
            Covariances::Spherical(p) => (Covariances::Spherical(p.clone().recip()), p),
        };
        let (pc, _) = precision_cholesky(&covariances);
        self.covariances = covariances;
        self.precisions_cholesky = pc;
        self.refresh();
        expand_pivot(pivot, k)
    }

    /// The covariance structure.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariance_type
    }

    /// Means, `[K, D]`.
    pub fn means(&self) -> Tensor<B, 2> {
        self.means.clone()
    }

    /// Covariances (with `reg_covar` on the diagonal after an update).
    pub fn covariances(&self) -> Covariances<B> {
        self.covariances.clone()
    }

    /// Cholesky factors of the precisions (scikit-learn's `precisions_cholesky_`: upper
    /// triangular for full and tied, `1/σ` for diagonal and spherical).
    pub fn precisions_cholesky(&self) -> Covariances<B> {
        self.precisions_cholesky.clone()
    }

    /// Precision matrices `P Pᵀ` (or `1/σ²`).
    pub fn precisions(&self) -> Covariances<B> {
        match &self.precisions_cholesky {
            Covariances::Full(p) => Covariances::Full(p.clone().matmul(p.clone().swap_dims(1, 2))),
            Covariances::Tied(p) => Covariances::Tied(p.clone().matmul(p.clone().transpose())),
            Covariances::Diag(p) => Covariances::Diag(p.clone() * p.clone()),
            Covariances::Spherical(p) => Covariances::Spherical(p.clone() * p.clone()),
        }
    }

    /// The covariance regularisation.
    pub fn reg_covar(&self) -> f64 {
        self.reg_covar
    }

    /// Dimension of the data, D.
    pub fn n_features(&self) -> usize {
        self.means.dims()[1]
    }

    /// Lower-triangular factors `A_k` with `A_k A_kᵀ = Σ_k`, `[K, D, D]` (for sampling).
    pub fn covariance_factors(&self) -> Tensor<B, 3> {
        let [k, d] = self.means.dims();
        match &self.covariances {
            Covariances::Full(c) => cholesky(c.clone()).0,
            Covariances::Tied(c) => cholesky(c.clone().unsqueeze_dim::<3>(0)).0.repeat_dim(0, k),
            Covariances::Diag(v) => {
                let eye = eye_like(d, v).unsqueeze_dim::<3>(0);
                v.clone().sqrt().unsqueeze_dim::<3>(2) * eye
            }
            Covariances::Spherical(v) => {
                let eye = eye_like(d, v).unsqueeze_dim::<3>(0);
                v.clone().sqrt().reshape([k, 1, 1]) * eye
            }
        }
    }

    /// The `[N, K]` log-densities of raw inputs `x` (`[N, D]`).
    pub fn log_prob(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let k = self.means.dims()[0];
        let zero = zeros_like_dtype::<B, 2, 2>([1, k], &self.means);
        self.log_joint(x, zero)
    }

    /// `Σ_k Σ_n r_nk log N(x_n | μ_k, Σ_k)`, `[1]`, from the statistics of the
    /// responsibilities `r` alone (no pass over the rows): with `δ_k = μ_k − c` and
    /// `M_k = Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ = S_k − s_k δ_kᵀ − δ_k s_kᵀ + n_k δ_k δ_kᵀ`,
    /// it is `Σ_k n_k (Σ_i ln P_ii − ½ D ln 2π) − ½ Σ_k tr(Λ_k M_k)`. The variational
    /// bound takes the responsibilities' entropy from it and the E-step's log-normalisers.
    pub fn expected_log_prob_sum(&self, stats: &GaussianStats<B>) -> Tensor<B, 1> {
        let [k, d] = self.means.dims();
        let delta = self.means.clone() - self.center.clone(); // [K, D]
        let nk = stats.nk.clone();
        let sx = stats.sx.clone();
        let trace = match (&stats.sxx, &self.precisions_cholesky) {
            (SecondMoment::Full(s), Covariances::Full(p)) => {
                let cross = sx.unsqueeze_dim::<3>(2) * delta.clone().unsqueeze_dim::<3>(1);
                let m = s.clone() - cross.clone() - cross.swap_dims(1, 2)
                    + (delta.clone().unsqueeze_dim::<3>(2) * delta.unsqueeze_dim::<3>(1))
                        * nk.clone().reshape([k, 1, 1]);
                let lambda = p.clone().matmul(p.clone().swap_dims(1, 2));
                (lambda * m).sum()
            }
            (SecondMoment::Tied(s), Covariances::Tied(p)) => {
                let cross = sx.transpose().matmul(delta.clone());
                let m = s.clone() - cross.clone() - cross.transpose()
                    + (delta.clone() * nk.clone().unsqueeze_dim(1))
                        .transpose()
                        .matmul(delta);
                (p.clone().matmul(p.clone().transpose()) * m).sum()
            }
            (SecondMoment::Diag(s), Covariances::Diag(p)) => {
                let m = s.clone() - (sx * delta.clone()).mul_scalar(2.0)
                    + delta.clone() * delta * nk.clone().unsqueeze_dim(1);
                (p.clone() * p.clone() * m).sum()
            }
            (SecondMoment::Spherical(s), Covariances::Spherical(p)) => {
                let m = s.clone() - (sx * delta.clone()).sum_dim(1).reshape([k]).mul_scalar(2.0)
                    + (delta.clone() * delta).sum_dim(1).reshape([k]) * nk.clone();
                (p.clone() * p.clone() * m).sum()
            }
            _ => unreachable!("statistics and parameters of one fit share one covariance type"),
        };
        let log_det = match &self.precisions_cholesky {
            Covariances::Full(p) => diagonal(p.clone()).log().sum_dim(1).reshape([k]),
            Covariances::Tied(p) => diagonal(p.clone().unsqueeze_dim::<3>(0))
                .log()
                .sum()
                .expand([k]),
            Covariances::Diag(p) => p.clone().log().sum_dim(1).reshape([k]),
            Covariances::Spherical(p) => p.clone().log().mul_scalar(d as f64),
        };
        (nk * log_det.sub_scalar(0.5 * d as f64 * LN_2PI)).sum() - trace.mul_scalar(0.5)
    }

    /// `log_weights + log N(x | μ_k, Σ_k)`, `[N, K]`, for `log_weights` `[1, K]` or `[N, K]`:
    /// the same feature GEMM as the E-step, in row chunks that bound memory.
    pub fn log_joint(&self, x: Tensor<B, 2>, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        let [n, d] = x.dims();
        let k = self.means.dims()[0];
        let step = Tuning::of::<B>().chunk_rows(n, k * d);
        if step >= n {
            return self.score_features(&self.features(x), log_weights);
        }
        let per_row = log_weights.dims()[0] == n;
        let parts: Vec<_> = (0..n)
            .step_by(step)
            .map(|start| {
                let end = (start + step).min(n);
                let lw = if per_row {
                    log_weights.clone().slice([start..end, 0..k])
                } else {
                    log_weights.clone()
                };
                self.score_features(&self.features(x.clone().slice([start..end, 0..d])), lw)
            })
            .collect();
        Tensor::cat(parts, 0)
    }
}

/// The scoring GEMM's parameters for means `[K, D]` about `center` and precision factors.
fn derive_scoring<B: Backend>(
    means: &Tensor<B, 2>,
    center: &Tensor<B, 2>,
    precisions_cholesky: &Covariances<B>,
) -> Scoring<B> {
    let [k, d] = means.dims();
    let mean_c = means.clone() - center.clone();
    let half_log_2pi = -0.5 * d as f64 * LN_2PI;
    match precisions_cholesky {
        Covariances::Diag(pc) => {
            let prec = pc.clone() * pc.clone();
            let mp = mean_c.clone() * prec.clone();
            let bias =
                (mean_c * mp.clone()).sum_dim(1).mul_scalar(-0.5) + pc.clone().log().sum_dim(1);
            Scoring::Linear {
                head: Tensor::cat(vec![mp.transpose(), prec.mul_scalar(-0.5).transpose()], 0),
                bias: bias.add_scalar(half_log_2pi).transpose(),
            }
        }
        Covariances::Spherical(pc) => {
            let prec = (pc.clone() * pc.clone()).reshape([k, 1]);
            let mp = mean_c.clone() * prec.clone();
            let bias = (mean_c * mp.clone()).sum_dim(1).mul_scalar(-0.5)
                + pc.clone().log().reshape([k, 1]).mul_scalar(d as f64);
            Scoring::Linear {
                head: Tensor::cat(vec![mp.transpose(), prec.mul_scalar(-0.5).transpose()], 0),
                bias: bias.add_scalar(half_log_2pi).transpose(),
            }
        }
        Covariances::Tied(p) => {
            let mp = mean_c.matmul(p.clone());
            let log_det = diagonal(p.clone().unsqueeze_dim::<3>(0)).log().sum();
            let bias = (mp.clone() * mp.clone())
                .sum_dim(1)
                .mul_scalar(-0.5)
                .transpose()
                + log_det.unsqueeze_dim::<2>(0);
            let minus_half = bias.zeros_like().add_scalar(-0.5);
            Scoring::Tied {
                p: p.clone(),
                w: Tensor::cat(vec![mp.transpose(), minus_half], 0),
                bias: bias.add_scalar(half_log_2pi),
            }
        }
        Covariances::Full(p) => {
            // [K, D, D] -> [D, K, D] -> [D, K·D]: column block k is P_k; the last row is −μ_k P_k.
            // Every P_k here comes from `precision_cholesky`: upper triangular with exact
            // zeros below the diagonal, which `triangular_square_norms` relies on.
            let side = p.clone().swap_dims(0, 1).reshape([d, k * d]);
            let mu_p = mean_c
                .unsqueeze_dim::<3>(1)
                .matmul(p.clone())
                .reshape([1, k * d]);
            let log_det = diagonal(p.clone()).log().sum_dim(1).reshape([1, k]);
            Scoring::Full {
                side: Tensor::cat(vec![side, mu_p.neg()], 0),
                bias: log_det.add_scalar(half_log_2pi),
            }
        }
    }
}

/// Repeats a single tied pivot for every component.
fn expand_pivot<B: Backend>(pivot: Tensor<B, 1>, k: usize) -> Tensor<B, 1> {
    if pivot.dims()[0] == k {
        pivot
    } else {
        pivot.expand([k])
    }
}

/// scikit-learn's `_compute_precision_cholesky`: for full and tied, `P = (L⁻¹)ᵀ` with
/// `Σ = L Lᵀ`; for diagonal and spherical, `1/√σ²`. Returns the factors and the smallest
/// pivot of each covariance (`[K]`, `[1]` for tied).
fn precision_cholesky<B: Backend>(cov: &Covariances<B>) -> (Covariances<B>, Tensor<B, 1>) {
    match cov {
        Covariances::Full(c) => {
            let (l, piv) = cholesky(c.clone());
            (Covariances::Full(inverse_lower(l).swap_dims(1, 2)), piv)
        }
        Covariances::Tied(c) => {
            let d = c.dims()[0];
            let (l, piv) = cholesky(c.clone().unsqueeze_dim::<3>(0));
            (
                Covariances::Tied(inverse_lower(l).swap_dims(1, 2).reshape([d, d])),
                piv,
            )
        }
        Covariances::Diag(v) => {
            let k = v.dims()[0];
            (
                Covariances::Diag(v.clone().sqrt().recip()),
                v.clone().min_dim(1).reshape([k]),
            )
        }
        Covariances::Spherical(v) => (Covariances::Spherical(v.clone().sqrt().recip()), v.clone()),
    }
}

/// What one batch contributes to both the scoring GEMM and the statistics GEMM (the
/// [`Components::Features`] of [`GaussianComponents`]): built per pass from `x`, or prepared
/// once per fit. They depend on the data, the centre and the covariance type only.
#[derive(Debug, Clone)]
pub struct GaussianFeatures<B: Backend>(Features<B>);

#[derive(Debug, Clone)]
enum Features<B: Backend> {
    /// Diagonal `[x − c, (x − c)², 1]` (`[N, 2D + 1]`) or spherical `[x − c, ‖x − c‖², 1]`
    /// (`[N, D + 2]`): scores and statistics are one product each.
    Linear(Tensor<B, 2>),
    /// `x − c` and `[x − c, 1]` (full and tied, whose scores need more than linear terms).
    Centred {
        /// `x − c`, `[N, D]`.
        xc: Tensor<B, 2>,
        /// `[x − c, 1]`, `[N, D + 1]`.
        f: Tensor<B, 2>,
    },
}

impl<B: Backend> GaussianComponents<B> {
    fn features(&self, x: Tensor<B, 2>) -> Features<B> {
        let n = x.dims()[0];
        let xc = x - self.center.clone();
        match self.covariance_type {
            CovarianceType::Diag => {
                let sq = xc.clone() * xc.clone();
                let ones = sq.clone().slice([0..n, 0..1]).ones_like();
                Features::Linear(Tensor::cat(vec![xc, sq, ones], 1))
            }
            CovarianceType::Spherical => {
                let sq = (xc.clone() * xc.clone()).sum_dim(1);
                let ones = sq.ones_like();
                Features::Linear(Tensor::cat(vec![xc, sq, ones], 1))
            }
            CovarianceType::Full | CovarianceType::Tied => Features::Centred {
                f: Tensor::cat(
                    vec![xc.clone(), xc.clone().slice([0..n, 0..1]).ones_like()],
                    1,
                ),
                xc,
            },
        }
    }

    /// `log π_k + log N(x | μ_k, Σ_k)` from the batch's features, `[N, K]`. A `[1, K]` gate
    /// is folded into the bias row of the GEMM.
    fn score_features(&self, f: &Features<B>, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        let global = log_weights.dims()[0] == 1;
        let bias_plus = |bias: &Tensor<B, 2>| {
            if global {
                bias.clone() + log_weights.clone()
            } else {
                bias.clone()
            }
        };
        let joint = match (f, &self.scoring) {
            (Features::Linear(f), Scoring::Linear { head, bias }) => {
                // −½ (x − μ)ᵀ Λ (x − μ) + log det + const, expanded about the centre.
                matmul_rows(
                    f.clone(),
                    Tensor::cat(vec![head.clone(), bias_plus(bias)], 0),
                )
            }
            (Features::Centred { xc, f }, Scoring::Tied { p, w, bias }) => {
                let n = f.dims()[0];
                let d = xc.dims()[1];
                let xp = xc.clone().matmul(p.clone());
                let sq = group_square_norms(xp.clone(), 1);
                let g = Tensor::cat(vec![xp, sq, f.clone().slice([0..n, d..d + 1])], 1);
                g.matmul(Tensor::cat(vec![w.clone(), bias_plus(bias)], 0))
            }
            (Features::Centred { f, .. }, Scoring::Full { side, bias }) => {
                let k = bias.dims()[1];
                triangular_square_norms(f.clone(), side.clone(), k).mul_scalar(-0.5)
                    + bias_plus(bias)
            }
            _ => unreachable!("features match the covariance type"),
        };
        if global { joint } else { joint + log_weights }
    }

    /// Statistics of a batch from its features and responsibilities: `Rᵀ [x − c, sq, 1]`
    /// gives `Σ r (x − c)`, the diagonal or spherical second moments and `n_k` in one
    /// product; full and tied take `n_k` and `Σ r (x − c)` from one GEMM `Rᵀ [x − c, 1]`.
    fn stats_from(&self, f: &Features<B>, resp: Tensor<B, 2>) -> GaussianStats<B> {
        let [k, d] = self.means.dims();
        let rt = resp.clone().transpose();
        match f {
            Features::Linear(f) => {
                // One product: [Σ r (x − c), Σ r sq, Σ r].
                let t = transpose_matmul(resp, f.clone());
                let w = t.dims()[1];
                let s2 = t.clone().slice([0..k, d..w - 1]);
                GaussianStats {
                    nk: t.clone().slice([0..k, w - 1..w]).reshape([k]),
                    sx: t.slice([0..k, 0..d]),
                    sxx: match self.covariance_type {
                        CovarianceType::Spherical => SecondMoment::Spherical(s2.reshape([k])),
                        _ => SecondMoment::Diag(s2),
                    },
                }
            }
            Features::Centred { xc, f } => {
                let t = rt.matmul(f.clone());
                let sxx = match self.covariance_type {
                    CovarianceType::Tied => {
                        let w = resp.sum_dim(1); // [N, 1]
                        SecondMoment::Tied((xc.clone() * w).transpose().matmul(xc.clone()))
                    }
                    _ => SecondMoment::Full(weighted_scatter(xc.clone(), resp)),
                };
                GaussianStats {
                    sx: t.clone().slice([0..k, 0..d]),
                    sxx,
                    nk: t.slice([0..k, d..d + 1]).reshape([k]),
                }
            }
        }
    }
}

impl<B: Backend> Components<B> for GaussianComponents<B> {
    type Stats = GaussianStats<B>;
    type Features = GaussianFeatures<B>;

    fn n_components(&self) -> usize {
        self.means.dims()[0]
    }

    /// Diagonal and spherical: `[x − c, (x − c)², 1]` (`‖x − c‖²` for spherical), one
    /// product each for the scores and the statistics. Full and tied: `x − c` and
    /// `[x − c, 1]`.
    fn prepare(&self, batch: &Batch<B>) -> Result<GaussianFeatures<B>> {
        Ok(GaussianFeatures(self.features(batch.x.clone())))
    }

    fn score(&self, features: &GaussianFeatures<B>, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        self.score_features(&features.0, log_weights)
    }

    fn summarize(&self, features: &GaussianFeatures<B>, resp: Tensor<B, 2>) -> GaussianStats<B> {
        self.stats_from(&features.0, resp)
    }

    /// An empty component is [`Error::EmptyComponent`]; a covariance that is not positive
    /// definite is [`Error::NotPositiveDefinite`], quoting `reg_covar`.
    fn failure(&self, failure: ComponentFailure) -> Error {
        match failure {
            ComponentFailure::Empty { component, weight } => {
                Error::EmptyComponent { component, weight }
            }
            ComponentFailure::Singular { component, pivot } => Error::NotPositiveDefinite {
                component,
                pivot,
                reg_covar: self.reg_covar,
            },
        }
    }

    fn update(&mut self, stats: GaussianStats<B>) -> ComponentCheck<B> {
        let k = stats.nk.dims()[0];
        let weight = stats.nk.clone();
        let estimate = stats.estimate(self.reg_covar);
        self.means = estimate.means_c + self.center.clone();
        let (pc, pivot) = precision_cholesky(&estimate.covariances);
        self.covariances = estimate.covariances;
        self.precisions_cholesky = pc;
        self.refresh();
        ComponentCheck {
            pivot: expand_pivot(pivot, k),
            weight: Some(weight),
        }
    }

    fn n_parameters(&self) -> usize {
        let [k, d] = self.means.dims();
        self.covariance_type.n_parameters(k, d) + k * d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gaussian::{log_prob_diag, log_prob_full, log_prob_spherical, log_prob_tied};
    use burn::tensor::DType;
    use mixture_core::tensor::{from_f64, to_vec_f64};

    type B = burn_ndarray::NdArray<f64>;

    /// One covariance of each type for K = 2 components in D = 3 dimensions.
    fn covariance_cases() -> [Covariances<B>; 4] {
        let dev = Default::default();
        let (k, d) = (2, 3);
        let full = vec![
            2.0, 0.3, 0.1, 0.3, 1.0, -0.2, 0.1, -0.2, 0.5, 1.0, 0.0, 0.2, 0.0, 3.0, 0.4, 0.2, 0.4,
            1.5,
        ];
        [
            Covariances::Full(from_f64(full.clone(), [k, d, d], &dev, DType::F64)),
            Covariances::Tied(from_f64(full[..9].to_vec(), [d, d], &dev, DType::F64)),
            Covariances::Diag(from_f64(
                vec![2.0, 1.0, 0.5, 1.0, 3.0, 1.5],
                [k, d],
                &dev,
                DType::F64,
            )),
            Covariances::Spherical(from_f64(vec![0.7, 2.5], [k], &dev, DType::F64)),
        ]
    }

    /// The E-step's feature GEMM (about a centre, bias folded in) and scikit-learn's direct
    /// densities agree for every covariance type, away from the origin too.
    #[test]
    fn feature_scoring_matches_the_direct_densities() {
        let dev = Default::default();
        let (n, d, k) = (7, 3, 2);
        let x: Vec<f64> = (0..n * d)
            .map(|i| 5.0 + ((i * 37 % 11) as f64 - 5.0) / 2.0)
            .collect();
        let x = from_f64::<B, 2>(x, [n, d], &dev, DType::F64);
        let means = from_f64::<B, 2>(vec![4.0, 5.5, 6.0, 5.0, 4.5, 5.2], [k, d], &dev, DType::F64);
        let cases = covariance_cases();
        for cov in cases {
            let (comps, pivot) = GaussianComponents::from_covariances(means.clone(), cov, 0.0);
            assert!(to_vec_f64(pivot).unwrap().iter().all(|p| *p > 0.0));
            let comps = comps.with_center(x.clone().mean_dim(0));
            let direct = match comps.precisions_cholesky() {
                Covariances::Full(p) => log_prob_full(x.clone(), means.clone(), p),
                Covariances::Tied(p) => log_prob_tied(x.clone(), means.clone(), p),
                Covariances::Diag(p) => log_prob_diag(x.clone(), means.clone(), p),
                Covariances::Spherical(p) => log_prob_spherical(x.clone(), means.clone(), p),
            };
            let got = to_vec_f64(comps.log_prob(x.clone())).unwrap();
            let want = to_vec_f64(direct).unwrap();
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-10 * b.abs().max(1.0), "{a} vs {b}");
            }
        }
    }

    /// Full covariances at a larger D: the feature-GEMM scores equal the direct
    /// `‖(x − μ) P‖²` densities and the second moments equal `Σ r (x − c)(x − c)ᵀ` summed on
    /// the host.
    #[test]
    fn full_scores_and_statistics_match_the_direct_computation() {
        let dev = Default::default();
        let (n, d, k) = (11, 18, 3);
        let val = |i: usize, m: usize| ((i * 37 + m) % 17) as f64 / 8.0 - 1.0;
        let xs: Vec<f64> = (0..n * d).map(|i| val(i, 3) + 2.0).collect();
        let x = from_f64::<B, 2>(xs.clone(), [n, d], &dev, DType::F64);
        let means = from_f64::<B, 2>(
            (0..k * d).map(|i| val(i, 5) + 2.0).collect(),
            [k, d],
            &dev,
            DType::F64,
        );
        // Σ_k = A_k A_kᵀ + I: symmetric positive definite.
        let a = from_f64::<B, 3>(
            (0..k * d * d).map(|i| val(i, 7) / 3.0).collect(),
            [k, d, d],
            &dev,
            DType::F64,
        );
        let cov = a.clone().matmul(a.swap_dims(1, 2)) + eye_like(d, &x).unsqueeze_dim::<3>(0);
        let (comps, pivot) =
            GaussianComponents::from_covariances(means.clone(), Covariances::Full(cov), 0.0);
        assert!(to_vec_f64(pivot).unwrap().iter().all(|p| *p > 0.0));
        let comps = comps.with_center(x.clone().mean_dim(0));
        let direct = match comps.precisions_cholesky() {
            Covariances::Full(p) => log_prob_full(x.clone(), means.clone(), p),
            _ => unreachable!(),
        };
        let got = to_vec_f64(comps.log_prob(x.clone())).unwrap();
        let want = to_vec_f64(direct).unwrap();
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-10 * b.abs().max(1.0), "{a} vs {b}");
        }
        let rs: Vec<f64> = (0..n * k).map(|i| val(i, 11) + 1.5).collect();
        let resp = from_f64::<B, 2>(rs.clone(), [n, k], &dev, DType::F64);
        let c = to_vec_f64(comps.center()).unwrap();
        let stats = comps.statistics(&Batch::new(x.clone()), resp).unwrap();
        let got = match stats.sxx {
            SecondMoment::Full(t) => to_vec_f64(t).unwrap(),
            _ => panic!("full covariances have full statistics"),
        };
        for comp in 0..k {
            for i in 0..d {
                for j in 0..d {
                    let want: f64 = (0..n)
                        .map(|r| rs[r * k + comp] * (xs[r * d + i] - c[i]) * (xs[r * d + j] - c[j]))
                        .sum();
                    let g = got[(comp * d + i) * d + j];
                    assert!(
                        (g - want).abs() < 1e-10 * want.abs().max(1.0),
                        "{g} vs {want}"
                    );
                }
            }
        }
    }
}
