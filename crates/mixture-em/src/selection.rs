//! Choosing the number of components and the covariance type: a grid of Gaussian mixture fits
//! ranked by an information criterion (scikit-learn's "BIC over a grid" written by hand,
//! mclust's `mclustBIC` as one call).
//!
//! [`ModelSelectionConfig`] holds the grid (component counts × covariance types), the
//! [`Criterion`] and the [`GaussianMixtureConfig`] every cell starts from (its `n_components`
//! and `covariance_type` are replaced per cell). [`ModelSelectionConfig::fit`] fits every
//! cell; a cell that fails (too few rows for K, a collapsed component) is kept with its error
//! and never stops the grid. The result, [`ModelSelection`], holds the table and the best
//! fitted model.
//!
//! Cells are fitted by EM or, with [`SelectionMethod::Variational`], by variational Bayes
//! (the criteria are then those of each fit's point estimate, and the cell also records its
//! evidence lower bound).
//!
//! All three criteria are in the sign of scikit-learn's `bic`: lower is better.
//! * BIC `= −2 ln L + p ln N`, AIC `= −2 ln L + 2p` (p: free parameters);
//! * ICL `= BIC + 2 · entropy`, the entropy `−Σ_i Σ_k r_ik ln r_ik` of the responsibilities
//!   (mclust's ICL, whose sign is the opposite: larger is better there).
//!
//! ```
//! use burn::tensor::Tensor;
//! use mixture_em::selection::{Criterion, ModelSelectionConfig};
//! use mixture_em::CovarianceType;
//! type B = burn_flex::Flex;
//!
//! let dev = Default::default();
//! let x = Tensor::<B, 2>::from_floats(
//!     [[0.0, 0.1], [0.2, 0.0], [0.1, 0.2], [0.3, 0.1],
//!      [5.0, 5.1], [5.2, 5.0], [5.1, 5.2], [5.3, 5.1]],
//!     &dev,
//! );
//! let selection = ModelSelectionConfig::new(vec![1, 2], vec![CovarianceType::Spherical])
//!     .with_criterion(Criterion::Bic)
//!     .fit(&x)?;
//! assert_eq!(selection.cells().len(), 2);
//! let (best, model) = selection.best().unwrap();
//! assert_eq!((best.n_components, model.n_components()), (2, 2));
//! # Ok::<(), mixture_core::Error>(())
//! ```

use core::fmt;

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{Batch, DataSource, Error, NoopObserver, Result};
use mixture_experts::CovarianceType;

use crate::{
    BayesianGaussianMixture, BayesianGaussianMixtureConfig, GaussianMixture, GaussianMixtureConfig,
};

/// How every cell of the grid is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum SelectionMethod {
    /// Maximum likelihood by EM ([`GaussianMixture`]).
    #[default]
    Em,
    /// Variational Bayes ([`BayesianGaussianMixture`], default priors); the criteria are
    /// those of its point estimate, and each cell also records its evidence lower bound.
    Variational,
}

mixture_core::named_enum!(SelectionMethod, "method", {
    Em => "em",
    Variational => "variational" | "vb",
});

/// A fitted cell's model: an EM or a variational Gaussian mixture.
#[derive(Debug, Clone)]
pub enum SelectedModel<B: Backend> {
    /// Fitted by EM.
    Em(GaussianMixture<B>),
    /// Fitted by variational Bayes.
    Variational(BayesianGaussianMixture<B>),
}

impl<B: Backend> SelectedModel<B> {
    /// Number of components, K.
    pub fn n_components(&self) -> usize {
        match self {
            Self::Em(m) => m.n_components(),
            Self::Variational(m) => m.n_components(),
        }
    }

    /// The model as the JSON its `save` writes.
    ///
    /// # Errors
    /// As the model's `to_json`.
    pub fn to_json(&self) -> Result<String> {
        match self {
            Self::Em(m) => m.to_json(),
            Self::Variational(m) => m.to_json(),
        }
    }

    /// The Gaussian mixture the criteria were computed for: the EM fit, or the variational
    /// fit's point estimate.
    pub fn gaussian(&self) -> GaussianMixture<B> {
        match self {
            Self::Em(m) => m.clone(),
            Self::Variational(m) => m.point_estimate(),
        }
    }
}

