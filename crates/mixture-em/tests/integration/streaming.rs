//! Fits streamed from a `.npy` file (`mixture_io::NpySource`) equal the in-memory fits of the
//! same data: EM sums the statistics of every batch before each M-step, so only the order of
//! the sums differs.

use burn::tensor::{DType, Tensor};
use mixture_core::{
    DataSource, NoopObserver,
    tensor::{from_f64, to_vec_f64},
};
use mixture_em::{
    BayesianGaussianMixture, CovarianceType, GaussianMixture, GaussianMixtureConfig, InitMethod,
    KMeansConfig,
};
use mixture_io::NpySource;

type B = burn_ndarray::NdArray<f64>;

/// Three blobs, `n` rows × 3 (rounded to f32 when `f32_values`), row-major.
fn blob_values(n: usize, f32_values: bool) -> Vec<f64> {
    (0..n * 3)
        .map(|i| {
            let row = i / 3;
            let centre = [0.0, 6.0, -5.0][row % 3] + (i % 3) as f64;
            let h =
                ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64;
            let v = centre + (h - 0.5) * 3.0;
            if f32_values { f64::from(v as f32) } else { v }
        })
        .collect()
}

/// [`blob_values`], and the file that holds them (f32 or f64).
fn blobs(n: usize, f32_file: bool, name: &str) -> (Vec<f64>, std::path::PathBuf) {
    let values = blob_values(n, f32_file);
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

/// The blobs, `n` rows, centred exactly (f64), in memory and as a source of `batch_rows`-row
/// batches.
fn centred_blobs(n: usize, batch_rows: usize) -> (Tensor<B, 2>, mixture_core::TensorSource<B>) {
    let x: Tensor<B, 2> = from_f64(
        blob_values(n, false),
        [n, 3],
        &Default::default(),
        DType::F64,
    );
    let x = x.clone() - x.mean_dim(0);
    let source =
        mixture_core::TensorSource::new(mixture_core::Batch::new(x.clone()), Some(batch_rows));
    (x, source)
}

/// A streamed EM fit equals the in-memory one: the same iterations, means to 1e-9, the bound
/// to 1e-10 relative.
fn same_em_fit(streamed: &GaussianMixture<B>, memory: &GaussianMixture<B>, what: &str) {
    assert_eq!(streamed.n_iter(), memory.n_iter(), "{what}");
    let a = to_vec_f64(streamed.means()).unwrap();
    let b = to_vec_f64(memory.means()).unwrap();
    for (p, q) in a.iter().zip(&b) {
        assert!((p - q).abs() < 1e-9 * (1.0 + q.abs()), "{what}: {p} vs {q}");
    }
    let (la, lb) = (streamed.lower_bound(), memory.lower_bound());
    assert!((la - lb).abs() < 1e-10 * lb.abs(), "{what}: {la} vs {lb}");
}

/// A streamed variational fit equals the in-memory one: the same iterations, the bound to
/// 1e-9 relative, the weights to 1e-9.
fn same_variational_fit(
    streamed: &BayesianGaussianMixture<B>,
    memory: &BayesianGaussianMixture<B>,
    what: &str,
) {
    assert_eq!(streamed.n_iter(), memory.n_iter(), "{what}");
    let (a, b) = (streamed.lower_bound(), memory.lower_bound());
    assert!((a - b).abs() < 1e-9 * b.abs(), "{what}: {a} vs {b}");
    let wa = to_vec_f64(streamed.weights()).unwrap();
    let wb = to_vec_f64(memory.weights()).unwrap();
    for (p, q) in wa.iter().zip(&wb) {
        assert!((p - q).abs() < 1e-9, "{what}: {p} vs {q}");
    }
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
                same_em_fit(
                    &streamed,
                    &memory,
                    &format!("{ct} {init} f32 file {f32_file}"),
                );
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
    let mut batches = Vec::new();
    source
        .for_each_batch(&mut |b| {
            batches.push(b.rows.clone());
            got.extend(to_vec_f64(b.x).unwrap());
            Ok(())
        })
        .unwrap();
    assert_eq!(got, values[30..105].to_vec());
    // Batches of 7 rows, numbered within the shard; the last one short.
    assert_eq!(batches, vec![0..7, 7..14, 14..21, 21..25]);
    // A range past the end of the file is clamped to it, or empty.
    let open = || NpySource::<B>::open(&path, &dev, DType::F64).unwrap();
    assert_eq!(open().with_rows(90..200).n_samples(), 10);
    assert_eq!(open().with_rows(150..160).n_samples(), 0);
    assert_eq!(open().with_batch_rows(0).batch_rows(), 1);
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

/// `with_shift` takes the column values off every row on the host, in f64, before the cast
/// (rows at 10⁸ keep their digits in f32), for `.npy` and CSV sources alike;
/// `for_each_host_batch` serves the file's own values; a shift of another width is refused.
#[test]
fn sources_shift_rows_on_the_host_before_the_cast() {
    let (values, path) = blobs(50, false, "shift");
    let far: Vec<f64> = values
        .iter()
        .enumerate()
        .map(|(i, v)| if i % 3 == 0 { v + 1e8 } else { *v })
        .collect();
    let mut bytes = std::fs::read(&path).unwrap();
    let start = bytes.len() - far.len() * 8;
    bytes.truncate(start);
    far.iter().for_each(|v| bytes.extend(v.to_le_bytes()));
    std::fs::write(&path, bytes).unwrap();
    let csv = path.with_extension("csv");
    let text: String = far
        .chunks(3)
        .map(|r| format!("{:.17e},{:.17e},{:.17e}\n", r[0], r[1], r[2]))
        .collect();
    std::fs::write(&csv, text).unwrap();
    let shift = vec![1e8, 0.5, -0.25];
    // What f32 holds of the shifted rows.
    let want: Vec<f64> = far
        .iter()
        .enumerate()
        .map(|(i, v)| f64::from((v - shift[i % 3]) as f32))
        .collect();
    type F = burn_ndarray::NdArray<f32>;
    let dev = Default::default();
    let npy = NpySource::<F>::open(&path, &dev, DType::F32)
        .unwrap()
        .with_batch_rows(16);
    let csv_source = mixture_io::CsvSource::<F>::open(&csv, b',', false, &dev, DType::F32)
        .unwrap()
        .with_batch_rows(16);
    let rows = |s: &dyn DataSource<F>| {
        let mut got = Vec::new();
        s.for_each_batch(&mut |b| {
            got.extend(to_vec_f64(b.x).unwrap());
            Ok(())
        })
        .unwrap();
        got
    };
    assert_eq!(rows(&npy.clone().with_shift(shift.clone()).unwrap()), want);
    assert_eq!(
        rows(&csv_source.clone().with_shift(shift.clone()).unwrap()),
        want
    );
    // Unshifted, the cast rounds 10⁸ + x to a multiple of 8.
    assert!(rows(&npy).iter().step_by(3).all(|v| v % 8.0 == 0.0));
    // The host pass serves the file's values in f64, unshifted, batch by batch.
    let mut host = Vec::new();
    npy.for_each_host_batch(&mut |v| {
        host.extend_from_slice(v);
        Ok(())
    })
    .unwrap();
    assert_eq!(host, far);
    let mut host = Vec::new();
    csv_source
        .for_each_host_batch(&mut |v| {
            host.extend_from_slice(v);
            Ok(())
        })
        .unwrap();
    assert_eq!(host, far);
    let e = npy.with_shift(vec![1.0]).unwrap_err();
    assert!(
        matches!(
            e,
            mixture_core::Error::DimensionMismatch {
                expected: 3,
                found: 1,
                ..
            }
        ),
        "{e}"
    );
    std::fs::remove_file(&path).ok();
    std::fs::remove_file(&csv).ok();
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
        same_variational_fit(&streamed, &memory, &ct.to_string());
    }
    std::fs::remove_file(&path).ok();
    // The variational mixture takes no sample weights (nor does scikit-learn's): a source
    // whose batches carry them is refused with a typed error, not fitted without them.
    let w: Tensor<B, 1> = Tensor::ones([n], &dev);
    let weighted =
        mixture_core::TensorSource::new(mixture_core::Batch::new(x).with_weight(w), Some(256));
    let e = BayesianGaussianMixtureConfig::new(4)
        .fit_source(&weighted, &mut NoopObserver)
        .unwrap_err();
    assert!(
        matches!(e, mixture_core::Error::InvalidWeights { .. }),
        "{e}"
    );
}

/// A Parquet file (float64, float32, int32 and boolean columns, two row groups) streams to
/// the in-memory fit of the same values; a shard serves its rows; a text column and a
/// missing value are refused with their names.
#[test]
fn a_parquet_file_streams_like_memory() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, BooleanArray, Float32Array, Float64Array, Int32Array};
    use arrow_array::{RecordBatch, StringArray};
    use mixture_io::ParquetSource;

    let n = 1500;
    let a: Vec<f64> = (0..n)
        .map(|i| [0.0, 6.0, -5.0][i % 3] + (i % 17) as f64 / 9.0)
        .collect();
    let b: Vec<f32> = (0..n).map(|i| ((i * 7) % 23) as f32 / 5.0).collect();
    let c: Vec<i32> = (0..n)
        .map(|i| (i % 3) as i32 * 4 + (i % 5) as i32)
        .collect();
    let flag: Vec<bool> = (0..n).map(|i| i % 4 == 0).collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("a", Arc::new(Float64Array::from(a.clone()))),
        ("b", Arc::new(Float32Array::from(b.clone()))),
        ("c", Arc::new(Int32Array::from(c.clone()))),
        ("flag", Arc::new(BooleanArray::from(flag.clone()))),
    ];
    let write = |path: &std::path::Path, columns: Vec<(&str, ArrayRef)>| {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(1000))
            .build();
        let file = std::fs::File::create(path).unwrap();
        let mut w =
            parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    };
    let dir = std::env::temp_dir();
    let path = dir.join(format!("mixture-streaming-{}.parquet", std::process::id()));
    write(&path, columns.clone());
    let values: Vec<f64> = (0..n)
        .flat_map(|i| {
            [
                a[i],
                f64::from(b[i]),
                f64::from(c[i]),
                f64::from(u8::from(flag[i])),
            ]
        })
        .collect();
    let dev = Default::default();
    let x: Tensor<B, 2> = from_f64(values.clone(), [n, 4], &dev, DType::F64);
    let source = ParquetSource::<B>::open(&path, &dev, DType::F64)
        .unwrap()
        .with_batch_rows(400);
    assert_eq!((source.n_samples(), source.n_features()), (n, 4));
    for ct in CovarianceType::ALL {
        let config = GaussianMixtureConfig::new(3)
            .with_covariance_type(ct)
            .with_reg_covar(1e-3)
            .with_seed(1);
        let streamed = config.fit_source(&source, &mut NoopObserver).unwrap();
        let memory = config.fit(&x).unwrap();
        let (p, q) = (streamed.lower_bound(), memory.lower_bound());
        assert!((p - q).abs() < 1e-9 * q.abs(), "{ct}: {p} vs {q}");
        assert_eq!(streamed.n_iter(), memory.n_iter(), "{ct}");
    }
    // A shard across the row groups.
    let shard = ParquetSource::<B>::open(&path, &dev, DType::F64)
        .unwrap()
        .with_rows(900..1100)
        .with_batch_rows(64);
    let mut got = Vec::new();
    shard
        .for_each_batch(&mut |batch| {
            got.extend(to_vec_f64(batch.x).unwrap());
            Ok(())
        })
        .unwrap();
    assert_eq!(got, values[900 * 4..1100 * 4].to_vec());
    // The shard shifted on the host, and its host pass unshifted.
    let shift = vec![1.0, -2.0, 0.5, 0.25];
    let mut got = Vec::new();
    shard
        .clone()
        .with_shift(shift.clone())
        .unwrap()
        .for_each_batch(&mut |batch| {
            got.extend(to_vec_f64(batch.x).unwrap());
            Ok(())
        })
        .unwrap();
    let want: Vec<f64> = values[900 * 4..1100 * 4]
        .iter()
        .enumerate()
        .map(|(i, v)| v - shift[i % 4])
        .collect();
    assert_eq!(got, want);
    let mut host = Vec::new();
    shard
        .for_each_host_batch(&mut |v| {
            host.extend_from_slice(v);
            Ok(())
        })
        .unwrap();
    assert_eq!(host, values[900 * 4..1100 * 4].to_vec());
    // A text column, a missing value.
    let mut text = columns.clone();
    text.push(("name", Arc::new(StringArray::from(vec!["x"; n]))));
    write(&path, text);
    let e = ParquetSource::<B>::open(&path, &dev, DType::F64).unwrap_err();
    assert!(e.to_string().contains("column `name` is Utf8"), "{e}");
    let mut holes: Vec<Option<f64>> = a.iter().copied().map(Some).collect();
    holes[1234] = None;
    write(
        &path,
        vec![("a", Arc::new(Float64Array::from(holes)) as ArrayRef)],
    );
    let source = ParquetSource::<B>::open(&path, &dev, DType::F64).unwrap();
    let e = GaussianMixtureConfig::new(2)
        .fit_source(&source, &mut NoopObserver)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("row 1234 (0-based), column `a` is missing"),
        "{e}"
    );
    std::fs::remove_file(&path).ok();
}

