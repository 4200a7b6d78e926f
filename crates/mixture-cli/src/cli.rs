//! The command-line grammar (clap) and its one-line error messages.
//!
//! Subcommands: `fit`, `kmeans`, `select`, `predict` and `regress`. To add one, add a variant to [`Command`] with its own `Args` struct and a module with a
//! `run(args) -> Result<(), CliError>`, then one match arm in `main.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use mixture::em::selection::{Criterion, SelectionMethod};
use mixture::em::{EmMode, GateKind, InitMethod, KMeansInit, StatisticsCentre, WeightPrior};
use mixture::experts::PriorType;
use mixture::gradient::{Family, PriorWeighting};
use mixture::CovarianceType;

use crate::backend::{BackendKind, Dtype, FitDtype};

/// Fit Gaussian mixture models to CSV or .npy data, on any compiled-in burn backend.
///
/// Exit status: 0 on success, 2 for bad usage or bad input (options, files, data), 1 when a
/// valid fit fails at run time (a component collapses, the backend fails, the model cannot be
/// saved).
#[derive(Debug, Parser)]
#[command(
    name = "mixture",
    version,
    about = "Fit Gaussian mixture models to CSV or .npy data on burn backends.",
    after_help = "Exit status: 0 success; 2 bad usage or bad input; 1 a run-time failure.",
    propagate_version = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// The separator of CSV input files: `,`, `;`, `tab` (or `\t`), or any one character.
    /// Default: a tab if the first line has one, else `;` if it has one, else `,`.
    #[arg(long, global = true, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

/// Parses `--delimiter`: one ASCII character, or `tab`.
fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() && s != "\"" && s != "\n" => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "`{s}` is not a delimiter; give one character such as `,` or `;`, or `tab`"
        )),
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit a Gaussian mixture (to the bundled iris data when no --input is given) and report it.
    Fit(FitArgs),
    /// Cluster rows by k-means (to the bundled iris data when no --input is given) and report
    /// the labels, centres and inertia.
    Kmeans(KMeansArgs),
    /// Fit a grid of Gaussian mixtures (numbers of components × covariance types), rank them
    /// by BIC, AIC or ICL, and keep the best (mclust's `mclustBIC`).
    Select(SelectArgs),
    /// Assign rows of a file to the components of a saved Gaussian mixture or the clusters of
    /// a saved k-means model, or predict the target with a saved mixture of experts.
    Predict(PredictArgs),
    /// Fit a mixture of linear regressions (experts) by variational EM (to the bundled
    /// two-planes data when no --input is given) and report it.
    Regress(RegressArgs),
}

/// Options of `mixture regress`.
#[derive(Debug, Clone, Args)]
pub struct RegressArgs {
    /// Data file: CSV (a first row with any non-numeric cell is a header) or .npy (2-D).
    /// Without it, the two-planes data set (200 rows: x1, x2, y) is used.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// The target column: a header name or a 0-based index. Default: the last column. The
    /// other columns are the inputs.
    #[arg(short, long, value_name = "COLUMN")]
    pub target: Option<String>,

    /// Number of experts.
    #[arg(short = 'k', long, default_value_t = 2, value_name = "K")]
    pub experts: usize,

    /// The gate.
    #[arg(long, value_enum, default_value_t = GateKind::Dirichlet)]
    pub gate: GateKind,

    /// The EM variant.
    #[arg(long, value_enum, default_value_t = EmMode::Weighted)]
    pub mode: EmMode,

    /// The experts' prior covariance.
    #[arg(long, value_enum, default_value_t = PriorType::Diag)]
    pub prior: PriorType,

    /// Fit no intercept (the experts' planes go through the origin).
    #[arg(long)]
    pub no_intercept: bool,

    /// Softmax gate: training epochs per M-step.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub gate_epochs: usize,

    /// Maximum EM iterations per initialisation.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_iter: usize,

