//! Fits streamed from a `.npy` file (`mixture_io::NpySource`) equal the in-memory fits of the
//! same data: EM sums the statistics of every batch before each M-step, so only the order of
//! the sums differs.

use burn::tensor::{DType, Tensor};
use mixture_core::{
    DataSource, NoopObserver,
    tensor::{from_f64, to_vec_f64},
};
use mixture_em::{CovarianceType, GaussianMixtureConfig, InitMethod, KMeansConfig};
use mixture_io::NpySource;

type B = burn_ndarray::NdArray<f64>;

/// Three blobs, `n` rows × 3, and the file that holds them (f32 or f64).
fn blobs(n: usize, f32_file: bool, name: &str) -> (Vec<f64>, std::path::PathBuf) {
    let values: Vec<f64> = (0..n * 3)
        .map(|i| {
            let row = i / 3;
            let centre = [0.0, 6.0, -5.0][row % 3] + (i % 3) as f64;
            let h =
                ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64;
            let v = centre + (h - 0.5) * 3.0;
            if f32_file { f64::from(v as f32) } else { v }
        })
        .collect();
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let descr = if f32_file { "<f4" } else { "<f8" };
    let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({n}, 3), }}");
    let header = format!("{header:<117}\n");
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    for v in &values {
        if f32_file {
            bytes.extend((*v as f32).to_le_bytes());
        } else {
            bytes.extend(v.to_le_bytes());
        }
    }
    let path = std::env::temp_dir().join(format!(
        "mixture-streaming-{}-{name}.npy",
        std::process::id()
    ));
    std::fs::write(&path, bytes).unwrap();
    (values, path)
}

#[test]
fn a_streamed_fit_equals_the_in_memory_fit() {
    let n = 3001;
    for f32_file in [false, true] {
        let (values, path) = blobs(n, f32_file, if f32_file { "f32" } else { "f64" });
        let dev = Default::default();
        let x: Tensor<B, 2> = from_f64(values, [n, 3], &dev, DType::F64);
        let source = NpySource::<B>::open(&path, &dev, DType::F64)
            .unwrap()
            .with_batch_rows(400);
        assert_eq!((source.n_samples(), source.n_features()), (n, 3));
        for ct in CovarianceType::ALL {
            for init in [InitMethod::Random, InitMethod::KMeans] {
                let config = GaussianMixtureConfig::new(3)
                    .with_covariance_type(ct)
                    .with_init(init)
                    .with_seed(3);
                let streamed = config.fit_source(&source, &mut NoopObserver).unwrap();
                let memory = config.fit(&x).unwrap();
                let what = format!("{ct} {init} f32 file {f32_file}");
                assert_eq!(streamed.n_iter(), memory.n_iter(), "{what}");
                let a = to_vec_f64(streamed.means()).unwrap();
                let b = to_vec_f64(memory.means()).unwrap();
                for (p, q) in a.iter().zip(&b) {
                    assert!((p - q).abs() < 1e-9 * (1.0 + q.abs()), "{what}: {p} vs {q}");
                }
                let (la, lb) = (streamed.lower_bound(), memory.lower_bound());
                assert!((la - lb).abs() < 1e-10 * lb.abs(), "{what}: {la} vs {lb}");
            }
        }
        // k-means over the stream is k-means in memory.
        let km = KMeansConfig::new(3).with_seed(1);
        let s = km.fit_source(&source).unwrap();
        let m = km.fit(&x).unwrap();
        assert!((s.inertia() - m.inertia()).abs() < 1e-9 * m.inertia());
        std::fs::remove_file(&path).ok();
    }
}

#[test]
fn a_shard_serves_its_rows_and_bad_files_are_refused() {
    let (values, path) = blobs(100, false, "shard");
    let dev = Default::default();
    let source = NpySource::<B>::open(&path, &dev, DType::F64)
        .unwrap()
        .with_rows(10..35)
        .with_batch_rows(7);
    let mut got = Vec::new();
    source
        .for_each_batch(&mut |b| {
            got.extend(to_vec_f64(b.x).unwrap());
            Ok(())
        })
        .unwrap();
    assert_eq!(got, values[30..105].to_vec());
    // A truncated file, a 1-D array and int64 data are refused with what to do.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 8]).unwrap();
    let e = NpySource::<B>::open(&path, &dev, DType::F64).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    let mut one_d = b"\x93NUMPY\x01\x00".to_vec();
    let header = format!(
        "{:<117}\n",
        "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }"
    );
    one_d.extend((header.len() as u16).to_le_bytes());
    one_d.extend(header.as_bytes());
    one_d.extend([0u8; 32]);
    std::fs::write(&path, &one_d).unwrap();
    let e = NpySource::<B>::open(&path, &dev, DType::F64).unwrap_err();
    assert!(e.to_string().contains("float32 or float64"), "{e}");
    let e = NpySource::<B>::open(path.with_extension("missing"), &dev, DType::F64).unwrap_err();
    assert!(matches!(e, mixture_core::Error::Io { .. }), "{e}");
    std::fs::remove_file(&path).ok();
}

/// A stream longer than `STREAM_SEED_ROWS` is seeded by k-means++ on a uniform sample, then
/// refined by Lloyd passes over all rows: on three clear blobs it reaches the in-memory fit's
/// optimum.
#[test]
fn a_long_stream_is_seeded_from_a_sample() {
    let n = mixture_em::kmeans::STREAM_SEED_ROWS + 4000;
    let (values, path) = blobs(n, true, "long");
    let dev = Default::default();
    let x: Tensor<B, 2> = from_f64(values, [n, 3], &dev, DType::F64);
    let source = NpySource::<B>::open(&path, &dev, DType::F64)
        .unwrap()
        .with_batch_rows(20_000);
    let config = GaussianMixtureConfig::new(3).with_covariance_type(CovarianceType::Diag);
    let streamed = config.fit_source(&source, &mut NoopObserver).unwrap();
    let memory = config.fit(&x).unwrap();
    let (a, b) = (streamed.score(&x).unwrap(), memory.score(&x).unwrap());
    assert!((a - b).abs() < 1e-6 * b.abs(), "{a} vs {b}");
    std::fs::remove_file(&path).ok();
}

/// The variational mixture streamed from the file equals its in-memory fit.
#[test]
fn a_streamed_variational_fit_equals_the_in_memory_fit() {
    use mixture_em::BayesianGaussianMixtureConfig;
    let n = 1500;
    let (values, path) = blobs(n, false, "bgm");
    let dev = Default::default();
    let x: Tensor<B, 2> = from_f64(values, [n, 3], &dev, DType::F64);
    let source = NpySource::<B>::open(&path, &dev, DType::F64)
        .unwrap()
        .with_batch_rows(256);
    for ct in CovarianceType::ALL {
        let config = BayesianGaussianMixtureConfig::new(4)
            .with_covariance_type(ct)
            .with_init(InitMethod::Random)
            .with_seed(5);
        let streamed = config.fit_source(&source, &mut NoopObserver).unwrap();
        let memory = config.fit(&x).unwrap();
        assert_eq!(streamed.n_iter(), memory.n_iter(), "{ct}");
        let (a, b) = (streamed.lower_bound(), memory.lower_bound());
        assert!((a - b).abs() < 1e-9 * b.abs(), "{ct}: {a} vs {b}");
        let wa = to_vec_f64(streamed.weights()).unwrap();
        let wb = to_vec_f64(memory.weights()).unwrap();
        for (p, q) in wa.iter().zip(&wb) {
            assert!((p - q).abs() < 1e-9, "{ct}: {p} vs {q}");
        }
    }
    std::fs::remove_file(&path).ok();
}
