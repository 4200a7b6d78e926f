//! K Gaussian components for EM: the public type, holding one covariance family.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, ComponentCheck, ComponentFailure, Components, Error, Result, tensor::zeros_like_dtype,
};

use super::{
    CovarianceType, Covariances, GaussianStats, SecondMoment, StatisticsCentre,
    family::{Diag, Family, Full, Spherical, Tied},
    typed::TypedComponents,
};

/// K Gaussian components with one covariance structure: means, covariances, and the
/// Cholesky factors of the precisions, in scikit-learn's shapes and conventions.
///
/// Implements [`Components`]: the log-likelihood is scikit-learn's
/// `_estimate_log_gaussian_prob`, the statistics are additive responsibility-weighted sums
/// (see [`GaussianStats`]) and the update is `_estimate_gaussian_parameters` followed by
/// `_compute_precision_cholesky`, with `reg_covar` added to the diagonal.
///
/// Each covariance structure is its own module behind one internal trait; this type holds
/// one of the four, chosen at run time, and dispatches to it.
///
/// # Panics
/// Features and statistics belong to the components that made them: scoring features or
/// updating from statistics of another covariance type is a programming error (like a shape
/// mismatch in burn) and panics with both types named. The fits never do it.
///
/// # Example
/// ```
/// use mixture_core::Components;
/// use mixture_experts::gaussian::{CovarianceType, GaussianComponents};
/// use burn::tensor::Tensor;
/// type B = burn_ndarray::NdArray<f64>;
///
/// let x = Tensor::<B, 2>::from_floats([[0.0, 0.0], [1.0, 0.0]], &Default::default());
/// let comps = GaussianComponents::standard(CovarianceType::Diag, 3, 2, 1e-6, &x);
/// // Standard normals: log N(0 | 0, I) = −ln 2π in two dimensions.
/// let lp: Vec<f64> = comps.log_prob(x).into_data().to_vec().unwrap();
/// assert!((lp[0] + (2.0 * std::f64::consts::PI).ln()).abs() < 1e-12);
/// assert_eq!(comps.n_parameters(), 3 * 2 + 3 * 2);
/// ```
#[derive(Debug, Clone)]
pub struct GaussianComponents<B: Backend> {
    family: AnyFamily<B>,
    reg_covar: f64,
}

/// The four covariance families.
#[derive(Debug, Clone)]
enum AnyFamily<B: Backend> {
    Full(TypedComponents<B, Full>),
    Tied(TypedComponents<B, Tied>),
    Diag(TypedComponents<B, Diag>),
    Spherical(TypedComponents<B, Spherical>),
}

/// Runs `$body` with `$c` bound to the typed components, whichever family they are.
macro_rules! each {
    ($family:expr, $c:ident => $body:expr) => {
        match $family {
            AnyFamily::Full($c) => $body,
            AnyFamily::Tied($c) => $body,
            AnyFamily::Diag($c) => $body,
            AnyFamily::Spherical($c) => $body,
        }
    };
}

/// Features or statistics of another covariance type than the components': a programming
/// error, reported with both types.
#[track_caller]
pub(crate) fn mismatch(what: &str, expected: CovarianceType, got: CovarianceType) -> ! {
    panic!(
        "{what} of {got} covariances given to {expected} components: features and statistics belong to the components that made them"
    )
}

impl<B: Backend> AnyFamily<B> {
    fn covariance_type(&self) -> CovarianceType {
        match self {
            Self::Full(_) => <Full as Family<B>>::TYPE,
            Self::Tied(_) => <Tied as Family<B>>::TYPE,
            Self::Diag(_) => <Diag as Family<B>>::TYPE,
            Self::Spherical(_) => <Spherical as Family<B>>::TYPE,
        }
    }

