//! Batches of rows and the sources that yield them.

use core::ops::Range;

use burn::tensor::{Int, Tensor, TensorData, backend::Backend};

use crate::{Error, Result};

/// A batch of rows: inputs, optional targets and optional sample weights.
#[derive(Debug, Clone)]
pub struct Batch<B: Backend> {
    /// Inputs, `[N, D]`.
    pub x: Tensor<B, 2>,
    /// Targets, `[N, P]`, for supervised mixtures (experts); `None` for density models.
    pub y: Option<Tensor<B, 2>>,
    /// Sample weights, `[N]`; `None` means every row has weight one.
    pub weight: Option<Tensor<B, 1>>,
    /// Where these rows sit in the whole data set (used by per-row gates).
    pub rows: Range<usize>,
}

impl<B: Backend> Batch<B> {
    /// A batch of inputs only, rows `0..N`.
    pub fn new(x: Tensor<B, 2>) -> Self {
        let n = x.dims()[0];
        Self {
            x,
            y: None,
            weight: None,
            rows: 0..n,
        }
    }

    /// Adds targets.
    pub fn with_targets(mut self, y: Tensor<B, 2>) -> Self {
        self.y = Some(y);
        self
    }

    /// Adds sample weights.
    pub fn with_weight(mut self, weight: Tensor<B, 1>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Sets the position of the rows in the whole data set.
    pub fn with_rows(mut self, rows: Range<usize>) -> Self {
        self.rows = rows;
        self
    }

    /// Rows in the batch.
    pub fn n_samples(&self) -> usize {
        self.x.dims()[0]
    }

    /// Columns of `x`.
    pub fn n_features(&self) -> usize {
        self.x.dims()[1]
    }

    /// Responsibilities multiplied by the sample weights (unchanged when there are none).
    pub fn weigh(&self, resp: Tensor<B, 2>) -> Tensor<B, 2> {
        match &self.weight {
            Some(w) => resp * w.clone().unsqueeze_dim(1),
            None => resp,
        }
    }

    /// The rows `range` (relative to this batch) as a batch of their own.
    pub fn slice(&self, range: Range<usize>) -> Self {
        let d = self.n_features();
        let x = self.x.clone().slice([range.clone(), 0..d]);
        let y = self.y.as_ref().map(|y| {
            let p = y.dims()[1];
            y.clone().slice([range.clone(), 0..p])
        });
        let weight = self
            .weight
            .as_ref()
            .map(|w| w.clone().slice([range.clone()]));
        let start = self.rows.start + range.start;
        Self {
            x,
            y,
            weight,
            rows: start..start + range.len(),
        }
    }
}

/// Something that yields the data as batches: an in-memory tensor split into chunks, or a
/// stream from disk for data larger than device memory.
///
/// A source must yield the same rows, in the same order, on every pass.
pub trait DataSource<B: Backend> {
    /// Total rows.
    fn n_samples(&self) -> usize;

    /// Columns of the inputs.
    fn n_features(&self) -> usize;

    /// Calls `f` on each batch in turn, stopping at the first error.
    fn for_each_batch(&self, f: &mut dyn FnMut(Batch<B>) -> Result<()>) -> Result<()>;

    /// The device the batches live on.
    fn device(&self) -> B::Device;

    /// The group this source's rows are shared with when it is one rank's shard of a data
    /// set split over several processes ([`Sharded`](crate::reduce::Sharded)): the sums a
    /// fit takes over the source are then summed over the group before they are used.
    /// `None` (the default) for a source that one process holds whole.
    fn reducer(&self) -> Option<&dyn crate::reduce::Reducer> {
        None
    }
}

/// An in-memory [`Batch`] served whole or in chunks of `batch_size` rows.
///
/// The chunks are cut once, at construction, into tensors of their own (contiguous, at
/// offset zero), so that every pass of a fit runs the backends' fast kernels instead of
/// walking strided views.
#[derive(Debug, Clone)]
pub struct TensorSource<B: Backend> {
    data: Batch<B>,
    chunks: Vec<Batch<B>>,
}

impl<B: Backend> TensorSource<B> {
    /// Serves `data` in chunks of `batch_size` rows (`None`: one batch).
    pub fn new(data: Batch<B>, batch_size: Option<usize>) -> Self {
        let n = data.n_samples();
        let chunks = match batch_size {
            Some(bs) if bs > 0 && bs < n => (0..n)
                .step_by(bs)
                .map(|start| materialize(data.slice(start..(start + bs).min(n))))
                .collect(),
            _ => Vec::new(),
        };
        Self { data, chunks }
    }

