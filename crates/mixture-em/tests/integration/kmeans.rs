//! K-means: reference values (PyCave, scikit-learn fixture, closed forms), empty clusters,
//! weights, restarts, dtypes and bad input.

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{
    Batch, Error, TensorSource,
    tensor::{from_f64, to_vec_f64, to_vec_i64},
};
use mixture_em::kmeans::{KMeans, KMeansConfig, KMeansInit, kmeans_plusplus};
use rand::{RngExt, SeedableRng, rngs::StdRng};

type Flex = burn_flex::Flex;
type Nd = burn_ndarray::NdArray<f64>;

fn t2<B: Backend>(v: Vec<f64>, rows: usize, dtype: DType) -> Tensor<B, 2> {
    let cols = v.len() / rows.max(1);
    from_f64(v, [rows, cols], &Default::default(), dtype)
}

fn t1<B: Backend>(v: Vec<f64>, dtype: DType) -> Tensor<B, 1> {
    let n = v.len();
    from_f64(v, [n], &Default::default(), dtype)
}

/// Normal draws by Box-Muller (tests only).
fn normals(rng: &mut StdRng, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let u: f64 = 1.0 - rng.random::<f64>();
            let v: f64 = rng.random::<f64>();
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        })
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

// ---------------------------------------------------------------------------------------
// PyCave `test_forward` (anchors.md §3.3), exact.

fn pycave_forward<B: Backend>(dtype: DType) {
    let model = KMeans::<B>::from_centroids(t2(vec![0.0, 0.0, 2.0, 2.0], 2, dtype));
    let x = t2::<B>(vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0, -1.0, 4.0], 4, dtype);
    let dist = to_vec_f64(model.transform(&x).unwrap()).unwrap();
    let expected: Vec<f64> = [0.0, 8.0, 2.0, 2.0, 8.0, 0.0, 17.0, 13.0]
        .iter()
        .map(|v: &f64| v.sqrt())
        .collect();
    for (a, b) in dist.iter().zip(&expected) {
        // The squared distances are small integers, exact in f32; sqrt is correctly rounded.
        assert!(close(*a, *b, 1e-6 * b.max(1.0)), "{dist:?}");
    }
    // Row 1 is at distance √2 from both centroids: the tie goes to the lowest index.
    assert_eq!(
        to_vec_i64(model.predict(&x).unwrap()).unwrap(),
        vec![0, 0, 1, 1]
    );
    let inertias = [0.0, 2.0, 0.0, 13.0];
    for (i, want) in inertias.iter().enumerate() {
        let row = x.clone().slice([i..i + 1, 0..2]);
        assert_eq!(model.score(&row).unwrap(), -want);
    }
    assert_eq!(model.score(&x).unwrap(), -15.0);
    assert!(model.inertia().is_nan());
    assert_eq!(
        (model.n_iter(), model.converged(), model.labels()),
        (0, false, None)
    );
    assert_eq!((model.n_clusters(), model.n_features()), (2, 2));
}

#[test]
fn pycave_forward_flex_f32() {
    pycave_forward::<Flex>(DType::F32);
}

#[test]
fn pycave_forward_flex_f64() {
    pycave_forward::<Flex>(DType::F64);
}

#[test]
fn pycave_forward_ndarray_f64() {
    pycave_forward::<Nd>(DType::F64);
}

// ---------------------------------------------------------------------------------------
// Two far blobs, PyCave `test_fit_num_iter`.

fn two_blobs(n_per: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let z = normals(&mut rng, 2 * n_per * d);
    z.iter()
        .enumerate()
        .map(|(i, v)| 0.1 * v + if i < n_per * d { -100.0 } else { 100.0 })
        .collect()
}

