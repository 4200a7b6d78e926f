//! The fitted gate of a mixture of experts, whichever its kind.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{Batch, Gate};
use mixture_gates::{Dirichlet, PerSampleDirichlet, SoftmaxGate, Weights};

use super::GateKind;

/// The gate of a fitted [`MixtureOfExperts`](super::MixtureOfExperts).
#[derive(Debug, Clone)]
pub enum FittedGate<B: Backend> {
    /// A variational Dirichlet over global weights.
    Dirichlet(Dirichlet<B>),
    /// A softmax network.
    Softmax(Box<SoftmaxGate<B>>),
    /// Per-row Dirichlets.
    PerSample(PerSampleDirichlet<B>),
    /// Fixed weights.
    Constant(Weights<B>),
}

impl<B: Backend> FittedGate<B> {
    /// The kind of gate.
    pub fn kind(&self) -> GateKind {
        match self {
            Self::Dirichlet(_) => GateKind::Dirichlet,
            Self::Softmax(_) => GateKind::Softmax,
            Self::PerSample(_) => GateKind::PerSample,
            Self::Constant(_) => GateKind::Constant,
        }
    }

    /// The weights `π(x)` of new rows `x` (`[N, D]`), `[N, K]`: the Dirichlet's posterior
    /// mean, the network's softmax, the per-sample gate's average posterior mean (see
    /// [`PerSampleDirichlet`]), or the fixed weights.
    pub fn predict_weights(&self, x: &Tensor<B, 2>) -> Tensor<B, 2> {
        let batch = Batch::new(x.clone());
        match self {
            Self::Dirichlet(g) => g.predict_weights(&batch),
            Self::Softmax(g) => g.predict_weights(&batch),
            Self::PerSample(g) => g.predict_weights(&batch),
            Self::Constant(g) => g.predict_weights(&batch),
        }
    }

    /// Free parameters of the gate.
    pub fn n_parameters(&self) -> usize {
        match self {
            Self::Dirichlet(g) => g.n_parameters(),
            Self::Softmax(g) => g.n_parameters(),
            Self::PerSample(g) => g.n_parameters(),
            Self::Constant(g) => g.n_parameters(),
        }
    }
}
