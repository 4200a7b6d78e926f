//! `cargo xtask bench`: builds `mixture-bench` in release with the chosen backend, runs it,
//! optionally runs scikit-learn on the same data, and prints one table.
//!
//! Steps:
//! 1. `cargo run --release -p mixture-benches --bin mixture-bench --no-default-features
//!    --features <backend> -- --json target/bench/<backend>.json [--quick]
//!    [--write-data target/bench/data]`: times EM iterations (median after warm-up) for every
//!    covariance type at N = 100 000 and 1 000 000, D = 16 and 64, K = 16, f32.
//! 2. With `--compare sklearn`: `python3 fixtures/scripts/sklearn_bench.py` on the `.npy` data
//!    and initial parameters written in step 1, with BLAS/OpenMP pinned to one thread. If
//!    python3, numpy, scikit-learn or threadpoolctl is missing, says so and goes on.
//! 3. Prints a Markdown table: ms per iteration, points per second and the mean
//!    log-likelihood, plus scikit-learn's ms per iteration, the speed-up and its mean
//!    log-likelihood when compared.
//! 4. `mixture-bench --two-planes --reps 15` (5 with `--quick`): times whole fits of
//!    MixtureLib's two-planes mixture of experts (N = 200, Dirichlet and softmax gate) and
//!    prints them beside MixtureLib's times on a 2-core machine. `--two-planes` runs this
//!    step alone.
//!
//! `--variational` replaces all of this with the variational Bayesian Gaussian mixture's
//! iterations (`mixture-bench --variational`: N = 100 000, D = 16, K = 16, diag and full),
//! compared under `--compare sklearn` with scikit-learn's `BayesianGaussianMixture` from the
//! same one-hot start.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, ValueEnum};
use serde::Deserialize;

/// Options of `cargo xtask bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Backend (a cargo feature of mixture-benches).
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
    /// N = 100 000 only and 3 timed iterations per case instead of 5.
    #[arg(long)]
    quick: bool,
    /// Also time another implementation on the same data.
    #[arg(long, value_enum)]
    compare: Option<Compare>,
    /// Also write the table (Markdown) to this file.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Only the two-planes mixture-of-experts fits (no EM table).
    #[arg(long)]
    two_planes: bool,
    /// Only the variational Bayesian Gaussian mixture (N = 100 000, D = 16, K = 16, diag and
    /// full), with scikit-learn's BayesianGaussianMixture under `--compare sklearn`.
    #[arg(long)]
    variational: bool,
    /// Extra arguments for the mixture-bench binary (after `--`), e.g. `-- --n 200000 --d 32`.
    #[arg(last = true)]
    extra: Vec<String>,
}

/// A backend feature of `mixture-benches`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Flex,
    Ndarray,
    Wgpu,
    Cuda,
}

impl Backend {
    fn feature(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
            Backend::Wgpu => "wgpu",
            Backend::Cuda => "cuda",
        }
    }
}

/// What to compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Compare {
    /// scikit-learn's `GaussianMixture`, one thread.
    Sklearn,
}

/// One case timed by `mixture-bench`.
#[derive(Debug, Deserialize)]
struct RustCase {
    #[serde(default = "em")]
    method: String,
    covariance_type: String,
    n: usize,
    d: usize,
    k: usize,
    iterations: usize,
    reps: usize,
    ms_per_iter: f64,
    points_per_sec: f64,
    mean_log_likelihood: f64,
    error: Option<String>,
}

/// What `sklearn_bench.py` writes.
#[derive(Debug, Deserialize)]
struct SklearnRun {
    sklearn_version: String,
    numpy_version: String,
    threads: usize,
    results: Vec<SklearnCase>,
}

/// One case timed by scikit-learn.
#[derive(Debug, Deserialize)]
struct SklearnCase {
    #[serde(default = "em")]
    method: String,
    covariance_type: String,
    n: usize,
    d: usize,
    ms_per_iter: f64,
    mean_log_likelihood: f64,
}

/// The method of cases written before there was more than one.
fn em() -> String {
    "em".into()
}

