//! The training loop: Adam with two learning rates, cosine annealing, the floor after each
//! step, loss history, early stopping.

use std::time::Instant;

use burn::optim::{decay::WeightDecayConfig, AdamConfig, GradientsParams, Optimizer};
use burn::tensor::{backend::AutodiffBackend, Int, Tensor, TensorData};
use mixture_core::{tensor::to_vec_f64, Error, FitEvent, FitObserver, LogPrior, Result};
use mixture_experts::module::GaussianMixtureModule;
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

use crate::{CosineSchedule, GradientMixtureConfig, GradientReport};

/// Trains `module` on `x` as `config` says; `start` is when the fit began (for the report).
///
/// Per step: the loss of the batch ([`GaussianMixtureModule::loss`] with the configured prior
/// weighting), one backward pass, an Adam step of the weights (learning rate `mixture_lr`,
/// skipped while it is zero) and one of the components (`component_lr`), both annealed on
/// the same cosine, then [`GaussianMixtureModule::apply_floor`]. One host read per
/// iteration: the loss (summed on the device over the epoch's batches).
pub(crate) fn train<B: AutodiffBackend>(
    mut module: GaussianMixtureModule<B>,
    x: &Tensor<B, 2>,
    config: &GradientMixtureConfig,
    observer: &mut dyn FitObserver,
    start: Instant,
) -> Result<(GaussianMixtureModule<B>, GradientReport)> {
    let [n, d] = x.dims();
    let bs = match config.batch_size {
        Some(bs) if bs < n => bs,
        _ => n,
    };
    let n_batches = n.div_ceil(bs);
    let total_steps = config.iterations * n_batches;
    let mix_lr = CosineSchedule::new(config.mixture_lr, total_steps, config.cosine_annealing);
    let comp_lr = CosineSchedule::new(config.component_lr, total_steps, config.cosine_annealing);

    let mut adam = AdamConfig::new()
        .with_beta_1(config.beta_1 as f32)
        .with_beta_2(config.beta_2 as f32)
        .with_epsilon(config.epsilon as f32);
    if config.weight_decay > 0.0 {
        adam = adam.with_weight_decay(Some(WeightDecayConfig::new(config.weight_decay as f32)));
    }
    let mut opt_mix = adam.init::<B, GaussianMixtureModule<B>>();
    let mut opt_comp = adam.init::<B, GaussianMixtureModule<B>>();
    let mix_ids = module.mixture_param_ids();
    let comp_ids = module.component_param_ids();

    let prior: Option<&dyn LogPrior<B, GaussianMixtureModule<B>>> = if config.prior.is_empty() {
        None
    } else {
        Some(&config.prior)
    };

    let mut rng = StdRng::seed_from_u64(config.seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut order: Vec<i64> = (0..n as i64).collect();
    let device = x.device();

    observer.observe(&FitEvent::InitStart { init: 0, n_init: 1 });
    let mut history = Vec::with_capacity(config.iterations);
    let mut converged = false;
    let mut calm = 0usize;
    let mut step = 0usize;
    for iteration in 1..=config.iterations {
        let data = if n_batches > 1 && config.shuffle {
            order.shuffle(&mut rng);
            let idx = Tensor::<B, 1, Int>::from_data(TensorData::new(order.clone(), [n]), &device);
            x.clone().select(0, idx)
        } else {
            x.clone()
        };
        let mut epoch_loss: Option<Tensor<B::InnerBackend, 1>> = None;
        for b in 0..n_batches {
            let rows = b * bs..((b + 1) * bs).min(n);
            let m = rows.len();
            let batch = if n_batches == 1 {
                data.clone()
            } else {
                data.clone().slice([rows, 0..d])
            };
            let scale = config.prior_weighting.scale(m, n);
            let loss = module.loss(batch, prior, scale);
            let weighted = loss.clone().inner().mul_scalar(m as f64 / n as f64);
            epoch_loss = Some(match epoch_loss {
                Some(acc) => acc + weighted,
                None => weighted,
            });
            let mut grads = loss.backward();
            let g_mix = GradientsParams::from_params(&mut grads, &module, &mix_ids);
            let g_comp = GradientsParams::from_params(&mut grads, &module, &comp_ids);
            let lr = mix_lr.lr(step);
            if lr > 0.0 {
                module = opt_mix.step(lr, module, g_mix);
            }
            let lr = comp_lr.lr(step);
            if lr > 0.0 {
                module = opt_comp.step(lr, module, g_comp);
            }
            module = module.apply_floor();
            step += 1;
        }
        let value = match epoch_loss {
            Some(t) => to_vec_f64(t)?[0],
            None => f64::NAN,
        };
        if !value.is_finite() {
            return Err(Error::Diverged {
                iteration,
                value: format!("{value}"),
            });
        }
        let change = history.last().map_or(f64::NAN, |prev: &f64| value - prev);
        history.push(value);
        observer.observe(&FitEvent::Iteration {
            init: 0,
            iteration,
            max_iter: config.iterations,
            value,
            change,
        });
        if config.tol > 0.0 && change.abs() < config.tol {
            calm += 1;
            if calm >= config.patience {
                converged = true;
                break;
            }
        } else {
            calm = 0;
        }
    }

    let scale = config.prior_weighting.scale(n, n);
    let final_loss = to_vec_f64(module.loss(x.clone(), prior, scale).inner())?[0];
    if !final_loss.is_finite() {
        return Err(Error::Diverged {
            iteration: history.len(),
            value: format!("{final_loss}"),
        });
    }
    let n_iter = history.len();
    observer.observe(&FitEvent::InitEnd {
        init: 0,
        converged,
        n_iter,
        value: final_loss,
    });
    let report = GradientReport {
        final_loss,
        loss_history: history,
        n_iter,
        converged,
        fit_seconds: start.elapsed().as_secs_f64(),
    };
    Ok((module, report))
}
