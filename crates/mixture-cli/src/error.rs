//! The CLI's error type and its exit codes.
//!
//! | exit | meaning |
//! |------|---------|
//! | 0 | success |
//! | 1 | a run-time failure: the fit failed numerically (collapsed component, covariance not positive definite, divergence), the backend failed, the model could not be saved, an internal error |
//! | 2 | bad usage or bad input: an option, a missing or malformed file, non-numeric/NaN/infinite values, empty data, ragged rows, wrong dimensions, more components than samples |

use mixture::core::Error as ModelError;
use thiserror::Error;

use crate::data::DataError;

/// Exit code for run-time failures.
pub const EXIT_RUNTIME: u8 = 1;
/// Exit code for bad usage or bad input.
pub const EXIT_USAGE: u8 = 2;

/// Everything that can stop a command. Displayed as one line after `error: `.
#[derive(Debug, Error)]
pub enum CliError {
    /// A bad option or a combination the CLI does not support.
    #[error("{0}")]
    Usage(String),
    /// A data file could not be read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The library rejected the input or the fit failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A numerical failure of a fit the user fixed to f32 (`--dtype f32`, or a backend
    /// without f64), which f64 may not have; with what in the data f32 cannot hold, when the
    /// host's look at them found it (`precision::f32_fit`).
    #[error(
        "{source} (the fit ran in f32{}: --dtype auto or --dtype f64 may succeed)",
        unfit.as_deref().map(|why| format!(", which cannot hold these data: {why}")).unwrap_or_default()
    )]
    InF32 {
        /// The library's error.
        #[source]
        source: ModelError,
        /// Why f32 cannot hold the data, when it cannot.
        unfit: Option<String>,
    },
    /// A run-time failure outside the library (writing output, saving).
    #[error("{0}")]
    Runtime(String),
}

impl CliError {
    /// The process exit code: 2 for bad usage or input, 1 for run-time failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Data(_) => EXIT_USAGE,
            CliError::Runtime(_) | CliError::InF32 { .. } => EXIT_RUNTIME,
            CliError::Model(e) => match e {
                ModelError::EmptyData { .. }
                | ModelError::NonFinite { .. }
                | ModelError::DimensionMismatch { .. }
                | ModelError::TooFewSamples { .. }
                | ModelError::InvalidWeights { .. }
                | ModelError::InvalidConfig { .. }
                | ModelError::InvalidInit { .. }
                | ModelError::Io { .. }
                | ModelError::ModelFile { .. } => EXIT_USAGE,
                _ => EXIT_RUNTIME,
            },
        }
    }

    /// The message as exactly one line.
    pub fn one_line(&self) -> String {
        let text = self.to_string();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        lines.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let usage = CliError::Model(ModelError::TooFewSamples {
            n_samples: 2,
            n_components: 3,
        });
        assert_eq!(usage.exit_code(), EXIT_USAGE);
        let runtime = CliError::Model(ModelError::EmptyComponent {
            component: 1,
            weight: 0.0,
        });
        assert_eq!(runtime.exit_code(), EXIT_RUNTIME);
        assert_eq!(CliError::Usage("x".into()).exit_code(), EXIT_USAGE);
        assert_eq!(CliError::Runtime("x".into()).exit_code(), EXIT_RUNTIME);
    }

    #[test]
    fn one_line_folds_newlines() {
        assert_eq!(CliError::Runtime("a\n  b".into()).one_line(), "a b");
    }
}
