//! `mixture`: fit Gaussian mixtures from the command line.
//!
//! ```text
//! mixture fit                                   # the bundled iris data, 3 components
//! mixture fit --input data.csv -k 5 --covariance diag --json
//! mixture fit --input data.npy --dtype f64 --save model.json
//! mixture fit --method variational -k 10 --weight-concentration 0.001 --json
//! mixture fit --input big.npy --stream --batch-size 65536 -k 16 --covariance diag
//! mixture kmeans --input data.csv -k 4 --n-init 10 --save centres.json
//! mixture select --input data.csv -k 1..9 --criterion bic --plot bic.png --save best.json
//! mixture predict --model model.json --input new.csv [--proba]
//! mixture regress --input data.csv --target y --experts 2 --gate softmax --json
//! ```
//!
//! Errors print one line, `error: ...`, on stderr. Exit status: 0 success, 2 bad usage or bad
//! input, 1 a run-time failure (see [`error`]).

mod backend;
mod cli;
mod data;
mod dataset;
mod em;
mod error;
mod fit;
mod gradient;
mod kmeans;
mod parallel;
mod plot;
mod precision;
mod predict;
mod progress;
mod regress;
mod report;
mod select;
mod stream;
mod variational;

use std::io::Write;
use std::process::ExitCode;

use cli::{Command, ParseOutcome};
use error::{CliError, EXIT_RUNTIME, EXIT_USAGE};

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(ParseOutcome::Printed(code)) => return ExitCode::from(code as u8),
        Err(ParseOutcome::Error(line)) => {
            eprintln!("{line}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // One rank of an MPI job (mpi builds): kept until the end of main, which finalises MPI.
    #[cfg(feature = "mpi")]
    let _universe = parallel::mpi_group::join();
    // A panic is a bug, but the user still gets one line and no backtrace.
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let msg = msg.lines().map(str::trim).collect::<Vec<_>>().join(" ");
        eprintln!("error: internal error: {msg} (please report this)");
    }));
    let result = std::panic::catch_unwind(|| run(&cli.command, cli.delimiter));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            // One write: the ranks of an MPI job share the terminal.
            let line = format!("error: {}\n", e.one_line());
            let _ = std::io::stderr().write_all(line.as_bytes());
            ExitCode::from(e.exit_code())
        }
        Err(_) => ExitCode::from(EXIT_RUNTIME),
    }
}

/// Runs one subcommand; `delimiter` is `--delimiter`, for CSV input files.
fn run(command: &Command, delimiter: Option<u8>) -> Result<(), CliError> {
    match command {
        Command::Fit(args) => fit::run(args, delimiter),
        Command::Kmeans(args) => kmeans::run(args, delimiter),
        Command::Select(args) => select::run(args, delimiter),
        Command::Predict(args) => predict::run(args, delimiter),
        Command::Regress(args) => regress::run(args, delimiter),
    }
}

/// Prints a command's report: pretty JSON (one object and a newline) when `json`, else
/// `text`'s rendering of it.
pub(crate) fn print_report<R: serde::Serialize>(
    report: &R,
    json: bool,
    text: impl FnOnce(&R) -> String,
) -> Result<(), CliError> {
    // In a job of several ranks, rank 0 alone reports.
    if !parallel::is_root() {
        return Ok(());
    }
    let out = if json {
        // Serialising plain numbers, strings and vectors cannot fail.
        let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    } else {
        text(report)
    };
    write_stdout(&out)
}

/// Writes a fitted model's JSON to `path` (`--save`).
pub(crate) fn save_model(path: &std::path::Path, json: &str) -> Result<(), CliError> {
    // In a job of several ranks, rank 0 alone writes (every rank holds the same model).
    if !parallel::is_root() {
        return Ok(());
    }
    std::fs::write(path, json)
        .map_err(|e| CliError::Runtime(format!("cannot save the model to {}: {e}", path.display())))
}

/// Writes to stdout; a closed pipe (`mixture predict ... | head`) is not an error.
pub(crate) fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Runtime(format!("cannot write to stdout: {e}"))),
    }
}