/// The information criterion that ranks the grid (lower is better for all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Criterion {
    /// Bayesian information criterion, `−2 ln L + p ln N` (the default, as mclust).
    #[default]
    Bic,
    /// Akaike information criterion, `−2 ln L + 2p`.
    Aic,
    /// Integrated completed likelihood: BIC + 2 · the entropy of the responsibilities.
    Icl,
}

mixture_core::named_enum!(Criterion, "criterion", {
    Bic => "bic",
    Aic => "aic",
    Icl => "icl",
});

impl Criterion {
    /// The criterion's value in a cell's scores.
    pub fn of(self, scores: &CellScores) -> f64 {
        match self {
            Self::Bic => scores.bic,
            Self::Aic => scores.aic,
            Self::Icl => scores.icl,
        }
    }
}

/// The grid, the criterion and the settings of every fit.
///
/// Defaults (from [`new`](Self::new)): criterion BIC; every cell fits with
/// [`GaussianMixtureConfig::new`]'s defaults (k-means initialisation, `n_init` 1, seed 0;
/// change them with [`with_base`](Self::with_base)).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelSelectionConfig {
    /// The numbers of components to try (each ≥ 1; duplicates are tried once).
    pub components: Vec<usize>,
    /// The covariance types to try (duplicates are tried once).
    pub covariance_types: Vec<CovarianceType>,
    /// What ranks the cells.
    pub criterion: Criterion,
    /// The settings of every fit; its `n_components` and `covariance_type` are set per cell.
    pub base: GaussianMixtureConfig,
    /// How the cells are fitted (default EM). Variational cells take `base`'s settings
    /// (init, `n_init`, seed, `tol`, `reg_covar`, `max_iter`, batch size) and the default
    /// priors.
    #[serde(default)]
    pub method: SelectionMethod,
}

impl ModelSelectionConfig {
    /// A grid of `components` × `covariance_types`, ranked by BIC.
    pub fn new(components: Vec<usize>, covariance_types: Vec<CovarianceType>) -> Self {
        Self {
            components,
            covariance_types,
            criterion: Criterion::Bic,
            base: GaussianMixtureConfig::new(1),
            method: SelectionMethod::Em,
        }
    }

    /// Sets how the cells are fitted.
    pub fn with_method(mut self, method: SelectionMethod) -> Self {
        self.method = method;
        self
    }

    /// Sets the criterion.
    pub fn with_criterion(mut self, criterion: Criterion) -> Self {
        self.criterion = criterion;
        self
    }

    /// Sets the settings every fit starts from (initialisation, `n_init`, seed, tolerance,
    /// `reg_covar`, batch size...).
    pub fn with_base(mut self, base: GaussianMixtureConfig) -> Self {
        self.base = base;
        self
    }

    /// The cells of the grid in order (components outer, covariance types inner), each once.
    pub fn grid(&self) -> Vec<(usize, CovarianceType)> {
        let mut cells = Vec::new();
        for &k in &self.components {
            for &c in &self.covariance_types {
                if !cells.contains(&(k, c)) {
                    cells.push((k, c));
                }
            }
        }
        cells
    }

    /// Checks the grid and the base settings.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`]: an empty list, a component count of 0, or a bad base setting.
    pub fn validate(&self) -> Result<()> {
        let invalid = |field, reason: &str| Error::InvalidConfig {
            field,
            reason: reason.into(),
        };
        if self.components.is_empty() {
            return Err(invalid(
                "components",
                "give at least one number of components",
            ));
        }
        if self.components.contains(&0) {
            return Err(invalid(
                "components",
                "every number of components must be >= 1",
            ));
        }
        if self.covariance_types.is_empty() {
            return Err(invalid(
                "covariance_types",
                "give at least one covariance type",
            ));
        }
        self.base.validate()
    }

    /// Fits every cell of the grid to `x` (`[N, D]`).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (see [`validate`](Self::validate)). A cell's own failure is
    /// kept in its [`SelectionCell::result`], not returned.
    pub fn fit<B: Backend>(&self, x: &Tensor<B, 2>) -> Result<ModelSelection<B>> {
        self.fit_with(x, &mut |_: &SelectionCell| {})
    }

