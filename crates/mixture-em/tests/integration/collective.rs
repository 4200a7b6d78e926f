//! Data-parallel fits over several devices of one process through burn-collective's
//! in-process mode (`mixture_core::collective::CollectiveGroup`, the `collective` feature):
//! two and three flex devices, one thread each, each holding a shard of the rows, give the
//! single-process fit of all the rows (k-means initialisation included), and a failing device
//! fails every device. burn-collective has one server per backend and process, so these tests
//! take turns (`TURN`).

use std::sync::Mutex;

use burn::tensor::{DType, Tensor};
use mixture_core::{
    Batch, Error, NoopObserver, TensorSource,
    collective::CollectiveGroup,
    reduce::{Reducer, Sharded},
    tensor::{from_f64, to_vec_f64},
};
use mixture_em::{CovarianceType, GaussianMixtureConfig, KMeansConfig};

use super::distributed::{D, blobs_of, close, in_rank_order};

type F = burn_flex::Flex;

/// One burn-collective group at a time.
static TURN: Mutex<()> = Mutex::new(());

const N: usize = 901;

/// Three blobs, `N × D`, row-major.
fn blobs() -> Vec<f64> {
    blobs_of(N)
}

fn source(values: &[f64]) -> TensorSource<F> {
    let x: Tensor<F, 2> = from_f64(
        values.to_vec(),
        [values.len() / D, D],
        &Default::default(),
        DType::F64,
    );
    TensorSource::new(Batch::new(x), Some(128))
}

/// Runs `f` on `w` devices, each on its thread with its uneven shard; results in rank order.
/// A device that does not finish within a minute fails the test.
fn on_devices<T: Send + 'static>(
    w: usize,
    values: &[f64],
    f: impl Fn(&Sharded<TensorSource<F>, CollectiveGroup<F>>) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let cuts: Vec<usize> = match w {
        2 => vec![0, 400, N],
        _ => vec![0, 250, 700, N],
    };
    let f = std::sync::Arc::new(f);
    let (tx, rx) = std::sync::mpsc::channel();
    let threads: Vec<_> = (0..w)
        .map(|rank| {
            let shard = values[cuts[rank] * D..cuts[rank + 1] * D].to_vec();
            let (f, tx) = (f.clone(), tx.clone());
            std::thread::spawn(move || {
                let group = CollectiveGroup::<F>::join(rank, w, Default::default()).unwrap();
                let sharded = Sharded::open(group, || Ok(source(&shard))).unwrap();
                let value = f(&sharded);
                // Leave the group before reporting, so that the next group can form.
                drop(sharded);
                let _ = tx.send((rank, value));
            })
        })
        .collect();
    let out = in_rank_order(&rx, w);
    for t in threads {
        t.join().expect("a device thread panicked");
    }
    out
}

#[test]
fn em_and_kmeans_over_devices_equal_one_process() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let values = blobs();
    let whole = source(&values);
    for ct in [CovarianceType::Full, CovarianceType::Diag] {
        let config = GaussianMixtureConfig::new(3)
            .with_covariance_type(ct)
            .with_seed(3);
        let one = config.fit_source(&whole, &mut NoopObserver).unwrap();
        for w in [2, 3] {
            let c = config.clone();
            let fits = on_devices(w, &values, move |shard| {
                let m = c.fit_source(shard, &mut NoopObserver).unwrap();
                (
                    to_vec_f64(m.means()).unwrap(),
                    to_vec_f64(m.weights()).unwrap(),
                    m.lower_bound(),
                    m.n_iter(),
                )
            });
            let what = format!("{ct} W={w}");
            for (means, weights, bound, n_iter) in &fits {
                close(means, &to_vec_f64(one.means()).unwrap(), 1e-9, &what);
                close(weights, &to_vec_f64(one.weights()).unwrap(), 1e-9, &what);
                let want = one.lower_bound();
                assert!((bound - want).abs() < 1e-9 * want.abs(), "{what}");
                assert_eq!(*n_iter, one.n_iter(), "{what}");
            }
            // Every device holds the same model, bit for bit.
            assert!(fits.windows(2).all(|p| p[0].0 == p[1].0), "{what}");
        }
    }
    let km = KMeansConfig::new(3).with_seed(3);
    let one = km.fit_source(&whole).unwrap();
    let fits = on_devices(3, &values, move |shard| {
        let m = km.fit_source(shard).unwrap();
        (to_vec_f64(m.centroids()).unwrap(), m.inertia())
    });
    for (centres, inertia) in &fits {
        close(
            centres,
            &to_vec_f64(one.centroids()).unwrap(),
            1e-9,
            "k-means",
        );
        assert!((inertia - one.inertia()).abs() < 1e-9 * one.inertia());
    }
}

#[test]
fn a_failing_device_fails_every_device() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let mut values = blobs();
    // A NaN in the last device's shard.
    values[(N - 3) * D + 1] = f64::NAN;
    let results = on_devices(3, &values, |shard| {
        GaussianMixtureConfig::new(3)
            .fit_source(shard, &mut NoopObserver)
            .map(|_| ())
    });
    for (rank, r) in results.iter().enumerate() {
        match r {
            Err(Error::RankFailed {
                rank: failing,
                world_size,
                message,
            }) => {
                assert_eq!((*failing, *world_size), (2, 3), "device {rank}");
                assert!(
                    message.contains("NaN") || message.contains("finite"),
                    "{message}"
                );
            }
            other => panic!("device {rank}: {other:?}"),
        }
    }
}

/// The group's own collectives: sums in f64 whatever the values' size, and a gather of
/// byte strings of different lengths (one empty).
#[test]
fn sums_and_gathers_over_devices() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let results = on_devices(3, &blobs(), |shard| {
        let r = shard.group().rank();
        assert_eq!(shard.group().world_size(), 3);
        let mut v = vec![1e300, 1.0 + r as f64, 1e-300];
        shard.group().all_reduce_sum(&mut v).unwrap();
        let bytes: Vec<u8> = (0..r as u8 * 2).collect();
        (v, shard.group().all_gather_bytes(&bytes).unwrap())
    });
    for (v, all) in results {
        assert_eq!(v, vec![3e300, 6.0, 3e-300]);
        assert_eq!(all, vec![vec![], vec![0, 1], vec![0, 1, 2, 3]]);
    }
}
