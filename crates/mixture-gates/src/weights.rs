//! Global mixing weights: learned from counts (maximum likelihood) or fixed.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, Gate, Statistics,
    reduce::{Reducer, all_reduce_tensors},
};

use mixture_core::stats::NK_EPS;

/// Global mixing weights `π` (the same for every row).
///
/// *Learned* weights are the maximum-likelihood update `π_k = n_k / Σ n_k` from the summed
/// responsibilities (a Gaussian mixture's weights); *fixed* weights never change (the
/// constant gate of a mixture of experts).
///
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::{Batch, Gate};
/// use mixture_gates::Weights;
/// type B = burn_flex::Flex;
/// let device = Default::default();
/// let gate = Weights::<B>::fixed(Tensor::from_floats([0.25, 0.75], &device));
/// let x = Tensor::<B, 2>::zeros([3, 1], &device);
/// let w = gate.predict_weights(&Batch::new(x));
/// assert_eq!(w.dims(), [3, 2]);
/// ```
#[derive(Debug, Clone)]
pub struct Weights<B: Backend> {
    weights: Tensor<B, 1>,
    learn: bool,
}

/// Summed responsibilities `Σ_n r_nk`, `[K]`.
#[derive(Debug, Clone)]
pub struct Counts<B: Backend>(pub Tensor<B, 1>);

impl<B: Backend> Counts<B> {
    /// The column sums of `[N, K]` responsibilities.
    pub fn of(resp: Tensor<B, 2>) -> Self {
        let k = resp.dims()[1];
        Self(resp.sum_dim(0).reshape([k]))
    }
}

impl<B: Backend> Statistics for Counts<B> {
    fn merge(self, other: Self) -> Self {
        Self(self.0 + other.0)
    }

    fn all_reduce(self, reducer: &dyn Reducer) -> mixture_core::Result<Self> {
        let mut sums = all_reduce_tensors(reducer, vec![self.0])?;
        Ok(Self(sums.remove(0)))
    }
}

impl<B: Backend> Weights<B> {
    /// Weights learned from counts, starting at `weights` (`[K]`, summing to one).
    pub fn learned(weights: Tensor<B, 1>) -> Self {
        Self {
            weights,
            learn: true,
        }
    }

    /// Weights that never change.
    pub fn fixed(weights: Tensor<B, 1>) -> Self {
        Self {
            weights,
            learn: false,
        }
    }

    /// The current weights, `[K]`.
    pub fn weights(&self) -> Tensor<B, 1> {
        self.weights.clone()
    }

    /// Replaces the weights (`[K]`, normalised here to sum to one).
    pub fn set_weights(&mut self, weights: Tensor<B, 1>) {
        let total = weights.clone().sum();
        self.weights = weights / total;
    }

    /// Whether the weights are updated by EM.
    pub fn is_learned(&self) -> bool {
        self.learn
    }
}

impl<B: Backend> Gate<B> for Weights<B> {
    type Stats = Counts<B>;

    fn n_components(&self) -> usize {
        self.weights.dims()[0]
    }

    fn log_weights(&self, _batch: &Batch<B>) -> Tensor<B, 2> {
        self.weights.clone().log().unsqueeze_dim::<2>(0)
    }

    fn statistics(&self, _batch: &Batch<B>, resp: Tensor<B, 2>) -> Counts<B> {
        Counts::of(resp)
    }

    fn update(&mut self, stats: Counts<B>) {
        if self.learn {
            self.set_weights(stats.0.add_scalar(NK_EPS));
        }
    }

    fn n_parameters(&self) -> usize {
        if self.learn {
            self.n_components() - 1
        } else {
            0
        }
    }
}