    /// Components of the covariances' family, with the smallest pivot of each, `[K]`.
    fn from_covariances(
        means: Tensor<B, 2>,
        covariances: Covariances<B>,
        center: Tensor<B, 2>,
    ) -> (Self, Tensor<B, 1>) {
        match covariances {
            Covariances::Full(c) => {
                let (t, pivot) = TypedComponents::new(means, c, center);
                (Self::Full(t), pivot)
            }
            Covariances::Tied(c) => {
                let (t, pivot) = TypedComponents::new(means, c, center);
                (Self::Tied(t), pivot)
            }
            Covariances::Diag(c) => {
                let (t, pivot) = TypedComponents::new(means, c, center);
                (Self::Diag(t), pivot)
            }
            Covariances::Spherical(c) => {
                let (t, pivot) = TypedComponents::new(means, c, center);
                (Self::Spherical(t), pivot)
            }
        }
    }
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
        let like = zeros_like_dtype::<B, 2, E>([1, d], like);
        let family = match covariance_type {
            CovarianceType::Full => AnyFamily::Full(TypedComponents::standard(k, d, &like)),
            CovarianceType::Tied => AnyFamily::Tied(TypedComponents::standard(k, d, &like)),
            CovarianceType::Diag => AnyFamily::Diag(TypedComponents::standard(k, d, &like)),
            CovarianceType::Spherical => {
                AnyFamily::Spherical(TypedComponents::standard(k, d, &like))
            }
        };
        Self { family, reg_covar }
    }

    /// Components with the given means `[K, D]` and covariances. Returns them with the
    /// smallest Cholesky pivot of each covariance (`[K]`; not positive means the covariance
    /// is not positive definite).
    pub fn from_covariances(
        means: Tensor<B, 2>,
        covariances: Covariances<B>,
        reg_covar: f64,
    ) -> (Self, Tensor<B, 1>) {
        let d = means.dims()[1];
        let center = zeros_like_dtype::<B, 2, 2>([1, d], &means);
        let (family, pivot) = AnyFamily::from_covariances(means, covariances, center);
        (Self { family, reg_covar }, pivot)
    }

    /// Sets the centre `[1, D]` about which statistics are taken. Any fixed point works; the
    /// data mean keeps second moments accurate in f32.
    pub fn with_center(mut self, center: Tensor<B, 2>) -> Self {
        each!(&mut self.family, c => c.set_center(center));
        self
    }

    /// Sets the centre to the origin, for data whose mean is the origin already (centred on
    /// the host, or standardised): statistics and scores are then taken about it with no
    /// subtraction, and the diagonal and spherical features of a block hold the block's rows
    /// as they are, not a centred copy. A fit that keeps its features for every pass then
    /// holds the data once instead of twice (see `mixture_em::GaussianMixtureConfig::fit`).
    /// The same point as `with_center` given zeros; the features differ only in layout.
    ///
    /// ```
    /// use burn::tensor::{DType, Tensor};
    /// use mixture_core::{Batch, Components, tensor::{from_f64, to_vec_f64}};
    /// use mixture_experts::{CovarianceType, GaussianComponents};
    /// # type B = burn_flex::Flex;
    /// let dev = Default::default();
    /// let x = from_f64::<B, 2>(vec![-1.0, 0.5, 1.0, -0.5], [2, 2], &dev, DType::F64);
    /// let at_origin = GaussianComponents::standard(CovarianceType::Diag, 2, 2, 1e-6, &x)
    ///     .with_center_at_origin();
    /// let about_zero = GaussianComponents::standard(CovarianceType::Diag, 2, 2, 1e-6, &x)
    ///     .with_center(Tensor::zeros([1, 2], (&dev, DType::F64)));
    /// let log_w = Tensor::<B, 2>::zeros([1, 2], (&dev, DType::F64));
    /// let score = |c: &GaussianComponents<B>| {
    ///     let f = c.prepare(&Batch::new(x.clone())).unwrap();
    ///     to_vec_f64(c.score(&f, log_w.clone())).unwrap()
    /// };
    /// assert_eq!(score(&at_origin), score(&about_zero));
    /// ```
    pub fn with_center_at_origin(mut self) -> Self {
        each!(&mut self.family, c => c.set_center_at_origin());
        self
    }

    /// Whether the centre was set to the origin by
    /// [`with_center_at_origin`](Self::with_center_at_origin).
    pub fn center_is_origin(&self) -> bool {
        each!(&self.family, c => c.center_is_origin())
    }

    /// Sets about which point the E-step writes scores and second moments (see
    /// [`StatisticsCentre`]); the parameters do not change.
    pub fn with_statistics_centre(mut self, centre: StatisticsCentre) -> Self {
        each!(&mut self.family, c => c.set_statistics_centre(centre));
        self
    }

    /// About which point the E-step writes scores and second moments.
    pub fn statistics_centre(&self) -> StatisticsCentre {
        each!(&self.family, c => c.statistics_centre())
    }

    /// The centre `[1, D]` about which statistics and scores are taken.
    pub fn center(&self) -> Tensor<B, 2> {
        each!(&self.family, c => c.center().clone())
    }

    /// Replaces the means (`[K, D]`), keeping the covariances.
    pub fn set_means(&mut self, means: Tensor<B, 2>) {
        each!(&mut self.family, c => c.set_means(means))
    }

    /// Replaces the covariances by the inverses of `precisions`. Returns the smallest
    /// Cholesky pivot of each precision matrix (`[K]`). Precisions of another structure
    /// change the components' covariance type to theirs.
    pub fn set_precisions(&mut self, precisions: Covariances<B>) -> Tensor<B, 1> {
        let center = self.center();
        let means = self.means();
        match (&mut self.family, precisions) {
            (AnyFamily::Full(c), Covariances::Full(p)) => c.set_precisions(p),
            (AnyFamily::Tied(c), Covariances::Tied(p)) => c.set_precisions(p),
            (AnyFamily::Diag(c), Covariances::Diag(p)) => c.set_precisions(p),
            (AnyFamily::Spherical(c), Covariances::Spherical(p)) => c.set_precisions(p),
            (_, p) => {
                let ct = p.covariance_type();
                let [k, d] = means.dims();
                let mut fresh = Self::standard(ct, k, d, self.reg_covar, &means);
                fresh.set_means(means);
                fresh = fresh
                    .with_center(center)
                    .with_statistics_centre(self.statistics_centre());
                let pivot = fresh.set_precisions(p);
                *self = fresh;
                pivot
            }
        }
    }

    /// The covariance structure.
    pub fn covariance_type(&self) -> CovarianceType {
        self.family.covariance_type()
    }

    /// Means, `[K, D]`.
    pub fn means(&self) -> Tensor<B, 2> {
        each!(&self.family, c => c.means().clone())
    }

    /// Covariances (with `reg_covar` on the diagonal after an update).
    pub fn covariances(&self) -> Covariances<B> {
        each!(&self.family, c => c.covariances())
    }

    /// Cholesky factors of the precisions (scikit-learn's `precisions_cholesky_`: upper
    /// triangular for full and tied, `1/σ` for diagonal and spherical).
    pub fn precisions_cholesky(&self) -> Covariances<B> {
        each!(&self.family, c => c.precisions_cholesky())
    }

    /// Precision matrices `P Pᵀ` (or `1/σ²`).
    pub fn precisions(&self) -> Covariances<B> {
        each!(&self.family, c => c.precisions())
    }

    /// `Σ_i ln P_ii` of each component's precision factor, `[K]` (scikit-learn's
    /// `_compute_log_det_cholesky`; tied: the shared value repeated).
    pub fn log_det_cholesky(&self) -> Tensor<B, 1> {
        each!(&self.family, c => c.log_det_cholesky())
    }

    /// The covariance regularisation.
    pub fn reg_covar(&self) -> f64 {
        self.reg_covar
    }

    /// Dimension of the data, D.
    pub fn n_features(&self) -> usize {
        each!(&self.family, c => c.means().dims()[1])
    }

    /// Lower-triangular factors `A_k` with `A_k A_kᵀ = Σ_k`, `[K, D, D]` (for sampling).
    pub fn covariance_factors(&self) -> Tensor<B, 3> {
        each!(&self.family, c => c.covariance_factors())
    }

    /// The `[N, K]` log-densities of raw inputs `x` (`[N, D]`).
    pub fn log_prob(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let k = self.n_components();
        let zero = zeros_like_dtype::<B, 2, 2>([1, k], &x);
        self.log_joint(x, zero)
    }

    /// `Σ_k Σ_n r_nk log N(x_n | μ_k, Σ_k)`, `[1]`, from the statistics of the
    /// responsibilities `r` alone (no pass over the rows): with `δ_k = μ_k − c` and
    /// `M_k = Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ = S_k − s_k δ_kᵀ − δ_k s_kᵀ + n_k δ_k δ_kᵀ`,
    /// it is `Σ_k n_k (Σ_i ln P_ii − ½ D ln 2π) − ½ Σ_k tr(Λ_k M_k)`. The variational
    /// bound takes the responsibilities' entropy from it and the E-step's log-normalisers.
    ///
    /// # Panics
    /// For statistics of another covariance type (see the type's documentation).
    pub fn expected_log_prob_sum(&self, stats: &GaussianStats<B>) -> Tensor<B, 1> {
        let (nk, sx, shift) = (stats.nk.clone(), stats.sx.clone(), stats.shift.clone());
        match (&self.family, &stats.sxx) {
            (AnyFamily::Full(c), SecondMoment::Full(s)) => {
                c.expected_log_prob_sum(&(nk, sx, s.clone(), shift))
            }
            (AnyFamily::Tied(c), SecondMoment::Tied(s)) => {
                c.expected_log_prob_sum(&(nk, sx, s.clone(), shift))
            }
            (AnyFamily::Diag(c), SecondMoment::Diag(s)) => {
                c.expected_log_prob_sum(&(nk, sx, s.clone(), shift))
            }
            (AnyFamily::Spherical(c), SecondMoment::Spherical(s)) => {
                c.expected_log_prob_sum(&(nk, sx, s.clone(), shift))
            }
            (family, s) => mismatch("statistics", family.covariance_type(), s.covariance_type()),
        }
    }

    /// `log_weights + log N(x | μ_k, Σ_k)`, `[N, K]`, for `log_weights` `[1, K]` or `[N, K]`:
    /// the same feature GEMM as the E-step, in row chunks that bound memory.
    pub fn log_joint(&self, x: Tensor<B, 2>, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        each!(&self.family, c => c.log_joint(x, log_weights))
    }
}

