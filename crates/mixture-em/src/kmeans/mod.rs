//! K-means clustering: Lloyd's algorithm with greedy k-means++ or random initialisation,
//! following scikit-learn's `KMeans` (`algorithm="lloyd"`).
//!
//! [`KMeansConfig`] holds the hyperparameters and fits a [`KMeans`] model from a tensor
//! ([`KMeansConfig::fit`], [`KMeansConfig::fit_weighted`]) or from any
//! [`DataSource`](mixture_core::DataSource) ([`KMeansConfig::fit_source`]).
//! [`kmeans_plusplus`] is the seeding on its own, for the initialisation of Gaussian mixtures.
//!
//! # The algorithm
//!
//! * **Seeding** ([`KMeansInit::KMeansPlusPlus`], the default): scikit-learn's greedy
//!   k-means++. The first centre is a row drawn with probability proportional to its sample
//!   weight (uniformly when unweighted); every further centre is the best of
//!   `2 + ⌊ln K⌋` candidates drawn with probability ∝ `w(x)·D(x)²`, where `D(x)` is the
//!   distance to the nearest centre chosen so far; the best candidate minimises the potential
//!   `Σ_x w(x)·min(D(x)², d(x, candidate)²)` (squared distances, as scikit-learn; PyCave sums
//!   plain distances). [`KMeansInit::Random`] picks K distinct rows, drawn without replacement
//!   with probability ∝ sample weight.
//! * **Lloyd iterations**: every row goes to its nearest centre (ties to the lowest index),
//!   every centre moves to the weighted mean of its rows. Distances are batched as
//!   `‖x‖² − 2·x·Cᵀ + ‖c‖²` (clamped at 0), assignments are one-hot rows `R`, and the
//!   per-cluster weights and sums are `Σ_x R` and `Rᵀ·X`, accumulated over the batches of
//!   the data source before one centre update: the mini-batch path computes exactly the
//!   full-batch iteration. One host read per iteration (centre shift, count of changed
//!   labels and the per-cluster weights).
//! * **Stopping**, as scikit-learn: after iteration `i`, stop when no label changed ("strict"
//!   convergence) or when the squared Frobenius norm of the centre shift is at most
//!   `tol · mean_j Var(X_j)` (the variance is the biased, sample-weighted per-feature variance;
//!   without weights it is scikit-learn's `np.var(X, axis=0)`), else after `max_iter`
//!   iterations. A final assignment against the final centres gives the labels and the
//!   inertia.
//! * **Empty clusters** (a cluster whose rows have a total weight of zero after an
//!   assignment): as scikit-learn, its centre is relocated onto the row (of positive weight)
//!   farthest from its own assigned centre; that row's weight moves from its old cluster to
//!   the empty one. Several empty clusters take the farthest rows in decreasing order of
//!   distance (ties to the lowest row index). This path costs extra passes and reads, and
//!   only runs when a cluster is empty.
//! * **Restarts**: `n_init` seedings from one seeded [`rand::rngs::StdRng`]; the run with the
//!   lowest inertia wins (the first one on ties).

mod config;
mod data;
mod distance;
mod fit;
mod init;
mod lloyd;
mod model;
mod persist;
pub(crate) use persist::translate;
mod plusplus;
mod relocate;

pub use config::{KMeansConfig, KMeansInit, STREAM_SEED_ROWS};
pub use model::KMeans;
pub use plusplus::kmeans_plusplus;
