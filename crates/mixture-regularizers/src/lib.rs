//! # mixture-regularizers
//!
//! Regularizers that act inside an EM update, and log-priors for gradient training.
#![warn(missing_docs)]
