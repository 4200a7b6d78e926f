//! Data-parallel fits: W ranks (threads of one process here, `ThreadGroup`; processes under
//! MPI in the CLI's tests) that each hold a shard of the rows give the single-process fit of
//! all the rows, initialisation included, and fail together when one rank fails.

use burn::tensor::{DType, Tensor};
use mixture_core::{
    Batch, Error, NoopObserver, TensorSource,
    reduce::{Reducer, Sharded, ThreadGroup},
    tensor::{from_f64, to_vec_f64},
};
use mixture_em::{
    BayesianGaussianMixtureConfig, CovarianceType, GaussianMixtureConfig, InitMethod, KMeansConfig,
};

type B = burn_ndarray::NdArray<f64>;

const N: usize = 1201;
pub(crate) const D: usize = 3;

/// Three blobs, `N × D`, row-major.
fn blobs() -> Vec<f64> {
    blobs_of(N)
}

/// Three blobs, `n × D`, row-major (a Weyl sequence for the noise); shared with the
/// burn-collective tests.
pub(crate) fn blobs_of(n: usize) -> Vec<f64> {
    (0..n * D)
        .map(|i| {
            let row = i / D;
            let centre = [0.0, 6.0, -5.0][row % 3] + (i % D) as f64;
            let h =
                ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64;
            centre + (h - 0.5) * 3.0
        })
        .collect()
}

/// Uneven row ranges for `w` ranks.
fn shards(w: usize) -> Vec<std::ops::Range<usize>> {
    let cuts: Vec<usize> = match w {
        1 => vec![0, N],
        2 => vec![0, 500, N],
        _ => vec![0, 300, 1000, N],
    };
    cuts.windows(2).map(|c| c[0]..c[1]).collect()
}

fn source(values: &[f64], rows: std::ops::Range<usize>) -> TensorSource<B> {
    let x: Tensor<B, 2> = from_f64(
        values[rows.start * D..rows.end * D].to_vec(),
        [rows.len(), D],
        &Default::default(),
        DType::F64,
    );
    TensorSource::new(Batch::new(x), Some(170))
}

/// Runs `f` on every rank of a group of `w` threads, each with its shard; results in rank
/// order. A rank that does not finish within a minute fails the test (a rank left waiting in
/// a collective would otherwise hang it).
fn on_ranks<T: Send + 'static>(
    w: usize,
    values: &[f64],
    f: impl Fn(&Sharded<TensorSource<B>, ThreadGroup>) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let ranges = shards(w);
    let f = std::sync::Arc::new(f);
    let (tx, rx) = std::sync::mpsc::channel();
    for r in ThreadGroup::new(w) {
        let rank = r.rank();
        let rows = ranges[rank].clone();
        let shard_values = values[rows.start * D..rows.end * D].to_vec();
        let (f, tx) = (f.clone(), tx.clone());
        std::thread::spawn(move || {
            let local = source(&shard_values, 0..rows.len());
            let shard = Sharded::open(r, || Ok(local)).unwrap();
            let _ = tx.send((rank, f(&shard)));
        });
    }
    in_rank_order(&rx, w)
}

/// The `w` values the ranks send on `rx` as `(rank, value)`, in rank order. A rank that does
/// not report within a minute fails the test.
pub(crate) fn in_rank_order<T>(rx: &std::sync::mpsc::Receiver<(usize, T)>, w: usize) -> Vec<T> {
    let mut out: Vec<Option<T>> = (0..w).map(|_| None).collect();
    for _ in 0..w {
        let (rank, value) = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("every rank finishes within a minute");
        out[rank] = Some(value);
    }
    out.into_iter().map(Option::unwrap).collect()
}

/// `a` and `b` agree to `tol` relative (absolute below 1).
pub(crate) fn close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (p, q) in a.iter().zip(b) {
        assert!((p - q).abs() <= tol * (1.0 + q.abs()), "{what}: {p} vs {q}");
    }
}

#[test]
fn sharded_em_equals_one_process_for_every_covariance_type_and_init() {
    let values = blobs();
    let whole = source(&values, 0..N);
    for ct in CovarianceType::ALL {
        for init in [
            InitMethod::KMeans,
            InitMethod::Random,
            InitMethod::RandomFromData,
        ] {
            let config = GaussianMixtureConfig::new(3)
                .with_covariance_type(ct)
                .with_init(init)
                .with_seed(5);
            let one = config.fit_source(&whole, &mut NoopObserver).unwrap();
            let want = to_vec_f64(one.means()).unwrap();
            for w in [1, 2, 3] {
                let config = config.clone();
                let fits = on_ranks(w, &values, move |shard| {
                    let m = config.fit_source(shard, &mut NoopObserver).unwrap();
                    (
                        to_vec_f64(m.means()).unwrap(),
                        to_vec_f64(m.weights()).unwrap(),
                        m.lower_bound(),
                        m.n_iter(),
                    )
                });
                let what = format!("{ct} {init} W={w}");
                for (means, weights, bound, n_iter) in &fits {
                    close(means, &want, 1e-9, &what);
                    close(weights, &to_vec_f64(one.weights()).unwrap(), 1e-9, &what);
                    // 1e-8: sums over shards are added in another order, and a full
                    // covariance fit to these points (near a lattice: the generator is a Weyl
                    // sequence) is thin, which amplifies the rounding over the iterations.
                    let want = one.lower_bound();
                    assert!(
                        (bound - want).abs() < 1e-8 * want.abs(),
                        "{what}: {bound} vs {want}"
                    );
                    assert_eq!(*n_iter, one.n_iter(), "{what}");
                }
                // Every rank holds the same model, bit for bit.
                assert!(fits.windows(2).all(|p| p[0].0 == p[1].0), "{what}");
            }
        }
    }
}

