//! End-to-end tests of the `mixture` binary: the bundled iris fit against scikit-learn, the
//! save/predict round trip, and one clean error line for every kind of bad input.

mod common;

use std::path::PathBuf;

use common::{f, json, mixture, npy, ok, scratch_in};
use serde_json::Value;

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    scratch_in("mixture-cli", name)
}

/// The bundled iris features (no species column) as CSV text with a header.
fn iris_features_csv() -> String {
    let text = include_str!("../data/iris.csv");
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.rsplit_once(',').expect("5 columns").0.to_string() + "\n")
        .collect()
}

/// The iris features as `[150][4]`.
fn iris_rows() -> Vec<Vec<f64>> {
    iris_features_csv()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().expect("number")).collect())
        .collect()
}

#[test]
fn default_fit_is_iris_with_three_components() {
    let v = json(&["fit", "--json"]);
    assert_eq!(v["n_samples"], 150);
    assert_eq!(v["n_features"], 4);
    assert_eq!(v["n_components"], 3);
    assert_eq!(v["covariance_type"], "full");
    assert_eq!(v["backend"], "flex");
    assert_eq!(v["dtype"], "f32");
    assert_eq!(v["converged"], true);
    let weights: Vec<f64> = v["weights"].as_array().unwrap().iter().map(f).collect();
    assert_eq!(weights.len(), 3);
    // f32 weights: the sum is one to a few ulps of f32.
    assert!(
        (weights.iter().sum::<f64>() - 1.0).abs() < 1e-5,
        "{weights:?}"
    );
    assert_eq!(v["means"].as_array().unwrap().len(), 3);
    assert_eq!(v["means"][0].as_array().unwrap().len(), 4);
    assert!(f(&v["fit_seconds"]) >= 0.0);
    // scikit-learn 1.9.1, GaussianMixture(3).fit(iris) with default tol 1e-3: score -1.20131,
    // lower bound -1.20147, BIC 580.861, AIC 448.393 for every random_state in 0..20. Our
    // k-means initialisation is not scikit-learn's, so the stopping point differs within tol:
    // the score must agree to 1e-3 (the tolerance on the bound), BIC/AIC to 2·N·1e-3 = 0.3.
    let score = f(&v["mean_log_likelihood"]);
    assert!((score - -1.20131).abs() < 1e-3, "score {score}");
    assert!(
        (f(&v["lower_bound"]) - -1.20147).abs() < 1e-3,
        "{}",
        v["lower_bound"]
    );
    assert!((f(&v["bic"]) - 580.861).abs() < 0.3, "{}", v["bic"]);
    assert!((f(&v["aic"]) - 448.393).abs() < 0.3, "{}", v["aic"]);
    // The three components are the three species (up to 5 versicolor/virginica swaps).
    let table = &v["class_table"]["counts"];
    let setosa: Vec<u64> = (0..3).map(|k| table[k][0].as_u64().unwrap()).collect();
    assert!(setosa.contains(&50), "{table}");
}

#[test]
fn converged_fits_match_scikit_learn_in_f64() {
    // scikit-learn 1.9.1: GaussianMixture(3, covariance_type=ct, tol=1e-10, max_iter=10000)
    // on iris, the same optimum for random_state 0..10 (score, BIC, AIC).
    let reference = [
        ("full", -1.201236517, 580.838908, 448.370955),
        ("tied", -1.709026955, 632.963334, 560.708086),
        ("diag", -2.047850478, 744.631661, 666.355143),
        ("spherical", -2.562093967, 853.808990, 802.628190),
    ];
    for (ct, score, bic, aic) in reference {
        let v = json(&[
            "fit",
            "--json",
            "--dtype",
            "f64",
            "--covariance",
            ct,
            "--tol",
            "1e-10",
            "--max-iter",
            "10000",
        ]);
        assert_eq!(v["dtype"], "f64");
        assert_eq!(v["converged"], true, "{ct}");
        // Converged to 1e-10 in f64 on both sides: agree to 1e-6 relative (the reference has
        // 9-10 significant digits).
        let rel = |a: f64, b: f64| ((a - b) / b).abs();
        assert!(
            rel(f(&v["mean_log_likelihood"]), score) < 1e-6,
            "{ct}: {}",
            v["mean_log_likelihood"]
        );
        assert!(rel(f(&v["bic"]), bic) < 1e-6, "{ct}: {}", v["bic"]);
        assert!(rel(f(&v["aic"]), aic) < 1e-6, "{ct}: {}", v["aic"]);
    }
}

