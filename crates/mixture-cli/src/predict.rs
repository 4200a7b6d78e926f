//! `mixture predict`: assign rows to the components of a saved Gaussian mixture or to the
//! clusters of a saved k-means model, or predict the target with a saved mixture of experts.

use std::fmt::Write as _;

use burn::tensor::{backend::Backend, DType};
use mixture::core::tensor::{to_vec_f64, to_vec_i64};
use mixture::em::persist::ModelKind;
use mixture::em::{BayesianGaussianMixture, GaussianMixture, KMeans, MixtureOfExperts};

use crate::backend::{self, BackendJob, BackendKind, Dtype};
use crate::cli::PredictArgs;
use crate::data::{self, Matrix};
use crate::error::CliError;

/// What a saved model gives for the rows.
enum Predictions {
    /// A Gaussian mixture or k-means: labels, and the components' probabilities when asked
    /// for (Gaussian mixtures only).
    Labels {
        labels: Vec<i64>,
        /// `[N][K]`.
        proba: Option<Vec<Vec<f64>>>,
    },
    /// A mixture of experts: the prediction `Σ_k π_k(x) ŷ_k(x)` per row (`[N][P]`), and the
    /// gate's weights `π(x)` (`[N][K]`) when asked for.
    Regression {
        prediction: Vec<Vec<f64>>,
        weights: Option<Vec<Vec<f64>>>,
    },
}

/// `[rows × cols]` host values as rows.
fn rows(values: Vec<f64>, cols: usize) -> Vec<Vec<f64>> {
    values.chunks(cols.max(1)).map(<[f64]>::to_vec).collect()
}

/// Prediction, as a job for any backend.
struct PredictJob<'a> {
    json: &'a str,
    kind: ModelKind,
    model_name: String,
    input_name: String,
    x: &'a Matrix,
    proba: bool,
    /// Column means taken off the rows on the host, in f64, with the model moved by as much
    /// (an f32 model of data far from the origin: see [`centring`]).
    shift: Option<&'a [f64]>,
}

impl PredictJob<'_> {
    fn check_columns(&self, d: usize) -> Result<(), CliError> {
        if self.x.n_cols != d {
            return Err(CliError::Usage(format!(
                "{} has {} columns but the model {} was fitted on {d} features",
                self.input_name, self.x.n_cols, self.model_name
            )));
        }
        Ok(())
    }

    fn load_error(&self, e: mixture::core::Error) -> CliError {
        CliError::Usage(format!("{}: {e}", self.model_name))
    }

    fn gaussian<B: Backend>(self, device: B::Device) -> Result<Predictions, CliError> {
        let model =
            GaussianMixture::<B>::from_json(self.json, &device).map_err(|e| self.load_error(e))?;
        let d = model.n_features();
        self.check_columns(d)?;
        // The data takes the model's dtype.
        let x = self.x.values.tensor_shifted::<B>(
            0..self.x.n_rows,
            d,
            &device,
            model.means().dtype(),
            self.shift,
        );
        let labels = to_vec_i64(model.predict(&x)?)?;
        let proba = if self.proba {
            Some(rows(
                to_vec_f64(model.predict_proba(&x)?)?,
                model.n_components(),
            ))
        } else {
            None
        };
        Ok(Predictions::Labels { labels, proba })
    }

    fn bayesian<B: Backend>(self, device: B::Device) -> Result<Predictions, CliError> {
        let model = BayesianGaussianMixture::<B>::from_json(self.json, &device)
            .map_err(|e| self.load_error(e))?;
        let d = model.n_features();
        self.check_columns(d)?;
        let x = self.x.values.tensor_shifted::<B>(
            0..self.x.n_rows,
            d,
            &device,
            model.means().dtype(),
            self.shift,
        );
        let labels = to_vec_i64(model.predict(&x)?)?;
        let proba = if self.proba {
            Some(rows(
                to_vec_f64(model.predict_proba(&x)?)?,
                model.n_components(),
            ))
        } else {
            None
        };
        Ok(Predictions::Labels { labels, proba })
    }

    fn kmeans<B: Backend>(self, device: B::Device) -> Result<Predictions, CliError> {
        let model = KMeans::<B>::from_json(self.json, &device).map_err(|e| self.load_error(e))?;
        let d = model.n_features();
        self.check_columns(d)?;
        let x = self.x.values.tensor_shifted::<B>(
            0..self.x.n_rows,
            d,
            &device,
            model.centroids().dtype(),
            self.shift,
        );
        let labels = to_vec_i64(model.predict(&x)?)?;
        Ok(Predictions::Labels {
            labels,
            proba: None,
        })
    }

    fn regression<B: Backend>(self, device: B::Device) -> Result<Predictions, CliError> {
        let model =
            MixtureOfExperts::<B>::from_json(self.json, &device).map_err(|e| self.load_error(e))?;
        let d = model.n_features();
        self.check_columns(d)?;
        let like = model.coefficients();
        let x = self
            .x
            .values
            .tensor::<B>(0..self.x.n_rows, d, &device, like.dtype());
        let (prediction, weights) = model.predict(&x)?;
        Ok(Predictions::Regression {
            prediction: rows(to_vec_f64(prediction)?, model.n_outputs()),
            weights: if self.proba {
                Some(rows(to_vec_f64(weights)?, model.n_experts()))
            } else {
                None
            },
        })
    }
}

