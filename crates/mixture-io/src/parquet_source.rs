//! A Parquet file read in row blocks (the `parquet` feature).

use crate::{shift::HostShift, window::RowWindow};
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use arrow_array::{Array, RecordBatch, cast::AsArray, types::*};
use arrow_schema::DataType;
use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{Batch, DataSource, Error, Result, tensor::opts};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// A Parquet file of numeric columns served in batches of rows, decoded again on every pass
/// (through the `parquet` and `arrow` crates): memory holds one batch, whatever the file's
/// size. Every column becomes a feature: floating-point, integer and boolean columns are read
/// as numbers (converted to f64, then to the compute dtype); a column of another type (text,
/// dates, decimals, dictionaries, nested) or a missing value is refused with its name and
/// row. Snappy-compressed and uncompressed files are read (what pandas,
/// pyarrow and Spark write by default).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use arrow_array::{Float64Array, Int32Array, RecordBatch};
/// use burn::tensor::DType;
/// use mixture_core::DataSource;
/// use mixture_io::ParquetSource;
/// type B = burn_ndarray::NdArray<f64>;
///
/// // A file with a float and an integer column, written by the parquet crate.
/// let batch = RecordBatch::try_from_iter([
///     ("a", Arc::new(Float64Array::from(vec![1.0, 3.0, 5.0])) as _),
///     ("b", Arc::new(Int32Array::from(vec![2, 4, 6])) as _),
/// ])?;
/// let path = std::env::temp_dir().join("mixture-io-doc.parquet");
/// let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path)?, batch.schema(), None)?;
/// writer.write(&batch)?;
/// writer.close()?;
///
/// let source = ParquetSource::<B>::open(&path, &Default::default(), DType::F64)?.with_batch_rows(2);
/// assert_eq!((source.n_samples(), source.n_features()), (3, 2));
/// assert_eq!(source.columns(), ["a", "b"]);
/// let mut sums = Vec::new();
/// source.for_each_batch(&mut |b| {
///     sums.push(b.x.sum().into_scalar());
///     Ok(())
/// })?;
/// assert_eq!(sums, [10.0, 11.0]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ParquetSource<B: Backend> {
    path: PathBuf,
    columns: Vec<String>,
    /// The rows served (all by default) and the batch size.
    window: RowWindow,
    /// Column values taken off on the host before the cast.
    shift: HostShift,
    dtype: DType,
    device: B::Device,
}

impl<B: Backend> ParquetSource<B> {
    /// Opens the Parquet file at `path` and checks its schema (its footer only: no data is
    /// read); batches will be tensors of `dtype` on `device`.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::InvalidConfig`] (field `input`)
    /// for a file that is not Parquet, has no rows or no columns, or has a column that is not
    /// numeric (named, with its type).
    pub fn open(path: impl AsRef<Path>, device: &B::Device, dtype: DType) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let builder = reader(&path)?;
        let mut columns = Vec::new();
        for field in builder.schema().fields() {
            if !numeric(field.data_type()) {
                return Err(bad(
                    &path,
                    format!(
                        "column `{}` is {}; mixture reads numeric columns (floats, integers, booleans): drop or encode it",
                        field.name(),
                        field.data_type()
                    ),
                ));
            }
            columns.push(field.name().clone());
        }
        let n_rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
        if columns.is_empty() || n_rows == 0 {
            return Err(bad(
                &path,
                format!("no data ({n_rows} rows, {} columns)", columns.len()),
            ));
        }
        let batch_rows = crate::default_batch_rows(columns.len(), 1);
        Ok(Self {
            path,
            columns,
            window: RowWindow::new(n_rows, batch_rows),
            shift: HostShift::default(),
            dtype,
            device: device.clone(),
        })
    }

    /// Serves `rows` rows per batch (at least 1).
    pub fn with_batch_rows(mut self, rows: usize) -> Self {
        self.window = self.window.with_batch_rows(rows);
        self
    }

    /// Serves only the rows `range` of the file (clamped to its rows): a shard.
    pub fn with_rows(mut self, range: Range<usize>) -> Self {
        self.window = self.window.with_rows(range);
        self
    }

    /// Takes `shift` (one value per column) off every row on the host, in f64, before the
    /// cast to the compute dtype.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `shift` is not one value per column.
    pub fn with_shift(mut self, shift: Vec<f64>) -> Result<Self> {
        self.shift = HostShift::new(shift, self.columns.len())?;
        Ok(self)
    }

    /// Calls `f` with the values of each batch, row-major, as f64 (as decoded, unshifted),
    /// without making tensors: a first pass on the host.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an unreadable batch or a null; `f`'s errors.
    pub fn for_each_host_batch(&self, f: &mut dyn FnMut(&[f64]) -> Result<()>) -> Result<()> {
        self.batches(|values, _| f(&values))
    }

    /// Calls `f` with the values of each batch served (row-major, f64) and its rows, counted
    /// from the first row served.
    fn batches(&self, mut f: impl FnMut(Vec<f64>, Range<usize>) -> Result<()>) -> Result<()> {
        let batches = reader(&self.path)?
            .with_batch_size(self.window.batch_rows)
            .with_offset(self.window.rows.start)
            .with_limit(self.window.rows.len())
            .build()
            .map_err(|e| bad(&self.path, e.to_string()))?;
        let mut first = 0;
        for batch in batches {
            let batch = batch.map_err(|e| bad(&self.path, e.to_string()))?;
            let rows = batch.num_rows();
            if rows == 0 {
                continue;
            }
            let values = self.values(&batch, self.window.rows.start + first)?;
            f(values, first..first + rows)?;
            first += rows;
        }
        Ok(())
    }

    /// The column names, in the order of the features.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The batch's values, row-major, as f64 (nulls refused).
    fn values(&self, batch: &RecordBatch, first_row: usize) -> Result<Vec<f64>> {
        let (n, d) = (batch.num_rows(), batch.num_columns());
        let mut values = vec![0.0; n * d];
        for (j, column) in batch.columns().iter().enumerate() {
            if column.null_count() > 0 {
                let i = (0..n).find(|&i| column.is_null(i)).unwrap_or(0);
                return Err(bad(
                    &self.path,
                    format!(
                        "row {} (0-based), column `{}` is missing (null); drop or impute it",
                        first_row + i,
                        self.columns[j]
                    ),
                ));
            }
            let Some(column) = as_f64(column.as_ref()) else {
                return Err(bad(
                    &self.path,
                    format!("column `{}` is not numeric", self.columns[j]),
                ));
            };
            for (i, v) in column.into_iter().enumerate() {
                values[i * d + j] = v;
            }
        }
        Ok(values)
    }
}