fn blobs_converge_at_once<B: Backend>(dtype: DType) {
    let (n_per, d) = (100, 4);
    let x = t2::<B>(two_blobs(n_per, d, 5), 2 * n_per, dtype);
    for batch_size in [None, Some(37)] {
        let model = KMeansConfig::new(2)
            .with_batch_size(batch_size)
            .fit(&x)
            .unwrap();
        // The first assignment is already the final partition; the first shift (≈ σ²·D =
        // 0.04 per centre) is far below tol·mean var (1e-4 · 1e4 = 1), so scikit-learn's rule
        // stops after iteration 1 (PyCave: num_iter_ = 1).
        assert_eq!(model.n_iter(), 1);
        assert!(model.converged());
        let mut c = to_vec_f64(model.centroids()).unwrap();
        if c[0] > 0.0 {
            c.rotate_left(d);
        }
        for (j, v) in c.iter().enumerate() {
            let want = if j < d { -100.0 } else { 100.0 };
            // Blob means of 100 draws with σ 0.1: within 5 standard errors (0.05).
            assert!(close(*v, want, 0.05), "{c:?}");
        }
        let labels = model.labels().unwrap();
        assert!(labels[..n_per].iter().all(|&l| l == labels[0]));
        assert!(labels[n_per..].iter().all(|&l| l == 1 - labels[0]));
        // Inertia ≈ N·D·σ² = 200·4·0.01 = 8 (chi-square with 792 dof: sd ≈ 0.4).
        assert!(close(model.inertia(), 8.0, 2.0), "{}", model.inertia());
    }
}

#[test]
fn two_blobs_converge_in_one_iteration_flex_f32() {
    blobs_converge_at_once::<Flex>(DType::F32);
}

#[test]
fn two_blobs_converge_in_one_iteration_ndarray_f64() {
    blobs_converge_at_once::<Nd>(DType::F64);
}

// ---------------------------------------------------------------------------------------
// scikit-learn on a committed fixture (fixtures/scripts/kmeans_fixtures.py).

struct SkFit {
    inertia: f64,
    centers: Vec<Vec<f64>>,
    labels: Vec<i64>,
}

struct Fixture {
    x: Vec<f64>,
    n: usize,
    weights: Vec<f64>,
    unweighted: SkFit,
    weighted: SkFit,
}

fn fixture() -> Fixture {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/kmeans/blobs.json"
    ));
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let fit = |v: &serde_json::Value| SkFit {
        inertia: v["inertia"].as_f64().unwrap(),
        centers: v["centers"]
            .as_array()
            .unwrap()
            .iter()
            .map(floats)
            .collect(),
        labels: v["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_i64().unwrap())
            .collect(),
    };
    let rows = json["x"].as_array().unwrap();
    Fixture {
        x: rows.iter().flat_map(floats).collect(),
        n: rows.len(),
        weights: floats(&json["sample_weight"]),
        unweighted: fit(&json["unweighted"]),
        weighted: fit(&json["weighted"]),
    }
}

/// Asserts that `model` has scikit-learn's centres up to a permutation, labels mapped by the
/// same permutation, and inertia within `rel`.
fn assert_matches_sklearn<B: Backend>(model: &KMeans<B>, sk: &SkFit, rel: f64, atol: f64) {
    assert!(
        (model.inertia() - sk.inertia).abs() <= rel * sk.inertia,
        "inertia {} vs scikit-learn {}",
        model.inertia(),
        sk.inertia
    );
    let c = to_vec_f64(model.centroids()).unwrap();
    let k = sk.centers.len();
    let d = sk.centers[0].len();
    // ours[j] = scikit-learn's centre perm[j]
    let mut perm = vec![usize::MAX; k];
    for (j, slot) in perm.iter_mut().enumerate() {
        for (s, centre) in sk.centers.iter().enumerate() {
            if (0..d).all(|f| close(c[j * d + f], centre[f], atol)) {
                *slot = s;
            }
        }
        assert_ne!(
            *slot,
            usize::MAX,
            "centre {j} {:?} not among {:?}",
            &c[j * d..],
            sk.centers
        );
    }
    let labels = model.labels().unwrap();
    for (ours, theirs) in labels.iter().zip(&sk.labels) {
        assert_eq!(perm[*ours as usize] as i64, *theirs);
    }
}

