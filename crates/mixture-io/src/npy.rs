//! A `.npy` file read in row blocks.

use crate::{shift::HostShift, window::RowWindow};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use burn::tensor::{DType, Tensor, TensorData, backend::Backend};
use mixture_core::{Batch, DataSource, Error, Result, tensor::opts};

/// The element types a stream reads without converting the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    F32,
    F64,
}

impl Element {
    fn size(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    /// Little-endian values `bytes` as f64 (exact).
    fn to_f64(self, bytes: &[u8]) -> Vec<f64> {
        match self {
            Self::F32 => bytes
                .chunks_exact(4)
                .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
            Self::F64 => bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
        }
    }
}

/// Rows per batch of a stream of `d` columns for `k` components, when the user gives none:
/// about 2²² values of the widest per-row intermediate (`[rows, max(K·D, 2D + 1)]`, 16 MiB in
/// f32), between 4 096 and 1 048 576 rows, a multiple of 64.
///
/// ```
/// assert_eq!(mixture_io::default_batch_rows(16, 16), 16384);
/// assert_eq!(mixture_io::default_batch_rows(2, 1), 838_848); // 2²² / 5, a multiple of 64
/// ```
pub fn default_batch_rows(d: usize, k: usize) -> usize {
    let width = (k * d).max(2 * d + 1).max(1);
    ((1usize << 22) / width).clamp(4096, 1 << 20) / 64 * 64
}

/// A 2-D `.npy` array (little-endian `float32` or `float64`, C order) served in batches of
/// rows, read from the file on every pass: memory holds one batch, whatever the file's size.
///
/// The values become tensors of the compute dtype chosen at [`open`](Self::open) (`f32` data
/// widened to `f64` exactly; `f64` data narrowed to `f32` by rounding). Other dtypes and
/// Fortran order are refused with an error that says how to convert the file; load such
/// files in memory instead.
///
/// ```
/// use burn::tensor::DType;
/// use mixture_core::DataSource;
/// use mixture_io::NpySource;
/// type B = burn_ndarray::NdArray<f64>;
///
/// // A 3 × 2 float64 array, as numpy.save writes it.
/// let path = std::env::temp_dir().join("mixture-io-doc.npy");
/// let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
/// let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }";
/// let header = format!("{header:<117}\n");
/// bytes.extend((header.len() as u16).to_le_bytes());
/// bytes.extend(header.as_bytes());
/// for v in [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0] {
///     bytes.extend(v.to_le_bytes());
/// }
/// std::fs::write(&path, bytes).unwrap();
///
/// let source = NpySource::<B>::open(&path, &Default::default(), DType::F64)?.with_batch_rows(2);
/// assert_eq!((source.n_samples(), source.n_features()), (3, 2));
/// let mut rows = Vec::new();
/// source.for_each_batch(&mut |b| {
///     rows.push(b.n_samples());
///     Ok(())
/// })?;
/// assert_eq!(rows, [2, 1]);
/// # Ok::<(), mixture_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct NpySource<B: Backend> {
    path: PathBuf,
    /// Byte offset of the first value.
    offset: u64,
    element: Element,
    n_cols: usize,
    /// The rows served (all by default) and the batch size.
    window: RowWindow,
    /// Column values taken off on the host before the cast.
    shift: HostShift,
    dtype: DType,
    device: B::Device,
}

