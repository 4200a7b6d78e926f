//! The variational Dirichlet gate against MixtureLib's `HyperModelDirichlet` (anchors.md
//! §3.2) and closed forms.

use crate::common::{N, close, t2};
use burn::tensor::{DType, Tensor};
use mixture_core::{
    Batch, Gate,
    special::{digamma_f64, lgamma_f64},
    tensor::{from_f64, to_vec_f64},
};
use mixture_gates::Dirichlet;

#[test]
fn anchors_before_and_after_an_update() {
    let x = t2(&[0.0; 6], [3, 2]);
    let batch = Batch::new(x.clone());
    let mut gate = Dirichlet::new(2, &x);
    // ψ(1) − ψ(2) = −1 (the doc example's 2×2 sum is −4)
    close(
        &to_vec_f64(gate.log_weights(&batch)).unwrap(),
        &[-1.0, -1.0],
        1e-12,
        "prior E[log π]",
    );
    let z = t2(&[0.2, 0.8, 0.6, 0.4, 0.5, 0.5], [3, 2]);
    let stats = gate.statistics(&batch, z);
    gate.update(stats);
    close(
        &to_vec_f64(gate.concentration()).unwrap(),
        &[2.3, 2.7],
        1e-12,
        "m",
    );
    // ψ(2.3) − ψ(5), ψ(2.7) − ψ(5); anchors give 8 decimals
    close(
        &to_vec_f64(gate.log_weights(&batch)).unwrap(),
        &[-0.90607779, -0.70933450],
        1e-8,
        "E[log π]",
    );
    let w = to_vec_f64(gate.predict_weights(&batch)).unwrap();
    close(
        &w,
        &[0.46, 0.54, 0.46, 0.54, 0.46, 0.54],
        1e-12,
        "PredictPi",
    );
}

#[test]
fn mixturelib_test_counts() {
    // tests/test_hyper_model.py: Z = [[2.2082, −0.6380], [0.4617, 0.2674]] → m.long() = [3, 0]
    let x = t2(&[0.0; 2], [2, 1]);
    let batch = Batch::new(x.clone());
    let mut gate = Dirichlet::new(2, &x);
    gate.update(gate.statistics(&batch, t2(&[2.2082, -0.6380, 0.4617, 0.2674], [2, 2])));
    let m: Vec<i64> = to_vec_f64(gate.concentration())
        .unwrap()
        .iter()
        .map(|v| v.trunc() as i64)
        .collect();
    assert_eq!(m, vec![3, 0]);
}

fn host_kl(a: &[f64], a0: &[f64]) -> f64 {
    let s: f64 = a.iter().sum();
    let s0: f64 = a0.iter().sum();
    let mut kl = lgamma_f64(s) - lgamma_f64(s0);
    for (ak, a0k) in a.iter().zip(a0) {
        kl += lgamma_f64(*a0k) - lgamma_f64(*ak) + (ak - a0k) * (digamma_f64(*ak) - digamma_f64(s));
    }
    kl
}

#[test]
fn configurable_prior_and_kl() {
    let x = t2(&[0.0; 3], [3, 1]);
    let batch = Batch::new(x.clone());
    let prior = from_f64::<N, 1>(vec![0.5, 2.0, 3.0], [3], &Default::default(), DType::F64);
    let mut gate = Dirichlet::new(3, &x).with_prior(prior).unwrap();
    // before any update q = p: KL = 0
    close(
        &to_vec_f64(gate.bound_correction().unwrap()).unwrap(),
        &[0.0],
        1e-12,
        "KL(p||p)",
    );
    let z = t2(&[0.1, 0.3, 0.6, 0.7, 0.2, 0.1, 0.0, 1.0, 0.0], [3, 3]);
    gate.update(gate.statistics(&batch, z));
    let a = [0.5 + 0.8, 2.0 + 1.5, 3.0 + 0.7];
    close(
        &to_vec_f64(gate.concentration()).unwrap(),
        &a,
        1e-12,
        "α = α0 + Σr",
    );
    let want = host_kl(&a, &[0.5, 2.0, 3.0]);
    assert!(want > 0.0);
    close(
        &to_vec_f64(gate.kl_divergence()).unwrap(),
        &[want],
        1e-10,
        "KL",
    );
    close(
        &to_vec_f64(gate.bound_correction().unwrap()).unwrap(),
        &[-want],
        1e-10,
        "-KL",
    );
    assert_eq!(gate.n_parameters(), 2);
    assert!(Dirichlet::new(2, &x).with_concentration(0.0).is_err());
    assert!(Dirichlet::new(2, &x).with_concentration(f64::NAN).is_err());
}

#[test]
fn works_in_f32_on_flex() {
    type F = burn_flex::Flex;
    let x = Tensor::<F, 2>::zeros([3, 1], &Default::default());
    let batch = Batch::new(x.clone());
    let mut gate = Dirichlet::new(2, &x);
    let z = Tensor::<F, 2>::from_floats([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]], &Default::default());
    gate.update(gate.statistics(&batch, z));
    // f32: ψ evaluated with ~1e-6 relative error
    close(
        &to_vec_f64(gate.log_weights(&batch)).unwrap(),
        &[-0.90607779, -0.70933450],
        1e-5,
        "f32",
    );
}