    /// Stop when the bound (per row) changes by less than this.
    #[arg(
        long,
        default_value_t = 1e-4,
        value_name = "TOL",
        allow_negative_numbers = true
    )]
    pub tol: f64,

    /// Initialisations to run; the one with the best bound is kept.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub n_init: usize,

    /// Random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Float precision of the computation.
    #[arg(long, value_enum, default_value_t = Dtype::F32)]
    pub dtype: Dtype,

    /// Compute backend (only those compiled in can run).
    #[arg(long, value_enum, default_value_t = BackendKind::default_compiled())]
    pub backend: BackendKind,

    /// Save the fitted model as JSON (exact round trip; `MixtureOfExperts::load` reads it).
    #[arg(long, value_name = "PATH")]
    pub save: Option<PathBuf>,

    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub json: bool,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// How a Gaussian mixture is trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Method {
    /// Expectation-maximisation (scikit-learn's algorithm).
    #[default]
    Em,
    /// Adam on the negative log-likelihood (GMMPytorch's method), on burn's autodiff.
    Gradient,
    /// Variational Bayes (scikit-learn's BayesianGaussianMixture): priors on the weights,
    /// means and precisions; components the data do not need are switched off.
    Variational,
}

impl Method {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Method::Em => "em",
            Method::Gradient => "gradient",
            Method::Variational => "variational",
        }
    }
}

/// Options of `mixture fit`.
#[derive(Debug, Clone, Args)]
pub struct FitArgs {
    /// Data file: CSV (numbers; a first row with any non-numeric cell is a header) or .npy
    /// (2-D, float32 or float64). Without it, Fisher's iris data (150×4, bundled) is used.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Number of mixture components.
    #[arg(short = 'k', long, default_value_t = 3, value_name = "K")]
    pub components: usize,

    /// Covariance structure.
    #[arg(short, long, value_enum, default_value_t = CovarianceType::Full)]
    pub covariance: CovarianceType,

    /// Initialisation.
    #[arg(long, value_enum, default_value_t = InitMethod::KMeans)]
    pub init: InitMethod,

    /// Training method.
    #[arg(long, value_enum, default_value_t = Method::Em)]
    pub method: Method,

    /// Prior on the weights for --method variational: a Dirichlet process (stick-breaking;
    /// switches unneeded components off) or a Dirichlet distribution.
    #[arg(long, value_enum, default_value_t = WeightPrior::DirichletProcess)]
    pub weight_prior: WeightPrior,

    /// Concentration α0 of the weight prior for --method variational (default 1/K; smaller
    /// values keep fewer components).
    #[arg(long, value_name = "ALPHA")]
    pub weight_concentration: Option<f64>,

    /// Precision β0 of the prior on the means for --method variational (default 1).
    #[arg(long, value_name = "BETA")]
    pub mean_precision: Option<f64>,

    /// Degrees of freedom ν0 of the Wishart prior for --method variational (default the
    /// number of features; must exceed it minus one).
    #[arg(long, value_name = "NU")]
    pub degrees_of_freedom: Option<f64>,

    /// Covariance family for --method gradient (--covariance is EM's).
    #[arg(long, value_enum, default_value_t = Family::Full)]
    pub family: Family,

    /// Adam steps for --method gradient.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub iterations: usize,

    /// Learning rate of the mixture weights for --method gradient.
    #[arg(long, default_value_t = 1e-2, value_name = "LR")]
    pub mixture_lr: f64,

    /// Learning rate of the means and covariances for --method gradient.
    #[arg(long, default_value_t = 1e-2, value_name = "LR")]
    pub component_lr: f64,

    /// Softball prior on the means for --method gradient (multiDGD): radius and sharpness.
    #[arg(long, value_name = "RADIUS,SHARPNESS", value_delimiter = ',')]
    pub prior_softball: Option<Vec<f64>>,

