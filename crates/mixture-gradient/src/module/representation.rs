//! Learnable per-sample representations (multiDGD's `RepresentationLayer`).

use burn::module::{Module, Param};
use burn::tensor::{DType, Int, Tensor, backend::Backend};
use mixture_core::{logsumexp::softmax_log, sampling::categorical, tensor::opts};
use rand::{SeedableRng, rngs::StdRng};

use super::{GaussianMixtureModule, NewPoints};

/// `n_samples` learnable vectors of dimension `dim`, looked up by sample index: the latent
/// codes of a decoder-only model (multiDGD's deep generative decoder), usually with a
/// [`GaussianMixtureModule`] as their prior.
///
/// multiDGD steps the representations once per epoch (gradients accumulated over all
/// batches) while the decoder and the mixture step per batch; with burn that is a separate
/// optimizer whose `step` is called once per epoch with the accumulated gradients
/// (`burn::optim::GradientsAccumulator`).
#[derive(Module, Debug)]
pub struct RepresentationLayer<B: Backend> {
    /// The representations, `[n_samples, dim]`.
    pub z: Param<Tensor<B, 2>>,
}

impl<B: Backend> RepresentationLayer<B> {
    /// All representations at the origin (multiDGD's default `'zero'`).
    pub fn zeros(n_samples: usize, dim: usize, device: &B::Device, dtype: DType) -> Self {
        Self::from_tensor(Tensor::zeros([n_samples, dim], opts::<B>(device, dtype)))
    }

    /// Representations starting at the rows of `z` (`[n_samples, dim]`).
    pub fn from_tensor(z: Tensor<B, 2>) -> Self {
        Self {
            z: Param::from_tensor(z.detach()),
        }
    }

    /// `n_samples` representations drawn from `mixture`: each picks a component by its
    /// weight, then starts at its mean ([`NewPoints::Mean`]) or at a draw from it
    /// ([`NewPoints::Sample`]).
    pub fn from_mixture(
        mixture: &GaussianMixtureModule<B>,
        n_samples: usize,
        kind: NewPoints,
        seed: u64,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let k = mixture.n_components();
        let w = softmax_log(mixture.logits.val().unsqueeze_dim::<2>(0)).expand([n_samples, k]);
        let comp = categorical(w, &mut rng);
        Self::from_tensor(mixture.draw_from(comp, kind == NewPoints::Sample, &mut rng))
    }

    /// Number of representations.
    pub fn n_samples(&self) -> usize {
        self.z.dims()[0]
    }

    /// Dimension of each representation.
    pub fn dim(&self) -> usize {
        self.z.dims()[1]
    }

    /// The representations of the samples `idx` (`[n]` indices), `[n, dim]`.
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn forward(&self, idx: Tensor<B, 1, Int>) -> Tensor<B, 2> {
        self.z.val().select(0, idx)
    }

    /// All representations, `[n_samples, dim]`.
    pub fn all(&self) -> Tensor<B, 2> {
        self.z.val()
    }
}