#[test]
fn matches_sklearn_best_of_ten_f64() {
    let fx = fixture();
    let x = t2::<Nd>(fx.x.clone(), fx.n, DType::F64);
    let config = KMeansConfig::new(3).with_n_init(10);
    // Both fits stop on unchanged labels at the same partition (scikit-learn: n_iter 2), so
    // centres are the same cluster means and the inertia agrees to rounding (1.3e-15 observed); the
    // brief's bound is 1e-6 relative. Centres: 1e-9 absolute.
    assert_matches_sklearn(&config.fit(&x).unwrap(), &fx.unweighted, 1e-6, 1e-9);
    let w = t1::<Nd>(fx.weights.clone(), DType::F64);
    assert_matches_sklearn(
        &config.fit_weighted(&x, &w).unwrap(),
        &fx.weighted,
        1e-6,
        1e-9,
    );
    // Mini-batches give the same fit.
    let batched = config.clone().with_batch_size(Some(64));
    assert_matches_sklearn(
        &batched.fit_weighted(&x, &w).unwrap(),
        &fx.weighted,
        1e-6,
        1e-9,
    );
    let random = config.with_init(KMeansInit::Random);
    assert_matches_sklearn(&random.fit(&x).unwrap(), &fx.unweighted, 1e-6, 1e-9);
}

#[test]
fn matches_sklearn_best_of_ten_f32() {
    let fx = fixture();
    let x = t2::<Flex>(fx.x.clone(), fx.n, DType::F32);
    let model = KMeansConfig::new(3).with_n_init(10).fit(&x).unwrap();
    assert_eq!(model.centroids().dtype(), DType::F32);
    // f32: the data round at 6e-8 relative and ‖x‖² − 2x·c + ‖c‖² cancels with ‖x‖² ≈ 72
    // (≈ 4e-6 absolute per row, random signs); the inertia (598) lands within 1e-6
    // relative (1.4e-6 observed), so 1e-5 relative; centres (≈ 6, means of 100 rows) 1e-5.
    assert_matches_sklearn(&model, &fx.unweighted, 1e-5, 1e-5);
    // The runtime f64 dtype on Flex keeps f64 precision.
    let x = t2::<Flex>(fx.x.clone(), fx.n, DType::F64);
    let model = KMeansConfig::new(3).with_n_init(10).fit(&x).unwrap();
    assert_eq!(model.centroids().dtype(), DType::F64);
    assert_matches_sklearn(&model, &fx.unweighted, 1e-6, 1e-9);
}

// ---------------------------------------------------------------------------------------
// Closed forms.

#[test]
fn pycave_num_iter_data() {
    // anchors.md §3.3 `test_fit_num_iter`: [[0],[1],[3],[4]], K = 2 → centroids {0.5, 3.5},
    // both unbatched and with batch size 2; inertia 4 · 0.25 = 1.
    for batch_size in [None, Some(2)] {
        let x = t2::<Nd>(vec![0.0, 1.0, 3.0, 4.0], 4, DType::F64);
        let model = KMeansConfig::new(2)
            .with_batch_size(batch_size)
            .fit(&x)
            .unwrap();
        let mut c = to_vec_f64(model.centroids()).unwrap();
        c.sort_by(f64::total_cmp);
        assert_eq!(c, vec![0.5, 3.5]);
        assert_eq!(model.inertia(), 1.0);
        // scikit-learn (n_init=1, random_state=0) also reports n_iter_ = 2: assign + update,
        // then a pass with unchanged labels.
        assert_eq!(model.n_iter(), 2);
        assert!(model.converged());
    }
}

