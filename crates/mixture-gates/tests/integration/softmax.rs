//! The softmax network gate: it learns soft targets, is seeded, keeps its optimizer state
//! across updates, and accepts f64 inputs on an f32 backend.

use burn::tensor::{DType, Tensor};
use mixture_core::{
    Batch, Gate,
    tensor::{from_f64, to_vec_f64},
};
use mixture_gates::{Activation, SoftmaxGateConfig};

type F = burn_flex::Flex;

/// 40 rows on a line; targets 0.9/0.1 left of zero and 0.1/0.9 right of it.
fn data(dtype: DType) -> (Tensor<F, 2>, Tensor<F, 2>) {
    let xs: Vec<f64> = (0..40).map(|i| (i as f64 - 19.5) / 10.0).collect();
    let r: Vec<f64> = xs
        .iter()
        .flat_map(|&x| if x < 0.0 { [0.9, 0.1] } else { [0.1, 0.9] })
        .collect();
    let dev = Default::default();
    (
        from_f64(xs, [40, 1], &dev, dtype),
        from_f64(r, [40, 2], &dev, dtype),
    )
}

#[test]
fn learns_soft_targets() {
    let (x, r) = data(DType::F32);
    let config = SoftmaxGateConfig::new(2, 1)
        .with_hidden_width(8)
        .with_epochs(300)
        .with_batch_size(16);
    let mut gate = config.init::<F>(&Default::default()).unwrap();
    let batch = Batch::new(x.clone());
    gate.update(gate.statistics(&batch, r.clone()));
    let w = to_vec_f64(gate.predict_weights(&batch)).unwrap();
    let target = to_vec_f64(r).unwrap();
    // cross-entropy minimiser is the target itself; away from the step (|x| > 0.5) the network
    // fits it to within 0.1 after 300 epochs
    for i in 0..40 {
        let xi = (i as f64 - 19.5) / 10.0;
        if xi.abs() > 0.5 {
            assert!(
                (w[2 * i] - target[2 * i]).abs() < 0.1,
                "row {i}: {} vs {}",
                w[2 * i],
                target[2 * i]
            );
        }
    }
    let lw = to_vec_f64(gate.log_weights(&batch)).unwrap();
    for i in 0..40 {
        let s = lw[2 * i].exp() + lw[2 * i + 1].exp();
        assert!((s - 1.0).abs() < 1e-5);
    }
    // (1·8 + 8) + (8·8 + 8) + (8·2 + 2)
    assert_eq!(gate.n_parameters(), 16 + 72 + 18);
}

#[test]
fn same_seed_same_gate_and_f64_inputs_work() {
    let (x, r) = data(DType::F64);
    let config = SoftmaxGateConfig::new(2, 1)
        .with_epochs(5)
        .with_activation(Activation::Tanh)
        .with_seed(3);
    let run = || {
        let mut gate = config.init::<F>(&Default::default()).unwrap();
        let batch = Batch::new(x.clone());
        gate.update(gate.statistics(&batch, r.clone()));
        let lw = gate.log_weights(&batch);
        assert_eq!(
            lw.dtype(),
            DType::F64,
            "log-weights take the dtype of the data"
        );
        to_vec_f64(lw).unwrap()
    };
    assert_eq!(run(), run());
    let other = config
        .clone()
        .with_seed(4)
        .init::<F>(&Default::default())
        .unwrap();
    let first = config.init::<F>(&Default::default()).unwrap();
    let batch = Batch::new(x.clone());
    assert_ne!(
        to_vec_f64(first.log_weights(&batch)).unwrap(),
        to_vec_f64(other.log_weights(&batch)).unwrap()
    );
}

#[test]
fn optimizer_state_persists_across_updates() {
    // full batches (no shuffling): two updates of one epoch equal one update of two epochs
    // exactly when Adam's moments carry over; a fresh optimizer would restart its bias
    // correction and take a different second step.
    let (x, r) = data(DType::F32);
    let config = SoftmaxGateConfig::new(2, 1)
        .with_batch_size(64)
        .with_epochs(1);
    let batch = Batch::new(x.clone());
    let mut a = config.init::<F>(&Default::default()).unwrap();
    a.update(a.statistics(&batch, r.clone()));
    a.update(a.statistics(&batch, r.clone()));
    let mut b = config.init::<F>(&Default::default()).unwrap();
    b.train(x.clone(), r.clone(), 2);
    let (wa, wb) = (
        to_vec_f64(a.log_weights(&batch)).unwrap(),
        to_vec_f64(b.log_weights(&batch)).unwrap(),
    );
    for (p, q) in wa.iter().zip(&wb) {
        assert!((p - q).abs() < 1e-6, "{p} vs {q}");
    }
}

#[test]
fn rejects_bad_configs() {
    let dev = Default::default();
    assert!(SoftmaxGateConfig::new(0, 1).init::<F>(&dev).is_err());
    assert!(
        SoftmaxGateConfig::new(2, 1)
            .with_batch_size(0)
            .init::<F>(&dev)
            .is_err()
    );
    assert!(
        SoftmaxGateConfig::new(2, 1)
            .with_learning_rate(-1.0)
            .init::<F>(&dev)
            .is_err()
    );
    assert!(
        SoftmaxGateConfig::new(2, 1)
            .with_hidden_width(0)
            .init::<F>(&dev)
            .is_err()
    );
    // zero hidden layers: a multinomial logistic regression
    let g = SoftmaxGateConfig::new(3, 2)
        .with_hidden_layers(0)
        .init::<F>(&dev)
        .unwrap();
    assert_eq!(g.n_parameters(), 2 * 3 + 3);
}