#[test]
fn text_report_is_readable() {
    let text = ok(&["fit"]);
    for needle in [
        "150 samples x 4 features",
        "3, full covariance",
        "converged            yes",
        "mean log-likelihood",
        "lower bound",
        "BIC",
        "AIC",
        "fit time",
        "petal_length",
        "component \\ species",
        "versicolor",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn options_reach_the_fit() {
    let v = json(&[
        "fit",
        "--json",
        "-k",
        "2",
        "--covariance",
        "diag",
        "--init",
        "k-means++",
        "--n-init",
        "2",
        "--seed",
        "7",
        "--batch-size",
        "40",
        "--max-iter",
        "50",
        "--reg-covar",
        "1e-4",
    ]);
    assert_eq!(v["n_components"], 2);
    assert_eq!(v["covariance_type"], "diag");
    assert_eq!(v["init"], "k-means++");
    assert_eq!(
        (v["n_init"].clone(), v["seed"].clone()),
        (2.into(), 7.into())
    );
    assert_eq!(v["batch_size"], 40);
    assert_eq!(v["weights"].as_array().unwrap().len(), 2);
    assert!(v["n_iter"].as_u64().unwrap() <= 50);
}

/// `--statistics-centre component-means` reaches the fit and, in f64 on iris (where the data
/// mean loses nothing), gives the fit about the data mean to rounding, for a full and a
/// diagonal model; the report says which centre was used.
#[test]
fn component_means_centre_reaches_the_fit_and_agrees_in_f64() {
    for covariance in ["full", "diag"] {
        let base = [
            "fit",
            "--json",
            "--dtype",
            "f64",
            "--covariance",
            covariance,
        ];
        let plain = json(&base);
        let shifted = json(&[&base[..], &["--statistics-centre", "component-means"]].concat());
        assert_eq!(plain["statistics_centre"], "data-mean");
        assert_eq!(shifted["statistics_centre"], "component-means");
        let (a, b) = (
            f(&plain["mean_log_likelihood"]),
            f(&shifted["mean_log_likelihood"]),
        );
        assert!((a - b).abs() < 1e-9 * a.abs(), "{covariance}: {a} vs {b}");
        assert_eq!(plain["n_iter"], shifted["n_iter"]);
        let means = |v: &Value| -> Vec<f64> {
            v["means"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(f).collect::<Vec<_>>())
                .collect()
        };
        for (p, q) in means(&plain).iter().zip(&means(&shifted)) {
            assert!(
                (p - q).abs() < 1e-9 * (1.0 + p.abs()),
                "{covariance}: {p} vs {q}"
            );
        }
    }
    let text = ok(&[
        "fit",
        "--statistics-centre",
        "component-means",
        "--no-progress",
    ]);
    assert!(
        text.contains("second moments about the component means"),
        "{text}"
    );
}

#[test]
fn csv_and_npy_inputs_give_the_same_fit() {
    let dir = scratch("inputs");
    let csv = dir.join("iris.csv");
    std::fs::write(&csv, iris_features_csv()).unwrap();
    let npy8 = dir.join("iris8.npy");
    std::fs::write(&npy8, npy(&iris_rows(), false)).unwrap();
    let npy4 = dir.join("iris4.npy");
    std::fs::write(&npy4, npy(&iris_rows(), true)).unwrap();
    let fit = |p: &PathBuf| {
        json(&[
            "fit",
            "--json",
            "--dtype",
            "f64",
            "--input",
            p.to_str().unwrap(),
        ])
    };
    let a = fit(&csv);
    let b = fit(&npy8);
    let c = fit(&npy4);
    assert_eq!(a["feature_names"][2], "petal_length");
    assert_eq!(b["feature_names"][2], "x2");
    assert_eq!(a["means"], b["means"]);
    assert_eq!(a["mean_log_likelihood"], b["mean_log_likelihood"]);
    // f4 storage rounds the data to f32 (relative 6e-8): the fit moves by far less than 1e-5.
    assert!((f(&a["mean_log_likelihood"]) - f(&c["mean_log_likelihood"])).abs() < 1e-5);

    // The same values as a `;`-separated CSV with a byte-order mark and CRLF line ends, and
    // (times ten, so that they are integers) as an int64 array in Fortran order: the same fit,
    // and the report says how the file was read.
    let semicolons = dir.join("iris-semicolons.csv");
    let text = format!("\u{feff}{}", iris_features_csv())
        .replace(',', ";")
        .replace('\n', "\r\n");
    std::fs::write(&semicolons, text).unwrap();
    let d = fit(&semicolons);
    assert_eq!(
        (&d["means"], &d["feature_names"]),
        (&a["means"], &a["feature_names"])
    );
    assert_eq!(d["data_note"], "`;` as the delimiter");
    let rows = iris_rows();
    let (n, cols) = (rows.len(), rows[0].len());
    let mut ints = format!("{{'descr': '<i8', 'fortran_order': True, 'shape': ({n}, {cols}), }}");
    while (10 + ints.len() + 1) % 64 != 0 {
        ints.push(' ');
    }
    ints.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(ints.len() as u16).to_le_bytes());
    bytes.extend_from_slice(ints.as_bytes());
    for j in 0..cols {
        for row in &rows {
            bytes.extend_from_slice(&((row[j] * 10.0).round() as i64).to_le_bytes());
        }
    }
    let int_path = dir.join("iris-int-fortran.npy");
    std::fs::write(&int_path, bytes).unwrap();
    let e = fit(&int_path);
    assert_eq!(
        e["data_note"],
        "int64 values converted to floats; Fortran order read as rows"
    );
    // Scaled by ten: the same model up to scale; the mean log-likelihood drops by D · ln 10.
    let shift = f(&a["mean_log_likelihood"]) - f(&e["mean_log_likelihood"]);
    assert!((shift - 4.0 * 10f64.ln()).abs() < 1e-6, "{shift}");
}

#[test]
fn save_then_predict_round_trip() {
    let dir = scratch("predict");
    let csv = dir.join("iris.csv");
    std::fs::write(&csv, iris_features_csv()).unwrap();
    let npy_path = dir.join("iris.npy");
    std::fs::write(&npy_path, npy(&iris_rows(), false)).unwrap();
    let model = dir.join("model.json");
    let (csv_s, model_s) = (csv.to_str().unwrap(), model.to_str().unwrap());

    // The bundled fit and the CSV fit are the same data, so the saved model's labels must
    // reproduce the bundled fit's component-vs-species counts.
    let v = json(&["fit", "--json", "--save", model_s]);
    assert_eq!(v["saved_to"], model_s);
    let labels: Vec<usize> = ok(&["predict", "--model", model_s, "--input", csv_s])
        .lines()
        .map(|l| l.parse().expect("one integer label per line"))
        .collect();
    assert_eq!(labels.len(), 150);
    let mut sizes = [0u64; 3];
    for &l in &labels {
        sizes[l] += 1;
    }
    let table = &v["class_table"]["counts"];
    for k in 0..3 {
        let row: u64 = (0..3).map(|c| table[k][c].as_u64().unwrap()).sum();
        assert_eq!(sizes[k], row, "component {k}");
    }

    // Probabilities: CSV rows that sum to one and peak at the label.
    let proba = ok(&["predict", "--model", model_s, "--input", csv_s, "--proba"]);
    let rows: Vec<Vec<f64>> = proba
        .lines()
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 150);
    for (row, &label) in rows.iter().zip(&labels) {
        assert_eq!(row.len(), 3);
        // Six printed decimals: the sum is one to 3 × 5e-7.
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 2e-6, "{row:?}");
        let best = row.iter().cloned().fold(f64::MIN, f64::max);
        assert_eq!(row[label], best);
    }

    // .npy input and --json give the same labels.
    let j = json(&[
        "predict",
        "--model",
        model_s,
        "--input",
        npy_path.to_str().unwrap(),
        "--json",
    ]);
    let from_json: Vec<usize> = j["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(from_json, labels);
}

