//! The fit report: a readable text form and a JSON object.

use serde::Serialize;

use crate::cli::{FitArgs, Method};
use crate::dataset::{Classes, Dataset};
use crate::fit::{FitOutcome, VariationalOutcome};
use crate::precision::Choice;

/// Feature columns shown in the text report's table of means (all are in the JSON).
const MAX_TABLE_FEATURES: usize = 8;

/// Everything `mixture fit` reports. Serialised as the `--json` object.
#[derive(Debug, Clone, Serialize)]
pub struct FitReport {
    /// The data: a file path, or `iris (bundled)`.
    pub input: String,
    /// How the file's values were read, when that needs saying (a `;` delimiter, integers
    /// converted, Fortran order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_note: Option<String>,
    /// Training method (`em`).
    pub method: &'static str,
    /// Backend the fit ran on.
    pub backend: &'static str,
    /// Float precision of the fit returned.
    pub dtype: &'static str,
    /// The precision asked for: `auto`, `f32` or `f64`.
    pub dtype_requested: &'static str,
    /// How `--dtype auto` chose: why it moved to f64, or that f64 confirmed the f32 fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtype_note: Option<String>,
    /// MPI ranks the fit ran on (each streaming its shard), when it ran across a job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world_size: Option<usize>,
    /// Rows of the data (over every rank).
    pub n_samples: usize,
    /// Columns of the data.
    pub n_features: usize,
    /// Mixture components.
    pub n_components: usize,
    /// `full`, `tied`, `diag` or `spherical`.
    pub covariance_type: String,
    /// Initialisation method.
    pub init: String,
    /// Random seed.
    pub seed: u64,
    /// Initialisations run.
    pub n_init: usize,
    /// Convergence threshold.
    pub tol: f64,
    /// Covariance regularisation.
    pub reg_covar: f64,
    /// Iteration limit.
    pub max_iter: usize,
    /// Mini-batch size, if any.
    pub batch_size: Option<usize>,
    /// About which point the E-step took second moments (`data-mean` or `component-means`;
    /// EM and variational fits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistics_centre: Option<String>,
    /// Whether the fit converged.
    pub converged: bool,
    /// Iterations run.
    pub n_iter: usize,
    /// scikit-learn's `score`: mean log-likelihood per sample.
    pub mean_log_likelihood: f64,
    /// Final lower bound.
    pub lower_bound: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Akaike information criterion.
    pub aic: f64,
    /// Free parameters.
    pub n_parameters: usize,
    /// Mixing weights `[K]`.
    pub weights: Vec<f64>,
    /// Means `[K][D]`.
    pub means: Vec<Vec<f64>>,
    /// Seconds spent fitting.
    pub fit_seconds: f64,
    /// The final training loss (`--method gradient` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_loss: Option<f64>,
    /// `--method variational` only: `elbo` (scikit-learn's `lower_bound_`, a sum over
    /// samples), `n_effective_components` (weights above 1 %), the weight prior and `α0`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub variational: Option<VariationalOutcome>,
    /// Column names (CSV header, else `x0`, `x1`, …).
    pub feature_names: Vec<String>,
    /// Where the model was saved, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<String>,
    /// Components against known classes, for data that has them (the bundled iris).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_table: Option<ClassTable>,
}

/// Counts of rows per (component, known class).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassTable {
    /// What the classes are (for example `species`).
    pub title: String,
    /// Class names.
    pub classes: Vec<String>,
    /// `counts[k][c]`: rows of class `c` assigned to component `k`.
    pub counts: Vec<Vec<usize>>,
}

impl ClassTable {
    /// Counts the rows of every known class in each of the `k` groups `labels` assigns.
    pub fn new(classes: &Classes, labels: &[usize], k: usize) -> Self {
        let mut counts = vec![vec![0; classes.names.len()]; k];
        for (&group, &c) in labels.iter().zip(&classes.of_row) {
            if let Some(row) = counts.get_mut(group) {
                row[c] += 1;
            }
        }
        Self {
            title: classes.title.clone(),
            classes: classes.names.clone(),
            counts,
        }
    }
}