impl<B: Backend> NpySource<B> {
    /// Reads the header of the `.npy` file at `path`; batches will be tensors of `dtype` on
    /// `device`, of [`default_batch_rows`] rows for one component (set them with
    /// [`with_batch_rows`](Self::with_batch_rows)).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::InvalidConfig`] (field `input`)
    /// for an array that is not 2-D, not C order, or not little-endian `float32`/`float64`.
    pub fn open(path: impl AsRef<Path>, device: &B::Device, dtype: DType) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let io = |source| Error::Io {
            action: "read",
            path: path.clone(),
            source,
        };
        let bad = |reason: String| Error::InvalidConfig {
            field: "input",
            reason: format!("{}: {reason}", path.display()),
        };
        let mut file = File::open(&path).map_err(io)?;
        let npy = npyz::NpyFile::new(&mut file).map_err(io)?;
        let shape = npy.shape().to_vec();
        let order = npy.order();
        let descr = npy.dtype().descr();
        drop(npy);
        // NpyFile::new reads exactly the header from the unbuffered file.
        let offset = file.stream_position().map_err(io)?;
        // npyz writes the descr as a Python literal (`'<f4'`).
        let element = match descr.trim_matches('\'') {
            "<f4" => Element::F32,
            "<f8" => Element::F64,
            other => {
                return Err(bad(format!(
                    "a stream reads little-endian float32 or float64 (`<f4`, `<f8`), not `{other}`; \
                     convert it (numpy: np.save(path, x.astype(np.float32))) or read it without streaming"
                )));
            }
        };
        if order != npyz::Order::C {
            return Err(bad(
                "a stream reads C-order arrays, this one is Fortran order; convert it \
                 (numpy: np.save(path, np.ascontiguousarray(x))) or read it without streaming"
                    .into(),
            ));
        }
        let [n_rows, n_cols] = match shape.as_slice() {
            [n, d] => [*n as usize, *d as usize],
            _ => {
                return Err(bad(format!(
                    "expected a 2-D array (rows × features), got shape {shape:?}"
                )));
            }
        };
        let need = offset + (n_rows * n_cols * element.size()) as u64;
        let have = file.metadata().map_err(io)?.len();
        if have < need {
            return Err(bad(format!(
                "the file is truncated: its header announces {n_rows} × {n_cols} values ({need} bytes), the file has {have}"
            )));
        }
        Ok(Self {
            path,
            offset,
            element,
            n_cols,
            window: RowWindow::new(n_rows, default_batch_rows(n_cols, 1)),
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

    /// Serves only the rows `range` of the file (clamped to the file's rows): a shard.
    pub fn with_rows(mut self, range: Range<usize>) -> Self {
        self.window = self.window.with_rows(range);
        self
    }

    /// Takes `shift` (one value per column) off every row on the host, in f64, before the
    /// cast to the compute dtype: rows at 10⁸ ± 1 keep their digits in f32 as `x − 10⁸`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `shift` is not one value per column.
    pub fn with_shift(mut self, shift: Vec<f64>) -> Result<Self> {
        self.shift = HostShift::new(shift, self.n_cols)?;
        Ok(self)
    }

    /// Calls `f` with the values of each batch, row-major, as f64 (exactly as the file holds
    /// them, unshifted), without making tensors: a first pass on the host.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; `f`'s errors.
    pub fn for_each_host_batch(&self, f: &mut dyn FnMut(&[f64]) -> Result<()>) -> Result<()> {
        self.read(|bytes, _| f(&self.element.to_f64(bytes)))
    }

    /// Rows per batch.
    pub fn batch_rows(&self) -> usize {
        self.window.batch_rows
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file holds `float32` values (else `float64`).
    pub fn is_f32(&self) -> bool {
        self.element == Element::F32
    }

    fn tensor(&self, bytes: &[u8], rows: usize) -> Tensor<B, 2> {
        let shape = [rows, self.n_cols];
        // Through f64 when wide or shifted before the cast; else straight to f32.
        let data = if self.dtype == DType::F64 || self.shift.is_some() {
            self.shift
                .data(self.element.to_f64(bytes), shape, self.dtype)
        } else {
            match self.element {
                Element::F32 => TensorData::new(
                    bytes
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect::<Vec<f32>>(),
                    shape,
                ),
                Element::F64 => TensorData::new(
                    bytes
                        .chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
                        .collect::<Vec<f32>>(),
                    shape,
                ),
            }
        };
        Tensor::from_data(data, opts::<B>(&self.device, self.dtype))
    }

    /// Calls `f` with the bytes of each batch and its rows (counted from the first row
    /// served): one seek, then one read per batch into one buffer.
    fn read(&self, mut f: impl FnMut(&[u8], Range<usize>) -> Result<()>) -> Result<()> {
        let io = |source| Error::Io {
            action: "read",
            path: self.path.clone(),
            source,
        };
        let row_bytes = self.n_cols * self.element.size();
        let mut file = File::open(&self.path).map_err(io)?;
        file.seek(SeekFrom::Start(
            self.offset + (self.window.rows.start * row_bytes) as u64,
        ))
        .map_err(io)?;
        let mut buffer = vec![0u8; self.window.batch_rows.min(self.window.rows.len()) * row_bytes];
        for rows in self.window.batches() {
            let bytes = &mut buffer[..rows.len() * row_bytes];
            file.read_exact(bytes).map_err(io)?;
            let local = rows.start - self.window.rows.start;
            f(bytes, local..local + rows.len())?;
        }
        Ok(())
    }
}

impl<B: Backend> DataSource<B> for NpySource<B> {
    fn n_samples(&self) -> usize {
        self.window.rows.len()
    }

    fn n_features(&self) -> usize {
        self.n_cols
    }

    fn for_each_batch(&self, f: &mut dyn FnMut(Batch<B>) -> Result<()>) -> Result<()> {
        self.read(|bytes, rows| {
            let x = self.tensor(bytes, rows.len());
            f(Batch::new(x).with_rows(rows))
        })
    }

    fn device(&self) -> B::Device {
        self.device.clone()
    }
}
