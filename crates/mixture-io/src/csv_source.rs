//! A CSV file read in row blocks.

use crate::{shift::HostShift, window::RowWindow};
use std::ops::Range;
use std::path::{Path, PathBuf};

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{Batch, DataSource, Error, Result, tensor::opts};

/// A CSV file of numbers served in batches of rows, parsed again on every pass: memory holds
/// one batch, whatever the file's size.
///
/// [`open`](Self::open) reads the file once to count and check its rows (every row the same
/// width, every cell a number), so a bad cell is reported before the fit with its line and
/// column; blank lines are skipped; the first row is a header when `has_header` says so.
///
/// ```
/// use burn::tensor::DType;
/// use mixture_core::DataSource;
/// use mixture_io::CsvSource;
/// type B = burn_ndarray::NdArray<f64>;
///
/// let path = std::env::temp_dir().join("mixture-io-doc.csv");
/// std::fs::write(&path, "a;b\n1;2\n3;4\n\n5;6\n").unwrap();
/// let source = CsvSource::<B>::open(&path, b';', true, &Default::default(), DType::F64)?
///     .with_batch_rows(2);
/// assert_eq!((source.n_samples(), source.n_features()), (3, 2));
/// let mut sums = Vec::new();
/// source.for_each_batch(&mut |b| {
///     sums.push(b.x.sum().into_scalar());
///     Ok(())
/// })?;
/// assert_eq!(sums, [10.0, 11.0]);
/// # Ok::<(), mixture_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CsvSource<B: Backend> {
    path: PathBuf,
    delimiter: u8,
    has_header: bool,
    n_cols: usize,
    /// The rows served (all by default) and the batch size.
    window: RowWindow,
    /// Column values taken off on the host before the cast.
    shift: HostShift,
    dtype: DType,
    device: B::Device,
}

impl<B: Backend> CsvSource<B> {
    /// Checks the CSV file at `path` (one pass: counts its rows, checks every cell); batches
    /// will be tensors of `dtype` on `device`.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::InvalidConfig`] (field `input`)
    /// naming the line and column of a cell that is not a number, a row of another width, or
    /// a file with no rows.
    pub fn open(
        path: impl AsRef<Path>,
        delimiter: u8,
        has_header: bool,
        device: &B::Device,
        dtype: DType,
    ) -> Result<Self> {
        let mut this = Self {
            path: path.as_ref().to_path_buf(),
            delimiter,
            has_header,
            n_cols: 0,
            window: RowWindow::new(0, 1),
            shift: HostShift::default(),
            dtype,
            device: device.clone(),
        };
        let mut n_rows = 0;
        let mut n_cols = None;
        this.records(&mut |line, cells| {
            match n_cols {
                None => n_cols = Some(cells.len()),
                Some(w) if w != cells.len() => {
                    return Err(this.bad(format!(
                        "line {line} has {} cells where the first row has {w}",
                        cells.len()
                    )));
                }
                Some(_) => {}
            }
            n_rows += 1;
            Ok(())
        })?;
        let Some(n_cols) = n_cols else {
            return Err(this.bad("no rows of numbers".into()));
        };
        this.n_cols = n_cols;
        this.window = RowWindow::new(n_rows, crate::default_batch_rows(n_cols, 1));
        Ok(this)
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
        self.shift = HostShift::new(shift, self.n_cols)?;
        Ok(self)
    }

    /// Calls `f` with the values of each batch, row-major, as f64 (as parsed, unshifted),
    /// without making tensors: a first pass on the host.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; `f`'s errors.
    pub fn for_each_host_batch(&self, f: &mut dyn FnMut(&[f64]) -> Result<()>) -> Result<()> {
        self.batches(|values, _| {
            let r = f(values);
            values.clear();
            r
        })
    }

    /// Calls `f` with the values of each batch served (row-major, f64; `f` takes them, or
    /// clears the vector) and its rows, counted from the first row served.
    fn batches(&self, mut f: impl FnMut(&mut Vec<f64>, Range<usize>) -> Result<()>) -> Result<()> {
        let d = self.n_cols;
        let mut values: Vec<f64> =
            Vec::with_capacity(self.window.batch_rows.min(self.window.rows.len()) * d);
        let mut row = 0;
        let mut first_local = 0;
        let mut emit = |values: &mut Vec<f64>, first_local: &mut usize| -> Result<()> {
            let rows = values.len() / d;
            f(values, *first_local..*first_local + rows)?;
            *first_local += rows;
            Ok(())
        };
        self.records(&mut |_, cells| {
            if self.window.rows.contains(&row) {
                values.extend_from_slice(cells);
                if values.len() == self.window.batch_rows * d {
                    emit(&mut values, &mut first_local)?;
                }
            }
            row += 1;
            Ok(())
        })?;
        if !values.is_empty() {
            emit(&mut values, &mut first_local)?;
        }
        Ok(())
    }

    fn bad(&self, reason: String) -> Error {
        Error::InvalidConfig {
            field: "input",
            reason: format!("{}: {reason}", self.path.display()),
        }
    }

    /// Calls `f(line, cells)` for every non-blank data row, the cells parsed as numbers.
    fn records(&self, f: &mut dyn FnMut(u64, &[f64]) -> Result<()>) -> Result<()> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(self.delimiter)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_path(&self.path)
            .map_err(|e| match e.into_kind() {
                csv::ErrorKind::Io(source) => Error::Io {
                    action: "read",
                    path: self.path.clone(),
                    source,
                },
                other => self.bad(format!("{other:?}")),
            })?;
        let mut record = csv::StringRecord::new();
        let mut cells = Vec::new();
        let mut first = true;
        loop {
            let more = reader
                .read_record(&mut record)
                .map_err(|e| self.bad(e.to_string()))?;
            if !more {
                return Ok(());
            }
            if record.len() == 1 && record[0].is_empty() {
                continue;
            }
            let line = record.position().map_or(0, |p| p.line());
            if first {
                first = false;
                if self.has_header {
                    continue;
                }
            }
            cells.clear();
            for (j, cell) in record.iter().enumerate() {
                let cell = cell.trim_start_matches('\u{feff}');
                match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() => cells.push(v),
                    _ => {
                        return Err(self.bad(format!(
                            "line {line}, column {j} (0-based): `{cell}` is not a finite number"
                        )));
                    }
                }
            }
            f(line, &cells)?;
        }
    }
}

impl<B: Backend> DataSource<B> for CsvSource<B> {
    fn n_samples(&self) -> usize {
        self.window.rows.len()
    }

    fn n_features(&self) -> usize {
        self.n_cols
    }

    fn for_each_batch(&self, f: &mut dyn FnMut(Batch<B>) -> Result<()>) -> Result<()> {
        let d = self.n_cols;
        self.batches(|values, rows| {
            let data = self
                .shift
                .data(std::mem::take(values), [rows.len(), d], self.dtype);
            let x = Tensor::from_data(data, opts::<B>(&self.device, self.dtype));
            f(Batch::new(x).with_rows(rows))
        })
    }

    fn device(&self) -> B::Device {
        self.device.clone()
    }
}