/// What one batch contributes to both the scoring GEMM and the statistics GEMM (the
/// [`Components::Features`] of [`GaussianComponents`]): built per pass from `x`, or prepared
/// once per fit. They depend on the data, the centre and the covariance type only: diagonal
/// `[x − c, (x − c)², 1]`, spherical `[x − c, ‖x − c‖², 1]`, full and tied `x − c` with
/// `[x − c, 1]`.
#[derive(Debug, Clone)]
pub struct GaussianFeatures<B: Backend>(AnyFeatures<B>);

#[derive(Debug, Clone)]
enum AnyFeatures<B: Backend> {
    Full(<Full as Family<B>>::Features),
    Tied(<Tied as Family<B>>::Features),
    Diag(<Diag as Family<B>>::Features),
    Spherical(<Spherical as Family<B>>::Features),
}

impl<B: Backend> AnyFeatures<B> {
    fn covariance_type(&self) -> CovarianceType {
        match self {
            Self::Full(_) => CovarianceType::Full,
            Self::Tied(_) => CovarianceType::Tied,
            Self::Diag(_) => CovarianceType::Diag,
            Self::Spherical(_) => CovarianceType::Spherical,
        }
    }
}

impl<B: Backend> Components<B> for GaussianComponents<B> {
    type Stats = GaussianStats<B>;
    type Features = GaussianFeatures<B>;