impl FitReport {
    /// Assembles the report from the options, the data and the fit.
    pub fn new(args: &FitArgs, data: &Dataset, outcome: FitOutcome, choice: Choice) -> Self {
        let class_table = match (&data.classes, &outcome.labels) {
            (Some(classes), Some(labels)) => {
                Some(ClassTable::new(classes, labels, args.components))
            }
            _ => None,
        };
        Self {
            input: data.name.clone(),
            data_note: data.matrix.note.clone(),
            world_size: None,
            method: args.method.name(),
            backend: args.backend.name(),
            dtype: choice.dtype.name(),
            dtype_requested: args.dtype.name(),
            dtype_note: choice.note,
            n_samples: data.matrix.n_rows,
            n_features: data.matrix.n_cols,
            n_components: args.components,
            covariance_type: match args.method {
                Method::Em | Method::Variational => args.covariance.to_string(),
                Method::Gradient => args.family.as_str().to_string(),
            },
            init: match args.method {
                Method::Em | Method::Variational => args.init.to_string(),
                Method::Gradient => "from-data".to_string(),
            },
            seed: args.seed,
            n_init: args.n_init,
            tol: match args.method {
                Method::Em | Method::Variational => args.tol,
                Method::Gradient => mixture::gradient::GradientMixtureConfig::new(1).tol,
            },
            reg_covar: args.reg_covar,
            max_iter: match args.method {
                Method::Em | Method::Variational => args.max_iter,
                Method::Gradient => args.iterations,
            },
            batch_size: args.batch_size,
            statistics_centre: outcome.statistics_centre.map(|c| c.to_string()),
            converged: outcome.converged,
            n_iter: outcome.n_iter,
            mean_log_likelihood: outcome.mean_log_likelihood,
            lower_bound: outcome.lower_bound,
            bic: outcome.bic,
            aic: outcome.aic,
            n_parameters: outcome.n_parameters,
            weights: outcome.weights,
            means: outcome.means,
            fit_seconds: outcome.fit_seconds,
            final_loss: outcome.final_loss,
            variational: outcome.variational,
            feature_names: data.feature_names(),
            saved_to: args.save.as_ref().map(|p| p.display().to_string()),
            class_table,
        }
    }
}

/// The report as text for a terminal.
pub fn render_text(r: &FitReport) -> String {
    let mut out = String::new();
    let method = match r.method {
        "em" => "EM",
        "variational" => "variational Bayes",
        other => other,
    };
    let line = |out: &mut String, key: &str, value: String| {
        out.push_str(&format!("  {key:<21}{value}\n"));
    };
    out.push_str(&format!(
        "Gaussian mixture ({method}) on {}: {} samples x {} features\n\n",
        r.input, r.n_samples, r.n_features
    ));
    if let Some(note) = &r.data_note {
        line(&mut out, "data", note.clone());
    }
    line(
        &mut out,
        "components",
        format!("{}, {} covariance", r.n_components, r.covariance_type),
    );
    line(
        &mut out,
        "initialisation",
        format!("{}, n_init {}, seed {}", r.init, r.n_init, r.seed),
    );
    let batch = r
        .batch_size
        .map_or(String::new(), |b| format!(", batch size {b}"));
    let centre = match r.statistics_centre.as_deref() {
        Some(c) if c != "data-mean" => {
            format!(", second moments about the {}", c.replace('-', " "))
        }
        _ => String::new(),
    };
    line(
        &mut out,
        "backend",
        format!("{}, {}{batch}{centre}", r.backend, r.dtype),
    );
    if let Some(note) = &r.dtype_note {
        line(&mut out, "precision", note.clone());
    }
    let converged = if r.converged { "yes" } else { "NO" };
    line(
        &mut out,
        "converged",
        format!(
            "{converged}, after {} iterations (tol {}, max_iter {})",
            r.n_iter,
            short_number(r.tol),
            r.max_iter
        ),
    );
    line(
        &mut out,
        "mean log-likelihood",
        format!("{:.6}", r.mean_log_likelihood),
    );
    line(&mut out, "lower bound", format!("{:.6}", r.lower_bound));
    if let Some(loss) = r.final_loss {
        line(&mut out, "final loss", format!("{loss:.6}"));
    }
    if let Some(v) = &r.variational {
        line(
            &mut out,
            "ELBO",
            format!(
                "{:.6} (sum over samples, as scikit-learn's lower_bound_)",
                v.elbo
            ),
        );
        line(
            &mut out,
            "weight prior",
            format!(
                "{}, concentration {}",
                v.weight_prior,
                short_number(v.weight_concentration_prior)
            ),
        );
        line(
            &mut out,
            "effective components",
            format!(
                "{} of {} (weight above 1 %)",
                v.n_effective_components, r.n_components
            ),
        );
    }
    line(&mut out, "BIC", format!("{:.4}", r.bic));
    line(&mut out, "AIC", format!("{:.4}", r.aic));
    line(&mut out, "parameters", r.n_parameters.to_string());
    line(&mut out, "fit time", format!("{:.3} s", r.fit_seconds));
    if let Some(path) = &r.saved_to {
        line(&mut out, "saved to", path.clone());
    }

    // Weights and means, one row per component.
    let rows: Vec<(String, &[f64])> = r
        .weights
        .iter()
        .zip(&r.means)
        .map(|(w, m)| (format!("{w:.4}"), m.as_slice()))
        .collect();
    push_table(
        &mut out,
        ("component", "weight"),
        &rows,
        &r.feature_names,
        "means",
    );
    if let Some(t) = &r.class_table {
        push_class_table(&mut out, "component", t);
    }
    out
}

