//! # mixture-io
//!
//! [`DataSource`](mixture_core::DataSource)s that read their batches from disk, so that a fit
//! holds one batch of rows in memory at a time, not the data:
//!
//! * [`NpySource`]: a 2-D `.npy` array of little-endian `float32` or `float64` in C order
//!   (what `numpy.save` writes), read in row blocks with one seek and one read per batch.
//! * [`CsvSource`]: a CSV file of numbers (any one-byte delimiter, an optional header),
//!   parsed again in row blocks on every pass (with the `csv` crate), checked once on open.
//! * `ParquetSource` (the `parquet` feature): a Parquet file of numeric columns, decoded in
//!   row blocks on every pass (with the `parquet` and `arrow` crates).
//!
//! Every EM iteration is one pass over the source; statistics are summed over its batches
//! before the M-step, so a streamed fit equals the in-memory fit of the same data up to
//! float rounding.
//!
//! Every source can take column values off its rows on the host, in f64, before the cast to
//! the compute dtype (`with_shift`), so that data far from the origin keep their digits in
//! f32; and serves its rows as f64 values without making tensors (`for_each_host_batch`),
//! for a first pass that decides such a shift.
#![warn(missing_docs)]

mod csv_source;
mod npy;
#[cfg(feature = "parquet")]
mod parquet_source;
mod shift;
mod window;

pub use csv_source::CsvSource;
pub use npy::{NpySource, default_batch_rows};
#[cfg(feature = "parquet")]
pub use parquet_source::ParquetSource;
