//! Saving and loading a fitted mixture of experts as JSON (exact round trip).
//!
//! As for [`GaussianMixture`](crate::GaussianMixture): values are written as `f64` in the
//! shortest form that reads back to the same number and the file records the dtype, so an f32
//! model reloads bit for bit as f32. Everything predictions and scores use is saved: the
//! experts' posterior, prior and noise, and the gate's parameters (the Dirichlet's posterior
//! concentration, the softmax network's layers, the per-sample posteriors, the fixed weights).
//! The softmax gate's optimizer state is not: a loaded model predicts exactly as the fitted
//! one, but it is not the middle of a fit.

use std::path::Path;

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{
    Error, Result,
    linalg::cholesky,
    tensor::{from_f64, to_vec_f64},
};
use mixture_experts::{BayesianLinear, BayesianLinearConfig, Prior, PriorType};
use mixture_gates::{Dirichlet, PerSampleDirichlet, Weights};

use super::{FittedGate, MixtureOfExperts, MixtureOfExpertsConfig};
use crate::driver::EmTrace;
use crate::persist::{ModelKind, decode, encode, invalid as invalid_file, read, rejected, write};

const KIND: ModelKind = ModelKind::MixtureOfExperts;

/// The model's fields in the [envelope](crate::persist).
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    config: MixtureOfExpertsConfig,
    experts: SavedExperts,
    gate: SavedGate,
    mean_gate_weights: Vec<f64>,
    converged: bool,
    n_iter: usize,
    lower_bounds: Vec<f64>,
}

/// The experts: settings, then `[K, D, P]` means, `[K, D, D]` covariances (`D` counts the
/// intercept), the prior (`[K, D]` variances or `[K, D, D]` covariances, empty without one),
/// `[K, D, P]` prior means and `[K]` noise precisions, all row-major.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedExperts {
    config: BayesianLinearConfig,
    mean: Vec<f64>,
    covariance: Vec<f64>,
    prior: Vec<f64>,
    prior_mean: Vec<f64>,
    noise_precision: Vec<f64>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum SavedGate {
    Dirichlet {
        prior: Vec<f64>,
        concentration: Vec<f64>,
    },
    Softmax {
        /// Per layer: `[inputs, outputs]` weights, row-major, and `[outputs]` biases.
        layers: Vec<(Vec<f64>, Vec<f64>)>,
    },
    PerSample {
        /// `[N_train, K]`, row-major; empty if the gate never updated.
        posterior: Vec<f64>,
    },
    Constant {
        weights: Vec<f64>,
    },
}

fn bad(reason: impl Into<String>) -> Error {
    invalid_file(KIND, reason)
}

/// A part the file describes that its type rejects: the file is bad, whatever the reason.
fn invalid(e: Error) -> Error {
    rejected(KIND, e)
}

impl<B: Backend> MixtureOfExperts<B> {
    /// The model as a JSON document: everything predictions and scores use (the experts'
    /// posterior, prior and noise, and the gate's parameters), not the optimizer state.
    pub fn to_json(&self) -> Result<String> {
        let e = self.experts();
        let [k, d, p] = e.mean().dims();
        let config = BayesianLinearConfig::new(k, e.n_features())
            .with_n_outputs(p)
            .with_intercept(e.has_intercept())
            .with_prior(match e.prior() {
                Prior::None => PriorType::None,
                Prior::Diag(_) => PriorType::Diag,
                Prior::Full(_) => PriorType::Full,
            })
            .with_noise(e.noise_sharing())
            .with_learn(e.learn())
            .with_noise_variance_floor(e.noise_variance_floor());
        debug_assert_eq!(config.n_weights(), d);
        let prior = match e.prior() {
            Prior::None => Vec::new(),
            Prior::Diag(v) => to_vec_f64(v.clone())?,
            Prior::Full(a) => to_vec_f64(a.clone())?,
        };
        let experts = SavedExperts {
            config,
            mean: to_vec_f64(e.mean())?,
            covariance: to_vec_f64(e.covariance())?,
            prior,
            prior_mean: to_vec_f64(e.prior_mean())?,
            noise_precision: to_vec_f64(e.noise_precision())?,
        };
        let gate = match self.gate() {
            FittedGate::Dirichlet(g) => SavedGate::Dirichlet {
                prior: to_vec_f64(g.prior())?,
                concentration: to_vec_f64(g.concentration())?,
            },
            FittedGate::Softmax(g) => SavedGate::Softmax {
                layers: g
                    .layers()
                    .into_iter()
                    .map(|(w, b)| Ok((to_vec_f64(w)?, to_vec_f64(b)?)))
                    .collect::<Result<_>>()?,
            },
            FittedGate::PerSample(g) => SavedGate::PerSample {
                posterior: match g.posterior() {
                    Some(a) => to_vec_f64(a)?,
                    None => Vec::new(),
                },
            },
            FittedGate::Constant(g) => SavedGate::Constant {
                weights: to_vec_f64(g.weights())?,
            },
        };
        let saved = Saved {
            config: self.config().clone(),
            experts,
            gate,
            mean_gate_weights: to_vec_f64(self.mean_gate_weights())?,
            converged: self.converged(),
            n_iter: self.n_iter(),
            lower_bounds: self.lower_bounds().to_vec(),
        };
        encode(KIND, e.mean().dtype(), &saved)
    }