#[test]
fn max_iter_stops_without_convergence() {
    // From [0], [1] on [[0],[1],[3],[4]]: iteration 1 gives {0}, {1,3,4} → centres 0, 8/3;
    // iteration 2 moves 1 across. One iteration cannot have converged.
    let x = t2::<Nd>(vec![0.0, 1.0, 3.0, 4.0], 4, DType::F64);
    let init = t2::<Nd>(vec![0.0, 1.0], 2, DType::F64);
    let one = KMeansConfig::new(2).with_max_iter(1);
    let model = one.fit_from_centroids(&x, None, &init).unwrap();
    assert_eq!((model.n_iter(), model.converged()), (1, false));
    let c = to_vec_f64(model.centroids()).unwrap();
    assert_eq!(c[0], 0.0);
    assert!(close(c[1], 8.0 / 3.0, 1e-12));
    // Labels and inertia are against the final centres (scikit-learn's last E-step):
    // 1 is now nearer 0 than 8/3; inertia = 1 + (1/3)² + (4/3)² = 1 + 17/9.
    assert_eq!(model.labels().unwrap(), &[0, 0, 1, 1]);
    assert!(close(model.inertia(), 1.0 + 17.0 / 9.0, 1e-12));
    let model = KMeansConfig::new(2)
        .fit_from_centroids(&x, None, &init)
        .unwrap();
    assert_eq!((model.n_iter(), model.converged()), (3, true));
    assert_eq!(to_vec_f64(model.centroids()).unwrap(), vec![0.5, 3.5]);
}

// ---------------------------------------------------------------------------------------
// Empty clusters (values checked against scikit-learn 1.9 with the same `init` array).

#[test]
fn empty_cluster_moves_to_the_farthest_point() {
    let x = t2::<Nd>(vec![0.0, 1.0, 2.0, 10.0], 4, DType::F64);
    let init = t2::<Nd>(vec![0.0, 1.0, 100.0], 3, DType::F64);
    let model = KMeansConfig::new(3)
        .fit_from_centroids(&x, None, &init)
        .unwrap();
    // Centre 2 is empty after the first assignment; row 10 is farthest (81) from its centre
    // 1, so centre 2 moves to 10 and centre 1 keeps {1, 2}. scikit-learn: [0, 1.5, 10],
    // inertia 0.5, n_iter 2, labels [0, 1, 1, 2].
    assert_eq!(to_vec_f64(model.centroids()).unwrap(), vec![0.0, 1.5, 10.0]);
    assert_eq!(model.inertia(), 0.5);
    assert_eq!(model.n_iter(), 2);
    assert_eq!(model.labels().unwrap(), &[0, 1, 1, 2]);
}

#[test]
fn two_empty_clusters_take_the_farthest_points_in_order() {
    let x = t2::<Nd>(vec![0.0, 1.0, 2.0, 10.0, 20.0], 5, DType::F64);
    let init = t2::<Nd>(vec![0.0, 1.0, 100.0, 200.0], 4, DType::F64);
    for batch_size in [None, Some(2)] {
        let model = KMeansConfig::new(4)
            .with_batch_size(batch_size)
            .fit_from_centroids(&x, None, &init)
            .unwrap();
        // The farthest row (20) goes to the first empty cluster (2), the next (10) to 3.
        // scikit-learn: [0, 1.5, 20, 10], inertia 0.5, labels [0, 1, 1, 3, 2].
        assert_eq!(
            to_vec_f64(model.centroids()).unwrap(),
            vec![0.0, 1.5, 20.0, 10.0]
        );
        assert_eq!(model.inertia(), 0.5);
        assert_eq!(model.labels().unwrap(), &[0, 1, 1, 3, 2]);
    }
}

