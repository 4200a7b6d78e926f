//! A softmax network gate (MixtureLib's `HyperExpertNN`): `π(x) = softmax(f(x))`.

use core::fmt;

use burn::{
    backend::Autodiff,
    module::{AutodiffModule, Module, Param},
    nn::Linear,
    optim::{Adam, AdamConfig, GradientsParams, Optimizer, adaptor::OptimizerAdaptor},
    tensor::{DType, Int, Tensor, TensorData, backend::Backend},
};
use mixture_core::{
    Batch, Error, Gate, Result, Statistics,
    logsumexp::{log_softmax, softmax_log},
};
use rand::{RngExt, SeedableRng, rngs::StdRng, seq::SliceRandom};

/// The hidden layers' activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Activation {
    /// `max(0, x)` (MixtureLib's choice).
    #[default]
    Relu,
    /// `tanh(x)`.
    Tanh,
}

mixture_core::named_enum!(Activation, "activation", {
    Relu => "relu",
    Tanh => "tanh",
});

/// Configuration of a [`SoftmaxGate`]: an MLP `x → logits` with `hidden_layers` layers of
/// `hidden_width` units, trained by Adam at each M-step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SoftmaxGateConfig {
    /// Components K (the network's outputs). Required.
    pub n_components: usize,
    /// Input columns. Required.
    pub n_features: usize,
    /// Hidden layers (0: a multinomial logistic regression). Default: 2 (as MixtureLib).
    pub hidden_layers: usize,
    /// Units per hidden layer. Default: 32 (MixtureLib: `hidden_dim = 10`).
    pub hidden_width: usize,
    /// Hidden activation. Default: ReLU.
    pub activation: Activation,
    /// Passes over the data per M-step. Default: 20 (MixtureLib: 100; the optimizer state
    /// carries over, so fewer epochs per iteration add up over the EM run).
    pub epochs: usize,
    /// Rows per Adam step (the data is shuffled every epoch when it takes several steps).
    /// Default: 256 (MixtureLib: 128).
    pub batch_size: usize,
    /// Adam's learning rate. Default: 1e-2 (MixtureLib uses PyTorch's 1e-3, which barely
    /// moves the gate within an EM run of a few dozen iterations).
    pub learning_rate: f64,
    /// Seed of the initial weights and of the shuffling. Default: 0.
    pub seed: u64,
}

impl SoftmaxGateConfig {
    /// A gate for `n_components` components on `n_features` inputs, with the defaults.
    pub fn new(n_components: usize, n_features: usize) -> Self {
        Self {
            n_components,
            n_features,
            hidden_layers: 2,
            hidden_width: 32,
            activation: Activation::Relu,
            epochs: 20,
            batch_size: 256,
            learning_rate: 1e-2,
            seed: 0,
        }
    }

    /// Sets the number of hidden layers.
    pub fn with_hidden_layers(mut self, hidden_layers: usize) -> Self {
        self.hidden_layers = hidden_layers;
        self
    }

    /// Sets the hidden width.
    pub fn with_hidden_width(mut self, hidden_width: usize) -> Self {
        self.hidden_width = hidden_width;
        self
    }

    /// Sets the activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Sets the epochs per M-step.
    pub fn with_epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Sets the mini-batch size.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Sets the learning rate.
    pub fn with_learning_rate(mut self, learning_rate: f64) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason: &str| {
            Err(Error::InvalidConfig {
                field,
                reason: reason.into(),
            })
        };
        if self.n_components == 0 {
            return bad("n_components", "must be at least 1");
        }
        if self.n_features == 0 {
            return bad("n_features", "must be at least 1");
        }
        if self.hidden_layers > 0 && self.hidden_width == 0 {
            return bad(
                "hidden_width",
                "must be at least 1 when there are hidden layers",
            );
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1");
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("learning_rate", "must be finite and > 0");
        }
        Ok(())
    }

    /// Builds the gate on `device`. Weights and biases are drawn, from the seed, uniformly in
    /// `±1/√fan_in` (PyTorch's default for `nn.Linear`, MixtureLib's initialisation).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when [`validate`](Self::validate) fails.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<SoftmaxGate<B>> {
        self.validate()?;
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut sizes = vec![self.n_features];
        sizes.extend(std::iter::repeat_n(self.hidden_width, self.hidden_layers));
        sizes.push(self.n_components);
        let layers = sizes
            .windows(2)
            .map(|w| seeded_linear::<Autodiff<B>>(w[0], w[1], &mut rng, device))
            .collect();
        let net = GateNet {
            layers,
            activation: self.activation,
        };
        let dtype = net.layers[0].weight.val().dtype();
        let optim = adam();
        Ok(SoftmaxGate {
            inner: net.valid(),
            net,
            optim,
            config: self.clone(),
            shuffle_seed: rng.random(),
            dtype,
        })
    }
}