    fn n_components(&self) -> usize {
        each!(&self.family, c => c.n_components())
    }

    /// Diagonal and spherical: `[x − c, (x − c)², 1]` (`‖x − c‖²` for spherical), one
    /// product each for the scores and the statistics. Full and tied: `x − c` and
    /// `[x − c, 1]`.
    fn prepare(&self, batch: &Batch<B>) -> Result<GaussianFeatures<B>> {
        let x = batch.x.clone();
        Ok(GaussianFeatures(match &self.family {
            AnyFamily::Full(c) => AnyFeatures::Full(c.features(x)),
            AnyFamily::Tied(c) => AnyFeatures::Tied(c.features(x)),
            AnyFamily::Diag(c) => AnyFeatures::Diag(c.features(x)),
            AnyFamily::Spherical(c) => AnyFeatures::Spherical(c.features(x)),
        }))
    }

    /// # Panics
    /// For features of another covariance type (see the type's documentation).
    fn score(&self, features: &GaussianFeatures<B>, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        match (&self.family, &features.0) {
            (AnyFamily::Full(c), AnyFeatures::Full(f)) => c.score(f, log_weights),
            (AnyFamily::Tied(c), AnyFeatures::Tied(f)) => c.score(f, log_weights),
            (AnyFamily::Diag(c), AnyFeatures::Diag(f)) => c.score(f, log_weights),
            (AnyFamily::Spherical(c), AnyFeatures::Spherical(f)) => c.score(f, log_weights),
            (family, f) => mismatch("features", family.covariance_type(), f.covariance_type()),
        }
    }