/// Runs `cargo xtask bench`.
pub fn run(args: BenchArgs) -> Result<(), String> {
    let (root, target) = crate::workspace_paths()?;
    let out_dir = target.join("bench");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    let feature = args.backend.feature();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut table = if args.two_planes {
        String::new()
    } else {
        em_table(&args, &root, &out_dir, &cargo, feature)?
    };
    if !args.variational {
        table.push_str(&two_planes_table(&args, &root, &cargo, feature)?);
    }
    print!("{table}");
    if let Some(path) = &args.output {
        std::fs::write(path, &table).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}

/// `cargo run --release -p mixture-benches --bin mixture-bench` with the backend's feature.
fn bench_command(cargo: &str, root: &Path, feature: &str) -> Command {
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args([
        "run",
        "--release",
        "-p",
        "mixture-benches",
        "--bin",
        "mixture-bench",
        "--no-default-features",
        "--features",
        feature,
        "--",
    ]);
    cmd
}

/// Steps 1–3: the EM iterations of `GaussianMixture`, with scikit-learn when compared.
fn em_table(
    args: &BenchArgs,
    root: &Path,
    out_dir: &Path,
    cargo: &str,
    feature: &str,
) -> Result<String, String> {
    let data_dir = out_dir.join("data");
    let rust_json = out_dir.join(format!("{feature}.json"));

    // 1. Our timings.
    let mut cmd = bench_command(cargo, root, feature);
    cmd.arg("--json").arg(&rust_json);
    if args.quick {
        cmd.arg("--quick");
    }
    if args.compare.is_some() {
        cmd.arg("--write-data").arg(&data_dir);
    }
    if args.variational {
        cmd.arg("--variational");
    }
    cmd.args(&args.extra);
    eprintln!("==> building and running mixture-bench (release, backend {feature})");
    let status = cmd.status().map_err(|e| format!("running {cargo}: {e}"))?;
    if !status.success() {
        return Err(format!("mixture-bench failed ({status})"));
    }
    let rust: Vec<RustCase> = read_json(&rust_json)?;

    // 2. scikit-learn.
    let sklearn = match args.compare {
        Some(Compare::Sklearn) => run_sklearn(root, &data_dir, out_dir),
        None => None,
    };

    // 3. The table.
    Ok(render(&rust, sklearn.as_ref(), feature))
}

/// Step 4: whole two-planes fits, the table `mixture-bench --two-planes` prints.
fn two_planes_table(
    args: &BenchArgs,
    root: &Path,
    cargo: &str,
    feature: &str,
) -> Result<String, String> {
    let reps = if args.quick { 5 } else { 15 };
    let mut cmd = bench_command(cargo, root, feature);
    cmd.args(["--two-planes", "--reps", &reps.to_string()]);
    eprintln!("==> timing the two-planes mixture of experts (release, backend {feature})");
    let out = cmd.output().map_err(|e| format!("running {cargo}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "mixture-bench --two-planes failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nTwo-planes mixture of experts (MixtureLib's example, N = 200, 2 experts), backend \
         `{feature}`, f32: whole fits, median of {reps} ({})\n",
        machine()
    );
    s.push_str(&String::from_utf8_lossy(&out.stdout));
    Ok(s)
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
}

/// Runs the scikit-learn side; `None` (with a note) when it cannot.
fn run_sklearn(root: &Path, data_dir: &Path, out_dir: &Path) -> Option<SklearnRun> {
    let probe = Command::new("python3")
        .args(["-c", "import numpy, sklearn, threadpoolctl"])
        .output();
    match probe {
        Err(e) => {
            eprintln!("note: python3 not found ({e}); skipping the scikit-learn comparison");
            return None;
        }
        Ok(out) if !out.status.success() => {
            eprintln!(
                "note: python3 lacks numpy, scikit-learn or threadpoolctl \
                 (pip install scikit-learn); skipping the scikit-learn comparison"
            );
            return None;
        }
        Ok(_) => {}
    }
    let script = root.join("fixtures/scripts/sklearn_bench.py");
    let out = out_dir.join("sklearn.json");
    eprintln!("==> timing scikit-learn on the same data (one thread)");
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg("--cases")
        .arg(data_dir.join("cases.json"))
        .arg("--out")
        .arg(&out)
        .args(["--threads", "1"]);
    for var in [
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "BLIS_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    ] {
        cmd.env(var, "1");
    }
    match cmd.status() {
        Ok(s) if s.success() => match read_json(&out) {
            Ok(run) => Some(run),
            Err(e) => {
                eprintln!("note: {e}; no scikit-learn column");
                None
            }
        },
        Ok(s) => {
            eprintln!("note: sklearn_bench.py failed ({s}); no scikit-learn column");
            None
        }
        Err(e) => {
            eprintln!("note: running python3: {e}; no scikit-learn column");
            None
        }
    }
}

/// The machine, in words: cores and CPU model.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores available, {model}")
}

fn render(rust: &[RustCase], sklearn: Option<&SklearnRun>, backend: &str) -> String {
    let mut s = String::new();
    let first = rust.first();
    let what = match first.map(|c| c.method.as_str()) {
        Some("variational") => {
            "Variational iterations of BayesianGaussianMixture (\"mean log-lik.\": the \
             bound / N)"
        }
        _ => "EM iterations of GaussianMixture",
    };
    let _ = writeln!(
        s,
        "\n{what}, backend `{backend}`, f32, K = {}: median of {} \
         iterations after {} untimed ({})",
        first.map_or(0, |c| c.k),
        first.map_or(0, |c| c.reps),
        first.map_or(0, |c| c.iterations - c.reps),
        machine(),
    );
    if let Some(sk) = sklearn {
        let _ = writeln!(
            s,
            "scikit-learn {} (numpy {}), {} thread, same data, same start, same iterations",
            sk.sklearn_version, sk.numpy_version, sk.threads
        );
    }
    let _ = writeln!(s);
    if sklearn.is_some() {
        let _ = writeln!(
            s,
            "| covariance | N | D | ms / iter | points / s | mean log-lik. | \
             sklearn ms / iter | speed-up | sklearn mean log-lik. |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    } else {
        let _ = writeln!(
            s,
            "| covariance | N | D | ms / iter | points / s | mean log-lik. |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    }
    for c in rust {
        let ll = match &c.error {
            Some(e) => format!("error: {e}"),
            None => format!("{:.5}", c.mean_log_likelihood),
        };
        let _ = write!(
            s,
            "| {} | {} | {} | {:.1} | {:.3e} | {} |",
            c.covariance_type, c.n, c.d, c.ms_per_iter, c.points_per_sec, ll
        );
        if let Some(sk) = sklearn {
            let other = sk.results.iter().find(|o| {
                o.method == c.method
                    && o.covariance_type == c.covariance_type
                    && o.n == c.n
                    && o.d == c.d
            });
            match other {
                Some(o) => {
                    let _ = write!(
                        s,
                        " {:.1} | {:.1}× | {:.5} |",
                        o.ms_per_iter,
                        o.ms_per_iter / c.ms_per_iter,
                        o.mean_log_likelihood
                    );
                }
                None => {
                    let _ = write!(s, " – | – | – |");
                }
            }
        }
        let _ = writeln!(s);
    }
    s
}
