//! Sizes that trade memory against per-operation overhead, chosen per kind of backend.
//!
//! Generic code cuts large products into row chunks and EM fits into blocks of rows. The
//! right sizes differ by backend. On a CPU (burn-flex, burn-ndarray), blocks that stay in cache
//! and few thread-pool wake-ups are fastest. On a GPU, every kernel launch costs microseconds,
//! so it wants few, large blocks. [`Tuning::of`] picks the profile from the backend type;
//! results do not depend on it, because statistics add up over blocks and chunks.
//!
//! The CPU values were measured on burn-flex (see the docs of each field). The GPU values
//! are starting points and have not been measured: no GPU backend runs our fits yet (see
//! benches/RESULTS.md).

use burn::tensor::backend::Backend;

/// Block and chunk sizes of one kind of backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Entries of a row-chunked intermediate (`[rows, K·D]` projections, `[rows, K, D]`
    /// residuals) before its rows are split.
    pub chunk_entries: usize,
    /// Elements of the widest per-block intermediate of an in-memory EM fit (2¹⁸ ≈ 1 MiB in
    /// f32 on a CPU: it stays in cache).
    pub block_elements: usize,
    /// Elements of a full-covariance block's `[rows, K·D]` projections where they are
    /// composed. On burn-flex, 1024-row blocks made an iteration at K = 16, D = 64 a third
    /// slower than 8192-row ones.
    pub full_block_elements: usize,
    /// Diagonal and spherical fits of large data use at most about this many blocks.
    pub max_linear_blocks: usize,
    /// Blocks never get smaller than this many rows.
    pub min_block_rows: usize,
    /// From this many entries on, [`softmax_with_logsumexp`](crate::logsumexp::softmax_with_logsumexp)
    /// uses the backend's fused softmax. Below it, a composed one. On burn-flex, waking the
    /// thread pool for a 200 × 2 softmax cost more than the E-step's arithmetic.
    pub small_softmax: usize,
}

impl Tuning {
    /// burn-flex and burn-ndarray.
    pub const CPU: Self = Self {
        chunk_entries: 1 << 24,
        block_elements: 1 << 18,
        full_block_elements: 1 << 23,
        max_linear_blocks: 64,
        min_block_rows: 1024,
        small_softmax: 1 << 15,
    };

    /// wgpu, CUDA and other accelerators: few, large launches (not measured yet).
    pub const GPU: Self = Self {
        chunk_entries: 1 << 26,
        block_elements: 1 << 24,
        full_block_elements: 1 << 26,
        max_linear_blocks: 4,
        min_block_rows: 1 << 16,
        small_softmax: 0,
    };

    /// The profile of backend `B`: [`CPU`](Self::CPU) for burn-flex and burn-ndarray (also
    /// under `Autodiff` or fusion), [`GPU`](Self::GPU) for the rest.
    ///
    /// ```
    /// use mixture_core::tuning::Tuning;
    /// assert_eq!(Tuning::of::<burn_flex::Flex>(), Tuning::CPU);
    /// assert_eq!(Tuning::of::<burn::backend::Autodiff<burn_ndarray::NdArray<f64>>>(), Tuning::CPU);
    /// ```
    pub fn of<B: Backend>() -> Self {
        let name = core::any::type_name::<B>();
        if name.contains("burn_flex") || name.contains("burn_ndarray") {
            Self::CPU
        } else {
            Self::GPU
        }
    }

    /// Rows per chunk of `n` rows of `per_row` entries each: at least 1, at most `n`.
    ///
    /// ```
    /// use mixture_core::tuning::Tuning;
    /// assert_eq!(Tuning::CPU.chunk_rows(10_000_000, 16 * 64), (1 << 24) / 1024);
    /// assert_eq!(Tuning::CPU.chunk_rows(100, 4), 100);
    /// ```
    pub fn chunk_rows(&self, n: usize, per_row: usize) -> usize {
        (self.chunk_entries / per_row.max(1)).clamp(1, n.max(1))
    }
}