    /// # Panics
    /// For features of another covariance type (see the type's documentation).
    fn summarize(&self, features: &GaussianFeatures<B>, resp: Tensor<B, 2>) -> GaussianStats<B> {
        match (&self.family, &features.0) {
            (AnyFamily::Full(c), AnyFeatures::Full(f)) => c.summarize(f, resp),
            (AnyFamily::Tied(c), AnyFeatures::Tied(f)) => c.summarize(f, resp),
            (AnyFamily::Diag(c), AnyFeatures::Diag(f)) => c.summarize(f, resp),
            (AnyFamily::Spherical(c), AnyFeatures::Spherical(f)) => c.summarize(f, resp),
            (family, f) => mismatch("features", family.covariance_type(), f.covariance_type()),
        }
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

    /// # Panics
    /// For statistics of another covariance type (see the type's documentation).
    fn update(&mut self, stats: GaussianStats<B>) -> ComponentCheck<B> {
        let reg = self.reg_covar;
        let GaussianStats {
            nk,
            sx,
            sxx,
            shift: t,
        } = stats;
        match (&mut self.family, sxx) {
            (AnyFamily::Full(c), SecondMoment::Full(s)) => c.update((nk, sx, s, t), reg),
            (AnyFamily::Tied(c), SecondMoment::Tied(s)) => c.update((nk, sx, s, t), reg),
            (AnyFamily::Diag(c), SecondMoment::Diag(s)) => c.update((nk, sx, s, t), reg),
            (AnyFamily::Spherical(c), SecondMoment::Spherical(s)) => c.update((nk, sx, s, t), reg),
            (family, s) => mismatch("statistics", family.covariance_type(), s.covariance_type()),
        }
    }

    fn n_parameters(&self) -> usize {
        let k = self.n_components();
        let d = self.n_features();
        self.covariance_type().n_parameters(k, d) + k * d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gaussian::{
        family::RESIDUAL_PRODUCT_MAX_WIDTH, log_prob_diag, log_prob_full, log_prob_spherical,
        log_prob_tied,
    };
    use burn::tensor::DType;
    use mixture_core::tensor::{eye_like, from_f64, to_vec_f64};

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

    /// `n` rows in D = 3 about 5 (spread ±2.5, no two alike for n < 11) and the means of the
    /// K = 2 components of [`covariance_cases`].
    fn points(n: usize) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let dev = Default::default();
        let (d, k) = (3, 2);
        let x: Vec<f64> = (0..n * d)
            .map(|i| 5.0 + ((i * 37 % 11) as f64 - 5.0) / 2.0)
            .collect();
        let x = from_f64::<B, 2>(x, [n, d], &dev, DType::F64);
        let means = from_f64::<B, 2>(vec![4.0, 5.5, 6.0, 5.0, 4.5, 5.2], [k, d], &dev, DType::F64);
        (x, means)
    }

    /// The E-step's feature GEMM (about a centre, bias folded in) and scikit-learn's direct
    /// densities agree for every covariance type, away from the origin too.
    #[test]
    fn feature_scoring_matches_the_direct_densities() {
        let (x, means) = points(7);
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

    /// `expected_log_prob_sum` (the statistics-only form each family writes) equals
    /// `Σ_n Σ_k r_nk log N(x_n | μ_k, Σ_k)` summed over the rows, for every covariance type.
    #[test]
    fn expected_log_prob_sum_is_the_sum_over_rows() {
        let (x, means) = points(7);
        let (n, k) = (7, 2);
        let rs: Vec<f64> = (0..n * k).map(|i| ((i * 7) % 5) as f64 / 4.0).collect();
        let resp = from_f64::<B, 2>(rs.clone(), [n, k], &x.device(), DType::F64);
        for cov in covariance_cases() {
            let (comps, _) = GaussianComponents::from_covariances(means.clone(), cov, 0.0);
            let comps = comps.with_center(x.clone().mean_dim(0));
            let stats = comps
                .statistics(&Batch::new(x.clone()), resp.clone())
                .unwrap();
            let got = to_vec_f64(comps.expected_log_prob_sum(&stats)).unwrap()[0];
            let lp = to_vec_f64(comps.log_prob(x.clone())).unwrap();
            let want: f64 = lp.iter().zip(&rs).map(|(l, r)| l * r).sum();
            assert!(
                (got - want).abs() < 1e-10 * want.abs(),
                "{}: {got} vs {want}",
                comps.covariance_type()
            );
        }
    }

    /// Precisions give back the covariances they invert, for every type; precisions of
    /// another structure turn the components into that structure.
    #[test]
    fn set_precisions_inverts_and_may_change_the_structure() {
        let dev = Default::default();
        let means = from_f64::<B, 2>(vec![0.0; 6], [2, 3], &dev, DType::F64);
        for cov in covariance_cases() {
            let (comps, _) = GaussianComponents::from_covariances(means.clone(), cov.clone(), 0.0);
            let mut other = GaussianComponents::standard(CovarianceType::Full, 2, 3, 0.0, &means);
            if cov.covariance_type() == CovarianceType::Full {
                other = GaussianComponents::standard(CovarianceType::Diag, 2, 3, 0.0, &means);
            }
            let pivot = to_vec_f64(other.set_precisions(comps.precisions())).unwrap();
            assert_eq!(pivot.len(), 2);
            assert!(pivot.iter().all(|p| *p > 0.0));
            assert_eq!(other.covariance_type(), cov.covariance_type());
            let got = other.covariances().to_vec_f64().unwrap();
            let want = cov.to_vec_f64().unwrap();
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-12, "{a} vs {b}");
            }
        }
    }