    /// Gaussian prior on the negative log-variances for --method gradient: mean and
    /// standard deviation.
    #[arg(
        long,
        value_name = "MEAN,SD",
        value_delimiter = ',',
        allow_negative_numbers = true
    )]
    pub prior_log_variance: Option<Vec<f64>>,

    /// Dirichlet prior on the mixture weights for --method gradient: concentration α.
    #[arg(long, value_name = "ALPHA")]
    pub prior_dirichlet: Option<f64>,

    /// How the prior is weighed against the data term for --method gradient: once per
    /// data set (default), once per batch, or once per sample (multiDGD).
    #[arg(long, value_enum, default_value_t = PriorWeighting::PerDataset)]
    pub prior_weighting: PriorWeighting,

    /// Convergence threshold on the change of the lower bound (mean log-likelihood).
    #[arg(
        long,
        default_value_t = 1e-3,
        value_name = "TOL",
        allow_negative_numbers = true
    )]
    pub tol: f64,

    /// Added to the diagonal of every covariance, for stability.
    #[arg(
        long,
        default_value_t = 1e-6,
        value_name = "REG",
        allow_negative_numbers = true
    )]
    pub reg_covar: f64,

    /// Maximum EM iterations per initialisation.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_iter: usize,

    /// Initialisations to run; the one with the best lower bound is kept.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub n_init: usize,

    /// Random seed (initialisation).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Rows per batch for exact mini-batch EM (same result as the full batch; bounds memory).
    #[arg(long, value_name = "ROWS")]
    pub batch_size: Option<usize>,

    /// About which point the E-step takes the components' second moments: `data-mean` (one
    /// product per batch, the fastest) or `component-means` (residuals to every component's
    /// mean: an f32 fit keeps thin components far from the data mean; several times slower
    /// per iteration for diag and spherical). `--method em` and `variational`.
    #[arg(long, value_enum, default_value_t = StatisticsCentre::DataMean, value_name = "CENTRE")]
    pub statistics_centre: StatisticsCentre,

    /// Read the input from disk in batches of --batch-size rows on every EM pass instead of
    /// loading it: memory holds one batch, for data larger than memory. A `.npy` file must be
    /// little-endian float32 or float64 in C order (`--dtype auto` then follows its dtype);
    /// any other file is read as CSV (in f64 under auto). `--init k-means++` needs the data
    /// in memory (use kmeans or random).
    /// The result equals the in-memory fit up to float rounding. `--method em` and
    /// `variational`. Default batch: about 2²² values of the widest per-row intermediate
    /// (max(K·D, 2D + 1) per row).
    #[arg(long)]
    pub stream: bool,

    /// Under `mpirun` (a build with `--features mpi`): every rank reads its own contiguous
    /// block of rows of the one --input file (rank order = row order). Without it, `{rank}`
    /// in --input names each rank's own shard file. Either way the fit streams and equals
    /// the single-process fit of all the rows; rank 0 prints the report and writes --save.
    #[arg(long)]
    pub shard_rows: bool,

    /// Float precision: `auto` fits in f32 and moves to f64 (saying why) when the data's
    /// offsets or scales, a failed fit, or a likelihood that f64 does not confirm show that f32
    /// cannot be trusted; `f32` and `f64` fix it.
    #[arg(long, value_enum, default_value_t = FitDtype::Auto)]
    pub dtype: FitDtype,

    /// Compute backend (only those compiled in can run).
    #[arg(long, value_enum, default_value_t = BackendKind::default_compiled())]
    pub backend: BackendKind,

    /// Save the fitted model as JSON (load it with `mixture predict --model`).
    #[arg(long, value_name = "PATH")]
    pub save: Option<PathBuf>,

    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub json: bool,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// Options of `mixture kmeans`.