#[test]
fn weighted_empty_cluster_relocation() {
    // Weight 5 on row 2: the old cluster keeps {1 (w 1), 2 (w 5)} → (1 + 10)/6 = 11/6.
    // scikit-learn: [0, 1.8333, 10], inertia 5/6.
    let x = t2::<Nd>(vec![0.0, 1.0, 2.0, 10.0], 4, DType::F64);
    let w = t1::<Nd>(vec![1.0, 1.0, 5.0, 1.0], DType::F64);
    let init = t2::<Nd>(vec![0.0, 1.0, 100.0], 3, DType::F64);
    let model = KMeansConfig::new(3)
        .fit_from_centroids(&x, Some(&w), &init)
        .unwrap();
    let c = to_vec_f64(model.centroids()).unwrap();
    assert_eq!(c[0], 0.0);
    assert!(close(c[1], 11.0 / 6.0, 1e-12));
    assert_eq!(c[2], 10.0);
    assert!(close(model.inertia(), 5.0 / 6.0, 1e-12));
}

#[test]
fn duplicated_points_with_more_clusters_than_distinct_rows() {
    // Three distinct rows, K = 4: one cluster must stay empty; the fit must not panic or
    // produce non-finite centres, and the inertia is 0.
    let x = t2::<Flex>(vec![1.0, 1.0, 1.0, 2.0, 2.0, 3.0], 6, DType::F32);
    for init in [KMeansInit::KMeansPlusPlus, KMeansInit::Random] {
        let model = KMeansConfig::new(4)
            .with_init(init)
            .with_n_init(3)
            .fit(&x)
            .unwrap();
        assert!(
            to_vec_f64(model.centroids())
                .unwrap()
                .iter()
                .all(|v| v.is_finite())
        );
        assert_eq!(model.inertia(), 0.0);
    }
}

// ---------------------------------------------------------------------------------------
// Weights, restarts, labels.

#[test]
fn integer_weights_equal_repeated_rows_with_kmeans_plusplus() {
    // Draws ∝ weight hit the same original row as uniform draws over the repeated rows,
    // so even the seeding agrees; the tolerance uses the weighted variance, which equals
    // the variance of the repeated data.
    let mut rng = StdRng::seed_from_u64(11);
    let (n, d) = (40, 3);
    let x = normals(&mut rng, n * d);
    let w: Vec<f64> = (0..n).map(|_| rng.random_range(1..4) as f64).collect();
    let mut rep = Vec::new();
    for i in 0..n {
        for _ in 0..w[i] as usize {
            rep.extend_from_slice(&x[i * d..(i + 1) * d]);
        }
    }
    let n_rep = rep.len() / d;
    let config = KMeansConfig::new(4).with_n_init(3).with_seed(2);
    let weighted = config
        .fit_weighted(&t2::<Nd>(x, n, DType::F64), &t1::<Nd>(w, DType::F64))
        .unwrap();
    let repeated = config.fit(&t2::<Nd>(rep, n_rep, DType::F64)).unwrap();
    assert!(close(
        weighted.inertia(),
        repeated.inertia(),
        1e-9 * repeated.inertia()
    ));
    let (a, b) = (
        to_vec_f64(weighted.centroids()).unwrap(),
        to_vec_f64(repeated.centroids()).unwrap(),
    );
    for (u, v) in a.iter().zip(&b) {
        assert!(close(*u, *v, 1e-9), "{a:?} vs {b:?}");
    }
    assert_eq!(weighted.n_iter(), repeated.n_iter());
}

#[test]
fn more_restarts_never_do_worse() {
    // The restarts share one RNG stream, so restart 0 of n_init = 6 is the n_init = 1 fit.
    let mut rng = StdRng::seed_from_u64(3);
    let x = t2::<Nd>(normals(&mut rng, 60 * 2), 60, DType::F64);
    for init in [KMeansInit::KMeansPlusPlus, KMeansInit::Random] {
        let config = KMeansConfig::new(5).with_init(init).with_seed(9);
        let one = config.fit(&x).unwrap();
        let six = config.clone().with_n_init(6).fit(&x).unwrap();
        assert!(six.inertia() <= one.inertia());
        // Same seed, same fit.
        assert_eq!(config.fit(&x).unwrap().inertia(), one.inertia());
    }
}

