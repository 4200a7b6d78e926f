//! # mixture-em
//!
//! The EM driver of the workspace and the estimators built on it.
//!
//! * [`driver`]: one EM loop for every mixture (weighted, hard and stochastic modes; exact
//!   mini-batch EM by summed sufficient statistics).
//! * [`kmeans`]: [`KMeansConfig`] → fitted [`KMeans`] (Lloyd, greedy k-means++).
#![warn(missing_docs)]

pub mod driver;
pub mod kmeans;

pub use driver::{EmMode, EmSettings, EmTrace};
pub use kmeans::{KMeans, KMeansConfig, KMeansInit};