#[derive(Debug, Clone, Args)]
pub struct KMeansArgs {
    /// Data file: CSV (numbers; a first row with any non-numeric cell is a header) or .npy
    /// (2-D, float32 or float64). Without it, Fisher's iris data (150×4, bundled) is used.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Number of clusters.
    #[arg(short = 'k', long, default_value_t = 3, value_name = "K")]
    pub clusters: usize,

    /// Seeding of each restart: `k-means++` (scikit-learn's greedy k-means++) or `random`
    /// (K distinct rows).
    #[arg(long, value_enum, default_value_t = KMeansInit::KMeansPlusPlus)]
    pub init: KMeansInit,

    /// Restarts; the one with the lowest inertia is kept.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub n_init: usize,

    /// Maximum Lloyd iterations per restart.
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub max_iter: usize,

    /// Stop when the squared centre shift is at most TOL times the mean feature variance
    /// (scikit-learn's relative tolerance; 0 stops only when no label changes).
    #[arg(
        long,
        default_value_t = 1e-4,
        value_name = "TOL",
        allow_negative_numbers = true
    )]
    pub tol: f64,

    /// Random seed (seeding).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Rows per batch (same result as one batch; bounds the memory of the distances).
    #[arg(long, value_name = "ROWS")]
    pub batch_size: Option<usize>,

    /// Read the input from disk in batches on every Lloyd pass instead of loading it (as
    /// `mixture fit --stream`: `.npy` or CSV). The report then gives cluster sizes and
    /// centres, not every row's label (`mixture predict` with `--save`'s model gives them).
    #[arg(long)]
    pub stream: bool,

    /// Under `mpirun` (a build with `--features mpi`): every rank reads its own contiguous
    /// block of rows of the one --input file (as `mixture fit --shard-rows`).
    #[arg(long)]
    pub shard_rows: bool,

    /// Float precision: `auto` is f32 unless the data's range or offsets defeat f32 (then
    /// f64, and the report says why); `f32` and `f64` fix it.
    #[arg(long, value_enum, default_value_t = FitDtype::Auto)]
    pub dtype: FitDtype,

    /// Compute backend (only those compiled in can run).
    #[arg(long, value_enum, default_value_t = BackendKind::default_compiled())]
    pub backend: BackendKind,

    /// Save the fitted model as JSON (load it with `mixture predict --model`).
    #[arg(long, value_name = "PATH")]
    pub save: Option<PathBuf>,

    /// Print one JSON object (with every row's label) instead of the report.
    #[arg(long)]
    pub json: bool,
}

/// Options of `mixture select`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Criteria, all in scikit-learn's sign (lower is better): BIC = -2 ln L + p ln N; \
AIC = -2 ln L + 2p; ICL = BIC + 2 x the entropy of the responsibilities (mclust's ICL, whose \
sign is the opposite there). L: the likelihood of the data, p: free parameters, N: rows."
)]
pub struct SelectArgs {
    /// Data file: CSV or .npy, as for `fit`. Without it, the bundled iris data.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Numbers of components: a range `1..9` (both ends included), or a list `2,4,8`.
    #[arg(short = 'k', long, default_value = "1..9", value_name = "K", value_parser = parse_components)]
    pub components: Components,