impl BackendJob for PredictJob<'_> {
    type Output = Predictions;

    fn run<B: Backend>(self, device: B::Device, _dtype: DType) -> Result<Predictions, CliError> {
        match self.kind {
            ModelKind::GaussianMixture => self.gaussian::<B>(device),
            ModelKind::KMeans => self.kmeans::<B>(device),
            ModelKind::MixtureOfExperts => self.regression::<B>(device),
            ModelKind::BayesianGaussianMixture => self.bayesian::<B>(device),
        }
    }
}

/// The dtype recorded in a saved model, and what the model is (from the model file's header,
/// [`mixture::em::persist::peek`]).
fn saved_kind(json: &str, model_name: &str) -> Result<(Dtype, ModelKind), CliError> {
    use mixture::em::persist::{peek, SavedDtype};
    let header = peek(json).map_err(|e| {
        CliError::Usage(format!(
            "{model_name} is not a model file saved by `mixture fit`, `mixture kmeans` or `mixture regress` with --save: {e}"
        ))
    })?;
    let dtype = match header.dtype {
        SavedDtype::F64 => Dtype::F64,
        _ => Dtype::F32,
    };
    Ok((dtype, header.format))
}

/// Runs `mixture predict`.
pub fn run(args: &PredictArgs, delimiter: Option<u8>) -> Result<(), CliError> {
    let model_name = args.model.display().to_string();
    let json = std::fs::read_to_string(&args.model).map_err(|e| {
        CliError::Usage(format!(
            "cannot read the model {model_name}: {}",
            match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ => e.to_string(),
            }
        ))
    })?;
    let (dtype, kind) = saved_kind(&json, &model_name)?;
    if kind == ModelKind::KMeans && args.proba {
        return Err(CliError::Usage(format!(
            "{model_name} is a k-means model: it assigns each row to one cluster and has no probabilities; drop --proba"
        )));
    }
    if args.backend == BackendKind::Wgpu && dtype == Dtype::F64 {
        return Err(CliError::Usage(format!(
            "{model_name} is an f64 model and the wgpu backend supports only f32; use --backend flex"
        )));
    }
    let x = data::read_matrix(&args.input, delimiter)?;
    let (json, shift) = centring(json, dtype, kind, &x);
    let job = PredictJob {
        shift: shift.as_deref(),
        json: &json,
        kind,
        model_name,
        input_name: args.input.display().to_string(),
        x: &x,
        proba: args.proba,
    };
    let p = backend::dispatch(args.backend, dtype, job)?;
    crate::write_stdout(&render(&p, args.json))
}

/// An f32 model of a mixture or of k-means, given rows that the cast to f32 would round
/// (far from the origin against their spread, `precision::f32_fit`), is moved to the rows'
/// column means and the rows centred on the host in f64, so that the prediction sees their
/// digits; labels and probabilities do not change under the move. Otherwise, or when the
/// model cannot be moved (a width the check of columns reports), nothing changes.
fn centring(json: String, dtype: Dtype, kind: ModelKind, x: &Matrix) -> (String, Option<Vec<f64>>) {
    if dtype != Dtype::F32 || kind == ModelKind::MixtureOfExperts {
        return (json, None);
    }
    let crate::precision::F32Fit::Centred(crate::precision::Centring { shift, .. }) =
        crate::precision::f32_fit(x)
    else {
        return (json, None);
    };
    let back: Vec<f64> = shift.iter().map(|s| -s).collect();
    match mixture::em::persist::translate(&json, &back) {
        Ok(moved) => (moved, Some(shift)),
        Err(_) => (json, None),
    }
}

