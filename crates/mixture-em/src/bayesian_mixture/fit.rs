//! Fitting: validation, the priors, the initialisations and the variational EM runs.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, DataSource, Error, FitObserver, NoopObserver, Result, TensorSource,
    host::check_data,
    tensor::{from_f64_like, to_vec_f64},
};
use mixture_experts::{
    CovarianceType, Covariances, NormalWishart, NormalWishartPrior, StatisticsCentre,
};
use mixture_gates::VariationalWeights;

use super::{BayesianGaussianMixture, BayesianGaussianMixtureConfig};
use crate::{
    driver::{EmFit, EmMode, EmSettings, FitData, best_of, run, start_from, verify, verify_over},
    gaussian_mixture::{Start, centre::Centre},
};

impl BayesianGaussianMixtureConfig {
    /// Fits the mixture to `x` (`[N, D]`).
    ///
    /// # Errors
    /// Invalid settings or priors, empty or non-finite data, fewer samples than components,
    /// or a covariance that is not positive definite (see [`mixture_core::Error`]).
    ///
    /// ```
    /// use burn::tensor::{DType, Tensor};
    /// use mixture_core::tensor::{from_f64, to_vec_f64};
    /// use mixture_em::BayesianGaussianMixtureConfig;
    /// type B = burn_ndarray::NdArray<f64>;
    /// // Two clusters, five components offered: the Dirichlet process keeps two.
    /// let rows: Vec<f64> = (0..200)
    ///     .map(|i| if i % 2 == 0 { 0.0 } else { 10.0 } + ((i * 37) % 101) as f64 / 100.0)
    ///     .collect();
    /// let x: Tensor<B, 2> = from_f64(rows, [200, 1], &Default::default(), DType::F64);
    /// let model = BayesianGaussianMixtureConfig::new(5)
    ///     .with_weight_concentration_prior(1e-3)
    ///     .with_seed(0)
    ///     .fit(&x)?;
    /// let weights = to_vec_f64(model.weights())?;
    /// assert_eq!(model.n_effective_components(1e-2)?, 2, "{weights:?}");
    /// assert!(model.converged());
    /// # Ok::<(), mixture_core::Error>(())
    /// ```
    pub fn fit<B: Backend>(&self, x: &Tensor<B, 2>) -> Result<BayesianGaussianMixture<B>> {
        self.fit_with(x, &mut NoopObserver)
    }