#[test]
fn labels_are_the_predictions_and_inertia_the_score() {
    let mut rng = StdRng::seed_from_u64(4);
    let x = t2::<Flex>(normals(&mut rng, 50 * 3), 50, DType::F32);
    let model = KMeansConfig::new(3).fit(&x).unwrap();
    let predicted = to_vec_i64(model.predict(&x).unwrap()).unwrap();
    assert_eq!(model.labels().unwrap(), predicted.as_slice());
    // f32 sums of 50 values ≈ 1: 1e-5 relative.
    assert!(close(
        -model.score(&x).unwrap(),
        model.inertia(),
        1e-5 * model.inertia()
    ));
    let dist = to_vec_f64(model.transform(&x).unwrap()).unwrap();
    assert_eq!(dist.len(), 50 * 3);
    let min_sq: f64 = dist
        .chunks(3)
        .map(|r| r.iter().fold(f64::INFINITY, |a, &b| a.min(b)).powi(2))
        .sum();
    assert!(close(min_sq, model.inertia(), 1e-4 * model.inertia()));
}

#[test]
fn fit_source_equals_fit() {
    let mut rng = StdRng::seed_from_u64(8);
    let (n, d) = (45, 2);
    let xv = normals(&mut rng, n * d);
    let wv: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    let x = t2::<Nd>(xv, n, DType::F64);
    let w = t1::<Nd>(wv, DType::F64);
    let config = KMeansConfig::new(3).with_n_init(2);
    let direct = config.fit_weighted(&x, &w).unwrap();
    let source = TensorSource::new(Batch::new(x).with_weight(w), Some(10));
    let streamed = config.fit_source(&source).unwrap();
    assert!(close(
        direct.inertia(),
        streamed.inertia(),
        1e-12 * direct.inertia()
    ));
    assert_eq!(direct.labels(), streamed.labels());
}

// ---------------------------------------------------------------------------------------
// k-means++ on its own.

#[test]
fn kmeans_plusplus_returns_rows_and_indices() {
    let mut rng = StdRng::seed_from_u64(0);
    let (n, d) = (12, 2);
    let xv = normals(&mut rng, n * d);
    let x = t2::<Nd>(xv.clone(), n, DType::F64);
    let (c, idx) = kmeans_plusplus(&x, None, 4, &mut StdRng::seed_from_u64(1)).unwrap();
    assert_eq!(c.dims(), [4, 2]);
    let c = to_vec_f64(c).unwrap();
    for (j, &i) in idx.iter().enumerate() {
        assert_eq!(&c[j * d..(j + 1) * d], &xv[i * d..(i + 1) * d]);
    }
    // Same seed, same centres.
    let (_, again) = kmeans_plusplus(&x, None, 4, &mut StdRng::seed_from_u64(1)).unwrap();
    assert_eq!(idx, again);
    // K = N distinct rows: a row already chosen has potential 0 and is never drawn again.
    let (_, all) = kmeans_plusplus(&x, None, n, &mut StdRng::seed_from_u64(2)).unwrap();
    let mut sorted = all.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..n).collect::<Vec<_>>());
    // Zero-weight rows are never drawn while positive-weight rows remain.
    let wv: Vec<f64> = (0..n).map(|i| if i % 3 == 0 { 1.0 } else { 0.0 }).collect();
    let w = t1::<Nd>(wv, DType::F64);
    let (_, some) = kmeans_plusplus(&x, Some(&w), 4, &mut StdRng::seed_from_u64(3)).unwrap();
    let mut some = some;
    some.sort_unstable();
    assert_eq!(some, vec![0, 3, 6, 9]);
}