    /// [`fit`](Self::fit), calling `on_cell` after every cell (a progress bar, a log).
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_with<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        on_cell: &mut dyn FnMut(&SelectionCell),
    ) -> Result<ModelSelection<B>> {
        self.validate()?;
        let n = x.dims()[0] as f64;
        self.fit_grid(
            &mut |config| config.fit(x),
            &mut |config| config.fit(x),
            &mut |model| {
                let (mean, entropy) = model.score_and_entropy(x)?;
                Ok((mean * n, entropy, n))
            },
            on_cell,
        )
    }

    /// [`fit_source_with`](Self::fit_source_with) without a callback.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_source<B: Backend, S: DataSource<B>>(
        &self,
        source: &S,
    ) -> Result<ModelSelection<B>> {
        self.fit_source_with(source, &mut |_: &SelectionCell| {})
    }

    /// Fits every cell of the grid to the batches of `source` (data larger than memory, or
    /// one rank's shard of data split over processes: every cell's fit and scores are then
    /// summed over the ranks): each cell is a streamed fit
    /// ([`GaussianMixtureConfig::fit_source`] or
    /// [`BayesianGaussianMixtureConfig::fit_source`]) and one more pass for its scores. The
    /// cells equal those of [`fit`](Self::fit) on the same rows up to float rounding; the
    /// base configuration's `batch_size` is not used (the source batches).
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_source_with<B: Backend, S: DataSource<B>>(
        &self,
        source: &S,
        on_cell: &mut dyn FnMut(&SelectionCell),
    ) -> Result<ModelSelection<B>> {
        self.validate()?;
        self.fit_grid(
            &mut |config| config.fit_source(source, &mut NoopObserver),
            &mut |config| config.fit_source(source, &mut NoopObserver),
            &mut |model| {
                let mut sums = [0.0, 0.0, 0.0];
                source.for_each_batch(&mut |batch: Batch<B>| {
                    let rows = batch.n_samples() as f64;
                    let (mean, entropy) = model.score_and_entropy(&batch.x)?;
                    sums[0] += mean * rows;
                    sums[1] += entropy;
                    sums[2] += rows;
                    Ok(())
                })?;
                if let Some(reducer) = source.reducer() {
                    reducer.all_reduce_sum(&mut sums)?;
                }
                Ok((sums[0], sums[1], sums[2]))
            },
            on_cell,
        )
    }

    /// The grid: every cell fitted by `em` or `variational` (a configuration in, a model
    /// out), scored by `score` (a model in; its total log-likelihood, the responsibilities'
    /// entropy and the rows out), the best kept.
    #[allow(clippy::type_complexity)]
    fn fit_grid<B: Backend>(
        &self,
        em: &mut dyn FnMut(&GaussianMixtureConfig) -> Result<GaussianMixture<B>>,
        variational: &mut dyn FnMut(
            &BayesianGaussianMixtureConfig,
        ) -> Result<BayesianGaussianMixture<B>>,
        score: &mut dyn FnMut(&GaussianMixture<B>) -> Result<(f64, f64, f64)>,
        on_cell: &mut dyn FnMut(&SelectionCell),
    ) -> Result<ModelSelection<B>> {
        let mut cells = Vec::new();
        let mut best: Option<(usize, f64, SelectedModel<B>)> = None;
        for (k, covariance_type) in self.grid() {
            let config = GaussianMixtureConfig {
                n_components: k,
                ..self.base.clone()
            }
            .with_covariance_type(covariance_type);
            let result = match self.method {
                SelectionMethod::Em => em(&config).and_then(|model| {
                    let scores = CellScores::of(&model, score(&model)?);
                    Ok((scores, SelectedModel::Em(model)))
                }),
                SelectionMethod::Variational => {
                    let b = &self.base;
                    let config = BayesianGaussianMixtureConfig::new(k)
                        .with_covariance_type(covariance_type)
                        .with_init(b.init)
                        .with_n_init(b.n_init)
                        .with_statistics_centre(b.statistics_centre)
                        .with_seed(b.seed)
                        .with_tol(b.tol)
                        .with_reg_covar(b.reg_covar)
                        .with_max_iter(b.max_iter)
                        .with_batch_size(b.batch_size);
                    variational(&config).and_then(|model| {
                        let point = model.point_estimate();
                        let mut scores = CellScores::of(&point, score(&point)?);
                        scores.converged = model.converged();
                        scores.n_iter = model.n_iter();
                        scores.elbo = Some(model.lower_bound());
                        Ok((scores, SelectedModel::Variational(model)))
                    })
                }
            };
            let cell = SelectionCell {
                n_components: k,
                covariance_type,
                result: result.as_ref().map(|(s, _)| s.clone()).map_err(clone_error),
            };
            on_cell(&cell);
            if let Ok((scores, model)) = result {
                let value = self.criterion.of(&scores);
                // The first of equal values wins; a NaN never does.
                if best.as_ref().is_none_or(|(_, b, _)| value < *b) {
                    best = Some((cells.len(), value, model));
                }
            }
            cells.push(cell);
        }
        Ok(ModelSelection {
            criterion: self.criterion,
            cells,
            best: best.map(|(i, _, model)| (i, model)),
        })
    }
}