    /// Fits the mixture and returns it with the labels of `x` (scikit-learn's
    /// `fit_predict`, which runs a final E-step so that the labels are `predict`'s; here they
    /// are `predict`'s by construction).
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_predict<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
    ) -> Result<(BayesianGaussianMixture<B>, Tensor<B, 1, burn::tensor::Int>)> {
        let model = self.fit(x)?;
        let labels = model.predict(x)?;
        Ok((model, labels))
    }

    /// Fits the mixture, reporting progress to `observer`.
    pub fn fit_with<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        observer: &mut dyn FitObserver,
    ) -> Result<BayesianGaussianMixture<B>> {
        let m = self.in_memory(x)?;
        let data = self.fit_data(&m, x)?;
        let best = best_of(self.n_init, observer, |init, observer| {
            let seed = self.seed.wrapping_add(init as u64);
            let (mut components, mut gate) = self.fresh(&m.prior, &m.center)?;
            let start = Start {
                init: self.init,
                k: self.n_components,
                seed,
                refine: self.statistics_centre == StatisticsCentre::ComponentMeans,
            };
            let check = start.run(&mut components, &mut gate, &data, Some(&m.batch))?;
            verify(&components, check)?;
            self.run_from(components, gate, &data, seed, init, observer)
        })?;
        Ok(BayesianGaussianMixture::from_fit(self.clone(), best, m.n))
    }

    /// Fits the mixture to data served in batches by `source` (data larger than memory,
    /// [`mixture_io`'s `NpySource`](https://docs.rs/mixture-io)): one pass for the mean, one
    /// for the default covariance prior, then every iteration streams all batches once.
    /// `k-means++` initialisation needs the data in memory; the k-means one seeds on a
    /// sample (see [`GaussianMixtureConfig::fit_source`](crate::GaussianMixtureConfig::fit_source)).
    ///
    /// # Errors
    /// As [`fit`](Self::fit), and the source's own.
    pub fn fit_source<B: Backend, S: DataSource<B>>(
        &self,
        source: &S,
        observer: &mut dyn FitObserver,
    ) -> Result<BayesianGaussianMixture<B>> {
        self.validate()?;
        let (n, d) = (source.n_samples(), source.n_features());
        if n == 0 || d == 0 {
            return Err(Error::EmptyData {
                n_samples: n,
                n_features: d,
            });
        }
        if n < self.n_components {
            return Err(Error::TooFewSamples {
                n_samples: n,
                n_components: self.n_components,
            });
        }
        self.validate_for(d)?;
        let (center, _) = crate::gaussian_mixture::centre_pass(source, false)?;
        let prior = self.prior(source, &center)?;
        let center = Centre::at(center);
        let data = FitData::new(source, n as f64);
        let best = best_of(self.n_init, observer, |init, observer| {
            let seed = self.seed.wrapping_add(init as u64);
            let (mut components, mut gate) = self.fresh(&prior, &center)?;
            let start = Start {
                init: self.init,
                k: self.n_components,
                seed,
                refine: self.statistics_centre == StatisticsCentre::ComponentMeans,
            };
            let check = start.run(&mut components, &mut gate, &data, None)?;
            verify_over(data.source(), &components, check)?;
            self.run_from(components, gate, &data, seed, init, observer)
        })?;
        Ok(BayesianGaussianMixture::from_fit(self.clone(), best, n))
    }

    /// Fits the mixture from given initial responsibilities `resp` (`[N, K]`, rows summing
    /// to one) instead of an initialisation method: one update from them (scikit-learn's
    /// `_initialize`), then variational EM; `n_init` is not used. This is how a fit is
    /// compared with scikit-learn's from the same start, and how a user starts from labels
    /// of their own.
    ///
    /// # Errors
    /// As [`fit`](Self::fit); [`Error::DimensionMismatch`] when `resp` is not `[N, K]`,
    /// [`Error::InvalidInit`] when it is not finite and non-negative.
    pub fn fit_from_responsibilities<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        resp: &Tensor<B, 2>,
    ) -> Result<BayesianGaussianMixture<B>> {
        self.fit_from_responsibilities_with(x, resp, &mut NoopObserver)
    }

    /// [`fit_from_responsibilities`](Self::fit_from_responsibilities), reporting progress
    /// to `observer`.
    ///
    /// # Errors
    /// As [`fit_from_responsibilities`](Self::fit_from_responsibilities).
    pub fn fit_from_responsibilities_with<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        resp: &Tensor<B, 2>,
        observer: &mut dyn FitObserver,
    ) -> Result<BayesianGaussianMixture<B>> {
        let m = self.in_memory(x)?;
        let want = [m.n, self.n_components];
        if resp.dims() != want {
            return Err(Error::DimensionMismatch {
                what: "responsibilities (N × K entries)",
                expected: want[0] * want[1],
                found: resp.dims().iter().product(),
            });
        }
        let values = to_vec_f64(resp.clone())?;
        if values.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(Error::InvalidInit {
                field: "responsibilities",
                reason: "must be finite and >= 0".into(),
            });
        }
        let data = self.fit_data(&m, x)?;
        let (mut components, mut gate) = self.fresh(&m.prior, &m.center)?;
        // The blocks of the source are contiguous row ranges, in order.
        let mut row = 0;
        let check = start_from(
            &mut components,
            &mut gate,
            &mut [],
            &data,
            &mut |b: &Batch<B>| {
                let n = b.n_samples();
                let part = resp.clone().slice([row..row + n, 0..self.n_components]);
                row += n;
                Ok(part)
            },
        )?;
        verify(&components, check)?;
        let fit = self.run_from(components, gate, &data, self.seed, 0, observer)?;
        Ok(BayesianGaussianMixture::from_fit(self.clone(), fit, m.n))
    }

    /// Variational EM from initialised posteriors. The driver's bound is a mean over the
    /// rows; scikit-learn's `tol` applies to the sum, so the driver gets `tol / N`.
    pub(crate) fn run_from<B: Backend>(
        &self,
        mut components: NormalWishart<B>,
        mut gate: VariationalWeights<B>,
        data: &FitData<'_, B, mixture_experts::GaussianFeatures<B>>,
        seed: u64,
        init: usize,
        observer: &mut dyn FitObserver,
    ) -> Result<EmFit<NormalWishart<B>, VariationalWeights<B>>> {
        let settings = EmSettings {
            max_iter: self.max_iter,
            tol: self.tol / data.total_weight(),
            mode: EmMode::Weighted,
            seed,
        };
        let trace = run(
            &mut components,
            &mut gate,
            &mut [],
            data,
            &settings,
            init,
            observer,
        )?;
        Ok(EmFit {
            components,
            gate,
            trace,
        })
    }

    /// The settings and the data checked, the centre and the resolved prior.
    pub(crate) fn in_memory<B: Backend>(&self, x: &Tensor<B, 2>) -> Result<InMemory<B>> {
        self.validate()?;
        check_data(x, "data")?;
        let [n, d] = x.dims();
        if n < self.n_components {
            return Err(Error::TooFewSamples {
                n_samples: n,
                n_components: self.n_components,
            });
        }
        self.validate_for(d)?;
        let batch = Batch::new(x.clone());
        let center = Centre::of(&batch, n as f64)?;
        let source = self
            .gaussian()
            .in_memory_source(batch.clone(), x.dtype().size());
        let prior = self.prior(&source, &center.mean)?;
        Ok(InMemory {
            n,
            batch,
            center,
            prior,
            source,
        })
    }

    /// The fit's data, with the features kept when they are cheap (as the EM fit does).
    fn fit_data<'a, B: Backend>(
        &self,
        m: &'a InMemory<B>,
        x: &Tensor<B, 2>,
    ) -> Result<FitData<'a, B, mixture_experts::GaussianFeatures<B>>> {
        let data = FitData::new(&m.source, m.n as f64);
        let [n, d] = x.dims();
        if self.gaussian().keeps_features(n, d, x.dtype().size()) {
            let (template, _) = self.fresh(&m.prior, &m.center)?;
            return data.keep_features(&template);
        }
        Ok(data)
    }

    /// Posteriors at the prior and the gate at its prior, before the initial update.
    fn fresh<B: Backend>(
        &self,
        prior: &NormalWishartPrior<B>,
        center: &Centre<B>,
    ) -> Result<(NormalWishart<B>, VariationalWeights<B>)> {
        let k = self.n_components;
        let comps = NormalWishart::new(
            self.covariance_type,
            k,
            prior.clone(),
            self.reg_covar,
            center.at.clone(),
        )?;
        let comps = if center.is_origin() {
            comps.with_center_at_origin()
        } else {
            comps
        }
        .with_statistics_centre(self.statistics_centre);
        let gate = VariationalWeights::new(
            self.weight_concentration_prior_type,
            k,
            self.alpha0(),
            &center.at,
        )?;
        Ok((comps, gate))
    }

    /// scikit-learn's `_check_parameters`: the priors given, or computed from the data
    /// (`m0` the mean, `ν0 = D`, `β0 = 1`, `Ψ0` the covariance with `ddof = 1`).
    fn prior<B: Backend>(
        &self,
        source: &dyn DataSource<B>,
        center: &Tensor<B, 2>,
    ) -> Result<NormalWishartPrior<B>> {
        let (n, d) = (source.n_samples(), source.n_features());
        // Host values become tensors with the centre's dtype and device.
        let like = center;
        let mean = match &self.mean_prior {
            Some(m) => from_f64_like::<B, 2, 2>(m.clone(), [1, d], like),
            None => center.clone(),
        };
        let ct = self.covariance_type;
        let covariance = match &self.covariance_prior {
            Some(c) => {
                check_positive_definite(c, ct, d)?;
                match ct {
                    CovarianceType::Full => {
                        Covariances::Full(from_f64_like::<B, 3, 2>(c.clone(), [1, d, d], like))
                    }
                    CovarianceType::Tied => {
                        Covariances::Tied(from_f64_like::<B, 2, 2>(c.clone(), [d, d], like))
                    }
                    CovarianceType::Diag => {
                        Covariances::Diag(from_f64_like::<B, 2, 2>(c.clone(), [1, d], like))
                    }
                    CovarianceType::Spherical => {
                        Covariances::Spherical(from_f64_like::<B, 1, 2>(c.clone(), [1], like))
                    }
                }
            }
            None => {
                if n < 2 {
                    return Err(Error::InvalidConfig {
                        field: "covariance_prior",
                        reason: "the default (the data's covariance) needs at least 2 samples; give covariance_prior".into(),
                    });
                }
                // One pass: the scatter about the mean (Σ (x − c)ᵀ(x − c), or its diagonal).
                let dof = (n - 1) as f64;
                let square = matches!(ct, CovarianceType::Full | CovarianceType::Tied);
                let mut acc: Option<Tensor<B, 2>> = None;
                source.for_each_batch(&mut |b: Batch<B>| {
                    let xc = b.x - center.clone();
                    let part = if square {
                        xc.clone().transpose().matmul(xc)
                    } else {
                        (xc.clone() * xc).sum_dim(0)
                    };
                    acc = Some(match acc.take() {
                        Some(a) => a + part,
                        None => part,
                    });
                    Ok(())
                })?;
                let scatter = acc.ok_or(Error::EmptyData {
                    n_samples: 0,
                    n_features: d,
                })?;
                let dims = scatter.dims();
                let scatter = mixture_core::reduce::sum_over_shards(
                    source,
                    vec![scatter.reshape([dims[0] * dims[1]])],
                )?
                .remove(0)
                .reshape(dims)
                .div_scalar(dof);
                match ct {
                    CovarianceType::Full | CovarianceType::Tied => {
                        let cov = (scatter.clone() + scatter.transpose()).mul_scalar(0.5);
                        if ct == CovarianceType::Full {
                            Covariances::Full(cov.unsqueeze_dim::<3>(0))
                        } else {
                            Covariances::Tied(cov)
                        }
                    }
                    CovarianceType::Diag => Covariances::Diag(scatter),
                    CovarianceType::Spherical => {
                        Covariances::Spherical(scatter.mean_dim(1).reshape([1]))
                    }
                }
            }
        };
        Ok(NormalWishartPrior {
            mean_precision: self.mean_precision_prior.unwrap_or(1.0),
            mean,
            degrees_of_freedom: self.degrees_of_freedom_prior.unwrap_or(d as f64),
            covariance,
        })
    }
}