/// A numeric column's values as f64 (floats widened, integers converted, booleans 0/1).
fn as_f64(column: &dyn Array) -> Option<Vec<f64>> {
    macro_rules! widen {
        ($t:ty) => {
            column
                .as_primitive::<$t>()
                .values()
                .iter()
                .map(|&v| v as f64)
                .collect()
        };
    }
    Some(match column.data_type() {
        DataType::Float64 => column.as_primitive::<Float64Type>().values().to_vec(),
        DataType::Float32 => widen!(Float32Type),
        DataType::Float16 => column
            .as_primitive::<Float16Type>()
            .values()
            .iter()
            .map(|v| v.to_f64())
            .collect(),
        DataType::Int8 => widen!(Int8Type),
        DataType::Int16 => widen!(Int16Type),
        DataType::Int32 => widen!(Int32Type),
        DataType::Int64 => widen!(Int64Type),
        DataType::UInt8 => widen!(UInt8Type),
        DataType::UInt16 => widen!(UInt16Type),
        DataType::UInt32 => widen!(UInt32Type),
        DataType::UInt64 => widen!(UInt64Type),
        DataType::Boolean => column
            .as_boolean()
            .values()
            .iter()
            .map(|b| f64::from(u8::from(b)))
            .collect(),
        _ => return None,
    })
}

/// Whether a column of this type reads as numbers.
fn numeric(t: &DataType) -> bool {
    use DataType as T;
    matches!(
        t,
        T::Float16
            | T::Float32
            | T::Float64
            | T::Int8
            | T::Int16
            | T::Int32
            | T::Int64
            | T::UInt8
            | T::UInt16
            | T::UInt32
            | T::UInt64
            | T::Boolean
    )
}

fn reader(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(path, format!("not a readable Parquet file: {e}")))
}

fn bad(path: &Path, reason: String) -> Error {
    Error::InvalidConfig {
        field: "input",
        reason: format!("{}: {reason}", path.display()),
    }
}

impl<B: Backend> DataSource<B> for ParquetSource<B> {
    fn n_samples(&self) -> usize {
        self.window.rows.len()
    }

    fn n_features(&self) -> usize {
        self.columns.len()
    }

    fn for_each_batch(&self, f: &mut dyn FnMut(Batch<B>) -> Result<()>) -> Result<()> {
        let d = self.columns.len();
        self.batches(|values, rows| {
            let data = self.shift.data(values, [rows.len(), d], self.dtype);
            let x = Tensor::from_data(data, opts::<B>(&self.device, self.dtype));
            f(Batch::new(x).with_rows(rows))
        })
    }

    fn device(&self) -> B::Device {
        self.device.clone()
    }
}