/// Adam with PyTorch's ε (MixtureLib's optimizer), fresh state.
fn adam<B: Backend>() -> OptimizerAdaptor<Adam, Net<B>, Autodiff<B>> {
    AdamConfig::new().with_epsilon(1e-8).init()
}

fn seeded_linear<B: Backend>(
    fan_in: usize,
    fan_out: usize,
    rng: &mut StdRng,
    device: &B::Device,
) -> Linear<B> {
    let bound = 1.0 / (fan_in as f64).sqrt();
    let mut draw = |n: usize| -> Vec<f64> {
        (0..n)
            .map(|_| (rng.random::<f64>() * 2.0 - 1.0) * bound)
            .collect()
    };
    let w = draw(fan_in * fan_out);
    let b = draw(fan_out);
    let weight = Tensor::<B, 2>::from_data(TensorData::new(w, [fan_in, fan_out]), device);
    let bias = Tensor::<B, 1>::from_data(TensorData::new(b, [fan_out]), device);
    Linear {
        weight: Param::from_tensor(weight),
        bias: Some(Param::from_tensor(bias)),
    }
}

/// The gate network: linear layers with an activation between them.
#[derive(Module, Debug)]
pub struct GateNet<B: Backend> {
    layers: Vec<Linear<B>>,
    #[module(skip)]
    activation: Activation,
}

impl<B: Backend> GateNet<B> {
    /// Logits `[N, K]` for inputs `[N, D]`.
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let last = self.layers.len() - 1;
        let mut h = x;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = match self.activation {
                    Activation::Relu => burn::tensor::activation::relu(h),
                    Activation::Tanh => burn::tensor::activation::tanh(h),
                };
            }
        }
        h
    }

    /// Trainable scalars.
    pub fn n_parameters(&self) -> usize {
        self.num_params()
    }
}

type Net<B> = GateNet<Autodiff<B>>;

/// A gate whose weights depend on the inputs: `π(x) = softmax(f(x))` for an MLP `f`
/// (MixtureLib's `HyperExpertNN`), built with [`SoftmaxGateConfig`].
///
/// The network lives on `Autodiff<B>`; the EM driver sees plain `B` tensors (the gate keeps
/// an inference copy of the network, refreshed after each update). Its M-step is
/// `epochs` passes of Adam over the training rows in shuffled mini-batches, minimising the
/// cross-entropy against the responsibilities as soft targets,
/// `−(1/b) Σ_{n∈batch} Σ_k r_nk log π_k(x_n)`; the optimizer's state persists across EM
/// iterations. [`Statistics`] are the rows and responsibilities of every batch, concatenated.
///
/// The network computes in the backend's default float dtype; inputs of another dtype (f64
/// data on Flex, say) are cast to it and the log-weights cast back.
pub struct SoftmaxGate<B: Backend> {
    net: Net<B>,
    inner: GateNet<B>,
    optim: OptimizerAdaptor<Adam, Net<B>, Autodiff<B>>,
    config: SoftmaxGateConfig,
    /// Seed of the next update's shuffling (advanced at every update).
    shuffle_seed: u64,
    dtype: DType,
}

impl<B: Backend> fmt::Debug for SoftmaxGate<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftmaxGate")
            .field("config", &self.config)
            .field("net", &self.inner)
            .finish()
    }
}

impl<B: Backend> Clone for SoftmaxGate<B> {
    fn clone(&self) -> Self {
        Self {
            net: self.net.clone(),
            inner: self.inner.clone(),
            optim: self.optim.clone(),
            config: self.config.clone(),
            shuffle_seed: self.shuffle_seed,
            dtype: self.dtype,
        }
    }
}

/// Statistics of a [`SoftmaxGate`]: the rows and their responsibilities, batch by batch.
#[derive(Debug, Clone)]
pub struct SoftmaxStats<B: Backend> {
    /// Inputs `[n_i, D]` per batch.
    pub x: Vec<Tensor<B, 2>>,
    /// Responsibilities `[n_i, K]` per batch (already multiplied by sample weights).
    pub resp: Vec<Tensor<B, 2>>,
}

impl<B: Backend> Statistics for SoftmaxStats<B> {
    fn merge(mut self, other: Self) -> Self {
        self.x.extend(other.x);
        self.resp.extend(other.resp);
        self
    }
}

impl<B: Backend> SoftmaxGate<B> {
    /// The configuration.
    pub fn config(&self) -> &SoftmaxGateConfig {
        &self.config
    }

    /// The network (inference copy, on `B`).
    pub fn network(&self) -> &GateNet<B> {
        &self.inner
    }

    /// The network's layers, first to last, as `(weight, bias)` with `weight` `[inputs,
    /// outputs]` (`y = x W + b`) and `bias` `[outputs]`, in the network's dtype.
    pub fn layers(&self) -> Vec<(Tensor<B, 2>, Tensor<B, 1>)> {
        self.inner
            .layers
            .iter()
            .map(|l| {
                let w = l.weight.val();
                let out = w.dims()[1];
                let b = match &l.bias {
                    Some(b) => b.val(),
                    None => Tensor::<B, 1>::zeros([out], &w.device()).cast(w.dtype()),
                };
                (w, b)
            })
            .collect()
    }

