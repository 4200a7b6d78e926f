//! The training loop: Adam with two learning rates, cosine annealing, the floor after each
//! step, loss history, early stopping.

use std::time::Instant;

use crate::module::GaussianMixtureModule;
use burn::module::ParamId;
use burn::optim::{Adam, GradientsParams, Optimizer, adaptor::OptimizerAdaptor};
use burn::tensor::{Int, Tensor, TensorData, backend::AutodiffBackend};
use mixture_core::{Error, FitEvent, FitObserver, LogPrior, Result, tensor::to_vec_f64};
use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};

use crate::{CosineSchedule, GradientMixtureConfig, GradientReport};

type Opt<B> = OptimizerAdaptor<Adam, GaussianMixtureModule<B>, B>;

/// A gradient fit in progress, for callers that want to look at the module between
/// iterations (plots, checkpoints); [`GradientMixtureConfig::fit`] runs one to the end.
///
/// Per step: the loss of the batch ([`GaussianMixtureModule::loss`] with the configured prior
/// weighting), one backward pass, an Adam step of the weights (learning rate `mixture_lr`,
/// skipped while it is zero) and one of the components (`component_lr`), both annealed on
/// the same cosine over all steps, then [`GaussianMixtureModule::apply_floor`]. One host
/// read per iteration: the loss (summed on the device over the epoch's batches).
///
/// ```
/// use burn::backend::Autodiff;
/// use burn::tensor::DType;
/// use mixture_core::{tensor::from_f64, NoopObserver};
/// use mixture_gradient::{GradientMixtureConfig, GradientTrainer};
///
/// type B = Autodiff<burn_flex::Flex>;
/// let x = from_f64::<B, 2>(vec![-1.0, 1.0, -1.0, 1.0], [4, 1], &Default::default(), DType::F32);
/// let config = GradientMixtureConfig::new(1).with_iterations(100).with_tol(0.0);
/// let module = config.init_module(&x)?;
/// let mut trainer = GradientTrainer::new(&config, module, &x)?;
/// while !trainer.is_done() {
///     trainer.iterate(25, &mut NoopObserver)?;
///     let _means = trainer.module().means.val(); // plot, log, ...
/// }
/// let (_module, report) = trainer.finish(&mut NoopObserver)?;
/// assert_eq!(report.n_iter, 100);
/// # Ok::<(), mixture_core::Error>(())
/// ```
pub struct GradientTrainer<B: AutodiffBackend> {
    module: Option<GaussianMixtureModule<B>>,
    x: Tensor<B, 2>,
    config: GradientMixtureConfig,
    opt_mix: Opt<B>,
    opt_comp: Opt<B>,
    mix_ids: Vec<ParamId>,
    comp_ids: Vec<ParamId>,
    mix_lr: CosineSchedule,
    comp_lr: CosineSchedule,
    batch_size: usize,
    n_batches: usize,
    rng: StdRng,
    order: Vec<i64>,
    step: usize,
    history: Vec<f64>,
    calm: usize,
    converged: bool,
    started: bool,
    start: Instant,
}

impl<B: AutodiffBackend> GradientTrainer<B> {
    /// A trainer of `module` on `x` (`[N, D]`) with `config`'s optimizer, schedule,
    /// batching, stopping and priors (its initialisation fields are not used).
    ///
    /// # Errors
    /// Invalid configuration, or data that does not fit the module.
    pub fn new(
        config: &GradientMixtureConfig,
        module: GaussianMixtureModule<B>,
        x: &Tensor<B, 2>,
    ) -> Result<Self> {
        config.validate()?;
        Self::started_at(config, module, x, Instant::now())
    }

    pub(crate) fn started_at(
        config: &GradientMixtureConfig,
        module: GaussianMixtureModule<B>,
        x: &Tensor<B, 2>,
        start: Instant,
    ) -> Result<Self> {
        // `config` is validated: by `new`, or by the fit that started the clock.
        module.check_input(x)?;
        let n = x.dims()[0];
        let batch_size = match config.batch_size {
            Some(bs) if bs < n => bs,
            _ => n,
        };
        let n_batches = n.div_ceil(batch_size);
        let total_steps = config.iterations * n_batches;
        let adam = config.optimizer.adam();
        Ok(Self {
            mix_ids: module.mixture_param_ids(),
            comp_ids: module.component_param_ids(),
            module: Some(module),
            x: x.clone(),
            opt_mix: adam.init(),
            opt_comp: adam.init(),
            mix_lr: CosineSchedule::new(config.mixture_lr, total_steps, config.cosine_annealing),
            comp_lr: CosineSchedule::new(config.component_lr, total_steps, config.cosine_annealing),
            batch_size,
            n_batches,
            rng: StdRng::seed_from_u64(config.module.seed ^ 0x9e37_79b9_7f4a_7c15),
            order: (0..n as i64).collect(),
            step: 0,
            history: Vec::with_capacity(config.iterations),
            calm: 0,
            converged: false,
            started: false,
            start,
            config: config.clone(),
        })
    }

    /// The module as it stands.
    pub fn module(&self) -> &GaussianMixtureModule<B> {
        self.module
            .as_ref()
            .expect("the module is only taken by finish")
    }

    /// Losses of the iterations run so far.
    pub fn loss_history(&self) -> &[f64] {
        &self.history
    }

