//! Gaussian mixtures by EM, at scikit-learn parity, with sample weights and exact mini-batch
//! EM.
//!
//! [`GaussianMixtureConfig`] holds validated settings (scikit-learn's defaults); fitting it
//! returns a [`GaussianMixture`], the fitted model, so predicting before fitting does not
//! compile.
//!
//! ```
//! use burn::tensor::Tensor;
//! use mixture_em::{GaussianMixtureConfig, InitMethod};
//! use mixture_experts::CovarianceType;
//! type B = burn_flex::Flex;
//!
//! # fn main() -> mixture_core::Result<()> {
//! let device = Default::default();
//! let x = Tensor::<B, 2>::from_floats(
//!     [[1.0, 2.0], [1.0, 4.0], [1.0, 0.0], [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]],
//!     &device,
//! );
//! let gmm = GaussianMixtureConfig::new(2)
//!     .with_covariance_type(CovarianceType::Diag)
//!     .with_seed(0)
//!     .fit(&x)?;
//! let labels = gmm.predict(&Tensor::from_floats([[0.0, 0.0], [12.0, 3.0]], &device))?;
//! let labels: Vec<i64> = labels.into_data().convert::<i64>().to_vec().unwrap();
//! assert_ne!(labels[0], labels[1]);
//! assert!(gmm.converged());
//! # Ok(())
//! # }
//! ```

pub(crate) mod centre;
mod config;
mod fit;
mod init;
pub(crate) use fit::centre_pass;
pub(crate) use init::Start;
mod model;
mod persist;
pub(crate) use persist::translate;

pub use config::{GaussianMixtureConfig, InitMethod};
pub use model::GaussianMixture;
