//! `cargo xtask awkward`: the awkward-data suite.
//!
//! Builds the `mixture` binary (release), then runs `fixtures/scripts/awkward.py`, which
//! generates the data sets (large offsets, mixed scales, duplicated rows, a plane in 10-D,
//! heavy tails, counts, scikit-learn's raw digits and breast cancer, ...), fits each with
//! `mixture fit` (`--dtype auto`, `f32` about the data mean and about the component means,
//! `f64`) and with scikit-learn (float64 and float32)
//! for every covariance type and several K, and prints the summary table that README.md and
//! benches/RESULTS.md show. Per-fit rows go to `target/awkward/cases.csv`. Needs python3 with
//! numpy and scikit-learn.

use std::process::Command;

/// Runs `cargo xtask awkward`.
pub fn run() -> Result<(), String> {
    let (root, target) = crate::workspace_paths()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "--release", "-p", "mixture-cli"])
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err("building the mixture binary failed".into());
    }
    let probe = Command::new("python3")
        .args(["-c", "import numpy, sklearn"])
        .output()
        .map_err(|e| format!("python3 not found ({e}); the suite needs python3"))?;
    if !probe.status.success() {
        return Err("python3 lacks numpy or scikit-learn: pip install scikit-learn".into());
    }
    let binary = target.join("release").join("mixture");
    let status = Command::new("python3")
        .arg(root.join("fixtures/scripts/awkward.py"))
        .arg("--mixture")
        .arg(&binary)
        .arg("--out")
        .arg(target.join("awkward"))
        .status()
        .map_err(|e| format!("running python3: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("the awkward-data suite failed".into())
    }
}