    /// The gate with the parameters `layers` (as [`layers`](Self::layers) returns them), say
    /// a fitted gate read back from a file. The optimizer's state starts afresh: a refit
    /// from here is not the continuation of the original fit.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when the number of layers or a shape differs from the
    /// configuration's network.
    pub fn with_layers(mut self, layers: Vec<(Tensor<B, 2>, Tensor<B, 1>)>) -> Result<Self> {
        let expected = self.net.layers.len();
        if layers.len() != expected {
            return Err(Error::DimensionMismatch {
                what: "number of gate network layers",
                expected,
                found: layers.len(),
            });
        }
        let mut restored = Vec::with_capacity(expected);
        for (old, (w, b)) in self.net.layers.iter().zip(layers) {
            let shape = old.weight.val().dims();
            if w.dims() != shape || b.dims() != [shape[1]] {
                return Err(Error::DimensionMismatch {
                    what: "gate network layer size",
                    expected: shape[0] * shape[1] + shape[1],
                    found: w.dims()[0] * w.dims()[1] + b.dims()[0],
                });
            }
            restored.push(Linear {
                weight: Param::from_tensor(Tensor::from_inner(w.cast(self.dtype))),
                bias: Some(Param::from_tensor(Tensor::from_inner(b.cast(self.dtype)))),
            });
        }
        self.net = GateNet {
            layers: restored,
            activation: self.config.activation,
        };
        self.inner = self.net.valid();
        self.optim = adam();
        Ok(self)
    }

    /// Logits `f(x)`, `[N, K]`, in the dtype of `x`.
    pub fn logits(&self, x: &Tensor<B, 2>) -> Tensor<B, 2> {
        let dtype = x.dtype();
        self.inner.forward(x.clone().cast(self.dtype)).cast(dtype)
    }

    /// Trains the network for `epochs` passes on inputs `x` (`[N, D]`) with soft targets
    /// `resp` (`[N, K]`), continuing from the current optimizer state.
    pub fn train(&mut self, x: Tensor<B, 2>, resp: Tensor<B, 2>, epochs: usize) {
        let n = x.dims()[0];
        if n == 0 {
            return;
        }
        let device = x.device();
        let x = x.cast(self.dtype);
        let resp = resp.cast(self.dtype);
        let bs = self.config.batch_size.min(n);
        let lr = self.config.learning_rate;
        let mut rng = StdRng::seed_from_u64(self.shuffle_seed);
        self.shuffle_seed = rng.random();
        let mut order: Vec<i64> = (0..n as i64).collect();
        for _ in 0..epochs {
            if bs < n {
                order.shuffle(&mut rng);
            }
            let mut start = 0;
            while start < n {
                let end = (start + bs).min(n);
                let (xb, rb) = if bs == n {
                    (x.clone(), resp.clone())
                } else {
                    let idx = Tensor::<B, 1, Int>::from_data(
                        TensorData::new(order[start..end].to_vec(), [end - start]),
                        &device,
                    );
                    (
                        x.clone().select(0, idx.clone()),
                        resp.clone().select(0, idx),
                    )
                };
                let xb = Tensor::<Autodiff<B>, 2>::from_inner(xb);
                let rb = Tensor::<Autodiff<B>, 2>::from_inner(rb);
                // burn's fused log-softmax (one backend op with its own backward)
                let logp = burn::tensor::activation::log_softmax(self.net.forward(xb), 1);
                let loss = (logp * rb).sum().div_scalar(-((end - start) as f64));
                let grads = GradientsParams::from_grads(loss.backward(), &self.net);
                self.net = self.optim.step(lr, self.net.clone(), grads);
                start = end;
            }
        }
        self.inner = self.net.valid();
    }
}

impl<B: Backend> Gate<B> for SoftmaxGate<B> {
    type Stats = SoftmaxStats<B>;

    fn n_components(&self) -> usize {
        self.config.n_components
    }

    fn log_weights(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        log_softmax(self.logits(&batch.x))
    }

    fn statistics(&self, batch: &Batch<B>, resp: Tensor<B, 2>) -> SoftmaxStats<B> {
        SoftmaxStats {
            x: vec![batch.x.clone()],
            resp: vec![resp],
        }
    }

    fn update(&mut self, stats: SoftmaxStats<B>) {
        if stats.x.is_empty() {
            return;
        }
        let x = Tensor::cat(stats.x, 0);
        let resp = Tensor::cat(stats.resp, 0);
        self.train(x, resp, self.config.epochs);
    }

    fn predict_weights(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        softmax_log(self.logits(&batch.x))
    }

    fn n_parameters(&self) -> usize {
        self.inner.n_parameters()
    }
}