/// Expects failure with `code`, nothing on stdout, and exactly one `error:` line on stderr
/// that contains `needle`.
fn fails(args: &[&str], code: i32, needle: &str) {
    let out = mixture(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
    assert!(lines[0].starts_with("error: "), "{args:?}: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(
        stderr.contains(needle),
        "{args:?}: expected {needle:?} in {stderr}"
    );
}

#[test]
fn bad_input_exits_with_one_error_line() {
    let dir = scratch("bad");
    let file = |name: &str, body: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let non_numeric = file("non_numeric.csv", b"a,b\n1,2\n3,oops\n");
    let nan = file("nan.csv", b"1,2\nNaN,4\n5,6\n");
    let inf = file("inf.csv", b"1,2\n3,inf\n5,6\n");
    let ragged = file("ragged.csv", b"1,2\n3\n5,6\n");
    let empty = file("empty.csv", b"");
    let header_only = file("header_only.csv", b"a,b\n");
    let two_rows = file("two_rows.csv", b"1,2\n3,4\n");
    let three_cols = file("three_cols.csv", b"1,2,3\n4,5,6\n");
    let one_d = file("one_d.npy", &{
        let mut b = npy(&[vec![1.0], vec![2.0]], false);
        let text = "'shape': (2, 1)";
        let at = b
            .windows(text.len())
            .position(|w| w == text.as_bytes())
            .unwrap();
        b[at..at + text.len()].copy_from_slice(b"'shape': (2,)  ");
        b
    });
    let missing = dir.join("missing.csv").to_str().unwrap().to_string();

    fails(&["fit", "--input", &missing], 2, "no such file");
    fails(
        &["fit", "--input", &non_numeric],
        2,
        "line 3, column 2: cell \"oops\" is not a number",
    );
    fails(&["fit", "--input", &nan], 2, "line 2, column 1");
    fails(&["fit", "--input", &inf], 2, "not finite");
    fails(&["fit", "--input", &ragged], 2, "line 2: 1 field,");
    fails(&["fit", "--input", &empty], 2, "no data rows");
    fails(&["fit", "--input", &header_only], 2, "no data rows");
    fails(&["fit", "--input", &one_d], 2, "2-D");
    fails(&["fit", "--input", &two_rows], 2, "n_components=3");
    fails(
        &["fit", "-k", "151"],
        2,
        "n_samples=150 must be >= n_components=151",
    );
    fails(
        &["fit", "--covariance", "banana"],
        2,
        "possible values: full, tied, diag, spherical",
    );
    fails(&["fit", "--tol", "-1"], 2, "tol");
    fails(&["fit", "--components", "0"], 2, "n_components");
    fails(&["fit", "--max-iter", "many"], 2, "many");
    fails(&["fit", "--dtype", "f16"], 2, "f16");
    fails(
        &["fit", "--method", "gradient", "--save", "m.json"],
        2,
        "--save is available only with --method em",
    );
    fails(&["fit", "--no-such-option"], 2, "--no-such-option");

    // Predict: a model of 4 features against 3 columns; a missing or malformed model.
    let model = dir.join("model.json").to_str().unwrap().to_string();
    ok(&["fit", "--save", &model]);
    fails(
        &["predict", "--model", &model, "--input", &three_cols],
        2,
        "fitted on 4 features",
    );
    fails(
        &["predict", "--model", &missing, "--input", &two_rows],
        2,
        "no such file",
    );
    fails(
        &["predict", "--model", &non_numeric, "--input", &two_rows],
        2,
        "not a model file",
    );
    fails(
        &["predict", "--model", &model, "--input", &nan],
        2,
        "not finite",
    );

    // A run-time failure: the model cannot be written.
    let unwritable = dir
        .join("no/such/dir/model.json")
        .to_str()
        .unwrap()
        .to_string();
    fails(&["fit", "--save", &unwritable], 1, "cannot save the model");
}

#[test]
fn missing_backend_is_a_usage_error() {
    // A GPU backend this binary lacks (CI builds the tests with the wgpu feature).
    let backend = if !cfg!(feature = "wgpu") {
        "wgpu"
    } else if !cfg!(feature = "cuda") {
        "cuda"
    } else {
        return;
    };
    let needle = format!("--features {backend}");
    fails(&["fit", "--backend", backend], 2, &needle);
}

#[test]
fn ndarray_backend_agrees_with_flex() {
    if !cfg!(feature = "ndarray") {
        return;
    }
    for dtype in ["f32", "f64"] {
        let args = |backend| {
            json(&[
                "fit",
                "--json",
                "--backend",
                backend,
                "--dtype",
                dtype,
                "--tol",
                "1e-6",
            ])
        };
        let (a, b) = (args("flex"), args("ndarray"));
        assert_eq!(b["backend"], "ndarray");
        // Same algorithm, same initialisation; only float rounding differs between the
        // backends' kernels: f32 agrees to 1e-4, f64 to 1e-9 (both far above the rounding).
        let tol = if dtype == "f32" { 1e-4 } else { 1e-9 };
        let (sa, sb) = (f(&a["mean_log_likelihood"]), f(&b["mean_log_likelihood"]));
        assert!((sa - sb).abs() < tol, "{dtype}: flex {sa}, ndarray {sb}");
    }
}

#[test]
fn numerical_failures_and_range_errors() {
    let dir = scratch("numerics");
    // Ten copies of one point and one other point: with no covariance regularisation a
    // component's variance is exactly zero, a run-time failure (exit 1) naming the fix.
    let dup: String = (0..10).map(|_| "1,1\n").collect::<String>() + "5,5\n";
    let dup_path = dir.join("dup.csv");
    std::fs::write(&dup_path, dup).unwrap();
    let dup_s = dup_path.to_str().unwrap();
    let dup_f32 = [
        "fit",
        "--input",
        dup_s,
        "-k",
        "2",
        "--covariance",
        "diag",
        "--reg-covar",
        "0",
        "--dtype",
        "f32",
    ];
    fails(&dup_f32, 1, "reg_covar");
    // A failed f32 fit names the other dtypes.
    let out = mixture(&dup_f32);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dtype f64"));
    // 1e300 is finite in the file but not in f32.
    let huge = dir.join("huge.csv");
    std::fs::write(&huge, "1,2\n3,1e300\n5,6\n").unwrap();
    fails(
        &[
            "fit",
            "--input",
            huge.to_str().unwrap(),
            "-k",
            "1",
            "--dtype",
            "f32",
        ],
        2,
        "does not fit in f32",
    );
    // The default (auto) fits such data in f64 and says why.
    let big = dir.join("big.csv");
    std::fs::write(&big, "1,2\n3,1e39\n5,6\n2,2\n").unwrap();
    let v = json(&["fit", "--input", big.to_str().unwrap(), "-k", "1", "--json"]);
    assert_eq!(
        (&v["dtype"], &v["dtype_requested"]),
        (&"f64".into(), &"auto".into())
    );
    assert!(
        v["dtype_note"]
            .as_str()
            .unwrap()
            .contains("beyond f32's range"),
        "{v}"
    );
}

/// `n` rows of two columns, deterministic, spread about 1 around (`a`, `b`).
fn two_columns(n: usize, a: f64, b: f64) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| {
            let t = i as f64 / n as f64;
            vec![a + (t * 37.0).sin() * 1.3, b + (t * 91.0).cos() * 0.7 + t]
        })
        .collect()
}

/// The mean log-likelihood of one diagonal Gaussian fitted to `rows` with `reg_covar` r =
/// 1e-6: `−½ Σ_j (ln 2π + ln(σ_j² + r) + σ_j² / (σ_j² + r))`, with `σ_j²` the column's
/// variance about its mean.
fn one_diagonal_gaussian(rows: &[Vec<f64>]) -> f64 {
    let n = rows.len() as f64;
    (0..rows[0].len())
        .map(|j| {
            let mean = rows.iter().map(|r| r[j]).sum::<f64>() / n;
            let var = rows.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n;
            -0.5 * ((2.0 * std::f64::consts::PI).ln() + (var + 1e-6).ln() + var / (var + 1e-6))
        })
        .sum()
}

#[test]
fn data_far_from_the_origin_are_centred_on_the_host_before_the_f32_cast() {
    let dir = scratch("auto-offset");
    // Spread ~1 about 1e8: the cast to f32 (resolution 8 at 1e8) would destroy the data.
    let rows = two_columns(400, 1e8, -3e8);
    let path = dir.join("offset.npy");
    std::fs::write(&path, npy(&rows, false)).unwrap();
    let p = path.to_str().unwrap();
    let model = dir.join("offset.json");
    let common = [
        "fit",
        "--input",
        p,
        "-k",
        "1",
        "--covariance",
        "diag",
        "--json",
    ];
    let mut saving = common.to_vec();
    saving.extend(["--save", model.to_str().unwrap()]);
    let auto = json(&saving);
    assert_eq!(auto["dtype"], "f32");
    let note = auto["dtype_note"].as_str().unwrap();
    assert!(
        note.contains("round away") && note.contains("centred on the host"),
        "{note}"
    );
    assert!(note.contains("confirmed in f64"), "{note}");
    // The closed form (one Gaussian is fitted exactly in one M-step). The likelihood reported
    // is the f64 score of the f32 parameters, whose variances carry f32's 6e-8 relative
    // rounding: 1e-5 nats is a hundred times what that costs.
    let want = one_diagonal_gaussian(&rows);
    let got = f(&auto["mean_log_likelihood"]);
    assert!(
        (got - want).abs() < 1e-5,
        "auto {got} vs closed form {want}"
    );
    // The means are in the data's units, to f64's precision, in the report and the file.
    let n = rows.len() as f64;
    for j in 0..2 {
        let mean = rows.iter().map(|r| r[j]).sum::<f64>() / n;
        let reported = f(&auto["means"][0][j]);
        assert!(
            (reported - mean).abs() < 1e-6,
            "column {j}: {reported} vs {mean}"
        );
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        assert_eq!(f(&saved["means"][j]), reported);
    }
    // A fixed f32 fit is centred the same way; f64 needs no centring.
    let mut fixed = common.to_vec();
    fixed.extend(["--dtype", "f32"]);
    let f32_fit = json(&fixed);
    assert!(f32_fit["dtype_note"]
        .as_str()
        .unwrap()
        .contains("centred on the host"));
    let got = f(&f32_fit["mean_log_likelihood"]);
    assert!((got - want).abs() < 1e-4, "f32 {got} vs closed form {want}");
    let mut fixed = common.to_vec();
    fixed.extend(["--dtype", "f64"]);
    let f64_fit = json(&fixed);
    assert_eq!(f64_fit["dtype_requested"], "f64");
    assert!(f64_fit.get("dtype_note").is_none(), "{f64_fit}");
    let got = f(&f64_fit["mean_log_likelihood"]);
    assert!((got - want).abs() < 1e-6, "f64 {got} vs closed form {want}");
    // The saved f32 model predicts the raw rows (they are centred, and it is moved, on the
    // host): one component, probability one.
    let out = ok(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--input",
        p,
        "--proba",
    ]);
    assert_eq!(out.lines().count(), rows.len());
    assert!(out.lines().all(|l| l == "1.000000"), "{out}");
    // k-means: f32, centred, its one centre the data's mean to f64's precision.
    let km = json(&["kmeans", "--input", p, "-k", "1", "--json"]);
    assert_eq!(km["dtype"], "f32");
    assert!(km["dtype_note"]
        .as_str()
        .unwrap()
        .contains("centred on the host"));
    for j in 0..2 {
        let mean = rows.iter().map(|r| r[j]).sum::<f64>() / n;
        let centre = f(&km["cluster_centers"][0][j]);
        assert!(
            (centre - mean).abs() < 1e-6,
            "column {j}: {centre} vs {mean}"
        );
    }
}

