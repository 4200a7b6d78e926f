//! K Gaussian components, batched, for EM.

use burn::tensor::{backend::Backend, Tensor};
use mixture_core::{
    linalg::{cholesky, inverse_lower, symmetrize},
    tensor::{eye_like, zeros_like_dtype},
    Batch, ComponentCheck, Components,
};

use super::{
    density::{log_prob_diag, log_prob_full, log_prob_spherical, log_prob_tied},
    stats::SecondMoment,
    CovarianceType, Covariances, GaussianStats,
};

/// Added to every component's total responsibility before dividing by it, as scikit-learn
/// does (`10 · f64::EPSILON`), so that an empty component gives finite numbers.
const NK_EPS: f64 = 10.0 * f64::EPSILON;

/// Rows per chunk for the full-covariance statistics (`[rows, K·D]` intermediate ≈ 2²⁴).
fn chunk_rows(n: usize, k: usize, d: usize) -> usize {
    ((1usize << 24) / (k * d).max(1)).clamp(1, n.max(1))
}

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
        Self {
            covariance_type,
            means,
            covariances,
            precisions_cholesky,
            reg_covar,
            center,
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
        (
            Self {
                covariance_type: covariances.covariance_type(),
                means,
                covariances,
                precisions_cholesky,
                reg_covar,
                center,
            },
            pivot,
        )
    }

    /// Sets the centre `[1, D]` about which statistics are taken. Any fixed point works; the
    /// data mean keeps second moments accurate in f32.
    pub fn with_center(mut self, center: Tensor<B, 2>) -> Self {
        self.center = center;
        self
    }

    /// Replaces the means (`[K, D]`), keeping the covariances.
    pub fn set_means(&mut self, means: Tensor<B, 2>) {
        self.means = means;
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
        match &self.precisions_cholesky {
            Covariances::Full(p) => log_prob_full(x, self.means.clone(), p.clone()),
            Covariances::Tied(p) => log_prob_tied(x, self.means.clone(), p.clone()),
            Covariances::Diag(p) => log_prob_diag(x, self.means.clone(), p.clone()),
            Covariances::Spherical(p) => log_prob_spherical(x, self.means.clone(), p.clone()),
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

impl<B: Backend> Components<B> for GaussianComponents<B> {
    type Stats = GaussianStats<B>;

    fn n_components(&self) -> usize {
        self.means.dims()[0]
    }

    fn log_likelihood(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        self.log_prob(batch.x.clone())
    }

    fn statistics(&self, batch: &Batch<B>, resp: Tensor<B, 2>) -> GaussianStats<B> {
        let [n, d] = batch.x.dims();
        let k = resp.dims()[1];
        let xc = batch.x.clone() - self.center.clone();
        let nk = resp.clone().sum_dim(0).reshape([k]);
        let sx = resp.clone().transpose().matmul(xc.clone());
        let sxx = match self.covariance_type {
            CovarianceType::Full => {
                // Z[n, k·D + j] = r_nk (x_nj − c_j); Zᵀ (X − c) = [K·D, D] = Σ_k blocks.
                let step = chunk_rows(n, k, d);
                let mut acc: Option<Tensor<B, 2>> = None;
                let mut start = 0;
                while start < n {
                    let end = (start + step).min(n);
                    let (r, x) = if step >= n {
                        (resp.clone(), xc.clone())
                    } else {
                        (
                            resp.clone().slice([start..end, 0..k]),
                            xc.clone().slice([start..end, 0..d]),
                        )
                    };
                    let rows = end - start;
                    let z = (r.unsqueeze_dim::<3>(2) * x.clone().unsqueeze_dim::<3>(1))
                        .reshape([rows, k * d]);
                    let part = z.transpose().matmul(x);
                    acc = Some(match acc {
                        Some(a) => a + part,
                        None => part,
                    });
                    start = end;
                }
                SecondMoment::Full(acc.expect("a batch has rows").reshape([k, d, d]))
            }
            CovarianceType::Tied => {
                let w = resp.sum_dim(1); // [N, 1]
                SecondMoment::Tied((xc.clone() * w).transpose().matmul(xc))
            }
            CovarianceType::Diag | CovarianceType::Spherical => {
                SecondMoment::Diag(resp.transpose().matmul(xc.clone() * xc))
            }
        };
        GaussianStats { nk, sx, sxx }
    }

    fn update(&mut self, stats: GaussianStats<B>) -> ComponentCheck<B> {
        let k = stats.nk.dims()[0];
        let d = stats.sx.dims()[1];
        let nk = stats.nk.clone().add_scalar(NK_EPS);
        let mean_c = stats.sx / nk.clone().unsqueeze_dim::<2>(1); // [K, D], centred
        let reg = self.reg_covar;
        let covariances = match stats.sxx {
            SecondMoment::Full(s) => {
                let outer =
                    mean_c.clone().unsqueeze_dim::<3>(2) * mean_c.clone().unsqueeze_dim::<3>(1);
                let cov = s / nk.clone().reshape([k, 1, 1]) - outer;
                let eye = eye_like(d, &cov).unsqueeze_dim::<3>(0).mul_scalar(reg);
                Covariances::Full(symmetrize(cov) + eye)
            }
            SecondMoment::Tied(s) => {
                let means2 = (mean_c.clone() * nk.clone().unsqueeze_dim::<2>(1))
                    .transpose()
                    .matmul(mean_c.clone());
                let cov = (s - means2) / nk.clone().sum().unsqueeze_dim::<2>(1);
                let cov = symmetrize(cov.unsqueeze_dim::<3>(0)).reshape([d, d]);
                Covariances::Tied(cov + eye_like(d, &mean_c).mul_scalar(reg))
            }
            SecondMoment::Diag(s) => {
                let var = s / nk.clone().unsqueeze_dim::<2>(1) - mean_c.clone() * mean_c.clone();
                let var = var.add_scalar(reg);
                match self.covariance_type {
                    CovarianceType::Spherical => {
                        Covariances::Spherical(var.mean_dim(1).reshape([k]))
                    }
                    _ => Covariances::Diag(var),
                }
            }
        };
        self.means = mean_c + self.center.clone();
        let (pc, pivot) = precision_cholesky(&covariances);
        self.covariances = covariances;
        self.precisions_cholesky = pc;
        ComponentCheck {
            pivot: expand_pivot(pivot, k),
            weight: stats.nk,
        }
    }

    fn n_parameters(&self) -> usize {
        let [k, d] = self.means.dims();
        self.covariance_type.n_parameters(k, d) + k * d
    }
}