/// A table of one row per component (or cluster): its index, one more column (`heads.1`, the
/// weight or the size), then its vector (`what`: means or centres) over the first
/// [`MAX_TABLE_FEATURES`] features.
pub fn push_table(
    out: &mut String,
    heads: (&str, &str),
    rows: &[(String, &[f64])],
    feature_names: &[String],
    what: &str,
) {
    let n_features = feature_names.len();
    let shown = n_features.min(MAX_TABLE_FEATURES);
    let names = &feature_names[..shown];
    let widths: Vec<usize> = names.iter().map(|n| n.len().max(8)).collect();
    out.push_str(&format!("\n  {:<11}{:>8}  ", heads.0, heads.1));
    for (n, w) in names.iter().zip(&widths) {
        out.push_str(&format!("  {n:>w$}"));
    }
    out.push('\n');
    for (k, (second, vector)) in rows.iter().enumerate() {
        out.push_str(&format!("  {k:<11}{second:>8}  "));
        for (v, w) in vector.iter().zip(&widths) {
            out.push_str(&format!("  {:>w$}", table_number(*v)));
        }
        out.push('\n');
    }
    if shown < n_features {
        out.push_str(&format!(
            "  ({what} of the first {shown} of {n_features} features; --json prints all)\n"
        ));
    }
}

/// Groups (`group`: component or cluster) against known classes.
pub fn push_class_table(out: &mut String, group: &str, t: &ClassTable) {
    let widths: Vec<usize> = t.classes.iter().map(|n| n.len().max(6)).collect();
    out.push_str(&format!("\n  {:<21}", format!("{group} \\ {}", t.title)));
    for (n, w) in t.classes.iter().zip(&widths) {
        out.push_str(&format!("  {n:>w$}"));
    }
    out.push('\n');
    for (k, row) in t.counts.iter().enumerate() {
        out.push_str(&format!("  {k:<21}"));
        for (c, w) in row.iter().zip(&widths) {
            out.push_str(&format!("  {c:>w$}"));
        }
        out.push('\n');
    }
}

/// A table cell: four decimals, or scientific notation for very large or small values.
fn table_number(v: f64) -> String {
    if v != 0.0 && !(1e-3..1e6).contains(&v.abs()) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

/// A small positive number the way people write it: `0.001`, `1e-6`, `0`.
pub fn short_number(v: f64) -> String {
    if v == 0.0 || (1e-3..1e6).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(1e-3), "0.001");
        assert_eq!(short_number(1e-6), "1e-6");
        assert_eq!(short_number(0.0), "0");
        assert_eq!(short_number(100.0), "100");
        assert_eq!(table_number(-1.5), "-1.5000");
        assert_eq!(table_number(0.0), "0.0000");
        assert_eq!(table_number(6.98e30), "6.980e30");
    }
}