    /// Serves `data` in chunks of `batch_size` rows that are views of it: no copy of the
    /// data. On burn-flex the kernels run slower on a view at a row offset than on a tensor
    /// of its own (a full-covariance iteration at D = 16 about twice as slow), so this suits
    /// chunks that are read a few times only, as when a fit keeps its prepared features.
    ///
    /// ```
    /// use burn::tensor::Tensor;
    /// use mixture_core::{Batch, DataSource, TensorSource};
    /// type B = burn_flex::Flex;
    /// let x = Tensor::<B, 2>::from_floats([[1.0], [2.0], [3.0]], &Default::default());
    /// let source = TensorSource::views(Batch::new(x), Some(2));
    /// let mut rows = Vec::new();
    /// source.for_each_batch(&mut |b| Ok(rows.push(b.rows.clone()))).unwrap();
    /// assert_eq!(rows, vec![0..2, 2..3]);
    /// ```
    pub fn views(data: Batch<B>, batch_size: Option<usize>) -> Self {
        let n = data.n_samples();
        let chunks = match batch_size {
            Some(bs) if bs > 0 && bs < n => (0..n)
                .step_by(bs)
                .map(|start| data.slice(start..(start + bs).min(n)))
                .collect(),
            _ => Vec::new(),
        };
        Self { data, chunks }
    }

    /// The whole data as one batch.
    pub fn batch(&self) -> &Batch<B> {
        &self.data
    }
}

/// Copies every tensor of a batch into a buffer of its own.
fn materialize<B: Backend>(b: Batch<B>) -> Batch<B> {
    Batch {
        x: b.x.mul_scalar(1.0),
        y: b.y.map(|y| y.mul_scalar(1.0)),
        weight: b.weight.map(|w| w.mul_scalar(1.0)),
        rows: b.rows,
    }
}

impl<B: Backend> DataSource<B> for TensorSource<B> {
    fn n_samples(&self) -> usize {
        self.data.n_samples()
    }

    fn n_features(&self) -> usize {
        self.data.n_features()
    }

    fn device(&self) -> B::Device {
        self.data.x.device()
    }

    fn for_each_batch(&self, f: &mut dyn FnMut(Batch<B>) -> Result<()>) -> Result<()> {
        if self.chunks.is_empty() {
            return f(self.data.clone());
        }
        for chunk in &self.chunks {
            f(chunk.clone())?;
        }
        Ok(())
    }
}

impl<B: Backend, S: DataSource<B> + ?Sized> DataSource<B> for &S {
    fn n_samples(&self) -> usize {
        (**self).n_samples()
    }

    fn n_features(&self) -> usize {
        (**self).n_features()
    }

    fn for_each_batch(&self, f: &mut dyn FnMut(Batch<B>) -> Result<()>) -> Result<()> {
        (**self).for_each_batch(f)
    }

    fn device(&self) -> B::Device {
        (**self).device()
    }