/// A cell's error as the table keeps it (the library's errors hold boxed sources and are
/// not `Clone`): its message, and whether it was numerical.
fn clone_error(e: &Error) -> CellError {
    CellError {
        message: e.to_string(),
        numerical: matches!(
            e,
            Error::EmptyComponent { .. }
                | Error::NotPositiveDefinite { .. }
                | Error::Diverged { .. }
        ),
    }
}

/// Why a cell did not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// The fit's error message.
    pub message: String,
    /// Whether it was a numerical failure of the fit (a collapsed component, a covariance
    /// that is not positive definite, divergence) rather than a property of the data (fewer
    /// rows than components).
    pub numerical: bool,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The scores of one fitted cell, on the data it was fitted to.
#[derive(Debug, Clone, PartialEq)]
pub struct CellScores {
    /// Bayesian information criterion.
    pub bic: f64,
    /// Akaike information criterion.
    pub aic: f64,
    /// Integrated completed likelihood.
    pub icl: f64,
    /// Mean log-likelihood per row (scikit-learn's `score`).
    pub mean_log_likelihood: f64,
    /// Free parameters.
    pub n_parameters: usize,
    /// Whether EM converged.
    pub converged: bool,
    /// EM iterations of the kept restart.
    pub n_iter: usize,
    /// The evidence lower bound of a variational cell (scikit-learn's `lower_bound_`, a sum
    /// over rows); `None` for EM.
    pub elbo: Option<f64>,
}

impl CellScores {
    /// The scores of `model` from its total log-likelihood, the responsibilities' entropy
    /// and the rows they were taken over.
    fn of<B: Backend>(model: &GaussianMixture<B>, (total, entropy, n): (f64, f64, f64)) -> Self {
        use mixture_core::criteria::{aic, bic, icl};
        let p = model.n_parameters();
        let bic = bic(total, p, n);
        Self {
            bic,
            aic: aic(total, p),
            icl: icl(bic, entropy),
            mean_log_likelihood: total / n,
            n_parameters: p,
            converged: model.converged(),
            n_iter: model.n_iter(),
            elbo: None,
        }
    }
}

/// One cell of the grid: its settings and its scores, or why it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectionCell {
    /// Number of components.
    pub n_components: usize,
    /// Covariance type.
    pub covariance_type: CovarianceType,
    /// The scores, or the error of the fit.
    pub result: core::result::Result<CellScores, CellError>,
}

/// The fitted grid: every cell and the best model.
#[derive(Debug, Clone)]
pub struct ModelSelection<B: Backend> {
    criterion: Criterion,
    cells: Vec<SelectionCell>,
    best: Option<(usize, SelectedModel<B>)>,
}

impl<B: Backend> ModelSelection<B> {
    /// The criterion that ranked the cells.
    pub fn criterion(&self) -> Criterion {
        self.criterion
    }

    /// Every cell, in the order of [`ModelSelectionConfig::grid`].
    pub fn cells(&self) -> &[SelectionCell] {
        &self.cells
    }

    /// The cell with the lowest criterion and its fitted model; `None` when no cell fitted.
    pub fn best(&self) -> Option<(&SelectionCell, &SelectedModel<B>)> {
        self.best.as_ref().map(|(i, m)| (&self.cells[*i], m))
    }

    /// The index of the best cell in [`cells`](Self::cells).
    pub fn best_index(&self) -> Option<usize> {
        self.best.as_ref().map(|(i, _)| *i)
    }

