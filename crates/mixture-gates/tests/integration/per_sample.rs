//! The per-sample Dirichlet gate against MixtureLib's `HyperModelGateSparsed` (anchors.md
//! §3.2) and closed forms.

use crate::common::{N, close, t2};
use burn::tensor::DType;
use mixture_core::{
    Batch, Gate,
    special::{digamma_f64, lgamma_f64},
    tensor::{from_f64, to_vec_f64},
};
use mixture_gates::PerSampleDirichlet;

#[test]
fn anchors_before_and_after_an_update() {
    let x = t2(&[0.0; 3], [3, 1]);
    let batch = Batch::new(x.clone());
    let mut gate = PerSampleDirichlet::new(2, &x);
    // ψ(0.5) − ψ(1) = −1.3862944 (the doc's −1.3863)
    let lw = to_vec_f64(gate.log_weights(&batch)).unwrap();
    close(&lw, &[-1.3862944, -1.3862944], 1e-7, "prior E[log π]");
    gate.update(gate.statistics(&batch, t2(&[0.2, 0.8, 0.6, 0.4, 0.5, 0.5], [3, 2])));
    close(
        &to_vec_f64(gate.posterior_mean().unwrap()).unwrap(),
        &[0.35, 0.65, 0.55, 0.45, 0.5, 0.5],
        1e-12,
        "mu_posterior",
    );
    close(
        &to_vec_f64(gate.posterior_concentration().unwrap()).unwrap(),
        &[2.0, 2.0, 2.0],
        1e-12,
        "gamma_posterior",
    );
    close(
        &to_vec_f64(gate.log_weights(&batch)).unwrap(),
        &[
            -1.64280789,
            -0.59197522,
            -0.84653928,
            -1.17771129,
            -1.0,
            -1.0,
        ],
        1e-8,
        "E[log π_i]",
    );
    // a batch of the last two rows only looks up rows 1..3
    let part = Batch::new(t2(&[0.0; 2], [2, 1])).with_rows(1..3);
    close(
        &to_vec_f64(gate.log_weights(&part)).unwrap(),
        &[-0.84653928, -1.17771129, -1.0, -1.0],
        1e-8,
        "rows 1..3",
    );
}

#[test]
fn mixturelib_test_rounding() {
    // Z = [[2.2082, −0.6380], [0.4617, 0.2674]] → round(mu_post) = [[1,0],[1,0]],
    // round(gamma_post) = [3, 2]
    let x = t2(&[0.0; 2], [2, 1]);
    let batch = Batch::new(x.clone());
    let mut gate = PerSampleDirichlet::new(2, &x);
    gate.update(gate.statistics(&batch, t2(&[2.2082, -0.6380, 0.4617, 0.2674], [2, 2])));
    let mu: Vec<f64> = to_vec_f64(gate.posterior_mean().unwrap())
        .unwrap()
        .iter()
        .map(|v| v.round())
        .collect();
    assert_eq!(mu, vec![1.0, -0.0, 1.0, 0.0]);
    let g: Vec<f64> = to_vec_f64(gate.posterior_concentration().unwrap())
        .unwrap()
        .iter()
        .map(|v| v.round())
        .collect();
    assert_eq!(g, vec![3.0, 2.0]);
}

#[test]
fn unseen_rows_get_the_average_posterior_mean() {
    let x = t2(&[0.0; 3], [3, 1]);
    let batch = Batch::new(x.clone());
    let mut gate = PerSampleDirichlet::new(2, &x);
    // before training: the prior mean
    close(
        &to_vec_f64(gate.predict_weights(&batch)).unwrap(),
        &[0.5; 6],
        1e-12,
        "prior",
    );
    gate.update(gate.statistics(&batch, t2(&[0.2, 0.8, 0.6, 0.4, 0.5, 0.5], [3, 2])));
    // μ̂ = mean of [0.35, 0.65], [0.55, 0.45], [0.5, 0.5]
    let mu = [(0.35 + 0.55 + 0.5) / 3.0, (0.65 + 0.45 + 0.5) / 3.0];
    close(
        &to_vec_f64(gate.population_weights()).unwrap(),
        &mu,
        1e-12,
        "μ̂",
    );
    let new = Batch::new(t2(&[0.0; 2], [2, 1]));
    close(
        &to_vec_f64(gate.predict_weights(&new)).unwrap(),
        &[mu[0], mu[1], mu[0], mu[1]],
        1e-12,
        "new rows",
    );
    // rows beyond the training range: E[log π] under Dir(γ μ̂), γ = 1
    let beyond = Batch::new(t2(&[0.0; 2], [2, 1])).with_rows(3..5);
    let lw = to_vec_f64(gate.log_weights(&beyond)).unwrap();
    let want = [
        digamma_f64(mu[0]) - digamma_f64(1.0),
        digamma_f64(mu[1]) - digamma_f64(1.0),
    ];
    close(&lw, &want, 1e-10, "E[log π] of unseen rows");
}

#[test]
fn bound_correction_is_the_sum_of_per_row_kls() {
    let x = t2(&[0.0; 2], [2, 1]);
    let batch = Batch::new(x.clone());
    let prior = from_f64::<N, 1>(vec![1.0, 3.0], [2], &Default::default(), DType::F64);
    let mut gate = PerSampleDirichlet::new(2, &x)
        .with_prior(prior, 2.0)
        .unwrap();
    assert!(gate.bound_correction().is_none());
    let z = [0.9, 0.1, 0.3, 0.7];
    gate.update(gate.statistics(&batch, t2(&z, [2, 2])));
    let a0 = [0.5, 1.5];
    let mut kl = 0.0;
    for i in 0..2 {
        let a = [a0[0] + z[2 * i], a0[1] + z[2 * i + 1]];
        let s = a[0] + a[1];
        kl += lgamma_f64(s) - lgamma_f64(2.0);
        for k in 0..2 {
            kl += lgamma_f64(a0[k]) - lgamma_f64(a[k])
                + (a[k] - a0[k]) * (digamma_f64(a[k]) - digamma_f64(s));
        }
    }
    close(
        &to_vec_f64(gate.bound_correction().unwrap()).unwrap(),
        &[-kl],
        1e-10,
        "−Σ KL",
    );
}