    /// Features of one covariance type scored by components of another: a programming
    /// error, named in the panic.
    #[test]
    #[should_panic(expected = "features of diag covariances given to full components")]
    fn features_of_another_structure_panic_with_both_names() {
        let dev = Default::default();
        let x = from_f64::<B, 2>(vec![0.0, 1.0, 2.0, 3.0], [2, 2], &dev, DType::F64);
        let diag = GaussianComponents::standard(CovarianceType::Diag, 2, 2, 0.0, &x);
        let full = GaussianComponents::standard(CovarianceType::Full, 2, 2, 0.0, &x);
        let features = diag.prepare(&Batch::new(x.clone())).unwrap();
        let zero = zeros_like_dtype::<B, 2, 2>([1, 2], &x);
        let _ = full.score(&features, zero);
    }

    /// Scores, statistics, the update and the statistics-only expected log-density written
    /// about each component's mean equal those about the data mean (in f64, where neither
    /// loses anything), for every covariance type; a second update from shifted statistics
    /// (the mean has moved since) agrees too.
    #[test]
    fn component_means_centre_gives_the_same_fit_in_f64() {
        let (x, means) = points(9);
        centres_agree(x, means, covariance_cases());
    }

    /// The same on both sides of `RESIDUAL_PRODUCT_MAX_WIDTH`: the diagonal, spherical and
    /// tied families take their residuals from one product while their features are at most
    /// that wide and from `[K, N, D]` copies beyond it; both forms give the data-mean
    /// results. (D = 47: every family's product; 48: the diagonal's copies; 96: all copies.)
    #[test]
    fn component_means_centre_agrees_on_both_residual_forms() {
        let dev = Default::default();
        let k = 3;
        let w = RESIDUAL_PRODUCT_MAX_WIDTH;
        for d in [(w - 1) / 2, (w - 1) / 2 + 1, w] {
            // More rows than dimensions, in general position (a quadratic residue hash), so
            // that the updated covariances are well conditioned.
            let n = 2 * d + 5;
            let x: Vec<f64> = (0..n * d)
                .map(|i| 3.0 + ((i * i * 7919 + i) % 10007) as f64 / 2000.0)
                .collect();
            let x = from_f64::<B, 2>(x, [n, d], &dev, DType::F64);
            let means: Vec<f64> = (0..k * d).map(|i| 2.5 + (i % 7) as f64 / 5.0).collect();
            let means = from_f64::<B, 2>(means, [k, d], &dev, DType::F64);
            // Diagonally dominant, so positive definite: a diagonal of 1.5 + 0.1 (j mod 5),
            // 0.2 beside it.
            let matrix = |shift: f64| {
                let mut m = vec![0.0; d * d];
                for j in 0..d {
                    m[j * d + j] = 1.5 + shift + 0.1 * (j % 5) as f64;
                    if j + 1 < d {
                        m[j * d + j + 1] = 0.2;
                        m[(j + 1) * d + j] = 0.2;
                    }
                }
                m
            };
            let full = [matrix(0.0), matrix(0.5), matrix(1.0)].concat();
            let diag: Vec<f64> = (0..k * d).map(|i| 0.5 + (i % 4) as f64 / 2.0).collect();
            let cases = [
                Covariances::Full(from_f64(full, [k, d, d], &dev, DType::F64)),
                Covariances::Tied(from_f64(matrix(0.0), [d, d], &dev, DType::F64)),
                Covariances::Diag(from_f64(diag, [k, d], &dev, DType::F64)),
                Covariances::Spherical(from_f64(vec![0.7, 2.5, 1.2], [k], &dev, DType::F64)),
            ];
            centres_agree(x, means, cases);
        }
    }

