//! The error type shared by the workspace: bad input and numerical failures.

use std::path::PathBuf;

use thiserror::Error;

/// The source of an error from another library, kept for [`std::error::Error::source`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias with the workspace [`enum@Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Bad input or a numerical failure. Every variant says what was wrong and, where there is
/// one, how to fix it. Nothing in the workspace panics on user input; it returns one of these.
///
/// Errors from other libraries (I/O, the backend, JSON) are kept as the
/// [`source`](std::error::Error::source) of the variant that says what failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The data has no rows (or no columns).
    #[error(
        "empty data: got {n_samples} samples with {n_features} features; at least one of each is needed"
    )]
    EmptyData {
        /// Rows in the data.
        n_samples: usize,
        /// Columns in the data.
        n_features: usize,
    },
    /// A supervised model (a mixture of experts) was given rows without targets.
    #[error(
        "the {what} needs targets (y, one row per row of x), but the batch has none; pass them with Batch::with_targets"
    )]
    MissingTargets {
        /// The model or components that need them.
        what: &'static str,
    },
    /// A value is NaN or infinite.
    #[error(
        "non-finite value ({value}) in {what} at row {row}, column {column}; remove or impute it before fitting"
    )]
    NonFinite {
        /// Which input holds the value (for example "data" or "sample_weight").
        what: &'static str,
        /// Row of the first non-finite value.
        row: usize,
        /// Column of the first non-finite value.
        column: usize,
        /// The value, as text (`NaN`, `inf`, `-inf`).
        value: String,
    },
    /// Two inputs disagree on a dimension.
    #[error("dimension mismatch in {what}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// What was being matched (for example "number of features").
        what: &'static str,
        /// The expected size.
        expected: usize,
        /// The size that was given.
        found: usize,
    },
    /// More components than samples.
    #[error(
        "n_samples={n_samples} must be >= n_components={n_components}; use fewer components or more data"
    )]
    TooFewSamples {
        /// Rows in the data.
        n_samples: usize,
        /// Requested components.
        n_components: usize,
    },
    /// A covariance matrix is not positive definite.
    #[error(
        "fitting the mixture model failed because component {component} has an ill-defined empirical covariance (not positive definite; smallest Cholesky pivot {pivot:e}): it has collapsed onto too few or duplicated samples. Increase reg_covar (currently {reg_covar:e}), use fewer components, or scale the input data"
    )]
    NotPositiveDefinite {
        /// The component whose covariance failed (index in 0..K).
        component: usize,
        /// The smallest pivot met in its Cholesky factorisation.
        pivot: f64,
        /// The covariance regularisation in force.
        reg_covar: f64,
    },
    /// A linear expert's posterior (or prior) precision is singular to working precision.
    #[error(
        "fitting the mixture of experts failed because expert {expert} is not identifiable: its posterior precision is singular to working precision (smallest pivot {pivot:e}, at most D·ε of its largest diagonal entry), because it holds fewer rows in general position than weights. Use a prior (a diagonal or full prior keeps every expert well defined), fewer experts, or more data"
    )]
    SingularExpert {
        /// The expert whose precision failed (index in 0..K).
        expert: usize,
        /// The smallest pivot of its precision, after the singularity test (0 when the test
        /// failed, negative or NaN when the factorisation itself did).
        pivot: f64,
    },
    /// A component received (almost) no responsibility.
    #[error(
        "component {component} is empty: it received a total responsibility of {weight:e}; use fewer components, another initialisation (init or seed), or check the data for duplicated points"
    )]
    EmptyComponent {
        /// The empty component (index in 0..K).
        component: usize,
        /// The responsibility it received.
        weight: f64,
    },
    /// The fit produced a non-finite lower bound (numerical overflow).
    #[error(
        "the fit diverged at iteration {iteration}: the lower bound is {value}; scale the data or raise reg_covar"
    )]
    Diverged {
        /// The iteration (1-based) where it happened.
        iteration: usize,
        /// The bound, as text.
        value: String,
    },
    /// A sample weight is negative or all weights are zero.
    #[error("invalid sample weights: {reason}")]
    InvalidWeights {
        /// What is wrong with them.
        reason: String,
    },
    /// A configuration value is out of range.
    #[error("invalid value for `{field}`: {reason}")]
    InvalidConfig {
        /// The configuration field.
        field: &'static str,
        /// Why the value is rejected, and the valid range.
        reason: String,
    },
    /// An initial parameter (means, weights, precisions) has the wrong shape or values.
    #[error("invalid initial `{field}`: {reason}")]
    InvalidInit {
        /// Which initial parameter.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading data back from the device failed.
    #[error("reading tensor data from the device failed: {0}")]
    Backend(#[from] burn::tensor::DataError),
    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A model file (or JSON document) that is not a valid model of the kind asked for.
    #[error("not a valid {kind} file: {reason}")]
    ModelFile {
        /// The kind of model that was expected (for example "Gaussian mixture").
        kind: &'static str,
        /// What is wrong with it.
        reason: String,
        /// The parser's or the model's own error, where there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// A rank of a data-parallel fit failed (its error, as text: it happened in another
    /// process); every rank of the group returns this error.
    #[error("rank {rank} of {world_size} failed: {message}")]
    RankFailed {
        /// The lowest failing rank.
        rank: usize,
        /// Ranks in the group.
        world_size: usize,
        /// Its error.
        message: String,
    },
    /// Something a fit needs that cannot yet run across processes.
    #[error("{what} does not run across processes: {reason}")]
    NotDistributed {
        /// What was asked for.
        what: &'static str,
        /// Why, and what to use instead.
        reason: String,
    },
    /// A model could not be encoded (a value JSON cannot hold).
    #[error("cannot encode the {kind}: {source}")]
    Encode {
        /// The kind of model.
        kind: &'static str,
        /// The encoder's error.
        #[source]
        source: BoxError,
    },
}
