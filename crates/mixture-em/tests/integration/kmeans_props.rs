//! Property tests of k-means on NdArray<f64>: mini-batches, integer weights and row order
//! do not change the fit.
//!
//! Data are continuous random values, so exact distance ties (where summation order could
//! flip a label) have probability zero; differences are rounding only, hence the 1e-9
//! tolerances on values of order 1–100.

use burn::tensor::{DType, Tensor};
use mixture_core::tensor::{from_f64, to_vec_f64};
use mixture_em::kmeans::{KMeans, KMeansConfig, KMeansInit};
use proptest::prelude::*;

type Nd = burn_ndarray::NdArray<f64>;

fn t2(v: Vec<f64>, rows: usize, cols: usize) -> Tensor<Nd, 2> {
    from_f64(v, [rows, cols], &Default::default(), DType::F64)
}

fn t1(v: Vec<f64>) -> Tensor<Nd, 1> {
    let n = v.len();
    from_f64(v, [n], &Default::default(), DType::F64)
}

/// `(n, d, k, values)` with `k ≤ n`.
fn data() -> impl Strategy<Value = (usize, usize, usize, Vec<f64>)> {
    (4usize..30, 1usize..4).prop_flat_map(|(n, d)| {
        (
            Just(n),
            Just(d),
            1usize..=n.min(4),
            proptest::collection::vec(-10.0f64..10.0, n * d),
        )
    })
}

fn assert_same_fit(a: &KMeans<Nd>, b: &KMeans<Nd>) {
    assert_eq!(a.n_iter(), b.n_iter());
    assert_eq!(a.converged(), b.converged());
    let tol = 1e-9 * a.inertia().abs().max(1.0);
    assert!(
        (a.inertia() - b.inertia()).abs() <= tol,
        "{} vs {}",
        a.inertia(),
        b.inertia()
    );
    let (ca, cb) = (
        to_vec_f64(a.centroids()).unwrap(),
        to_vec_f64(b.centroids()).unwrap(),
    );
    for (u, v) in ca.iter().zip(&cb) {
        assert!((u - v).abs() <= 1e-9, "{ca:?} vs {cb:?}");
    }
}

/// Whether the weighted fit from `init`, which ran `n_iter` iterations, left a cluster empty
/// at some assignment (and so relocated it): the centres before each iteration, from fits
/// stopped one iteration earlier, assigned on the host.
fn relocates(
    config: &KMeansConfig,
    v: &[f64],
    w: &Tensor<Nd, 1>,
    init: &Tensor<Nd, 2>,
    n_iter: usize,
) -> bool {
    let [k, d] = init.dims();
    let n = v.len() / d;
    (0..n_iter).any(|m| {
        let centres = if m == 0 {
            init.clone()
        } else {
            config
                .clone()
                .with_max_iter(m)
                .fit_from_centroids(&t2(v.to_vec(), n, d), Some(w), init)
                .unwrap()
                .centroids()
        };
        let c = to_vec_f64(centres).unwrap();
        let mut held = vec![false; k];
        for row in v.chunks(d) {
            let dist = |j: usize| -> f64 { (0..d).map(|a| (row[a] - c[j * d + a]).powi(2)).sum() };
            let nearest = (0..k).fold(0, |b, j| if dist(j) < dist(b) { j } else { b });
            held[nearest] = true;
        }
        held.contains(&false)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Summing counts and sums over batches gives the full-batch fit, seeding included.
    #[test]
    fn batched_equals_full_batch(
        (n, d, k, v) in data(),
        batch in 1usize..12,
        seed in 0u64..1000,
        random in any::<bool>(),
        weighted in any::<bool>(),
    ) {
        let x = t2(v, n, d);
        let init = if random { KMeansInit::Random } else { KMeansInit::KMeansPlusPlus };
        let config = KMeansConfig::new(k).with_init(init).with_seed(seed).with_n_init(2);
        let w: Vec<f64> = (0..n).map(|i| 0.5 + ((i * 7 + seed as usize) % 5) as f64).collect();
        let (full, batched) = if weighted {
            let w = t1(w);
            (
                config.fit_weighted(&x, &w).unwrap(),
                config.clone().with_batch_size(Some(batch)).fit_weighted(&x, &w).unwrap(),
            )
        } else {
            (
                config.fit(&x).unwrap(),
                config.clone().with_batch_size(Some(batch)).fit(&x).unwrap(),
            )
        };
        assert_same_fit(&full, &batched);
        prop_assert_eq!(full.labels(), batched.labels());
    }

    /// Integer weights give the fit of the data with rows repeated (same initial centres),
    /// unless the fit relocates an empty cluster: relocation moves a row with its whole
    /// weight, where the repeated data moves one copy of it (scikit-learn's rule, and its
    /// behaviour too), so those fits are set aside.
    #[test]
    fn integer_weights_equal_repeated_rows(
        (n, d, k, v) in data(),
        reps in proptest::collection::vec(1usize..4, 30),
    ) {
        let mut rep = Vec::new();
        for i in 0..n {
            for _ in 0..reps[i] {
                rep.extend_from_slice(&v[i * d..(i + 1) * d]);
            }
        }
        let n_rep = rep.len() / d;
        let init = t2(v[..k * d].to_vec(), k, d);
        let w = t1(reps[..n].iter().map(|&r| r as f64).collect());
        let config = KMeansConfig::new(k);
        let weighted = config.fit_from_centroids(&t2(v.clone(), n, d), Some(&w), &init).unwrap();
        prop_assume!(!relocates(&config, &v, &w, &init, weighted.n_iter()));
        let repeated = config.fit_from_centroids(&t2(rep, n_rep, d), None, &init).unwrap();
        assert_same_fit(&weighted, &repeated);
    }

    /// Permuting the rows permutes the labels and changes nothing else (same initial
    /// centres).
    #[test]
    fn row_order_does_not_matter(
        (n, d, k, v) in data(),
        keys in proptest::collection::vec(any::<u32>(), 30),
        batch in proptest::option::of(1usize..12),
    ) {
        let mut perm: Vec<usize> = (0..n).collect();
        perm.sort_by_key(|&i| (keys[i], i));
        let permuted: Vec<f64> =
            perm.iter().flat_map(|&i| v[i * d..(i + 1) * d].to_vec()).collect();
        let init = t2(v[..k * d].to_vec(), k, d);
        let config = KMeansConfig::new(k).with_batch_size(batch);
        let a = config.fit_from_centroids(&t2(v, n, d), None, &init).unwrap();
        let b = config.fit_from_centroids(&t2(permuted, n, d), None, &init).unwrap();
        assert_same_fit(&a, &b);
        let (la, lb) = (a.labels().unwrap(), b.labels().unwrap());
        for (j, &i) in perm.iter().enumerate() {
            prop_assert_eq!(lb[j], la[i]);
        }
    }
}
