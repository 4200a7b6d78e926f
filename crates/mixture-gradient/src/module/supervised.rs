//! The supervised variant: components grouped per class, labels optional per row.

use burn::module::Module;
use burn::tensor::{Int, Tensor, TensorData, backend::Backend};
use mixture_core::{
    Error, LogPrior, Result,
    logsumexp::{logsumexp, softmax_log},
    sampling::categorical,
    tensor::to_vec_i64,
};
use rand::{SeedableRng, rngs::StdRng};

use super::GaussianMixtureModule;

/// What [`SupervisedGaussianMixture::supervised_sampling`] returns for each label.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum SupervisedSample {
    /// A draw from the class's mixture (component by its within-class weight, then a
    /// Gaussian draw) — multiDGD's `'random'`.
    #[default]
    Random,
    /// The mean of a component of the class, chosen by its within-class weight (no noise) —
    /// multiDGD's `'origin'`.
    Mean,
}

/// A Gaussian mixture whose `K = C · P` components are grouped per class: components
/// `c·P .. (c+1)·P` model class `c` (multiDGD's `GaussianMixtureSupervised`).
///
/// Rows may carry a label (`>= 0`) or not (negative, multiDGD uses 999). With mixing weights
/// `π = softmax(logits)` over all `K` components:
///
/// * a labelled row scores the joint `log p(x, c) = log Σ_{k ∈ c} π_k N(x | μ_k, Σ_k)` — a
///   **log-sum-exp within the class**;
/// * an unlabelled row scores the marginal `log p(x) = log Σ_k π_k N(x | μ_k, Σ_k)`.
///
/// Both are terms of one semi-supervised likelihood, so labelled and unlabelled rows mix in
/// a batch. **Difference from multiDGD**: multiDGD *sums* the per-component log-terms of the
/// class (with weights renormalised within the class) instead of taking their log-sum-exp,
/// and multiplies the result by the number of classes. That sum is not the log-density of
/// any mixture: it rewards a point for being close to *every* component of its class at
/// once, pulling a class's components together. Here a class is a proper sub-mixture.
#[derive(Module, Debug)]
pub struct SupervisedGaussianMixture<B: Backend> {
    /// The underlying mixture of all `C · P` components.
    pub mixture: GaussianMixtureModule<B>,
    #[module(skip)]
    n_classes: usize,
    #[module(skip)]
    per_class: usize,
}

impl<B: Backend> SupervisedGaussianMixture<B> {
    /// Groups the components of `mixture` into `n_classes` blocks of `per_class`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `n_classes · per_class` differs from the number of
    /// components or either is zero.
    pub fn new(
        mixture: GaussianMixtureModule<B>,
        n_classes: usize,
        per_class: usize,
    ) -> Result<Self> {
        if n_classes == 0 || per_class == 0 || n_classes * per_class != mixture.n_components() {
            return Err(Error::InvalidConfig {
                field: "n_classes",
                reason: format!(
                    "{n_classes} classes × {per_class} components per class must equal the \
                     mixture's {} components (and neither may be zero)",
                    mixture.n_components()
                ),
            });
        }
        Ok(Self {
            mixture,
            n_classes,
            per_class,
        })
    }

    /// Number of classes, C.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Components per class, P.
    pub fn per_class(&self) -> usize {
        self.per_class
    }

    /// `log p(x_n, c)` for every class, `[N, C]`.
    pub fn class_log_prob(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let n = x.dims()[0];
        let (c, p) = (self.n_classes, self.per_class);
        let w = self.mixture.weighted_log_prob(x).reshape([n * c, p]);
        logsumexp(w).reshape([n, c])
    }