    fn reducer(&self) -> Option<&dyn crate::reduce::Reducer> {
        (**self).reducer()
    }
}

/// The rows `indices` (global row numbers, any order, repeats allowed) of `source`, with
/// their sample weights, as one batch in the order of `indices`: one pass over the source and
/// one `select` per batch that holds any of them (an initialisation's seeds, not a hot path).
///
/// # Errors
/// [`Error::DimensionMismatch`] when an index is past the source's last row; the source's
/// own errors.
///
/// ```
/// use burn::tensor::{DType, Tensor};
/// use mixture_core::{batch::gather_rows, tensor::{from_f64, to_vec_f64}, Batch, TensorSource};
///
/// type B = burn_ndarray::NdArray<f64>;
/// let x: Tensor<B, 2> = from_f64((0..10).map(f64::from).collect(), [5, 2], &Default::default(), DType::F64);
/// let source = TensorSource::new(Batch::new(x), Some(2)); // batches of 2 rows
/// let rows = gather_rows(&source, &[4, 0, 4])?;
/// assert_eq!(to_vec_f64(rows.x)?, vec![8.0, 9.0, 0.0, 1.0, 8.0, 9.0]);
/// # Ok::<(), mixture_core::Error>(())
/// ```
pub fn gather_rows<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    indices: &[usize],
) -> Result<Batch<B>> {
    if let Some(reducer) = source.reducer() {
        return gather_shared_rows(source, reducer, indices);
    }
    let mut xs: Vec<Tensor<B, 2>> = Vec::new();
    let mut ws: Vec<Tensor<B, 1>> = Vec::new();
    // order[j] = position in `indices` of the j-th gathered row.
    let mut order: Vec<usize> = Vec::with_capacity(indices.len());
    let mut start = 0usize;
    source.for_each_batch(&mut |batch: Batch<B>| {
        let end = start + batch.n_samples();
        let mut local = Vec::new();
        for (pos, &i) in indices.iter().enumerate() {
            if (start..end).contains(&i) {
                order.push(pos);
                local.push((i - start) as i64);
            }
        }
        if !local.is_empty() {
            let idx = index_tensor::<B>(local, &batch.x.device());
            xs.push(batch.x.clone().select(0, idx.clone()));
            if let Some(w) = &batch.weight {
                ws.push(w.clone().select(0, idx));
            }
        }
        start = end;
        Ok(())
    })?;
    if order.len() != indices.len() || xs.is_empty() {
        return Err(Error::DimensionMismatch {
            what: "rows of the data source (a row index past its end was requested)",
            expected: indices.iter().max().map_or(1, |m| m + 1),
            found: start,
        });
    }
    // A source's batches are all weighted or none is.
    let mut weight = (ws.len() == xs.len()).then(|| Tensor::cat(ws, 0));
    let mut x = Tensor::cat(xs, 0);
    // Back to the order of `indices` unless the gathering kept it.
    let mut inverse = vec![0i64; indices.len()];
    for (j, &pos) in order.iter().enumerate() {
        inverse[pos] = j as i64;
    }
    if inverse.iter().enumerate().any(|(j, &v)| v != j as i64) {
        let idx = index_tensor::<B>(inverse, &x.device());
        weight = weight.map(|w| w.select(0, idx.clone()));
        x = x.select(0, idx);
    }
    let out = Batch::new(x);
    Ok(match weight {
        Some(w) => out.with_weight(w),
        None => out,
    })
}

/// [`gather_rows`] of a source sharded over a group: each rank sends the rows it holds (by
/// their global positions, `Batch::rows`) with their places in `indices`, and every rank
/// assembles all of them (one all-gather: each rank receives the m rows once, whatever the
/// number of ranks; values travel as f64, exactly).
fn gather_shared_rows<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    reducer: &dyn crate::reduce::Reducer,
    indices: &[usize],
) -> Result<Batch<B>> {
    let d = source.n_features();
    let m = indices.len();
    // (place in `indices`, row values) of the rows this rank holds, as little-endian bytes.
    let mut mine: Vec<u8> = Vec::new();
    let mut dtype = None;
    source.for_each_batch(&mut |batch: Batch<B>| {
        dtype = Some(batch.x.dtype());
        let (start, end) = (batch.rows.start, batch.rows.end);
        let wanted: Vec<(usize, usize)> = indices
            .iter()
            .enumerate()
            .filter(|(_, i)| (start..end).contains(*i))
            .map(|(pos, &i)| (pos, i - start))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let idx = index_tensor::<B>(
            wanted.iter().map(|&(_, i)| i as i64).collect(),
            &batch.x.device(),
        );
        let values = crate::tensor::to_vec_f64(batch.x.clone().select(0, idx))?;
        for (j, &(pos, _)) in wanted.iter().enumerate() {
            mine.extend_from_slice(&(pos as u64).to_le_bytes());
            for v in &values[j * d..(j + 1) * d] {
                mine.extend_from_slice(&v.to_le_bytes());
            }
        }
        Ok(())
    })?;
    let mut rows = vec![0.0f64; m * d];
    let mut found = 0;
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        w
    };
    for part in reducer.all_gather_bytes(&mine)? {
        for record in part.chunks_exact(8 * (d + 1)) {
            let pos = u64::from_le_bytes(word(&record[..8])) as usize;
            for (f, v) in record[8..].chunks_exact(8).enumerate() {
                rows[pos * d + f] = f64::from_le_bytes(word(v));
            }
            found += 1;
        }
    }
    if found != m {
        return Err(Error::DimensionMismatch {
            what: "rows gathered from the ranks (a row index past the data's end was requested)",
            expected: m,
            found,
        });
    }
    let device = source.device();
    let dtype = dtype.unwrap_or_else(|| Tensor::<B, 1>::zeros([1], &device).dtype());
    Ok(Batch::new(crate::tensor::from_f64(
        rows,
        [m, d],
        &device,
        dtype,
    )))
}

/// Row indices as an `[n]` integer tensor on `device`.
fn index_tensor<B: Backend>(idx: Vec<i64>, device: &B::Device) -> Tensor<B, 1, Int> {
    let n = idx.len();
    Tensor::from_data(TensorData::new(idx, [n]), device)
}
