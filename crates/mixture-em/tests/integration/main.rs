//! mixture-em's integration tests, built as one test binary.
//!
//! Every file under `tests/` is its own crate that links burn and monomorphises it for the
//! test backends, which costs more CI time than running the tests; so the files are modules of
//! this one binary instead. Add new test files here as modules, not as `tests/*.rs`. Proptest
//! keeps its failure seeds in `tests/proptest-regressions/<module>.txt`.

mod bad_inputs;
mod bgm_parity;
#[cfg(feature = "collective")]
mod collective;
mod distributed;
mod experts_api;
mod experts_persist;
mod experts_properties;
mod experts_two_planes;
mod gmm_invariance;
mod gmm_properties;
mod kmeans;
mod kmeans_props;
mod reference_cases;
mod sklearn_parity;
mod statistics_centre;
mod streaming;