/// Centred data fitted in memory take their statistics about the origin (their diagonal and
/// spherical features then hold the rows, not a centred copy: the data once in memory), and
/// give the fit that the same rows streamed, about their computed mean, give: every
/// covariance type, both initialisations, with the features kept and without (a batch size).
/// (Full covariances from random responsibilities are left out: on these data that path
/// turns differences of 1e-15 at iteration 5 into 1e-9 by iteration 10, whatever the centre.)
#[test]
fn centred_data_fit_about_the_origin_as_streamed_about_their_mean() {
    let (x, source) = centred_blobs(1201, 200);
    for ct in CovarianceType::ALL {
        for init in [InitMethod::Random, InitMethod::KMeans] {
            if (ct, init) == (CovarianceType::Full, InitMethod::Random) {
                continue;
            }
            for batch in [None, Some(300)] {
                let config = GaussianMixtureConfig::new(3)
                    .with_covariance_type(ct)
                    .with_init(init)
                    .with_batch_size(batch)
                    .with_seed(3);
                let memory = config.fit(&x).unwrap();
                let streamed = config.fit_source(&source, &mut NoopObserver).unwrap();
                let what = format!("{ct} {init} batch {batch:?}");
                assert_eq!(
                    to_vec_f64(memory.components().center()).unwrap(),
                    vec![0.0; 3],
                    "{what}"
                );
                assert!(
                    to_vec_f64(streamed.components().center())
                        .unwrap()
                        .iter()
                        .all(|c| *c != 0.0 && c.abs() < 1e-12),
                    "{what}"
                );
                same_em_fit(&streamed, &memory, &what);
            }
        }
    }
}

/// The variational mixture too: centred data fitted in memory take their statistics about the
/// origin (the prior's mean stays the data's mean) and give the streamed fit's bound and
/// weights, every covariance type.
#[test]
fn centred_data_fit_variationally_about_the_origin_as_streamed() {
    use mixture_em::BayesianGaussianMixtureConfig;
    let (x, source) = centred_blobs(1500, 256);
    for ct in CovarianceType::ALL {
        let config = BayesianGaussianMixtureConfig::new(4)
            .with_covariance_type(ct)
            .with_init(InitMethod::Random)
            .with_seed(5);
        let memory = config.fit(&x).unwrap();
        let streamed = config.fit_source(&source, &mut NoopObserver).unwrap();
        assert_eq!(
            to_vec_f64(memory.components().center()).unwrap(),
            vec![0.0; 3],
            "{ct}"
        );
        same_variational_fit(&streamed, &memory, &ct.to_string());
    }
}