/// A streamed f32 run of wide data far from the origin (a float64 `.npy`, a CSV) takes the
/// column means off on the host, in f64, before the cast, as an in-memory fit does: fit,
/// k-means and select give the data's means to f64's precision and the closed-form
/// likelihood. (Cast as they are, rows at 1e8 ± 1 become multiples of 8.)
#[test]
fn streamed_f32_runs_centre_far_data_on_the_host() {
    let dir = scratch("stream-offset");
    let rows = two_columns(400, 1e8, -3e8);
    let npy_path = dir.join("offset.npy");
    std::fs::write(&npy_path, npy(&rows, false)).unwrap();
    let csv_path = dir.join("offset.csv");
    let text: String = rows
        .iter()
        .map(|r| format!("{:.17e},{:.17e}\n", r[0], r[1]))
        .collect();
    std::fs::write(&csv_path, text).unwrap();
    let want = one_diagonal_gaussian(&rows);
    let n = rows.len() as f64;
    let means: Vec<f64> = (0..2)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let near = |got: f64, want: f64, what: &str| {
        assert!((got - want).abs() < 1e-6, "{what}: {got} vs {want}");
    };
    for path in [&npy_path, &csv_path] {
        let p = path.to_str().unwrap();
        let model = dir.join("model.json");
        let m = model.to_str().unwrap();
        let stream = [
            "--input", p, "--stream", "--dtype", "f32", "--json", "--save", m,
        ];
        let fit = json(&[&["fit", "-k", "1", "--covariance", "diag"], &stream[..]].concat());
        let what = format!("fit {p}");
        assert_eq!(fit["dtype"], "f32", "{what}");
        let note = fit["dtype_note"].as_str().unwrap();
        assert!(note.contains("centred on the host"), "{what}: {note}");
        let got = f(&fit["mean_log_likelihood"]);
        assert!((got - want).abs() < 1e-4, "{what}: {got} vs {want}");
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        for j in 0..2 {
            near(f(&fit["means"][0][j]), means[j], &what);
            assert_eq!(f(&saved["means"][j]), f(&fit["means"][0][j]), "{what}");
        }
        let km = json(&[&["kmeans", "-k", "1"], &stream[..]].concat());
        assert!(
            km["dtype_note"].as_str().unwrap().contains("centred"),
            "{km}"
        );
        for j in 0..2 {
            near(f(&km["cluster_centers"][0][j]), means[j], "k-means");
        }
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        near(f(&saved["centroids"][1]), means[1], "saved k-means");
        let grid = json(&[&["select", "-k", "1", "-c", "diag"], &stream[..]].concat());
        assert!(
            grid["dtype_note"].as_str().unwrap().contains("centred"),
            "{grid}"
        );
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        for j in 0..2 {
            near(f(&saved["means"][j]), means[j], "select's best model");
        }
    }
    // An f32 file: its cast is exact, no centring (and no extra passes).
    let f32_path = dir.join("offset32.npy");
    std::fs::write(&f32_path, npy(&rows, true)).unwrap();
    let fit = json(&[
        "fit",
        "--input",
        f32_path.to_str().unwrap(),
        "--stream",
        "--dtype",
        "f32",
        "-k",
        "1",
        "--json",
    ]);
    assert!(fit.get("dtype_note").is_none(), "{fit}");
}

#[test]
fn auto_dtype_keeps_f32_when_f64_confirms_it() {
    let v = json(&["fit", "--json"]);
    assert_eq!(
        (&v["dtype"], &v["dtype_requested"]),
        (&"f32".into(), &"auto".into())
    );
    let note = v["dtype_note"].as_str().unwrap();
    assert!(note.contains("confirmed in f64"), "{note}");
    let text = ok(&["fit", "--no-progress"]);
    assert!(
        text.contains("precision") && text.contains("confirmed in f64"),
        "{text}"
    );
}

/// The fitted planes of a `regress --json` report, ordered by their first coefficient.
fn planes(v: &Value) -> Vec<[f64; 2]> {
    let mut planes: Vec<[f64; 2]> = v["experts"]
        .as_array()
        .expect("experts")
        .iter()
        .map(|e| [f(&e["weights"][0]), f(&e["weights"][1])])
        .collect();
    planes.sort_by(|a, b| a[0].total_cmp(&b[0]));
    planes
}

#[test]
fn regress_recovers_the_two_planes() {
    // Issue 3's target: each fitted plane within 1.0 of the true one ([0, 30] and [10, 0])
    // with both gate kinds; the noise is 5 over 100 rows per plane, so the least-squares
    // error of a plane's coefficients is about 5/sqrt(100) = 0.5 per coordinate.
    for gate in ["dirichlet", "softmax"] {
        for seed in ["0", "1"] {
            let v = json(&["regress", "--gate", gate, "--seed", seed, "--json"]);
            let p = planes(&v);
            assert_eq!(p.len(), 2, "{v}");
            for (got, want) in p.iter().zip([[0.0, 30.0], [10.0, 0.0]]) {
                let dist = ((got[0] - want[0]).powi(2) + (got[1] - want[1]).powi(2)).sqrt();
                assert!(dist < 1.0, "{gate} seed {seed}: {got:?} vs {want:?}");
            }
            for key in [
                "train_mse",
                "mean_log_likelihood",
                "fit_seconds",
                "lower_bound",
            ] {
                assert!(f(&v[key]).is_finite(), "{key}: {v}");
            }
            assert!(v["converged"].is_boolean() && v["n_iter"].as_u64().unwrap() >= 1);
            let w: f64 = v["gate_mean_weights"]
                .as_array()
                .unwrap()
                .iter()
                .map(f)
                .sum();
            assert!((w - 1.0).abs() < 1e-4, "{v}");
            for e in v["experts"].as_array().unwrap() {
                assert!(f(&e["noise_variance"]) > 0.0, "{e}");
            }
            // The noise variance is 25; the input-dependent gate gets close to it (oracle
            // ≈ 25; 23–62 seen over seeds), far below MixtureLib's median of 175, which the
            // global Dirichlet gate cannot reach (it averages the planes).
            if gate == "softmax" {
                assert!(f(&v["train_mse"]) < 80.0, "{v}");
            }
        }
    }
    let text = ok(&["regress"]);
    assert!(
        text.contains("Mixture of linear regressions") && text.contains("training MSE"),
        "{text}"
    );
}

