//! `mixture predict`: assign rows to the components of a saved model.

use std::fmt::Write as _;

use burn::tensor::{backend::Backend, DType};
use mixture::core::tensor::{from_f64_like, to_vec_f64, to_vec_i64};
use mixture::em::GaussianMixture;

use crate::backend::{self, BackendJob, BackendKind, Dtype};
use crate::cli::PredictArgs;
use crate::data::{self, Matrix};
use crate::error::CliError;

/// Labels, and probabilities when asked for.
struct Predictions {
    labels: Vec<i64>,
    /// `[N][K]`.
    proba: Option<Vec<Vec<f64>>>,
}

/// Prediction, as a job for any backend.
struct PredictJob<'a> {
    json: &'a str,
    model_name: String,
    input_name: String,
    x: &'a Matrix,
    proba: bool,
}

impl BackendJob for PredictJob<'_> {
    type Output = Predictions;

    fn run<B: Backend>(self, device: B::Device, _dtype: DType) -> Result<Predictions, CliError> {
        let model = GaussianMixture::<B>::from_json(self.json, &device)
            .map_err(|e| CliError::Usage(format!("{}: {e}", self.model_name)))?;
        let d = model.n_features();
        if self.x.n_cols != d {
            return Err(CliError::Usage(format!(
                "{} has {} columns but the model {} was fitted on {d} features",
                self.input_name, self.x.n_cols, self.model_name
            )));
        }
        // The data takes the model's dtype.
        let x = from_f64_like::<B, 2, 2>(self.x.values.clone(), [self.x.n_rows, d], &model.means());
        let labels = to_vec_i64(model.predict(&x)?)?;
        let proba = if self.proba {
            let k = model.n_components();
            let p = to_vec_f64(model.predict_proba(&x)?)?;
            Some(p.chunks(k).map(<[f64]>::to_vec).collect())
        } else {
            None
        };
        Ok(Predictions { labels, proba })
    }
}

/// The dtype recorded in a saved model (`f32` when the file does not say).
fn saved_dtype(json: &str, model_name: &str) -> Result<Dtype, CliError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        CliError::Usage(format!(
            "{model_name} is not a model file saved by `mixture fit --save`: {e}"
        ))
    })?;
    match value.get("dtype").and_then(|v| v.as_str()) {
        Some("f64") => Ok(Dtype::F64),
        _ => Ok(Dtype::F32),
    }
}

/// Runs `mixture predict`.
pub fn run(args: &PredictArgs) -> Result<(), CliError> {
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
    let dtype = saved_dtype(&json, &model_name)?;
    if args.backend == BackendKind::Wgpu && dtype == Dtype::F64 {
        return Err(CliError::Usage(format!(
            "{model_name} is an f64 model and the wgpu backend supports only f32; use --backend flex"
        )));
    }
    let x = data::read_matrix(&args.input)?;
    let job = PredictJob {
        json: &json,
        model_name,
        input_name: args.input.display().to_string(),
        x: &x,
        proba: args.proba,
    };
    let p = backend::dispatch(args.backend, dtype, job)?;
    crate::write_stdout(&render(&p, args.json))
}

/// Labels one per line, probabilities as CSV rows, or one JSON object.
fn render(p: &Predictions, json: bool) -> String {
    if json {
        let mut obj = serde_json::json!({ "labels": p.labels });
        if let Some(proba) = &p.proba {
            obj["probabilities"] = serde_json::json!(proba);
        }
        return format!("{obj}\n");
    }
    let mut out = String::new();
    match &p.proba {
        Some(rows) => {
            for row in rows {
                let cells: Vec<String> = row.iter().map(|v| format!("{v:.6}")).collect();
                let _ = writeln!(out, "{}", cells.join(","));
            }
        }
        None => {
            for l in &p.labels {
                let _ = writeln!(out, "{l}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_labels_probabilities_and_json() {
        let p = Predictions {
            labels: vec![1, 0],
            proba: None,
        };
        assert_eq!(render(&p, false), "1\n0\n");
        let p = Predictions {
            labels: vec![1, 0],
            proba: Some(vec![vec![0.25, 0.75], vec![1.0, 0.0]]),
        };
        assert_eq!(render(&p, false), "0.250000,0.750000\n1.000000,0.000000\n");
        let v: serde_json::Value = serde_json::from_str(&render(&p, true)).unwrap();
        assert_eq!(v["labels"], serde_json::json!([1, 0]));
        assert_eq!(v["probabilities"][0][1], serde_json::json!(0.75));
    }

    #[test]
    fn dtype_of_a_saved_model() {
        assert_eq!(saved_dtype(r#"{"dtype": "f64"}"#, "m").unwrap(), Dtype::F64);
        assert_eq!(saved_dtype(r#"{"dtype": "f32"}"#, "m").unwrap(), Dtype::F32);
        assert!(saved_dtype("not json", "m").is_err());
    }
}