    /// Per row, `log p(x_n, c_n)` where a label is given (`>= 0`) and `log p(x_n)` where it
    /// is not (negative label, or `labels = None`), `[N]`.
    ///
    /// # Panics
    /// If a label is `>= C` (check with [`check_labels`](Self::check_labels)).
    pub fn log_prob(&self, x: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 1> {
        let n = x.dims()[0];
        let class_lp = self.class_log_prob(x);
        let marginal = logsumexp(class_lp.clone());
        match labels {
            None => marginal,
            Some(labels) => {
                let unlabelled = labels.clone().lower_elem(0);
                let idx = labels.clamp_min(0).reshape([n, 1]);
                let joint = class_lp.gather(1, idx).reshape([n]);
                joint.mask_where(unlabelled, marginal)
            }
        }
    }

    /// The negative of [`log_prob`](Self::log_prob), `[N]` (no prior).
    pub fn forward(&self, x: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 1> {
        self.log_prob(x, labels).neg()
    }

    /// The scalar objective `−mean_n log p(x_n[, c_n]) − prior_scale · log p(θ)`, `[1]`; see
    /// [`GaussianMixtureModule::loss`].
    pub fn loss(
        &self,
        x: Tensor<B, 2>,
        labels: Option<Tensor<B, 1, Int>>,
        prior: Option<&dyn LogPrior<B, GaussianMixtureModule<B>>>,
        prior_scale: f64,
    ) -> Tensor<B, 1> {
        let nll = self.forward(x, labels).mean();
        match prior {
            Some(p) if prior_scale != 0.0 => {
                nll - p.log_prior(&self.mixture).mul_scalar(prior_scale)
            }
            _ => nll,
        }
    }

    /// The most probable class of each row, `[N]`.
    pub fn predict_class(&self, x: Tensor<B, 2>) -> Tensor<B, 1, Int> {
        let n = x.dims()[0];
        self.class_log_prob(x).argmax(1).reshape([n])
    }

    /// Class probabilities `p(c | x_n)`, `[N, C]`.
    pub fn predict_class_proba(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        softmax_log(self.class_log_prob(x))
    }

    /// Mixing weights within each class, `[C, P]` (rows sum to one; multiDGD's
    /// `label_mixture_probs` for every label at once).
    pub fn label_mixture_probs(&self) -> Tensor<B, 2> {
        softmax_log(
            self.mixture
                .logits
                .val()
                .reshape([self.n_classes, self.per_class]),
        )
    }

    /// Probability of each class, `Σ_{k ∈ c} π_k`, `[C]`.
    pub fn class_probs(&self) -> Tensor<B, 1> {
        let c = self.n_classes;
        self.mixture
            .mixture_probs()
            .reshape([c, self.per_class])
            .sum_dim(1)
            .reshape([c])
    }

    /// Checks that every label is `< C` (negative labels mean "unlabelled").
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad row, [`Error::DimensionMismatch`] if
    /// the number of labels differs from `n_rows`.
    pub fn check_labels(&self, labels: &Tensor<B, 1, Int>, n_rows: usize) -> Result<()> {
        if labels.dims()[0] != n_rows {
            return Err(Error::DimensionMismatch {
                what: "number of labels",
                expected: n_rows,
                found: labels.dims()[0],
            });
        }
        let v = to_vec_i64(labels.clone())?;
        if let Some(row) = v.iter().position(|&l| l >= self.n_classes as i64) {
            return Err(Error::InvalidConfig {
                field: "labels",
                reason: format!(
                    "label {} at row {row} is not below the number of classes {}; use a \
                     negative label for an unlabelled row",
                    v[row], self.n_classes
                ),
            });
        }
        Ok(())
    }

    /// Labels as a tensor on `device`, `None` becoming `-1` (unlabelled).
    pub fn labels_tensor(labels: &[Option<usize>], device: &B::Device) -> Tensor<B, 1, Int> {
        let v: Vec<i64> = labels.iter().map(|l| l.map_or(-1, |c| c as i64)).collect();
        let n = v.len();
        Tensor::from_data(TensorData::new(v, [n]), device)
    }

    /// One point per label (multiDGD's `supervised_sampling`), `[n, D]`: a component of the
    /// label's class is chosen by its within-class weight, then either drawn from
    /// ([`SupervisedSample::Random`]) or its mean taken ([`SupervisedSample::Mean`]).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if a label is `>= C`.
    pub fn supervised_sampling(
        &self,
        labels: &[usize],
        kind: SupervisedSample,
        seed: u64,
    ) -> Result<Tensor<B, 2>> {
        if let Some(row) = labels.iter().position(|&l| l >= self.n_classes) {
            return Err(Error::InvalidConfig {
                field: "labels",
                reason: format!(
                    "label {} at position {row} is not below the number of classes {}",
                    labels[row], self.n_classes
                ),
            });
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let n = labels.len();
        let device = self.mixture.means.val().device();
        let lab: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
        let lab = Tensor::<B, 1, Int>::from_data(TensorData::new(lab, [n]), &device);
        let within = self.label_mixture_probs().select(0, lab.clone()); // [n, P]
        let j = categorical(within, &mut rng);
        let comp = lab.mul_scalar(self.per_class as i64) + j;
        Ok(self
            .mixture
            .draw_from(comp, kind == SupervisedSample::Random, &mut rng))
    }
}