    /// The best model, taken out of the selection.
    pub fn into_best(self) -> Option<SelectedModel<B>> {
        self.best.map(|(_, m)| m)
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::DType;
    use mixture_core::tensor::from_f64;

    use super::*;

    type B = burn_flex::Flex;

    /// Two tight groups of four rows.
    fn two_groups() -> Tensor<B, 2> {
        let rows = vec![
            0.0, 0.1, 0.2, 0.0, 0.1, 0.2, 0.3, 0.1, 5.0, 5.1, 5.2, 5.0, 5.1, 5.2, 5.3, 5.1,
        ];
        from_f64(rows, [8, 2], &Default::default(), DType::F64)
    }

    #[test]
    fn the_grid_is_components_then_types_each_once() {
        use CovarianceType::{Diag, Full};
        let c = ModelSelectionConfig::new(vec![2, 1, 2], vec![Full, Diag, Full]);
        assert_eq!(c.grid(), [(2, Full), (2, Diag), (1, Full), (1, Diag)]);
    }

    #[test]
    fn bad_grids_name_the_field() {
        let field = |c: ModelSelectionConfig| match c.validate() {
            Err(Error::InvalidConfig { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let types = vec![CovarianceType::Full];
        assert_eq!(
            field(ModelSelectionConfig::new(vec![], types.clone())),
            "components"
        );
        assert_eq!(
            field(ModelSelectionConfig::new(vec![0, 1], types.clone())),
            "components"
        );
        assert_eq!(
            field(ModelSelectionConfig::new(vec![1], vec![])),
            "covariance_types"
        );
        let bad_tol = GaussianMixtureConfig::new(1).with_tol(-1.0);
        assert_eq!(
            field(ModelSelectionConfig::new(vec![1], types).with_base(bad_tol)),
            "tol"
        );
    }

    #[test]
    fn every_cell_scores_as_its_own_fit_and_the_lowest_wins() {
        let x = two_groups();
        for criterion in Criterion::ALL {
            let config = ModelSelectionConfig::new(vec![1, 2, 9], vec![CovarianceType::Spherical])
                .with_criterion(criterion);
            let selection = config.fit(&x).unwrap();
            let cells = selection.cells();
            assert_eq!(cells.len(), 3);
            // Nine components on eight rows: the cell fails, the grid goes on.
            let err = cells[2].result.as_ref().unwrap_err();
            assert!(
                !err.numerical && err.message.contains("n_components=9"),
                "{err}"
            );
            for cell in &cells[..2] {
                let scores = cell.result.as_ref().unwrap();
                let model = GaussianMixtureConfig::new(cell.n_components)
                    .with_covariance_type(CovarianceType::Spherical)
                    .fit(&x)
                    .unwrap();
                assert_eq!(scores.bic, model.bic(&x).unwrap());
                assert_eq!(scores.aic, model.aic(&x).unwrap());
                assert!(scores.icl >= scores.bic - 1e-9);
            }
            let (best, model) = selection.best().unwrap();
            assert_eq!(best.n_components, 2, "{criterion}");
            assert_eq!(model.n_components(), 2);
            let value = |i: usize| criterion.of(cells[i].result.as_ref().unwrap());
            assert!(value(1) < value(0));
        }
    }

    #[test]
    fn variational_cells_score_their_point_estimate_and_keep_the_bound() {
        let x = two_groups();
        let selection = ModelSelectionConfig::new(vec![1, 2], vec![CovarianceType::Spherical])
            .with_method(SelectionMethod::Variational)
            .fit(&x)
            .unwrap();
        for cell in selection.cells() {
            let scores = cell.result.as_ref().unwrap();
            let model = BayesianGaussianMixtureConfig::new(cell.n_components)
                .with_covariance_type(CovarianceType::Spherical)
                .fit(&x)
                .unwrap();
            assert_eq!(scores.elbo, Some(model.lower_bound()));
            assert_eq!(scores.bic, model.point_estimate().bic(&x).unwrap());
        }
        let (best, model) = selection.best().unwrap();
        assert_eq!(best.n_components, 2);
        assert!(matches!(model, SelectedModel::Variational(_)));
        assert!(
            model
                .to_json()
                .unwrap()
                .contains("mixture.bayesian-gaussian-mixture")
        );
    }

    #[test]
    fn one_component_has_zero_entropy_so_icl_is_bic() {
        let x = two_groups();
        let model = GaussianMixtureConfig::new(1).fit(&x).unwrap();
        assert!((model.icl(&x).unwrap() - model.bic(&x).unwrap()).abs() < 1e-9);
    }

    #[test]
    fn criteria_parse_and_print_with_one_table() {
        for c in Criterion::ALL {
            assert_eq!(c.as_str().parse::<Criterion>(), Ok(c));
            assert_eq!(c.to_string().to_uppercase().parse::<Criterion>(), Ok(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Criterion>(&json).unwrap(), c);
        }
        assert!("bics".parse::<Criterion>().unwrap_err().contains("icl"));
    }
}
