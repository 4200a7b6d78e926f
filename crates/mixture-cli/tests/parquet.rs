//! `mixture fit` and `mixture kmeans` on a Parquet file (a build with `--features parquet`;
//! CI runs it with the MPI tests): the file streams to the fit of the same values from CSV.
#![cfg(feature = "parquet")]

use std::sync::Arc;

mod common;

use arrow_array::{ArrayRef, Float32Array, Int64Array, RecordBatch};
use common::json;

#[test]
fn parquet_input_fits_like_the_same_values_in_csv() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mixture-parquet");
    std::fs::create_dir_all(&dir).expect("scratch");
    let n = 900;
    let a: Vec<f32> = (0..n)
        .map(|i| [0.0, 5.0, -4.0][i % 3] + (i % 11) as f32 / 8.0)
        .collect();
    let b: Vec<i64> = (0..n)
        .map(|i| (i % 3) as i64 * 3 + (i % 4) as i64)
        .collect();
    let batch = RecordBatch::try_from_iter([
        ("a", Arc::new(Float32Array::from(a.clone())) as ArrayRef),
        ("b", Arc::new(Int64Array::from(b.clone())) as ArrayRef),
    ])
    .expect("batch");
    let parquet = dir.join("x.parquet");
    let file = std::fs::File::create(&parquet).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    let csv = dir.join("x.csv");
    let text: String = std::iter::once("a,b\n".to_string())
        .chain((0..n).map(|i| format!("{},{}\n", f64::from(a[i]), b[i])))
        .collect();
    std::fs::write(&csv, text).expect("csv");
    let (p, c) = (
        parquet.to_str().expect("utf-8"),
        csv.to_str().expect("utf-8"),
    );
    let from_parquet = json(&["fit", "--input", p, "-k", "3", "--json"]);
    let from_csv = json(&["fit", "--input", c, "--stream", "-k", "3", "--json"]);
    assert_eq!(from_parquet["n_samples"], n);
    assert_eq!(from_parquet["means"], from_csv["means"]);
    assert_eq!(from_parquet["lower_bound"], from_csv["lower_bound"]);
    let km = json(&["kmeans", "--input", p, "-k", "3", "--json"]);
    let km_csv = json(&["kmeans", "--input", c, "--stream", "-k", "3", "--json"]);
    assert_eq!(km["cluster_centers"], km_csv["cluster_centers"]);
}