#[test]
fn kmeans_plusplus_spreads_over_blobs() {
    // Two far blobs, K = 2: the second centre is drawn ∝ D², all of which sits in the other
    // blob, for every seed.
    let x = t2::<Flex>(two_blobs(20, 2, 1), 40, DType::F32);
    for seed in 0..10 {
        let (_, idx) = kmeans_plusplus(&x, None, 2, &mut StdRng::seed_from_u64(seed)).unwrap();
        assert_ne!(idx[0] / 20, idx[1] / 20, "seed {seed}: {idx:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Bad input.

#[test]
fn bad_input_gets_typed_errors() {
    let x = t2::<Flex>(vec![0.0, 1.0, 2.0, 3.0], 2, DType::F32);
    assert!(matches!(
        KMeansConfig::new(3).fit(&x),
        Err(Error::TooFewSamples {
            n_samples: 2,
            n_components: 3
        })
    ));
    let nan = t2::<Flex>(vec![0.0, 1.0, f64::NAN, 3.0], 2, DType::F32);
    assert!(matches!(
        KMeansConfig::new(1).fit(&nan),
        Err(Error::NonFinite {
            row: 1,
            column: 0,
            ..
        })
    ));
    // A NaN in a later batch is reported at its row in the whole data.
    let nan = t2::<Flex>(vec![0.0, 1.0, 2.0, 3.0, 4.0, f64::INFINITY], 3, DType::F32);
    assert!(matches!(
        KMeansConfig::new(1).with_batch_size(Some(2)).fit(&nan),
        Err(Error::NonFinite {
            row: 2,
            column: 1,
            ..
        })
    ));
    let empty = Tensor::<Flex, 2>::empty([0, 2], &Default::default());
    assert!(matches!(
        KMeansConfig::new(1).fit(&empty),
        Err(Error::EmptyData { .. })
    ));
    assert!(matches!(
        KMeansConfig::new(0).fit(&x),
        Err(Error::InvalidConfig {
            field: "n_clusters",
            ..
        })
    ));
    let short = t1::<Flex>(vec![1.0], DType::F32);
    assert!(matches!(
        KMeansConfig::new(1).fit_weighted(&x, &short),
        Err(Error::DimensionMismatch { .. })
    ));
    let negative = t1::<Flex>(vec![1.0, -1.0], DType::F32);
    assert!(matches!(
        KMeansConfig::new(1).fit_weighted(&x, &negative),
        Err(Error::InvalidWeights { .. })
    ));
    let zeros = t1::<Flex>(vec![0.0, 0.0], DType::F32);
    assert!(matches!(
        KMeansConfig::new(1).fit_weighted(&x, &zeros),
        Err(Error::InvalidWeights { .. })
    ));
    let bad_init = t2::<Flex>(vec![0.0, 1.0, 2.0], 1, DType::F32);
    assert!(matches!(
        KMeansConfig::new(1).fit_from_centroids(&x, None, &bad_init),
        Err(Error::InvalidInit { .. })
    ));
    let model = KMeansConfig::new(2).fit(&x).unwrap();
    let three = t2::<Flex>(vec![0.0, 1.0, 2.0], 1, DType::F32);
    for result in [
        model.predict(&three).map(|_| ()),
        model.transform(&three).map(|_| ()),
        model.score(&three).map(|_| ()),
    ] {
        assert!(matches!(
            result,
            Err(Error::DimensionMismatch {
                expected: 2,
                found: 3,
                ..
            })
        ));
    }
    assert!(matches!(model.predict(&nan), Err(Error::NonFinite { .. })));
    assert!(matches!(
        kmeans_plusplus(&x, None, 3, &mut StdRng::seed_from_u64(0)),
        Err(Error::TooFewSamples { .. })
    ));
    assert!(matches!(
        kmeans_plusplus(&x, None, 0, &mut StdRng::seed_from_u64(0)),
        Err(Error::InvalidConfig { .. })
    ));
}
