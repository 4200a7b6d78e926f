//! Fits across processes under `mpirun` (a build with `--features mpi`; CI runs
//! `cargo test --workspace --features mixture-cli/mpi --tests mpi_` after installing Open
//! MPI):
//! W = 1, 2, 3 ranks with uneven shards give the single-process fit of all the rows (to float
//! rounding, initialisation included) for every covariance type, k-means and the variational
//! mixture; a rank that fails, or is killed, ends every rank with an error and no model file.
#![cfg(feature = "mpi")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Every run of the test ends within this, or the test fails (no CI job left hanging).
const BOUND: Duration = Duration::from_secs(120);

/// Runs `cmd` to completion within [`BOUND`], killing it past that.
fn bounded(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > BOUND {
            let _ = child.kill();
            panic!("{cmd:?} ran past {BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// `mpirun -np w mixture args...` (as root too; three ranks on two cores; no shared-memory
/// single copy, which containers often forbid).
fn mpirun(w: usize, args: &[&str]) -> Command {
    let mut cmd = Command::new("mpirun");
    cmd.args([
        "--allow-run-as-root",
        "--oversubscribe",
        "--mca",
        "btl_vader_single_copy_mechanism",
        "none",
        "-np",
        &w.to_string(),
        env!("CARGO_BIN_EXE_mixture"),
    ])
    .args(args);
    cmd
}

/// The report of a successful run.
fn report(cmd: Command) -> Value {
    let out = bounded(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed: {stderr}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    // Rank 0 alone prints: exactly one JSON object.
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn single(args: &[&str]) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mixture"));
    cmd.args(args);
    report(cmd)
}

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("mixture-mpi", name)
}

/// Three offset blobs in 3-D, 600 rows: row i in blob i mod 3.
fn rows() -> Vec<Vec<f64>> {
    (0..600)
        .map(|i| {
            (0..3)
                .map(|j| {
                    let h = ((i * 3 + j) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
                    let u = h as f64 / (1u64 << 53) as f64;
                    [0.0, 7.0, -6.0][i % 3] + j as f64 + 2.0 * (u - 0.5) + 0.3 * (i % 7) as f64
                })
                .collect()
        })
        .collect()
}

fn write_npy(path: &Path, rows: &[Vec<f64>]) {
    std::fs::write(path, common::npy(rows, false)).expect("write npy");
}

/// The whole data set in `dir/all.npy`, and its uneven shards for `w` ranks as
/// `dir/w{w}-{rank}.npy`; returns the shard pattern.
fn shards(dir: &Path, w: usize) -> String {
    let all = rows();
    write_npy(&dir.join("all.npy"), &all);
    let cuts: &[usize] = match w {
        1 => &[0, 600],
        2 => &[0, 250, 600],
        _ => &[0, 130, 420, 600],
    };
    for r in 0..w {
        write_npy(
            &dir.join(format!("w{w}-{r}.npy")),
            &all[cuts[r]..cuts[r + 1]],
        );
    }
    dir.join(format!("w{w}-{{rank}}.npy"))
        .to_string_lossy()
        .into_owned()
}

fn numbers(v: &Value) -> Vec<f64> {
    match v {
        Value::Number(n) => vec![n.as_f64().expect("f64")],
        Value::Array(a) => a.iter().flat_map(numbers).collect(),
        _ => Vec::new(),
    }
}

fn assert_close(a: &Value, b: &Value, key: &str, tol: f64, what: &str) {
    let (x, y) = (numbers(&a[key]), numbers(&b[key]));
    assert!(!x.is_empty() && x.len() == y.len(), "{what}: {key}");
    for (p, q) in x.iter().zip(&y) {
        assert!(
            (p - q).abs() <= tol * (1.0 + q.abs()),
            "{what}: {key} {p} vs {q}"
        );
    }
}

#[test]
fn mpi_ranks_give_the_single_process_fit() {
    let dir = scratch("equal");
    let all = dir.join("all.npy");
    let all = all.to_str().expect("utf-8 path");
    for w in [1, 2, 3] {
        let pattern = shards(&dir, w);
        let types: &[&str] = if w == 3 {
            &["full", "tied", "diag", "spherical"]
        } else {
            &["full"]
        };
        for ct in types {
            let common = ["-k", "3", "--covariance", ct, "--seed", "4", "--json"];
            let one = single(&[&["fit", "--input", all, "--stream"], &common[..]].concat());
            let many = report(mpirun(
                w,
                &[&["fit", "--input", &pattern], &common[..]].concat(),
            ));
            let what = format!("{ct} W={w}");
            assert_eq!(many["world_size"], w, "{what}");
            assert_eq!(many["n_samples"], 600, "{what}");
            assert_eq!(many["n_iter"], one["n_iter"], "{what}");
            for key in [
                "means",
                "weights",
                "lower_bound",
                "mean_log_likelihood",
                "bic",
            ] {
                assert_close(&many, &one, key, 1e-9, &what);
            }
        }
    }
    // One shared file, each rank its block of rows; random initialisation.
    let common = ["-k", "3", "--init", "random", "--seed", "2", "--json"];
    let one = single(&[&["fit", "--input", all, "--stream"], &common[..]].concat());
    let many = report(mpirun(
        3,
        &[&["fit", "--input", all, "--shard-rows"], &common[..]].concat(),
    ));
    assert_close(&many, &one, "means", 1e-9, "--shard-rows, random init");
    // k-means (k-means++ over the gathered rows) and the variational mixture.
    let pattern = shards(&dir, 3);
    let one = single(&["kmeans", "--input", all, "--stream", "-k", "3", "--json"]);
    let many = report(mpirun(
        3,
        &["kmeans", "--input", &pattern, "-k", "3", "--json"],
    ));
    for key in ["cluster_centers", "inertia", "cluster_sizes"] {
        assert_close(&many, &one, key, 1e-9, "k-means");
    }
    // Model selection over the ranks.
    let grid = ["-k", "2..4", "-c", "full", "-c", "spherical", "--json"];
    let one = single(&[&["select", "--input", all, "--stream"], &grid[..]].concat());
    let many = report(mpirun(
        3,
        &[&["select", "--input", &pattern], &grid[..]].concat(),
    ));
    assert_eq!(many["world_size"], 3);
    for key in ["n_components", "covariance_type"] {
        assert_eq!(many["best"][key], one["best"][key]);
    }
    let cells = |v: &Value| v["cells"].as_array().expect("cells").clone();
    for (a, b) in cells(&many).iter().zip(&cells(&one)) {
        assert_close(a, b, "bic", 1e-9, "select");
    }
    // f32 over the ranks of data far from the origin: the column means are summed over the
    // ranks in f64 and taken off on the host before the cast, on every rank alike, so the
    // means come back in the data's units (cast as they are, column 0 would be multiples
    // of 8).
    let far: Vec<Vec<f64>> = rows()
        .into_iter()
        .map(|mut r| {
            r[0] += 1e8;
            r
        })
        .collect();
    let far_path = dir.join("far.npy");
    write_npy(&far_path, &far);
    let far_path = far_path.to_str().expect("utf-8");
    let args = ["--input", far_path, "-k", "3", "--seed", "4", "--json"];
    let wide = single(&[&["fit", "--stream", "--dtype", "f64"], &args[..]].concat());
    let many = report(mpirun(
        2,
        &[&["fit", "--shard-rows", "--dtype", "f32"], &args[..]].concat(),
    ));
    let note = many["dtype_note"].as_str().expect("a note");
    assert!(note.contains("centred on the host"), "{note}");
    let (got, want) = (numbers(&many["means"]), numbers(&wide["means"]));
    assert_eq!(got.len(), want.len());
    for (p, q) in got.iter().zip(&want) {
        assert!(
            (p - q).abs() < 1e-3,
            "f32 over 2 ranks: mean {p} vs f64 {q}"
        );
    }
    let args = ["-k", "4", "--method", "variational", "--json"];
    let one = single(&[&["fit", "--input", all, "--stream"], &args[..]].concat());
    let many = report(mpirun(
        2,
        &[&["fit", "--input", &shards(&dir, 2)], &args[..]].concat(),
    ));
    for key in ["means", "weights", "lower_bound"] {
        assert_close(&many, &one, key, 1e-9, "variational");
    }
}

/// Runs a job expected to fail: every rank exits non-zero and says which rank failed and
/// why, and no model file is written.
fn fails(dir: &Path, args: &[&str], rank_says: &str) {
    let model = dir.join("model.json");
    let _ = std::fs::remove_file(&model);
    let save = ["--save", model.to_str().expect("utf-8")];
    let out = bounded(mpirun(3, &[args, &save[..]].concat()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    let lines = stderr.lines().filter(|l| l.contains(rank_says)).count();
    assert!(lines >= 1, "no rank said {rank_says:?}: {stderr}");
    assert!(!model.exists(), "a model file was written");
}

#[test]
fn mpi_a_failing_or_killed_rank_ends_the_job_without_a_model() {
    let dir = scratch("faults");
    let pattern = shards(&dir, 3);
    let args = ["fit", "--input", pattern.as_str()];
    // Rank 1's shard is missing.
    std::fs::remove_file(dir.join("w3-1.npy")).expect("remove");
    fails(
        &dir,
        &args,
        "rank 1 of 3 failed: invalid value for `input`: cannot read",
    );
    // Rank 1's shard has another width.
    let all = rows();
    let narrow: Vec<Vec<f64>> = all[130..420].iter().map(|r| r[..2].to_vec()).collect();
    write_npy(&dir.join("w3-1.npy"), &narrow);
    fails(&dir, &args, "rank 1 of 3 failed: its shard has 2 columns");
    // A NaN in rank 2's rows (row 500 of the whole data).
    write_npy(&dir.join("w3-1.npy"), &all[130..420]);
    let mut bad = all[420..].to_vec();
    bad[80][1] = f64::NAN;
    write_npy(&dir.join("w3-2.npy"), &bad);
    fails(
        &dir,
        &args,
        "rank 2 of 3 failed: non-finite value (NaN) in data at row 500",
    );

    // A rank killed mid-fit: mpirun ends the job, no rank is left waiting, no model file.
    let big: Vec<Vec<f64>> = (0..40_000)
        .map(|i| {
            (0..4)
                .map(|j| ((i * 7 + j * 13) % 101) as f64 / 10.0)
                .collect()
        })
        .collect();
    let big_path = dir.join("big.npy");
    write_npy(&big_path, &big);
    let model = dir.join("killed.json");
    let mut cmd = mpirun(
        2,
        &[
            "fit",
            "--input",
            big_path.to_str().expect("utf-8"),
            "--shard-rows",
            "-k",
            "8",
            "--covariance",
            "full",
            "--tol",
            "0",
            "--max-iter",
            "1000000",
            "--save",
            model.to_str().expect("utf-8"),
        ],
    );
    let mut job = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mpirun starts");
    // Wait until both ranks run, then kill one.
    let start = Instant::now();
    let victim = loop {
        let out = Command::new("pgrep")
            .args(["-P", &job.id().to_string()])
            .output()
            .expect("pgrep runs");
        let pids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if pids.len() >= 2 {
            break pids[1].clone();
        }
        assert!(start.elapsed() < BOUND, "the ranks did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_secs(2));
    let killed = Instant::now();
    Command::new("kill")
        .args(["-9", &victim])
        .status()
        .expect("kill runs");
    let status = loop {
        if let Some(s) = job.try_wait().expect("wait") {
            break s;
        }
        if killed.elapsed() > Duration::from_secs(30) {
            let _ = job.kill();
            panic!("the job did not end within 30 s of a rank's death");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    assert!(!model.exists(), "a model file was written");
}