    /// Covariance types, comma-separated: `full`, `tied`, `diag`, `spherical`.
    #[arg(
        short,
        long,
        value_enum,
        default_value = "full,tied,diag,spherical",
        value_delimiter = ',',
        value_name = "TYPES"
    )]
    pub covariance: Vec<CovarianceType>,

    /// What ranks the fits: `bic`, `aic` or `icl` (lower is better for all three).
    #[arg(long, value_enum, default_value_t = Criterion::Bic)]
    pub criterion: Criterion,

    /// How every cell is fitted: `em`, or `variational` (scikit-learn's
    /// BayesianGaussianMixture with its default priors; the criteria are then those of each
    /// fit's point estimate, and `--json` adds each cell's `elbo`).
    #[arg(long, value_enum, default_value_t = SelectionMethod::Em)]
    pub method: SelectionMethod,

    /// Initialisation of every fit.
    #[arg(long, value_enum, default_value_t = InitMethod::KMeans)]
    pub init: InitMethod,

    /// Initialisations per fit; the best lower bound is kept.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub n_init: usize,

    /// Random seed of every fit.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Convergence threshold of every fit.
    #[arg(
        long,
        default_value_t = 1e-3,
        value_name = "TOL",
        allow_negative_numbers = true
    )]
    pub tol: f64,

    /// Added to the diagonal of every covariance.
    #[arg(
        long,
        default_value_t = 1e-6,
        value_name = "REG",
        allow_negative_numbers = true
    )]
    pub reg_covar: f64,

    /// Maximum EM iterations per initialisation.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_iter: usize,

    /// Read the input from disk in batches on every pass of every cell instead of loading
    /// it (as `mixture fit --stream`: `.npy`, CSV or Parquet); each cell is the streamed fit.
    #[arg(long)]
    pub stream: bool,

    /// Rows per batch with --stream (default: about 2²² values of the widest per-row
    /// intermediate).
    #[arg(long, value_name = "ROWS")]
    pub batch_size: Option<usize>,

    /// About which point the E-step takes the components' second moments: `data-mean` (one
    /// product per batch, the fastest) or `component-means` (residuals to every component's
    /// mean: an f32 fit keeps thin components far from the data mean; several times slower
    /// per iteration for diag and spherical). `--method em` and `variational`.
    #[arg(long, value_enum, default_value_t = StatisticsCentre::DataMean, value_name = "CENTRE")]
    pub statistics_centre: StatisticsCentre,

    /// Under `mpirun` (a build with `--features mpi`): every rank reads its own block of rows
    /// of the one --input file (as `mixture fit --shard-rows`).
    #[arg(long)]
    pub shard_rows: bool,

    /// Float precision: `auto` is f32 unless the data's range or offsets defeat f32 (then
    /// f64, and the report says why); `f32` and `f64` fix it.
    #[arg(long, value_enum, default_value_t = FitDtype::Auto)]
    pub dtype: FitDtype,

    /// Compute backend (only those compiled in can run).
    #[arg(long, value_enum, default_value_t = BackendKind::default_compiled())]
    pub backend: BackendKind,

    /// Draw the criterion against the number of components, one line per covariance type,
    /// the best fit marked, to this PNG file.
    #[arg(long, value_name = "PATH.png")]
    pub plot: Option<PathBuf>,

    /// Save the best model as JSON (load it with `mixture predict --model`).
    #[arg(long, value_name = "PATH")]
    pub save: Option<PathBuf>,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// The numbers of components of `mixture select`, in the order given, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Components(pub Vec<usize>);

/// Parses `1..9`, `1..=9` (both: 1 to 9) or `2,4,8`.
fn parse_components(s: &str) -> Result<Components, String> {
    let number = |t: &str| {
        t.trim()
            .parse::<usize>()
            .ok()
            .filter(|&k| k >= 1)
            .ok_or_else(|| format!("`{t}` is not a number of components (an integer >= 1)"))
    };
    let mut ks: Vec<usize> = Vec::new();
    if let Some((a, b)) = s.split_once("..") {
        let (a, b) = (number(a)?, number(b.trim_start_matches('='))?);
        if a > b {
            return Err(format!(
                "the range {s} is empty: write the smaller number first"
            ));
        }
        ks.extend(a..=b);
    } else {
        for t in s.split(',') {
            let k = number(t)?;
            if !ks.contains(&k) {
                ks.push(k);
            }
        }
    }
    Ok(Components(ks))
}