    /// Iterations run so far.
    pub fn n_iter(&self) -> usize {
        self.history.len()
    }

    /// Whether the fit stopped early on the tolerance.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Whether the fit is over (converged, or every iteration run).
    pub fn is_done(&self) -> bool {
        self.converged || self.history.len() >= self.config.iterations
    }

    fn prior(&self) -> Option<&dyn LogPrior<B, GaussianMixtureModule<B>>> {
        if self.config.prior.is_empty() {
            None
        } else {
            Some(&self.config.prior)
        }
    }

    /// Runs up to `n` more iterations (fewer if the fit ends), reporting each to `observer`.
    /// Returns the number run.
    ///
    /// # Errors
    /// [`Error::Diverged`] if the loss is not finite.
    pub fn iterate(&mut self, n: usize, observer: &mut dyn FitObserver) -> Result<usize> {
        if !self.started {
            observer.observe(&FitEvent::InitStart { init: 0, n_init: 1 });
            self.started = true;
        }
        let mut ran = 0;
        while ran < n && !self.is_done() {
            self.one_iteration(observer)?;
            ran += 1;
        }
        Ok(ran)
    }

    fn one_iteration(&mut self, observer: &mut dyn FitObserver) -> Result<()> {
        let [n, d] = self.x.dims();
        let data = if self.n_batches > 1 && self.config.shuffle {
            self.order.shuffle(&mut self.rng);
            let idx = TensorData::new(self.order.clone(), [n]);
            let idx = Tensor::<B, 1, Int>::from_data(idx, &self.x.device());
            self.x.clone().select(0, idx)
        } else {
            self.x.clone()
        };
        let mut module = self
            .module
            .take()
            .expect("the module is only taken by finish");
        let mut epoch_loss: Option<Tensor<B::InnerBackend, 1>> = None;
        for b in 0..self.n_batches {
            let rows = b * self.batch_size..((b + 1) * self.batch_size).min(n);
            let m = rows.len();
            let batch = if self.n_batches == 1 {
                data.clone()
            } else {
                data.clone().slice([rows, 0..d])
            };
            let scale = self.config.prior_weighting.scale(m, n);
            let loss = module.loss(batch, self.prior(), scale);
            let weighted = loss.clone().inner().mul_scalar(m as f64 / n as f64);
            epoch_loss = Some(match epoch_loss {
                Some(acc) => acc + weighted,
                None => weighted,
            });
            let mut grads = loss.backward();
            let g_mix = GradientsParams::from_params(&mut grads, &module, &self.mix_ids);
            let g_comp = GradientsParams::from_params(&mut grads, &module, &self.comp_ids);
            let lr = self.mix_lr.lr(self.step);
            if lr > 0.0 {
                module = self.opt_mix.step(lr, module, g_mix);
            }
            let lr = self.comp_lr.lr(self.step);
            if lr > 0.0 {
                module = self.opt_comp.step(lr, module, g_comp);
            }
            module = module.apply_floor();
            self.step += 1;
        }
        self.module = Some(module);
        let value = match epoch_loss {
            Some(t) => to_vec_f64(t)?[0],
            None => f64::NAN,
        };
        let iteration = self.history.len() + 1;
        if !value.is_finite() {
            return Err(Error::Diverged {
                iteration,
                value: format!("{value}"),
            });
        }
        let change = self.history.last().map_or(f64::NAN, |prev| value - prev);
        self.history.push(value);
        observer.observe(&FitEvent::Iteration {
            init: 0,
            iteration,
            max_iter: self.config.iterations,
            value,
            change,
        });
        if self.config.tol > 0.0 && change.abs() < self.config.tol {
            self.calm += 1;
            if self.calm >= self.config.patience {
                self.converged = true;
            }
        } else {
            self.calm = 0;
        }
        Ok(())
    }

    /// The objective of the current module on the whole data (prior weighted as for one
    /// batch of all rows).
    ///
    /// # Errors
    /// Reading the value back from the device failed.
    pub fn current_loss(&self) -> Result<f64> {
        let n = self.x.dims()[0];
        let scale = self.config.prior_weighting.scale(n, n);
        let loss = self.module().loss(self.x.clone(), self.prior(), scale);
        Ok(to_vec_f64(loss.inner())?[0])
    }

    /// Runs the remaining iterations, then returns the module and the report.
    ///
    /// # Errors
    /// [`Error::Diverged`] if the loss is not finite.
    pub fn finish(
        mut self,
        observer: &mut dyn FitObserver,
    ) -> Result<(GaussianMixtureModule<B>, GradientReport)> {
        self.iterate(usize::MAX, observer)?;
        let final_loss = self.current_loss()?;
        if !final_loss.is_finite() {
            return Err(Error::Diverged {
                iteration: self.history.len(),
                value: format!("{final_loss}"),
            });
        }
        let n_iter = self.history.len();
        observer.observe(&FitEvent::InitEnd {
            init: 0,
            converged: self.converged,
            n_iter,
            value: final_loss,
        });
        let report = GradientReport {
            final_loss,
            loss_history: self.history,
            n_iter,
            converged: self.converged,
            fit_seconds: self.start.elapsed().as_secs_f64(),
        };
        let module = self
            .module
            .take()
            .expect("the module is only taken by finish");
        Ok((module, report))
    }
}