/// In-memory data, checked, with the centre and the resolved prior.
pub(crate) struct InMemory<B: Backend> {
    pub n: usize,
    pub batch: Batch<B>,
    pub center: Centre<B>,
    pub prior: NormalWishartPrior<B>,
    pub source: TensorSource<B>,
}

/// scikit-learn's `_check_precision_matrix` for a covariance prior the user gives: full and
/// tied must be symmetric positive definite (a Cholesky factorisation on the host, `D × D`),
/// diagonal and spherical positive (checked with the sizes in `validate_for`).
fn check_positive_definite(c: &[f64], ct: CovarianceType, d: usize) -> Result<()> {
    if !matches!(ct, CovarianceType::Full | CovarianceType::Tied) {
        return Ok(());
    }
    let bad = |reason: &str| Error::InvalidConfig {
        field: "covariance_prior",
        reason: reason.into(),
    };
    let scale = c
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    for i in 0..d {
        for j in 0..i {
            if (c[i * d + j] - c[j * d + i]).abs() > 1e-12 * scale {
                return Err(bad("must be symmetric"));
            }
        }
    }
    let mut l = vec![0.0; d * d];
    for j in 0..d {
        let diag = c[j * d + j] - (0..j).map(|k| l[j * d + k] * l[j * d + k]).sum::<f64>();
        if !(diag > 0.0) {
            return Err(bad("must be positive definite"));
        }
        l[j * d + j] = diag.sqrt();
        for i in j + 1..d {
            let v = c[i * d + j] - (0..j).map(|k| l[i * d + k] * l[j * d + k]).sum::<f64>();
            l[i * d + j] = v / l[j * d + j];
        }
    }
    Ok(())
}