    /// Reads a model written by [`to_json`](Self::to_json) onto `device`.
    ///
    /// # Errors
    /// [`Error::ModelFile`] for a document that is not such a model (another kind, a newer
    /// format version), has parameters of the wrong sizes or a posterior covariance that is
    /// not positive definite.
    pub fn from_json(json: &str, device: &B::Device) -> Result<Self> {
        let (dtype, s): (_, Saved) = decode(json, KIND)?;
        let experts = load_experts(s.experts, device, dtype)?;
        let k = experts.n_experts();
        if s.config.n_experts != k || s.mean_gate_weights.len() != k {
            return Err(bad("the number of experts differs between the parts"));
        }
        let like = experts.mean();
        let gate = match s.gate {
            SavedGate::Dirichlet {
                prior,
                concentration,
            } => {
                let vector = |v: Vec<f64>| -> Result<Tensor<B, 1>> {
                    if v.len() != k {
                        return Err(bad("the Dirichlet gate's size differs from K"));
                    }
                    Ok(from_f64(v, [k], device, dtype))
                };
                FittedGate::Dirichlet(
                    Dirichlet::new(k, &like)
                        .with_prior(vector(prior)?)
                        .and_then(|g| g.with_posterior(vector(concentration)?))
                        .map_err(invalid)?,
                )
            }
            SavedGate::Softmax { layers } => {
                let mut gate = s
                    .config
                    .gate_config(k, experts.n_features(), s.config.seed)
                    .init::<B>(device)
                    .map_err(invalid)?;
                let shapes: Vec<[usize; 2]> = gate.layers().iter().map(|(w, _)| w.dims()).collect();
                if shapes.len() != layers.len() {
                    return Err(bad("the gate network's depth differs from the settings"));
                }
                let mut restored = Vec::with_capacity(layers.len());
                for ([fan_in, fan_out], (w, b)) in shapes.into_iter().zip(layers) {
                    if w.len() != fan_in * fan_out || b.len() != fan_out {
                        return Err(bad("a gate network layer has the wrong size"));
                    }
                    restored.push((
                        from_f64(w, [fan_in, fan_out], device, dtype),
                        from_f64(b, [fan_out], device, dtype),
                    ));
                }
                gate = gate.with_layers(restored).map_err(invalid)?;
                FittedGate::Softmax(Box::new(gate))
            }
            SavedGate::PerSample { posterior } => {
                let uniform = from_f64::<B, 1>(vec![1.0; k], [k], device, dtype);
                let mut gate = PerSampleDirichlet::new(k, &like)
                    .with_prior(uniform, s.config.per_sample_concentration)
                    .map_err(invalid)?;
                if !posterior.is_empty() {
                    if posterior.len() % k != 0 {
                        return Err(bad("the per-sample posterior is not [N, K]"));
                    }
                    let n = posterior.len() / k;
                    gate = gate
                        .with_posterior(from_f64(posterior, [n, k], device, dtype))
                        .map_err(invalid)?;
                }
                FittedGate::PerSample(gate)
            }
            SavedGate::Constant { weights } => {
                if weights.len() != k {
                    return Err(bad("the fixed weights' size differs from K"));
                }
                FittedGate::Constant(Weights::fixed(from_f64(weights, [k], device, dtype)))
            }
        };
        if gate.kind() != s.config.gate {
            return Err(bad("the gate differs from the settings' gate"));
        }
        let mean_weights = from_f64(s.mean_gate_weights, [k], device, dtype);
        let trace = EmTrace {
            lower_bounds: s.lower_bounds,
            converged: s.converged,
            n_iter: s.n_iter,
        };
        Ok(Self::from_parts(
            s.config,
            experts,
            gate,
            trace,
            mean_weights,
        ))
    }

    /// Writes the model to `path` as JSON.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write(path.as_ref(), &self.to_json()?)
    }

    /// Reads a model saved with [`save`](Self::save) onto `device`.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::ModelFile`] as
    /// [`from_json`](Self::from_json).
    pub fn load(path: impl AsRef<Path>, device: &B::Device) -> Result<Self> {
        Self::from_json(&read(path.as_ref())?, device)
    }
}

/// The experts from their saved parts: the prior and noise through
/// [`BayesianLinear::from_parts`], then the posterior (checked positive definite).
fn load_experts<B: Backend>(
    s: SavedExperts,
    device: &B::Device,
    dtype: DType,
) -> Result<BayesianLinear<B>> {
    let c = &s.config;
    c.validate().map_err(invalid)?;
    let (k, d, p) = (c.n_experts, c.n_weights(), c.n_outputs);
    let prior_len = match c.prior {
        PriorType::None => 0,
        PriorType::Diag => k * d,
        PriorType::Full => k * d * d,
    };
    if s.mean.len() != k * d * p
        || s.prior_mean.len() != k * d * p
        || s.covariance.len() != k * d * d
        || s.noise_precision.len() != k
        || s.prior.len() != prior_len
    {
        return Err(bad("the experts' parameters do not match their sizes"));
    }
    let prior = match c.prior {
        PriorType::None => Prior::None,
        PriorType::Diag => Prior::Diag(from_f64(s.prior, [k, d], device, dtype)),
        PriorType::Full => Prior::Full(from_f64(s.prior, [k, d, d], device, dtype)),
    };
    let covariance = from_f64::<B, 3>(s.covariance, [k, d, d], device, dtype);
    if to_vec_f64(cholesky(covariance.clone()).1)?
        .iter()
        .any(|v| !(*v > 0.0))
    {
        return Err(bad("a posterior covariance is not positive definite"));
    }
    let mut experts = BayesianLinear::from_parts(
        c,
        prior,
        from_f64(s.prior_mean, [k, d, p], device, dtype),
        from_f64(s.noise_precision, [k], device, dtype),
    )
    .map_err(invalid)?;
    experts
        .set_posterior(from_f64(s.mean, [k, d, p], device, dtype), covariance)
        .map_err(invalid)?;
    Ok(experts)
}