    /// `got` equals `want` to 1e-10 relative (absolute below 1).
    fn close(got: Vec<f64>, want: Vec<f64>, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (x, y) in got.iter().zip(&want) {
            assert!(
                (x - y).abs() < 1e-10 * y.abs().max(1.0),
                "{what}: {x} vs {y}"
            );
        }
    }

    /// One E-step and update of `other` agree with `reference`'s on the rows `x` under
    /// `resp`: the log-densities, the expected log-density of the statistics, and the updated
    /// means and covariances ([`close`]). Returns whether each side's statistics carried a
    /// shift.
    fn step_agrees(
        reference: &mut GaussianComponents<B>,
        other: &mut GaussianComponents<B>,
        x: &Tensor<B, 2>,
        resp: &Tensor<B, 2>,
        what: &str,
    ) -> (bool, bool) {
        close(
            to_vec_f64(other.log_prob(x.clone())).unwrap(),
            to_vec_f64(reference.log_prob(x.clone())).unwrap(),
            what,
        );
        let batch = Batch::new(x.clone());
        let a = reference.statistics(&batch, resp.clone()).unwrap();
        let b = other.statistics(&batch, resp.clone()).unwrap();
        let shifts = (a.shift.is_some(), b.shift.is_some());
        close(
            to_vec_f64(other.expected_log_prob_sum(&b)).unwrap(),
            to_vec_f64(reference.expected_log_prob_sum(&a)).unwrap(),
            what,
        );
        let _ = reference.update(a);
        let _ = other.update(b);
        close(
            to_vec_f64(other.means()).unwrap(),
            to_vec_f64(reference.means()).unwrap(),
            what,
        );
        close(
            other.covariances().to_vec_f64().unwrap(),
            reference.covariances().to_vec_f64().unwrap(),
            what,
        );
        shifts
    }

    /// Scores, statistics, the expected log-density, and two updates about the component
    /// means equal those about the data mean, to 1e-10 relative (f64).
    fn centres_agree(x: Tensor<B, 2>, means: Tensor<B, 2>, cases: [Covariances<B>; 4]) {
        let [n, _] = x.dims();
        let k = means.dims()[0];
        let resp: Vec<f64> = (0..n * k)
            .map(|i| ((i * 7) % 5) as f64 / 4.0 + 0.1)
            .collect();
        let resp = from_f64::<B, 2>(resp, [n, k], &x.device(), DType::F64);
        for cov in cases {
            let (plain, _) = GaussianComponents::from_covariances(means.clone(), cov, 1e-6);
            let mut plain = plain.with_center(x.clone().mean_dim(0));
            let mut shifted = plain
                .clone()
                .with_statistics_centre(StatisticsCentre::ComponentMeans);
            let ct = plain.covariance_type();
            for round in 0..2 {
                let what = format!("{ct}, D = {}, round {round}", x.dims()[1]);
                let shifts = step_agrees(&mut plain, &mut shifted, &x, &resp, &what);
                assert_eq!(shifts, (false, true), "{what}");
            }
            assert_eq!(
                shifted.statistics_centre(),
                StatisticsCentre::ComponentMeans
            );
        }
    }