#[test]
fn sharded_kmeans_and_variational_fits_equal_one_process() {
    let values = blobs();
    let whole = source(&values, 0..N);
    let km = KMeansConfig::new(3).with_seed(2).with_n_init(2);
    let one = km.fit_source(&whole).unwrap();
    let bgm = BayesianGaussianMixtureConfig::new(4)
        .with_covariance_type(CovarianceType::Full)
        .with_seed(1);
    let bgm_one = bgm.fit_source(&whole, &mut NoopObserver).unwrap();
    for w in [2, 3] {
        let (km, bgm) = (km.clone(), bgm.clone());
        let fits = on_ranks(w, &values, move |shard| {
            let k = km.fit_source(shard).unwrap();
            let b = bgm.fit_source(shard, &mut NoopObserver).unwrap();
            (
                to_vec_f64(k.centroids()).unwrap(),
                k.inertia(),
                k.labels().map(<[i64]>::len),
                to_vec_f64(b.means()).unwrap(),
                b.lower_bound(),
            )
        });
        let ranges = shards(w);
        for (rank, (centres, inertia, labels, means, bound)) in fits.iter().enumerate() {
            close(
                centres,
                &to_vec_f64(one.centroids()).unwrap(),
                1e-9,
                "k-means",
            );
            assert!((inertia - one.inertia()).abs() < 1e-9 * one.inertia());
            // Each rank labels its own rows.
            assert_eq!(*labels, Some(ranges[rank].len()));
            close(
                means,
                &to_vec_f64(bgm_one.means()).unwrap(),
                1e-9,
                "variational",
            );
            assert!((bound - bgm_one.lower_bound()).abs() < 1e-9 * bgm_one.lower_bound().abs());
        }
    }
}

#[test]
fn a_failing_rank_fails_every_rank_with_its_name_and_cause() {
    let values = blobs();
    // A shard that does not open.
    let ranges = shards(3);
    let errors: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = ThreadGroup::new(3)
            .into_iter()
            .map(|r| {
                let rows = ranges[r.rank()].clone();
                let values = &values;
                s.spawn(move || {
                    let rank = r.rank();
                    let opened = Sharded::open(r, || {
                        if rank == 2 {
                            Err(Error::InvalidConfig {
                                field: "input",
                                reason: "shard 2 is missing".into(),
                            })
                        } else {
                            Ok(source(values, rows))
                        }
                    });
                    opened.err().unwrap().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for e in &errors {
        assert_eq!(
            e,
            "rank 2 of 3 failed: invalid value for `input`: shard 2 is missing"
        );
    }
    // A non-finite value in rank 1's rows: found in its first pass, every rank stops there.
    let mut bad = values.clone();
    bad[700 * D + 1] = f64::NAN;
    let errors = on_ranks(3, &bad, move |shard| {
        let fit = GaussianMixtureConfig::new(3).fit_source(shard, &mut NoopObserver);
        match fit {
            Err(Error::RankFailed { rank, message, .. }) => (rank, message),
            other => panic!("expected RankFailed, got {:?}", other.map(|m| m.n_iter())),
        }
    });
    for (rank, message) in &errors {
        assert_eq!(*rank, 1);
        assert!(
            message.contains("NaN") && message.contains("row 700"),
            "{message}"
        );
    }
    // A shard of another width.
    let widths = std::thread::scope(|s| {
        let handles: Vec<_> = ThreadGroup::new(2)
            .into_iter()
            .map(|r| {
                s.spawn(move || {
                    let d = if r.rank() == 1 { 2 } else { 3 };
                    let x: Tensor<B, 2> =
                        from_f64(vec![0.0; 4 * d], [4, d], &Default::default(), DType::F64);
                    Sharded::open(r, || Ok(TensorSource::new(Batch::new(x), None)))
                        .err()
                        .unwrap()
                        .to_string()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert!(
        widths[0].starts_with("rank 1 of 2 failed: its shard has 2 columns where rank 0's has 3")
    );
    assert_eq!(widths[0], widths[1]);
}

#[test]
fn model_selection_over_a_stream_and_over_shards_equals_in_memory() {
    use mixture_em::selection::{ModelSelectionConfig, SelectionMethod};
    let values = blobs();
    let x: Tensor<B, 2> = from_f64(values.clone(), [N, D], &Default::default(), DType::F64);
    for method in [SelectionMethod::Em, SelectionMethod::Variational] {
        let config =
            ModelSelectionConfig::new(vec![2, 3], CovarianceType::ALL.to_vec()).with_method(method);
        let memory = config.fit(&x).unwrap();
        let bic = |s: &mixture_em::selection::ModelSelection<B>| -> Vec<f64> {
            s.cells()
                .iter()
                .map(|c| c.result.as_ref().unwrap().bic)
                .collect()
        };
        let want = bic(&memory);
        // In batches of 170 rows.
        close(
            &bic(&config.fit_source(&source(&values, 0..N)).unwrap()),
            &want,
            1e-9,
            "stream",
        );
        // Over three uneven shards.
        let fits = on_ranks(3, &values, move |shard| {
            let s = config.fit_source(shard).unwrap();
            (bic(&s), s.best_index())
        });
        for (cells, best) in &fits {
            close(cells, &want, 1e-9, &format!("{method:?} shards"));
            assert_eq!(*best, memory.best_index());
        }
    }
}