/// Options of `mixture predict`.
#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// A model saved by `mixture fit --save` (a Gaussian mixture), `mixture kmeans --save`
    /// (a k-means model) or `mixture regress --save` (a mixture of experts).
    #[arg(short, long, value_name = "PATH")]
    pub model: PathBuf,

    /// Data file (CSV or .npy) with the model's number of features (a mixture of experts:
    /// its input columns only, no target).
    #[arg(short, long, value_name = "FILE")]
    pub input: PathBuf,

    /// Print the probability of every component (CSV rows) instead of labels; for a mixture
    /// of experts, the gate's weights instead of the predictions (k-means models have no
    /// probabilities).
    #[arg(long)]
    pub proba: bool,

    /// Print one JSON object (`labels`, and `probabilities` with --proba; for a mixture of
    /// experts `predictions`, and `gate_weights` with --proba).
    #[arg(long)]
    pub json: bool,

    /// Compute backend (only those compiled in can run).
    #[arg(long, value_enum, default_value_t = BackendKind::default_compiled())]
    pub backend: BackendKind,
}

/// What parsing the command line produced when it did not produce a command.
#[derive(Debug)]
pub enum ParseOutcome {
    /// Help or version was printed; exit with this code.
    Printed(i32),
    /// A usage error, already folded into one line starting with `error:`.
    Error(String),
}

/// Parses `args` (the program name first). Help and version are printed here; a usage error
/// comes back as one line.
pub fn parse<I, T>(args: I) -> Result<Cli, ParseOutcome>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::error::ErrorKind;
    match Cli::try_parse_from(args) {
        Ok(cli) => Ok(cli),
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                let _ = e.print();
                Err(ParseOutcome::Printed(0))
            }
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = e.print();
                Err(ParseOutcome::Printed(2))
            }
            _ => Err(ParseOutcome::Error(one_line(&e.to_string()))),
        },
    }
}

