//! # mixture-gradient
//!
//! Gradient training of mixture modules on burn's autodiff.
#![warn(missing_docs)]
