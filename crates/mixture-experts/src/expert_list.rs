//! A heterogeneous list of experts, as one [`Components`] value.
//!
//! Experts of one kind are batched ([`BayesianLinear`](crate::BayesianLinear) holds K experts
//! as tensors). To mix kinds — say a linear expert with a prior next to one without, or a
//! custom expert — put each group in an [`ExpertList`]: its log-likelihood is the columns of
//! the groups side by side, and each group updates from its own columns of the
//! responsibilities. The loop over groups is the price of heterogeneity; keep groups few.

use core::any::Any;

use burn::tensor::{backend::Backend, Tensor};
use mixture_core::{Batch, ComponentCheck, Components, Statistics};

/// Statistics whose type is known only to the expert that made them.
pub struct ErasedStats(Box<dyn AnyStats>);

impl core::fmt::Debug for ErasedStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ErasedStats")
    }
}

trait AnyStats: Any {
    fn merge_boxed(self: Box<Self>, other: Box<dyn AnyStats>) -> Box<dyn AnyStats>;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<S: Statistics + 'static> AnyStats for S {
    fn merge_boxed(self: Box<Self>, other: Box<dyn AnyStats>) -> Box<dyn AnyStats> {
        let other = other
            .into_any()
            .downcast::<S>()
            .expect("ErasedStats merged with statistics of another expert group");
        Box::new((*self).merge(*other))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

impl ErasedStats {
    /// Wraps statistics.
    pub fn new<S: Statistics + 'static>(stats: S) -> Self {
        Self(Box::new(stats))
    }

    /// Unwraps statistics of type `S` (`None` if they are of another type).
    pub fn downcast<S: Statistics + 'static>(self) -> Option<S> {
        self.0.into_any().downcast::<S>().ok().map(|b| *b)
    }
}

impl Statistics for ErasedStats {
    fn merge(self, other: Self) -> Self {
        Self(self.0.merge_boxed(other.0))
    }
}

/// A group of experts usable in an [`ExpertList`]: any [`Components`] with `'static`
/// statistics and a predictive mean.
pub trait Expert<B: Backend> {
    /// Experts in the group.
    fn n_components(&self) -> usize;
    /// `[N, k]` log-likelihoods of the group.
    fn log_likelihood(&self, batch: &Batch<B>) -> Tensor<B, 2>;
    /// The group's statistics from its `[N, k]` responsibilities.
    fn statistics(&self, batch: &Batch<B>, resp: Tensor<B, 2>) -> ErasedStats;
    /// The group's M-step.
    ///
    /// # Panics
    /// If `stats` were made by another group.
    fn update(&mut self, stats: ErasedStats) -> ComponentCheck<B>;
    /// The group's bound correction.
    fn bound_correction(&self) -> Option<Tensor<B, 1>>;
    /// The group's free parameters.
    fn n_parameters(&self) -> usize;
    /// The group's predictive means for inputs `x`, `[N, k, P]`.
    fn predict_mean(&self, x: &Tensor<B, 2>) -> Tensor<B, 3>;
}

/// A predictive mean, the one thing an [`Expert`] adds to [`Components`].
pub trait PredictMean<B: Backend> {
    /// Predictive means for inputs `x`, `[N, K, P]`.
    fn predict_mean(&self, x: &Tensor<B, 2>) -> Tensor<B, 3>;
}

impl<B: Backend> PredictMean<B> for crate::BayesianLinear<B> {
    fn predict_mean(&self, x: &Tensor<B, 2>) -> Tensor<B, 3> {
        self.predict(x).0
    }
}

impl<B, C> Expert<B> for C
where
    B: Backend,
    C: Components<B> + PredictMean<B>,
    C::Stats: 'static,
{
    fn n_components(&self) -> usize {
        Components::n_components(self)
    }

    fn log_likelihood(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        Components::log_likelihood(self, batch)
    }

    fn statistics(&self, batch: &Batch<B>, resp: Tensor<B, 2>) -> ErasedStats {
        ErasedStats::new(Components::statistics(self, batch, resp))
    }

    fn update(&mut self, stats: ErasedStats) -> ComponentCheck<B> {
        let stats = stats
            .downcast::<C::Stats>()
            .expect("statistics of another expert group passed to update");
        Components::update(self, stats)
    }

    fn bound_correction(&self) -> Option<Tensor<B, 1>> {
        Components::bound_correction(self)
    }

    fn n_parameters(&self) -> usize {
        Components::n_parameters(self)
    }

    fn predict_mean(&self, x: &Tensor<B, 2>) -> Tensor<B, 3> {
        PredictMean::predict_mean(self, x)
    }
}

