//! # mixture-gradient
//!
//! Gradient training of mixture modules on burn's autodiff, as GMMPytorch and multiDGD do:
//! a [`GaussianMixtureModule`] fitted to data by Adam, with one learning rate for the mixture
//! weights and one for the components, cosine annealing, the positivity floor after each
//! step, full-batch or mini-batch, optional priors weighed explicitly
//! ([`PriorWeighting`]), a loss history, early stopping and a progress observer.
//!
//! ```
//! use burn::backend::Autodiff;
//! use burn::tensor::DType;
//! use mixture_core::tensor::from_f64;
//! use mixture_gradient::{Family, GradientMixtureConfig};
//!
//! type B = Autodiff<burn_flex::Flex>;
//! // 1-D, standardised: the maximum-likelihood Gaussian has NLL ½ ln(2πe) ≈ 1.4189.
//! let x = from_f64::<B, 2>(vec![-1.0, 1.0, -1.0, 1.0], [4, 1], &Default::default(), DType::F32);
//! let (gmm, report) = GradientMixtureConfig::new(1)
//!     .with_family(Family::Isotropic)
//!     .with_iterations(500)
//!     .with_component_lr(0.05)
//!     .fit(&x)?;
//! assert!((report.final_loss - 1.4189).abs() < 1e-2);
//! # let _ = gmm;
//! # Ok::<(), mixture_core::Error>(())
//! ```
//!
//! The CLI's `mixture fit --method gradient` is [`GradientMixtureConfig::fit_with`].
#![warn(missing_docs)]

mod config;
pub mod module;
mod optimizer;
pub mod prior;
mod report;
mod schedule;
mod trainer;

pub use config::GradientMixtureConfig;
pub use optimizer::AdamSettings;
pub use report::GradientReport;
pub use schedule::CosineSchedule;
pub use trainer::GradientTrainer;

pub use module::{
    Family, GaussianMixtureModule, GaussianMixtureModuleConfig, MeanInit, PriorWeighting,
    RepresentationLayer, ScaleInit, SupervisedGaussianMixture,
};
pub use prior::{DirichletPrior, LogVariancePrior, MixturePrior, SoftballPrior};

/// Fits a Gaussian mixture to `x` by gradient descent: [`GradientMixtureConfig::fit_with`].
///
/// # Errors
/// See [`GradientMixtureConfig::fit_with`].
pub fn fit<B: burn::tensor::backend::AutodiffBackend>(
    config: &GradientMixtureConfig,
    x: &burn::tensor::Tensor<B, 2>,
    observer: &mut dyn mixture_core::FitObserver,
) -> mixture_core::Result<(GaussianMixtureModule<B>, GradientReport)> {
    config.fit_with(x, observer)
}