/// Folds clap's multi-line message into one line, dropping its usage and `--help` hints.
fn one_line(message: &str) -> String {
    let mut parts = Vec::new();
    for line in message.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("For more information") {
            continue;
        }
        if line.starts_with("Usage:") {
            break;
        }
        parts.push(line);
    }
    let joined = parts.join(" ");
    if joined.starts_with("error:") {
        joined
    } else {
        format!("error: {joined}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(args: &[&str]) -> String {
        match parse(args.iter().copied()) {
            Err(ParseOutcome::Error(line)) => line,
            Err(ParseOutcome::Printed(code)) => panic!("printed, exit {code}"),
            Ok(cli) => panic!("parsed: {cli:?}"),
        }
    }

    #[test]
    fn defaults() {
        let Ok(Cli {
            command: Command::Fit(a),
            ..
        }) = parse(["mixture", "fit"])
        else {
            panic!("fit did not parse");
        };
        assert_eq!(a.components, 3);
        assert_eq!(a.covariance, CovarianceType::Full);
        assert_eq!(a.init, InitMethod::KMeans);
        assert_eq!(a.method, Method::Em);
        assert_eq!(
            (a.tol, a.reg_covar, a.max_iter, a.n_init, a.seed),
            (1e-3, 1e-6, 100, 1, 0)
        );
        assert_eq!(a.dtype, FitDtype::Auto);
        assert!(a.input.is_none() && a.save.is_none() && !a.json);
    }

    #[test]
    fn option_values() {
        let Ok(Cli {
            command: Command::Fit(a),
            ..
        }) = parse([
            "mixture",
            "fit",
            "--init",
            "k-means++",
            "--covariance",
            "diag",
            "--dtype",
            "f64",
            "--batch-size",
            "10",
        ])
        else {
            panic!("did not parse");
        };
        assert_eq!(
            (a.init, a.covariance, a.dtype, a.batch_size),
            (
                InitMethod::KMeansPlusPlus,
                CovarianceType::Diag,
                FitDtype::F64,
                Some(10)
            )
        );
        let Ok(Cli {
            command: Command::Fit(a),
            ..
        }) = parse(["mixture", "fit", "--init", "random-from-data"])
        else {
            panic!("did not parse");
        };
        assert_eq!(a.init, InitMethod::RandomFromData);
    }

    #[test]
    fn kmeans_options_use_the_library_names() {
        let Ok(Cli {
            command: Command::Kmeans(a),
            ..
        }) = parse(["mixture", "kmeans"])
        else {
            panic!("kmeans did not parse");
        };
        assert_eq!(
            (a.clusters, a.init, a.n_init, a.max_iter, a.tol, a.seed),
            (3, KMeansInit::KMeansPlusPlus, 1, 300, 1e-4, 0)
        );
        let Ok(Cli {
            command: Command::Kmeans(a),
            ..
        }) = parse(["mixture", "kmeans", "-k", "5", "--init", "random"])
        else {
            panic!("kmeans did not parse");
        };
        assert_eq!((a.clusters, a.init), (5, KMeansInit::Random));
        let line = parse_err(&["mixture", "kmeans", "--init", "banana"]);
        assert!(
            line.contains("banana") && line.contains("k-means++"),
            "{line}"
        );
    }

    #[test]
    fn select_grids_parse() {
        let Ok(Cli {
            command: Command::Select(a),
            ..
        }) = parse(["mixture", "select"])
        else {
            panic!("select did not parse");
        };
        assert_eq!(a.components, Components((1..=9).collect()));
        assert_eq!(a.covariance, CovarianceType::ALL.to_vec());
        assert_eq!(a.criterion, Criterion::Bic);
        let Ok(Cli {
            command: Command::Select(a),
            ..
        }) = parse([
            "mixture",
            "select",
            "-k",
            "2,4,2,8",
            "-c",
            "diag,full",
            "--criterion",
            "icl",
        ])
        else {
            panic!("select did not parse");
        };
        assert_eq!(a.components, Components(vec![2, 4, 8]));
        assert_eq!(a.covariance, [CovarianceType::Diag, CovarianceType::Full]);
        assert_eq!(a.criterion, Criterion::Icl);
        assert_eq!(parse_components("3..=5"), Ok(Components(vec![3, 4, 5])));
        for bad in ["0..3", "5..2", "a", "1,,2", ""] {
            assert!(parse_components(bad).is_err(), "{bad}");
        }
        let line = parse_err(&["mixture", "select", "--criterion", "xyz"]);
        assert!(line.contains("xyz") && line.contains("icl"), "{line}");
        let line = parse_err(&["mixture", "select", "-c", "full,round"]);
        assert!(line.contains("round"), "{line}");
    }

    #[test]
    fn delimiter_is_global_and_one_character() {
        for (args, want) in [
            (&["mixture", "--delimiter", ";", "fit"][..], Some(b';')),
            (&["mixture", "kmeans", "--delimiter", "tab"], Some(b'\t')),
            (&["mixture", "fit"], None),
        ] {
            let Ok(cli) = parse(args.iter().copied()) else {
                panic!("{args:?} did not parse");
            };
            assert_eq!(cli.delimiter, want, "{args:?}");
        }
        let line = parse_err(&["mixture", "fit", "--delimiter", ";;"]);
        assert!(line.contains("not a delimiter"), "{line}");
    }

    #[test]
    fn bad_option_values_are_one_line() {
        for args in [
            &["mixture", "fit", "--covariance", "banana"][..],
            &["mixture", "fit", "--components", "-3"],
            &["mixture", "fit", "--tol", "abc"],
            &["mixture", "fit", "--max-iter", "-1"],
            &["mixture", "fit", "--frobnicate"],
            &["mixture", "predict", "--input", "x.csv"],
            &["mixture", "launch"],
        ] {
            let line = parse_err(args);
            assert!(line.starts_with("error: "), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
        let line = parse_err(&["mixture", "fit", "--covariance", "banana"]);
        assert!(
            line.contains("banana") && line.contains("spherical"),
            "{line}"
        );
    }
}
