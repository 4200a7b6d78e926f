//! Batches of rows and the sources that yield them.

use core::ops::Range;

use burn::tensor::{backend::Backend, Tensor};

use crate::Result;

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
    /// Data-only features of these rows, prepared once per fit by
    /// [`Components::prepare`](crate::Components::prepare) and reused on every pass (for
    /// example the Gaussian components' `[x − c, (x − c)², 1]`, or the Bayesian linear
    /// experts' design and its per-row products), each with one row per sample. Empty: the
    /// components derive what they need from `x` on each pass.
    pub features: Vec<Tensor<B, 2>>,
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
            features: Vec::new(),
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
        let features = self
            .features
            .iter()
            .map(|f| {
                let w = f.dims()[1];
                f.clone().slice([range.clone(), 0..w])
            })
            .collect();
        let start = self.rows.start + range.start;
        Self {
            x,
            y,
            weight,
            rows: start..start + range.len(),
            features,
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

    /// The whole data as one batch.
    pub fn batch(&self) -> &Batch<B> {
        &self.data
    }

    /// Attaches data-only features to every batch the source serves, computed once here by
    /// `prepare` (typically [`Components::prepare`](crate::Components::prepare)) and reused
    /// on every pass. Costs the features' memory for the life of the source.
    pub fn with_features(mut self, prepare: impl Fn(&Batch<B>) -> Vec<Tensor<B, 2>>) -> Self {
        if self.chunks.is_empty() {
            self.data.features = prepare(&self.data);
        } else {
            for chunk in &mut self.chunks {
                chunk.features = prepare(chunk);
            }
        }
        self
    }
}

/// Copies every tensor of a batch into a buffer of its own.
fn materialize<B: Backend>(b: Batch<B>) -> Batch<B> {
    Batch {
        x: b.x.mul_scalar(1.0),
        y: b.y.map(|y| y.mul_scalar(1.0)),
        weight: b.weight.map(|w| w.mul_scalar(1.0)),
        rows: b.rows,
        features: b.features.into_iter().map(|f| f.mul_scalar(1.0)).collect(),
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
}
