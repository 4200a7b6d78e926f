//! mixture-gradient's integration tests, built as one test binary.
//!
//! Every file under `tests/` is its own crate that links burn and monomorphises it for the
//! test backends, which costs more CI time than running the tests; so the files are modules of
//! this one binary instead. Add new test files here as modules, not as `tests/*.rs`.

mod common;
mod em_comparison;
mod gmmpytorch;
mod module_density;
mod module_sampling;
mod prior_multidgd;
mod trainer;
