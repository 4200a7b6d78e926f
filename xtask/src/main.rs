//! Workspace automation, run as `cargo xtask <command>` (the alias lives in
//! `.cargo/config.toml`).
//!
//! * `cargo xtask bench [--backend flex|ndarray|wgpu|cuda] [--quick] [--compare sklearn]
//!   [--two-planes]`: times EM iterations of `GaussianMixture` and whole fits of the
//!   two-planes mixture of experts (see [`bench`](mod@bench)).
//! * `cargo xtask awkward`: the awkward-data suite, `mixture fit` against scikit-learn on
//!   data with large offsets, mixed scales, duplicates, subspaces and heavy tails (see
//!   [`awkward`]).

mod awkward;
mod bench;

use clap::{Parser, Subcommand};

/// Workspace automation for the mixture workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Time EM iterations per covariance type at N = 100k and 1M, D = 16 and 64, K = 16, f32,
    /// then the two-planes mixture-of-experts fits (`--two-planes`: those alone).
    Bench(bench::BenchArgs),
    /// Fit awkward data (offsets, scales, duplicates, subspaces, heavy tails, raw datasets)
    /// with `mixture fit` and scikit-learn, and count failures and wrong likelihoods.
    Awkward,
}

/// The workspace root and the cargo target directory (`CARGO_TARGET_DIR`, else `target/`).
pub(crate) fn workspace_paths() -> Result<(std::path::PathBuf, std::path::PathBuf), String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent directory")?
        .to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok((root, target))
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench(args) => bench::run(args),
        Command::Awkward => awkward::run(),
    };
    if let Err(message) = result {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