#[test]
fn regress_reads_a_file_with_a_named_or_indexed_target() {
    let dir = scratch("regress");
    let v = json(&["regress", "--json", "--no-intercept", "--max-iter", "1"]);
    assert_eq!(v["n_samples"], 200);
    assert!(v["intercept"] == false);
    // The target first, so that name and index must pick the same column.
    let mut csv = String::from("y,x1,x2\n");
    // A small exact file: y = 2 x1 - x2 on half the rows, y = -3 x1 on the other half.
    for i in 0..40 {
        let (a, b) = ((i % 7) as f64 - 3.0, (i % 5) as f64 - 2.0);
        let y = if i % 2 == 0 { 2.0 * a - b } else { -3.0 * a };
        csv.push_str(&format!("{y},{a},{b}\n"));
    }
    let path = dir.join("planes.csv");
    std::fs::write(&path, csv).unwrap();
    let p = path.to_str().unwrap();
    let by_name = json(&["regress", "--input", p, "--target", "y", "--json"]);
    let by_index = json(&["regress", "--input", p, "--target", "0", "--json"]);
    assert_eq!(by_name["target"], "y");
    assert_eq!(by_name["feature_names"], serde_json::json!(["x1", "x2"]));
    assert_eq!(by_name["experts"], by_index["experts"]);
}

#[test]
fn regress_saves_the_fitted_model() {
    let dir = scratch("regress-save");
    let path = dir.join("moe.json");
    let p = path.to_str().unwrap();
    let v = json(&["regress", "--max-iter", "5", "--save", p, "--json"]);
    assert_eq!(v["saved_to"], p);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["format"], "mixture.mixture-of-experts");
    assert_eq!(saved["gate"]["kind"], "dirichlet");
    assert_eq!(saved["n_iter"], v["n_iter"]);
    // The experts' posterior means: [K, D + 1, 1], the intercept last, as the report's.
    let mean: Vec<f64> = saved["experts"]["mean"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    for (k, e) in v["experts"].as_array().unwrap().iter().enumerate() {
        assert_eq!(mean[3 * k], f(&e["weights"][0]));
        assert_eq!(mean[3 * k + 1], f(&e["weights"][1]));
        assert_eq!(mean[3 * k + 2], f(&e["intercept"]));
    }
    let text = ok(&["regress", "--max-iter", "5", "--save", p]);
    assert!(text.contains("saved to"), "{text}");

    // `predict` with the saved model on the bundled inputs reproduces the training MSE.
    let data = mixture::em::experts::two_planes(200, 5.0, 0);
    let mut csv = String::from("x1,x2\n");
    for i in 0..200 {
        csv.push_str(&format!("{},{}\n", data.x[2 * i], data.x[2 * i + 1]));
    }
    let inputs = dir.join("x.csv");
    std::fs::write(&inputs, csv).unwrap();
    let x = inputs.to_str().unwrap();
    let pred = json(&["predict", "--model", p, "--input", x, "--json", "--proba"]);
    let rows = pred["predictions"].as_array().unwrap();
    assert_eq!(rows.len(), 200);
    let mse = rows
        .iter()
        .zip(&data.y)
        .map(|(r, y)| (f(&r[0]) - y).powi(2))
        .sum::<f64>()
        / 200.0;
    let want = f(&v["train_mse"]);
    // The same f32 model and inputs; the report sums in f32 on the device, this in f64.
    assert!((mse - want).abs() < 1e-4 * want, "{mse} vs {want}");
    for w in pred["gate_weights"].as_array().unwrap() {
        assert!((f(&w[0]) + f(&w[1]) - 1.0).abs() < 1e-6, "{w}");
    }
    let lines = ok(&["predict", "--model", p, "--input", x]);
    assert_eq!(lines.lines().count(), 200);
    fails(
        &[
            "predict",
            "--model",
            p,
            "--input",
            dir.join("moe.json").to_str().unwrap(),
        ],
        2,
        "",
    );
    fails(
        &[
            "regress",
            "--save",
            dir.join("no/such/dir/m.json").to_str().unwrap(),
        ],
        1,
        "cannot save the model",
    );
}

#[test]
fn regress_bad_input_exits_with_one_error_line() {
    let dir = scratch("regress-bad");
    let good = dir.join("good.csv");
    std::fs::write(&good, "a,b,c\n1,2,3\n4,5,6\n7,8,10\n").unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "a,b,c\n1,2,3\n4,oops,6\n").unwrap();
    let good = good.to_str().unwrap();
    fails(
        &["regress", "--input", good, "--target", "price"],
        2,
        "no column named \"price\"",
    );
    fails(
        &["regress", "--input", good, "--target", "7"],
        2,
        "out of range",
    );
    fails(
        &["regress", "--input", bad.to_str().unwrap(), "--target", "c"],
        2,
        "\"oops\" is not a number",
    );
    fails(
        &[
            "regress",
            "--input",
            "/nonexistent/data.csv",
            "--target",
            "c",
        ],
        2,
        "cannot read /nonexistent/data.csv",
    );
    fails(&["regress", "--gate", "banana"], 2, "banana");
}

#[test]
fn gradient_fit_on_iris() {
    // A diagonal mixture by Adam reaches EM's mean log-likelihood on iris within 1%
    // (issue 4's target; EM diag: -2.0478, the gradient fit -2.0457 in 300 steps).
    let em = json(&["fit", "--covariance", "diag", "--json"]);
    let v = json(&[
        "fit",
        "--method",
        "gradient",
        "--family",
        "diagonal",
        "--iterations",
        "300",
        "--mixture-lr",
        "0.05",
        "--component-lr",
        "0.05",
        "--json",
    ]);
    assert_eq!(v["method"], "gradient");
    assert_eq!(v["covariance_type"], "diagonal");
    let (ll, ll_em) = (f(&v["mean_log_likelihood"]), f(&em["mean_log_likelihood"]));
    assert!(
        (ll - ll_em).abs() < 0.01 * ll_em.abs(),
        "{ll} vs EM {ll_em}"
    );
    // The loss is the negative mean log-likelihood (no prior).
    assert!((f(&v["final_loss"]) + ll).abs() < 1e-3, "{v}");
    for key in ["n_iter", "fit_seconds", "bic", "aic"] {
        assert!(v[key].is_number(), "{key}: {v}");
    }
    assert!(v["converged"].is_boolean());
    let w: f64 = v["weights"].as_array().unwrap().iter().map(f).sum();
    assert!((w - 1.0).abs() < 1e-4, "{v}");
    assert_eq!(v["means"].as_array().unwrap().len(), 3);
    assert!(em.get("final_loss").is_none());
    // Every family runs.
    for family in ["full", "isotropic", "shared-isotropic", "constant"] {
        let v = json(&[
            "fit",
            "--method",
            "gradient",
            "--family",
            family,
            "--iterations",
            "20",
            "--json",
        ]);
        assert!(f(&v["mean_log_likelihood"]).is_finite(), "{family}: {v}");
    }
    fails(
        &["fit", "--method", "gradient", "--family", "banana"],
        2,
        "banana",
    );
}