/// Statistics of an [`ExpertList`]: one entry per group.
#[derive(Debug)]
pub struct ListStats(pub Vec<ErasedStats>);

impl Statistics for ListStats {
    fn merge(self, other: Self) -> Self {
        Self(
            self.0
                .into_iter()
                .zip(other.0)
                .map(|(a, b)| a.merge(b))
                .collect(),
        )
    }
}

/// Heterogeneous groups of experts as one [`Components`] value: columns are the groups'
/// experts in order.
///
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::Components;
/// use mixture_experts::{BayesianLinearConfig, ExpertList, PriorType};
/// type B = burn_flex::Flex;
/// let x = Tensor::<B, 2>::zeros([1, 2], &Default::default());
/// let bayes = BayesianLinearConfig::new(2, 2).init(&x).unwrap();
/// let plain = BayesianLinearConfig::new(1, 2).with_prior(PriorType::None).init(&x).unwrap();
/// let list = ExpertList::<B>::new().with(bayes).with(plain);
/// assert_eq!(list.n_components(), 3);
/// ```
#[derive(Default)]
pub struct ExpertList<B: Backend> {
    groups: Vec<Box<dyn Expert<B>>>,
}

impl<B: Backend> core::fmt::Debug for ExpertList<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExpertList")
            .field("groups", &self.groups.len())
            .field("n_components", &Components::n_components(self))
            .finish()
    }
}

impl<B: Backend> ExpertList<B> {
    /// An empty list.
    pub fn new() -> Self {
        Self { groups: Vec::new() }
    }

    /// Appends a group.
    pub fn with(mut self, group: impl Expert<B> + 'static) -> Self {
        self.groups.push(Box::new(group));
        self
    }

    /// Appends a boxed group.
    pub fn push(&mut self, group: Box<dyn Expert<B>>) {
        self.groups.push(group);
    }

    /// The groups.
    pub fn groups(&self) -> &[Box<dyn Expert<B>>] {
        &self.groups
    }

    /// Predictive means of all experts, `[N, K, P]`.
    pub fn predict_mean(&self, x: &Tensor<B, 2>) -> Tensor<B, 3> {
        Tensor::cat(self.groups.iter().map(|g| g.predict_mean(x)).collect(), 1)
    }

    fn column_ranges(&self) -> Vec<core::ops::Range<usize>> {
        let mut start = 0;
        self.groups
            .iter()
            .map(|g| {
                let r = start..start + g.n_components();
                start = r.end;
                r
            })
            .collect()
    }
}

impl<B: Backend> Components<B> for ExpertList<B> {
    type Stats = ListStats;

    fn n_components(&self) -> usize {
        self.groups.iter().map(|g| g.n_components()).sum()
    }

    fn log_likelihood(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        Tensor::cat(
            self.groups
                .iter()
                .map(|g| g.log_likelihood(batch))
                .collect(),
            1,
        )
    }

    fn statistics(&self, batch: &Batch<B>, resp: Tensor<B, 2>) -> ListStats {
        let n = resp.dims()[0];
        ListStats(
            self.groups
                .iter()
                .zip(self.column_ranges())
                .map(|(g, cols)| g.statistics(batch, resp.clone().slice([0..n, cols])))
                .collect(),
        )
    }

    fn update(&mut self, stats: ListStats) -> ComponentCheck<B> {
        let checks: Vec<_> = self
            .groups
            .iter_mut()
            .zip(stats.0)
            .map(|(g, s)| g.update(s))
            .collect();
        let pivot = Tensor::cat(checks.iter().map(|c| c.pivot.clone()).collect(), 0);
        let weight = Tensor::cat(checks.into_iter().map(|c| c.weight).collect(), 0);
        ComponentCheck { pivot, weight }
    }

    fn bound_correction(&self) -> Option<Tensor<B, 1>> {
        self.groups
            .iter()
            .filter_map(|g| g.bound_correction())
            .reduce(|a, b| a + b)
    }

    fn n_parameters(&self) -> usize {
        self.groups.iter().map(|g| g.n_parameters()).sum()
    }
}
