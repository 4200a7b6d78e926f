//! # mixture-gates
//!
//! Gates weigh the components of a mixture:
//!
//! * [`Weights`]: global mixing weights, learned from counts (a Gaussian mixture's weights)
//!   or fixed.
#![warn(missing_docs)]

pub mod weights;

pub use weights::Weights;