#[test]
fn gradient_priors_reach_the_loss() {
    let base = [
        "fit",
        "--method",
        "gradient",
        "--family",
        "diagonal",
        "--iterations",
        "200",
        "--json",
    ];
    let plain = json(&base);
    // Without a prior the loss is the mean negative log-likelihood.
    assert!((f(&plain["final_loss"]) + f(&plain["mean_log_likelihood"])).abs() < 1e-4);
    let mut with_prior = base.to_vec();
    with_prior.extend(["--prior-softball", "8,5", "--prior-dirichlet", "2"]);
    with_prior.extend(["--prior-weighting", "per-sample"]);
    let prior = json(&with_prior);
    // Weighed once per sample, the (negative) log-prior dominates the loss.
    assert!(f(&prior["final_loss"]) > f(&plain["final_loss"]) + 1.0);
    let out = mixture(&["fit", "--method", "gradient", "--prior-softball", "8"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("two comma-separated numbers"), "{err}");
}

/// scikit-learn 1.9.1, `KMeans(3, n_init=10, random_state=0).fit(iris)`: the better of the two
/// optima k-means finds on iris (clusters of 38, 50 and 62 rows; the other optimum, 78.855666,
/// has 39, 50 and 61). Centres in the order of their first feature.
const IRIS_KMEANS_INERTIA: f64 = 78.851441426146;
const IRIS_KMEANS_CENTRES: [[f64; 4]; 3] = [
    [5.006, 3.428, 1.4620000000000002, 0.24600000000000055],
    [
        5.901612903225806,
        2.7483870967741937,
        4.393548387096774,
        1.4338709677419355,
    ],
    [
        6.85,
        3.0736842105263156,
        5.742105263157894,
        2.0710526315789473,
    ],
];

/// The centres of a `mixture kmeans --json` report, in the order of their first feature.
fn sorted_centres(v: &Value) -> Vec<Vec<f64>> {
    let mut c: Vec<Vec<f64>> = v["cluster_centers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(f).collect())
        .collect();
    c.sort_by(|a, b| a[0].total_cmp(&b[0]));
    c
}

#[test]
fn kmeans_on_iris_matches_scikit_learn() {
    // f64, ten restarts: scikit-learn's best optimum, to rounding (the centres are means of
    // 38 to 62 rows of two-decimal data; 1e-12 relative is a few ulps of their sums).
    let v = json(&["kmeans", "--n-init", "10", "--dtype", "f64", "--json"]);
    assert_eq!(
        (v["dtype"].as_str(), v["n_clusters"].as_u64()),
        (Some("f64"), Some(3))
    );
    let inertia = f(&v["inertia"]);
    assert!(
        (inertia - IRIS_KMEANS_INERTIA).abs() < 1e-12 * IRIS_KMEANS_INERTIA,
        "{inertia}"
    );
    for (ours, theirs) in sorted_centres(&v).iter().zip(&IRIS_KMEANS_CENTRES) {
        for (a, b) in ours.iter().zip(theirs) {
            assert!((a - b).abs() < 1e-12, "{ours:?} vs {theirs:?}");
        }
    }
    let labels = v["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 150);
    let mut sizes: Vec<u64> = v["cluster_sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    sizes.sort();
    assert_eq!(sizes, [38, 50, 62]);
    assert!(v["converged"].as_bool().unwrap() && v["n_iter"].as_u64().unwrap() >= 1);
    // The class table counts every row once; setosa is one cluster of its own.
    let table = &v["class_table"]["counts"];
    let total: u64 = (0..3)
        .flat_map(|k| (0..3).map(move |c| (k, c)))
        .map(|(k, c)| table[k][c].as_u64().unwrap())
        .sum();
    assert_eq!(total, 150);
    assert!((0..3).any(|k| table[k][0].as_u64() == Some(50)));

    // The default (auto: f32 here, one restart) lands on one of iris's two optima.
    let v = json(&["kmeans", "--json"]);
    assert_eq!(v["dtype"], "f32");
    let inertia = f(&v["inertia"]);
    let optimum = [IRIS_KMEANS_INERTIA, 78.85566582597731]
        .iter()
        .any(|o| (inertia - o).abs() < 1e-5 * o);
    assert!(optimum, "{inertia}");
}

#[test]
fn kmeans_report_save_and_predict() {
    let dir = scratch("kmeans");
    let csv = dir.join("iris.csv");
    std::fs::write(&csv, iris_features_csv()).unwrap();
    let model = dir.join("kmeans.json");
    let (csv_s, model_s) = (csv.to_str().unwrap(), model.to_str().unwrap());

    let text = ok(&[
        "kmeans", "--input", csv_s, "-k", "2", "--seed", "3", "--save", model_s,
    ]);
    for needle in [
        "k-means on",
        "150 samples x 4 features",
        "inertia",
        "saved to",
        "sepal_length",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    let v = json(&[
        "kmeans", "--input", csv_s, "-k", "2", "--seed", "3", "--json",
    ]);
    let fitted: Vec<u64> = v["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_u64().unwrap())
        .collect();
    // The saved model assigns the training rows to the clusters the fit reported.
    let predicted: Vec<u64> = ok(&["predict", "--model", model_s, "--input", csv_s])
        .lines()
        .map(|l| l.parse().expect("one integer label per line"))
        .collect();
    assert_eq!(predicted, fitted);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(
        (saved["format"].as_str(), saved["dtype"].as_str()),
        (Some("mixture.kmeans"), Some("f32"))
    );
    fails(
        &["predict", "--model", model_s, "--input", csv_s, "--proba"],
        2,
        "no probabilities",
    );
    fails(&["kmeans", "-k", "0"], 2, "n_clusters");
    fails(&["kmeans", "-k", "151"], 2, "151");
    fails(&["kmeans", "--tol", "-1"], 2, "tol");
    fails(&["kmeans", "--init", "banana"], 2, "banana");
}

/// scikit-learn 1.9.1, `GaussianMixture(K, covariance_type=t, n_init=10, random_state=0)` on
/// iris: BIC for K = 1 (one component: the sample mean and covariance, no local optima) in the
/// order full, tied, diag, spherical, and the best cell of K = 1..4 (K = 2, full).
const IRIS_BIC_K1: [f64; 4] = [
    829.9781545093944,
    829.9781545093941,
    1522.1201527259473,
    1804.0854378863544,
];
const IRIS_BIC_BEST: f64 = 574.017832720746;

#[test]
fn select_on_iris_finds_scikit_learns_best_and_draws_it() {
    let dir = scratch("select");
    let (best, png) = (dir.join("best.json"), dir.join("bic.png"));
    let (best_s, png_s) = (best.to_str().unwrap(), png.to_str().unwrap());
    let v = json(&[
        "select",
        "-k",
        "1..4",
        "--n-init",
        "10",
        "--dtype",
        "f64",
        "--json",
        "--save",
        best_s,
        "--plot",
        png_s,
        "--no-progress",
    ]);
    assert_eq!(v["criterion"], "bic");
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 16);
    for c in cells {
        assert!(c["error"].is_null(), "{c}");
        // ICL adds twice a non-negative entropy to BIC.
        assert!(f(&c["icl"]) >= f(&c["bic"]) - 1e-9, "{c}");
    }
    for (c, want) in cells[..4].iter().zip(IRIS_BIC_K1) {
        assert_eq!(c["n_components"], 1);
        let bic = f(&c["bic"]);
        assert!((bic - want).abs() < 1e-9 * want, "{c}: {bic} vs {want}");
    }
    let b = &v["best"];
    assert_eq!(
        (b["n_components"].as_u64(), b["covariance_type"].as_str()),
        (Some(2), Some("full"))
    );
    assert!(
        (f(&b["bic"]) - IRIS_BIC_BEST).abs() < 1e-6 * IRIS_BIC_BEST,
        "{b}"
    );

    // The cell is the same fit as `mixture fit` with its settings.
    let single = json(&[
        "fit", "-k", "2", "-c", "full", "--n-init", "10", "--dtype", "f64", "--json",
    ]);
    assert!((f(&single["bic"]) - f(&b["bic"])).abs() < 1e-9 * IRIS_BIC_BEST);
    assert!((f(&single["aic"]) - f(&b["aic"])).abs() < 1e-9 * IRIS_BIC_BEST);

    // The saved best model predicts; the plot is a 900 × 600 PNG.
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&best).unwrap()).unwrap();
    assert_eq!(saved["config"]["n_components"], 2);
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) = (
        u32::from_be_bytes(bytes[16..20].try_into().unwrap()),
        u32::from_be_bytes(bytes[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (900, 600));

    // The text table stars the best cell.
    let text = ok(&["select", "-k", "1..3", "-c", "full,diag", "--no-progress"]);
    for needle in [
        "by BIC (lower is better)",
        "full",
        "diag",
        "*",
        "best (*): 2 components, full",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
}

#[test]
fn select_keeps_going_past_a_failed_cell() {
    let v = json(&[
        "select", "-k", "1,200", "-c", "diag", "--json", "--dtype", "f64",
    ]);
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    assert!(cells[0]["error"].is_null());
    let error = cells[1]["error"].as_str().unwrap();
    assert!(error.contains("n_components=200"), "{error}");
    assert!(cells[1]["bic"].is_null());
    assert_eq!(v["best"]["n_components"], 1);
    // Nothing fitted: a report, but no model to save.
    let v = json(&["select", "-k", "151", "-c", "diag", "--json"]);
    assert!(v["best"].is_null());
    let dir = scratch("select-none");
    let path = dir.join("none.json");
    fails(
        &[
            "select",
            "-k",
            "151",
            "-c",
            "diag",
            "--save",
            path.to_str().unwrap(),
        ],
        1,
        "no cell of the grid fitted",
    );
    fails(&["select", "-k", "0..3"], 2, "0");
    fails(&["select", "--criterion", "bogus"], 2, "bogus");
}

#[test]
fn variational_fit_matches_scikit_learns_bound() {
    // scikit-learn 1.9.1: BayesianGaussianMixture(3, covariance_type=ct,
    // weight_concentration_prior_type="dirichlet_distribution", tol=1e-9, max_iter=10000) on
    // iris: lower_bound_ and score (the same for random_state 0..8). The Dirichlet
    // distribution's bound does not depend on the components' order, so both reach the same
    // optimum from different k-means starts.
    let reference = [
        ("full", 275.01823131055755, -1.636746761112466),
        ("tied", 233.7836684278817, -1.958952975159972),
        ("diag", 108.683688697211, -2.459869390870891),
        ("spherical", 49.74289671475856, -2.794566870276964),
    ];
    let dir = scratch("variational");
    let model = dir.join("model.json");
    let csv = dir.join("iris.csv");
    std::fs::write(&csv, iris_features_csv()).unwrap();
    for (ct, elbo, score) in reference {
        let v = json(&[
            "fit",
            "--json",
            "--method",
            "variational",
            "--weight-prior",
            "dirichlet",
            "--dtype",
            "f64",
            "--covariance",
            ct,
            "--tol",
            "1e-9",
            "--max-iter",
            "10000",
            "--save",
            model.to_str().unwrap(),
        ]);
        assert_eq!(v["method"], "variational");
        assert_eq!(v["converged"], true, "{ct}");
        let rel = |a: f64, b: f64| ((a - b) / b).abs();
        assert!(rel(f(&v["elbo"]), elbo) < 1e-6, "{ct}: {}", v["elbo"]);
        assert!(rel(f(&v["lower_bound"]) * 150.0, elbo) < 1e-6, "{ct}");
        assert!(rel(f(&v["mean_log_likelihood"]), score) < 1e-6, "{ct}");
        assert_eq!(v["n_effective_components"], 3, "{ct}");
        assert_eq!(v["weight_prior"], "dirichlet-distribution");
        // The saved model predicts the species the fit's class table shows.
        let labels: Vec<usize> = ok(&[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--input",
            csv.to_str().unwrap(),
        ])
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
        let table = &v["class_table"]["counts"];
        for k in 0..3 {
            let row: u64 = (0..3).map(|c| table[k][c].as_u64().unwrap()).sum();
            assert_eq!(
                labels.iter().filter(|l| **l == k).count() as u64,
                row,
                "{ct}"
            );
        }
    }
}

#[test]
fn variational_fit_switches_extra_components_off() {
    // Three clusters, ten components offered.
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data/blobs3.csv");
    let v = json(&[
        "fit",
        "--json",
        "--method",
        "variational",
        "--input",
        data,
        "-k",
        "10",
        "--weight-concentration",
        "0.001",
        "--init",
        "k-means++",
        "--n-init",
        "4",
    ]);
    assert_eq!(v["n_effective_components"], 3, "{}", v["weights"]);
    assert_eq!(v["weight_concentration_prior"], 0.001);
    let text = ok(&[
        "fit",
        "--method",
        "variational",
        "--input",
        data,
        "-k",
        "10",
        "--no-progress",
    ]);
    assert!(text.contains("variational Bayes"), "{text}");
    assert!(text.contains("ELBO"), "{text}");
    assert!(text.contains("effective components"), "{text}");
    fails(
        &[
            "fit",
            "--method",
            "variational",
            "--degrees-of-freedom",
            "1",
        ],
        2,
        "degrees_of_freedom_prior",
    );
    fails(
        &[
            "fit",
            "--method",
            "variational",
            "--weight-concentration",
            "0",
        ],
        2,
        "weight_concentration_prior",
    );
}

#[test]
fn select_by_variational_bayes() {
    let dir = scratch("select-variational");
    let model = dir.join("best.json");
    let v = json(&[
        "select",
        "--json",
        "--method",
        "variational",
        "-k",
        "1..3",
        "--covariance",
        "full,diag",
        "--dtype",
        "f64",
        "--save",
        model.to_str().unwrap(),
    ]);
    assert_eq!(v["method"], "variational");
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 6);
    // Every cell is the same fit as `mixture fit --method variational` with its settings.
    for cell in cells {
        let k = cell["n_components"].as_u64().unwrap().to_string();
        let ct = cell["covariance_type"].as_str().unwrap();
        let fit = json(&[
            "fit",
            "--json",
            "--method",
            "variational",
            "-k",
            &k,
            "-c",
            ct,
            "--dtype",
            "f64",
        ]);
        assert_eq!(cell["elbo"], fit["elbo"], "{k} {ct}");
        assert_eq!(cell["bic"], fit["bic"], "{k} {ct}");
    }
    let saved = std::fs::read_to_string(&model).unwrap();
    assert!(saved.contains("mixture.bayesian-gaussian-mixture"));
}

#[test]
fn streamed_fit_equals_the_in_memory_fit() {
    let dir = scratch("stream");
    let path = dir.join("iris.npy");
    std::fs::write(&path, npy(&iris_rows(), false)).unwrap();
    let p = path.to_str().unwrap();
    for ct in ["full", "diag"] {
        let memory = json(&["fit", "--json", "--input", p, "--dtype", "f64", "-c", ct]);
        let streamed = json(&[
            "fit",
            "--json",
            "--input",
            p,
            "--stream",
            "--batch-size",
            "32",
            "-c",
            ct,
        ]);
        // auto follows the file's dtype (f64 here).
        assert_eq!(streamed["dtype"], "f64");
        assert_eq!(streamed["n_iter"], memory["n_iter"], "{ct}");
        let rel = |a: &Value, b: &Value| ((f(a) - f(b)) / f(b)).abs();
        assert!(
            rel(
                &streamed["mean_log_likelihood"],
                &memory["mean_log_likelihood"]
            ) < 1e-10
        );
        assert!(rel(&streamed["bic"], &memory["bic"]) < 1e-10);
        assert!(streamed["data_note"]
            .as_str()
            .unwrap()
            .contains("batches of 32 rows"));
    }
    // So does model selection: every cell, the same best cell.
    let grid = [
        "select", "--json", "--input", p, "-k", "1..4", "-c", "full", "-c", "diag",
    ];
    let memory = json(&[&grid[..], &["--dtype", "f64"]].concat());
    let streamed = json(&[&grid[..], &["--stream", "--batch-size", "32"]].concat());
    assert_eq!(
        streamed["best"]["n_components"],
        memory["best"]["n_components"]
    );
    let cells = |v: &Value| v["cells"].as_array().unwrap().clone();
    for (a, b) in cells(&streamed).iter().zip(&cells(&memory)) {
        let rel = |k: &str| ((f(&a[k]) - f(&b[k])) / f(&b[k])).abs();
        assert!(rel("bic") < 1e-10 && rel("icl") < 1e-10, "{a} vs {b}");
    }
    // The variational method streams too.
    let memory = json(&[
        "fit",
        "--json",
        "--input",
        p,
        "--dtype",
        "f64",
        "--method",
        "variational",
    ]);
    let streamed = json(&[
        "fit",
        "--json",
        "--input",
        p,
        "--stream",
        "--batch-size",
        "40",
        "--method",
        "variational",
    ]);
    let rel = |a: &Value, b: &Value| ((f(a) - f(b)) / f(b)).abs();
    assert!(rel(&streamed["elbo"], &memory["elbo"]) < 1e-10);
    assert!(
        rel(
            &streamed["mean_log_likelihood"],
            &memory["mean_log_likelihood"]
        ) < 1e-10
    );
    assert!(rel(&streamed["bic"], &memory["bic"]) < 1e-10);
    // CSV streams too (header sniffed, parsed in f64 in batches).
    let csv = dir.join("iris.csv");
    std::fs::write(&csv, iris_features_csv()).unwrap();
    let c = csv.to_str().unwrap();
    let memory = json(&["fit", "--json", "--input", c, "--dtype", "f64"]);
    let streamed = json(&[
        "fit",
        "--json",
        "--input",
        c,
        "--stream",
        "--batch-size",
        "64",
    ]);
    assert_eq!(streamed["dtype"], "f64");
    assert!(
        rel(
            &streamed["mean_log_likelihood"],
            &memory["mean_log_likelihood"]
        ) < 1e-10
    );
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n3,x\n").unwrap();
    fails(
        &[
            "fit",
            "--stream",
            "-k",
            "1",
            "--input",
            bad.to_str().unwrap(),
        ],
        2,
        "line 3, column 1",
    );
    // k-means streams too: the same optimum as in memory (f64), sizes but no labels.
    let memory = json(&[
        "kmeans", "--json", "--input", p, "--dtype", "f64", "--n-init", "3",
    ]);
    let streamed = json(&[
        "kmeans",
        "--json",
        "--input",
        p,
        "--stream",
        "--batch-size",
        "50",
        "--n-init",
        "3",
    ]);
    assert!(rel(&streamed["inertia"], &memory["inertia"]) < 1e-10);
    assert_eq!(streamed["cluster_sizes"], memory["cluster_sizes"]);
    assert!(streamed.get("labels").is_none() && memory.get("labels").is_some());
    fails(&["fit", "--stream"], 2, "--input FILE.npy");
    fails(
        &["fit", "--stream", "--input", p, "--method", "gradient"],
        2,
        "--method em or variational",
    );
}

/// A uniform in (0, 1) from a counter (SplitMix64).
fn uniform(i: u64) -> f64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// A standard normal from a counter (Box–Muller).
fn normal(i: u64) -> f64 {
    (-2.0 * uniform(2 * i).ln()).sqrt() * (std::f64::consts::TAU * uniform(2 * i + 1)).cos()
}

/// `n × d` rows around `centres` (cycled), unit spread, times `scale`, plus `offset`.
fn blob_rows(n: usize, d: usize, centres: &[f64], scale: f64, offset: f64) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| {
            (0..d)
                .map(|j| {
                    let c = centres[i % centres.len()] * (1.0 + j as f64 * 0.3);
                    (c + normal((i * d + j) as u64)) * scale + offset
                })
                .collect()
        })
        .collect()
}

/// A subset of the awkward-data suite (`cargo xtask awkward` runs all of it against
/// scikit-learn): on data f32 cannot hold or fit, the default `--dtype auto` never fails where
/// the f64 fit succeeds, and its mean log-likelihood is never more than 0.5 + 5 % above the
/// f64 fit's (a gain f64 does not see is precision loss) nor more than 1 + 5 % below it —
/// issue 12's criteria.
#[test]
fn awkward_data_auto_dtype_never_fails_nor_lies() {
    let dir = scratch("awkward");
    let duplicated: Vec<Vec<f64>> = (0..600)
        .map(|i| {
            (0..4)
                .map(|j| 3.0 * normal(((i % 20) * 4 + j) as u64))
                .collect()
        })
        .collect();
    let heavy: Vec<Vec<f64>> = (0..900)
        .map(|i| {
            (0..3)
                .map(|j| {
                    let k = (i * 3 + j) as u64;
                    // Student-t with 1.5 degrees of freedom: z / sqrt(χ²_ν / ν), the χ² drawn
                    // as a Gamma(ν/2, 2) by inversion of its tail (rough but heavy-tailed).
                    normal(k) / (-(uniform(1_000_003 + k)).ln() * 2.0 / 1.5).sqrt()
                })
                .collect()
        })
        .collect();
    // (name, rows, K, covariance types)
    type Case<'a> = (&'a str, Vec<Vec<f64>>, &'a str, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        (
            "offset-1e6",
            blob_rows(600, 5, &[0.0, 8.0, -7.0], 1.0, 1e6),
            "3",
            &["full", "tied", "diag", "spherical"],
        ),
        ("duplicated", duplicated, "8", &["full", "diag"]),
        (
            "times-1e30",
            blob_rows(600, 3, &[0.0, 8.0, -7.0], 1e30, 0.0),
            "3",
            &["diag", "full"],
        ),
        ("heavy-tails", heavy, "3", &["diag", "spherical"]),
    ];
    // How often plain f32 fails or breaks the bounds here: the data must be awkward for
    // the test to mean anything.
    let mut f32_bad = 0;
    for (name, rows, k, types) in &cases {
        let path = dir.join(format!("{name}.npy"));
        std::fs::write(&path, npy(rows, false)).unwrap();
        let p = path.to_str().unwrap();
        for ct in *types {
            let args = ["fit", "--input", p, "-k", k, "-c", ct, "--json"];
            let wide = mixture(&[&args[..], &["--dtype", "f64"]].concat());
            if !wide.status.success() {
                continue; // nothing to hold the default to
            }
            let wide: Value = serde_json::from_slice(&wide.stdout).unwrap();
            let auto = mixture(&args);
            let what = format!("{name} {ct}");
            assert!(
                auto.status.success(),
                "{what}: auto failed where f64 fits: {}",
                String::from_utf8_lossy(&auto.stderr)
            );
            let auto: Value = serde_json::from_slice(&auto.stdout).unwrap();
            let (a, w) = (
                f(&auto["mean_log_likelihood"]),
                f(&wide["mean_log_likelihood"]),
            );
            let within = |a: f64| a - w <= 0.5 + 0.05 * w.abs() && w - a <= 1.0 + 0.05 * w.abs();
            assert!(within(a), "{what}: auto {a} against f64 {w}");
            let narrow = mixture(&[&args[..], &["--dtype", "f32"]].concat());
            let narrow_ok = narrow.status.success() && {
                let v: Value = serde_json::from_slice(&narrow.stdout).unwrap();
                within(f(&v["mean_log_likelihood"]))
            };
            f32_bad += usize::from(!narrow_ok);
            if *name == "times-1e30" {
                // f32 fails here, and says why: the squares, not a collapsed component.
                let err = String::from_utf8_lossy(&narrow.stderr);
                assert!(!narrow.status.success(), "{what}: f32 fitted");
                assert!(
                    err.contains("which cannot hold these data")
                        && err.contains("its squares overflow f32")
                        && err.contains("--dtype f64"),
                    "{what}: {err}"
                );
            }
        }
    }
    // Measured: offset-1e6 full and tied (2 nats low), duplicated full, times-1e30 (failures).
    assert!(f32_bad >= 4, "plain f32 went wrong in only {f32_bad} cases");
}