/// CSV rows of six decimals.
fn csv_rows(out: &mut String, rows: &[Vec<f64>]) {
    for row in rows {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:.6}")).collect();
        let _ = writeln!(out, "{}", cells.join(","));
    }
}

/// Labels (or predictions) one per line, probabilities (or gate weights) as CSV rows, or one
/// JSON object.
fn render(p: &Predictions, json: bool) -> String {
    let mut out = String::new();
    match p {
        Predictions::Labels { labels, proba } => {
            if json {
                let mut obj = serde_json::json!({ "labels": labels });
                if let Some(proba) = proba {
                    obj["probabilities"] = serde_json::json!(proba);
                }
                return format!("{obj}\n");
            }
            match proba {
                Some(rows) => csv_rows(&mut out, rows),
                None => {
                    for l in labels {
                        let _ = writeln!(out, "{l}");
                    }
                }
            }
        }
        Predictions::Regression {
            prediction,
            weights,
        } => {
            if json {
                let mut obj = serde_json::json!({ "predictions": prediction });
                if let Some(w) = weights {
                    obj["gate_weights"] = serde_json::json!(w);
                }
                return format!("{obj}\n");
            }
            csv_rows(&mut out, weights.as_ref().unwrap_or(prediction));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_labels_probabilities_and_json() {
        let p = Predictions::Labels {
            labels: vec![1, 0],
            proba: None,
        };
        assert_eq!(render(&p, false), "1\n0\n");
        let p = Predictions::Labels {
            labels: vec![1, 0],
            proba: Some(vec![vec![0.25, 0.75], vec![1.0, 0.0]]),
        };
        assert_eq!(render(&p, false), "0.250000,0.750000\n1.000000,0.000000\n");
        let v: serde_json::Value = serde_json::from_str(&render(&p, true)).unwrap();
        assert_eq!(v["labels"], serde_json::json!([1, 0]));
        assert_eq!(v["probabilities"][0][1], serde_json::json!(0.75));
    }

    #[test]
    fn renders_regression_predictions_and_gate_weights() {
        let p = Predictions::Regression {
            prediction: vec![vec![1.5], vec![-2.0]],
            weights: None,
        };
        assert_eq!(render(&p, false), "1.500000\n-2.000000\n");
        let p = Predictions::Regression {
            prediction: vec![vec![1.5], vec![-2.0]],
            weights: Some(vec![vec![0.25, 0.75], vec![1.0, 0.0]]),
        };
        assert_eq!(render(&p, false), "0.250000,0.750000\n1.000000,0.000000\n");
        let v: serde_json::Value = serde_json::from_str(&render(&p, true)).unwrap();
        assert_eq!(v["predictions"], serde_json::json!([[1.5], [-2.0]]));
        assert_eq!(v["gate_weights"][0][1], serde_json::json!(0.75));
    }

    #[test]
    fn dtype_and_kind_of_a_saved_model() {
        let kind = |s: &str| saved_kind(s, "m").unwrap();
        let gmm = |dtype| {
            format!(r#"{{"format": "mixture.gaussian-mixture", "version": 1, "dtype": "{dtype}"}}"#)
        };
        assert_eq!(kind(&gmm("f64")), (Dtype::F64, ModelKind::GaussianMixture));
        assert_eq!(kind(&gmm("f32")), (Dtype::F32, ModelKind::GaussianMixture));
        let moe = r#"{"format": "mixture.mixture-of-experts", "version": 1, "dtype": "f64"}"#;
        assert_eq!(kind(moe), (Dtype::F64, ModelKind::MixtureOfExperts));
        let km = r#"{"format": "mixture.kmeans", "version": 1, "dtype": "f32"}"#;
        assert_eq!(kind(km), (Dtype::F32, ModelKind::KMeans));
        assert!(saved_kind("not json", "m").is_err());
        assert!(saved_kind(r#"{"format": "other", "version": 1, "dtype": "f32"}"#, "m").is_err());
    }
}