    /// About the origin (features that hold the rows themselves beside `[sq, 1]` for the
    /// diagonal and spherical families), centred data give the scores, statistics and updates
    /// they give about their own mean, for every family and both statistics centres (f64,
    /// 1e-10 relative).
    #[test]
    fn the_origin_centre_gives_the_data_mean_results() {
        let (x, means) = points(9);
        let mean = x.clone().mean_dim(0);
        let (x, means) = (x - mean.clone(), means - mean);
        let [n, _] = x.dims();
        let k = means.dims()[0];
        let resp: Vec<f64> = (0..n * k)
            .map(|i| ((i * 3) % 7) as f64 / 6.0 + 0.1)
            .collect();
        let resp = from_f64::<B, 2>(resp, [n, k], &x.device(), DType::F64);
        for cov in covariance_cases() {
            for centre in [StatisticsCentre::DataMean, StatisticsCentre::ComponentMeans] {
                let (c, _) = GaussianComponents::from_covariances(means.clone(), cov.clone(), 1e-6);
                let c = c.with_statistics_centre(centre);
                let mut about_mean = c.clone().with_center(x.clone().mean_dim(0));
                let mut at_origin = c.with_center_at_origin();
                let what = format!("{}, {centre:?}", about_mean.covariance_type());
                step_agrees(&mut about_mean, &mut at_origin, &x, &resp, &what);
                assert_eq!(to_vec_f64(at_origin.center()).unwrap(), vec![0.0; 3]);
            }
        }
    }

    /// In f32, a thin component far from the data mean: about the data mean its variance
    /// is lost to cancellation (`|μ − c|²/σ² = 10¹⁰`), about its own mean it is exact to f32
    /// rounding.
    #[test]
    fn component_means_keep_a_thin_far_component_in_f32() {
        type F = burn_ndarray::NdArray<f32>;
        let dev = Default::default();
        let d = 2;
        // Two clusters 2·10⁴ apart, each of variance 4·10⁻⁶ (σ = 2·10⁻³) per coordinate.
        let mut rows = Vec::new();
        for i in 0..40 {
            let e = if i % 2 == 0 { 2e-3 } else { -2e-3 };
            let f = if (i / 2) % 2 == 0 { 2e-3 } else { -2e-3 };
            let c = if i < 20 { -1e4 } else { 1e4 };
            rows.extend([c + e, c + f]);
        }
        let x = from_f64::<F, 2>(rows, [40, d], &dev, DType::F32);
        let resp: Vec<f64> = (0..40)
            .flat_map(|i| if i < 20 { [1.0, 0.0] } else { [0.0, 1.0] })
            .collect();
        let resp = from_f64::<F, 2>(resp, [40, 2], &dev, DType::F32);
        let means = from_f64::<F, 2>(vec![-1e4, -1e4, 1e4, 1e4], [2, d], &dev, DType::F32);
        // The variances of the f32 rows themselves (the rows round to 2 ulps of 10⁴, about
        // ±1.95·10⁻³), computed in f64 on the host.
        let held = to_vec_f64(x.clone()).unwrap();
        let want: Vec<f64> = (0..2)
            .flat_map(|c| {
                let held = &held;
                (0..d).map(move |j| {
                    let v: Vec<f64> = (0..20).map(|i| held[(c * 20 + i) * d + j]).collect();
                    let m = v.iter().sum::<f64>() / 20.0;
                    v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / 20.0
                })
            })
            .collect();
        for centre in [StatisticsCentre::DataMean, StatisticsCentre::ComponentMeans] {
            let mut comps = GaussianComponents::standard(CovarianceType::Diag, 2, d, 0.0, &x)
                .with_center(x.clone().mean_dim(0))
                .with_statistics_centre(centre);
            comps.set_means(means.clone());
            let stats = comps
                .statistics(&Batch::new(x.clone()), resp.clone())
                .unwrap();
            let _ = comps.update(stats);
            let var = comps.covariances().to_vec_f64().unwrap();
            let worst = var
                .iter()
                .zip(&want)
                .map(|(v, w)| (v - w).abs() / w)
                .fold(0.0_f64, f64::max);
            match centre {
                // Squares of 10⁸ in f32 (ulp 8) hold nothing of a variance of 4·10⁻⁶.
                StatisticsCentre::DataMean => assert!(!(worst < 0.5), "{var:?} vs {want:?}"),
                // The residuals are exact; only the sums round (20 terms, f32).
                StatisticsCentre::ComponentMeans => assert!(worst < 1e-5, "{var:?} vs {want:?}"),
            }
        }
    }
}
