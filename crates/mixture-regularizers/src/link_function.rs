//! A link function between the experts' prior means (MixtureLib's `RegularizeFunc`).

use core::fmt;

use burn::{
    backend::Autodiff,
    module::{Module, Param},
    optim::{AdamConfig, GradientsParams, Optimizer},
    tensor::{Tensor, backend::Backend},
};
use mixture_core::{Error, Regularizer, Result};
use mixture_experts::BayesianLinear;

/// The user's link `R(W0)`: stacked prior means `[K, D, P]` → a `[1]` log-likelihood-like
/// score to maximise, on the autodiff backend.
pub type Link<B> = dyn Fn(Tensor<Autodiff<B>, 3>) -> Tensor<Autodiff<B>, 1>;

/// Moves the experts' prior means `W0 = (w0_1, …, w0_K)` by `epochs` Adam steps (learning
/// rate `learning_rate`, on the `Autodiff` backend) that maximise
///
/// `Σ_k Σ_p [−½ w0_kpᵀ A_k⁻¹ w0_kp + w0_kpᵀ A_k⁻¹ m_kp] + R(W0)`,
///
/// the part of the evidence lower bound that depends on the prior means plus a user
/// function `R` that links them (say `R(W0) = −‖W0‖²`, or a penalty on differences). A fresh
/// Adam runs at every M-step, from the current means. Experts without a prior are left
/// unchanged.
///
/// MixtureLib's code halves the linear term (`½ w0ᵀA⁻¹m`, which pulls `w0` towards `m/2`);
/// its docstring and the bound have no ½, as here. Adam's steps are nearly sign steps, so the
/// documented example still lands at `0.9027` instead of `0.9021` for the second expert.
///
/// ```
/// use burn::backend::Autodiff;
/// use burn::tensor::Tensor;
/// use mixture_regularizers::LinkFunction;
/// type B = burn_flex::Flex;
/// let link = LinkFunction::<B>::new(|w0: Tensor<Autodiff<B>, 3>| w0.powi_scalar(2).sum().neg())
///     .with_epochs(100)
///     .with_learning_rate(1e-3);
/// assert_eq!(link.epochs(), 100);
/// ```
pub struct LinkFunction<B: Backend> {
    link: Box<Link<B>>,
    epochs: usize,
    learning_rate: f64,
}

impl<B: Backend> fmt::Debug for LinkFunction<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkFunction")
            .field("epochs", &self.epochs)
            .field("learning_rate", &self.learning_rate)
            .finish_non_exhaustive()
    }
}

#[derive(Module, Debug)]
struct PriorMeans<B: Backend> {
    w0: Param<Tensor<B, 3>>,
}

impl<B: Backend> LinkFunction<B> {
    /// A link function `R`, with MixtureLib's defaults: 100 epochs, learning rate 1e-3.
    pub fn new(link: impl Fn(Tensor<Autodiff<B>, 3>) -> Tensor<Autodiff<B>, 1> + 'static) -> Self {
        Self {
            link: Box::new(link),
            epochs: 100,
            learning_rate: 1e-3,
        }
    }

    /// Sets the Adam steps per M-step.
    pub fn with_epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Sets Adam's learning rate.
    pub fn with_learning_rate(mut self, learning_rate: f64) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// Adam steps per M-step.
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// Adam's learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the learning rate is not finite and positive.
    pub fn validate(&self) -> Result<()> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::InvalidConfig {
                field: "learning_rate",
                reason: format!("must be finite and > 0, got {}", self.learning_rate),
            });
        }
        Ok(())
    }

    /// The optimised prior means for `experts`, `[K, D, P]`, without assigning them (`None`
    /// for experts without a prior).
    pub fn optimized_means(&self, experts: &BayesianLinear<B>) -> Option<Tensor<B, 3>> {
        let a_inv = experts.prior_precision()?;
        let a_inv = Tensor::<Autodiff<B>, 3>::from_inner(a_inv);
        let a_inv_m = a_inv.clone().matmul(Tensor::from_inner(experts.mean()));
        let mut module = PriorMeans {
            w0: Param::from_tensor(Tensor::<Autodiff<B>, 3>::from_inner(experts.prior_mean())),
        };
        let mut optim = AdamConfig::new()
            .with_epsilon(1e-8)
            .init::<Autodiff<B>, PriorMeans<Autodiff<B>>>();
        for _ in 0..self.epochs {
            let w0 = module.w0.val();
            let quad = (a_inv.clone().matmul(w0.clone()) * w0.clone())
                .sum()
                .mul_scalar(-0.5);
            let linear = (a_inv_m.clone() * w0.clone()).sum();
            let loss = (quad + linear + (self.link)(w0)).neg();
            let grads = GradientsParams::from_grads(loss.backward(), &module);
            module = optim.step(self.learning_rate, module, grads);
        }
        Some(module.w0.val().inner())
    }
}

impl<B: Backend> Regularizer<BayesianLinear<B>> for LinkFunction<B> {
    fn regularize(&mut self, experts: &mut BayesianLinear<B>) {
        if let Some(w0) = self.optimized_means(experts) {
            experts
                .set_prior_mean(w0)
                .expect("optimised means have the experts' shape");
        }
    }
}
