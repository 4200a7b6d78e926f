//! `--dtype auto`, the default of `mixture fit`: f32 where it can be trusted, f64 where not,
//! and the report says which and why.
//!
//! The policy, in order:
//!
//! 1. **The data, on the host, in f64.** f64 straight away when f32 cannot hold the data: a
//!    value beyond f32's range, or centred squares that would overflow f32's sums. A column
//!    whose offset is so large against its spread that the cast to f32 would round away more
//!    than a thousandth of the spread (`|mean| · 2⁻²⁴ > 10⁻³ · std`; data at 10⁶ ± 1, say)
//!    is no reason for f64: the data are centred on the host, in f64, before the cast, and
//!    the fitted model is moved back to their units (`mixture::em::persist::translate`, in
//!    f64), so the means reported and saved keep every digit. `mixture predict` does the same
//!    with an f32 model and such rows. (`mixture kmeans` and `mixture select` still fit such
//!    data in f64.)
//! 2. **The f32 fit.** A numerical failure (a covariance that is not positive definite, an
//!    empty component, divergence) starts the fit again in f64, from the same seed.
//! 3. **Its likelihood, checked in f64.** The fitted f32 parameters are widened to f64
//!    (exactly) and the data scored with them in f64. When the mean log-likelihood the f32
//!    fit computed differs from that by more than [`tolerance`] (f32's rounding leaves about
//!    10⁻⁶ relative on well-conditioned data; a larger gap means f32 arithmetic, not the data,
//!    decided the result), the fit starts again in f64. Otherwise the f32 model is kept and
//!    the likelihood, BIC and AIC reported are the f64 ones: the true values for the
//!    parameters returned.
//!
//! `--dtype f32` and `--dtype f64` fix the dtype and skip all of this, except that an f32 fit
//! of data far from the origin is centred as in step 1. Backends without f64 (wgpu) run
//! `auto` as f32, centred where step 1 centres. Gradient-trained fits (`--method gradient`) get steps 1 and 2:
//! they have no saved form to check in f64 yet.

use mixture::em::{persist::ModelKind, BayesianGaussianMixture, GaussianMixture};

use burn::tensor::{backend::Backend, DType};

use crate::backend::{self, BackendJob, BackendKind, Dtype, FitDtype};
use crate::cli::FitArgs;
use crate::data::Matrix;
use crate::dataset::Dataset;
use crate::error::CliError;
use crate::fit::{FitJob, FitOutcome};

/// Half of f32's machine epsilon: the relative rounding of a cast to f32.
const F32_ROUNDING: f64 = 5.960_464_477_539_063e-8;

/// The largest share of a column's spread the cast to f32 may round away.
const MAX_CAST_LOSS: f64 = 1e-3;

/// The largest gap between the f32 fit's mean log-likelihood and the same parameters' in
/// f64 that keeps the f32 fit: `10⁻³ · (1 + |ℓ|)` nats per sample, a thousand times f32's
/// rounding on well-conditioned data and far below any difference between two models.
pub fn tolerance(mean_log_likelihood: f64) -> f64 {
    1e-3 * (1.0 + mean_log_likelihood.abs())
}

/// How a fit's dtype was chosen, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The dtype of the fit returned.
    pub dtype: Dtype,
    /// Why `auto` moved to f64, or how it checked f32; `None` for a fixed dtype.
    pub note: Option<String>,
}

/// What f32 makes of these data.
#[derive(Debug, Clone, PartialEq)]
pub enum F32Fit {
    /// f32 holds them.
    Holds,
    /// f32 holds them once they are centred on the host in f64 (the cast of the raw values
    /// would round away their digits): the column means to take off, and why.
    Centred {
        /// The column means, in f64.
        shift: Vec<f64>,
        /// The first column that needs it.
        why: String,
    },
    /// f32 cannot hold them: the first column (or value) that shows it.
    Unfit(String),
}

/// What f32 makes of these data (one pass over them in f64).
pub fn f32_fit(m: &Matrix) -> F32Fit {
    let (n, d) = (m.n_rows, m.n_cols);
    if n == 0 || d == 0 {
        return F32Fit::Holds;
    }
    if let Some(i) = m.values.beyond_f32() {
        return F32Fit::Unfit(format!(
            "value {:e} (row {}, column {}) is beyond f32's range",
            m.values.get(i),
            i / d,
            i % d
        ));
    }
    let mut mean = vec![0.0; d];
    m.values.for_each_row(d, |row| {
        for (s, v) in mean.iter_mut().zip(row) {
            *s += v;
        }
    });
    mean.iter_mut().for_each(|s| *s /= n as f64);
    let mut sq = vec![0.0f64; d];
    let mut max_dev = vec![0.0f64; d];
    m.values.for_each_row(d, |row| {
        for j in 0..d {
            let dev = row[j] - mean[j];
            sq[j] += dev * dev;
            max_dev[j] = max_dev[j].max(dev.abs());
        }
    });
    // Sums of n centred squares must stay below f32::MAX.
    let max_square = (f32::MAX as f64 / n as f64).sqrt();
    let mut centre = None;
    for j in 0..d {
        let std = (sq[j] / n as f64).sqrt();
        if max_dev[j] > max_square {
            return F32Fit::Unfit(format!(
                "column {j} deviates from its mean by {:.3e}: its squares overflow f32",
                max_dev[j]
            ));
        }
        if centre.is_none() && std > 0.0 && mean[j].abs() * F32_ROUNDING > MAX_CAST_LOSS * std {
            centre = Some(format!(
                "column {j} has mean {:.6e} and spread {:.3e}: f32 would round away its digits",
                mean[j], std
            ));
        }
    }
    match centre {
        Some(why) => F32Fit::Centred { shift: mean, why },
        None => F32Fit::Holds,
    }
}

/// Why f32 cannot hold these data as they stand, if it cannot: the first column (or value)
/// that shows it (data that f32 holds once centred count as not held: `mixture kmeans` and
/// `mixture select` fit them in f64).
pub fn f32_unfit(m: &Matrix) -> Option<String> {
    match f32_fit(m) {
        F32Fit::Holds => None,
        F32Fit::Centred { why, .. } | F32Fit::Unfit(why) => Some(why),
    }
}

/// Step 1 of the policy, the dtype the data alone decide; all of `auto` for `mixture kmeans`
/// and `mixture select`, the start of [`auto`] for `mixture fit`. A fixed dtype is checked
/// (`f32` against values beyond its range). `auto` is f32 on a backend without f64 (checked
/// the same way), f64 when [`f32_unfit`] finds a reason, else f32.
pub fn data_choice(
    requested: FitDtype,
    backend: BackendKind,
    data: &Dataset,
) -> Result<Choice, CliError> {
    if let Some(dtype) = requested.fixed() {
        if dtype == Dtype::F32 {
            crate::fit::check_f32_range(data)?;
        }
        return Ok(Choice { dtype, note: None });
    }
    if !backend.has_f64() {
        crate::fit::check_f32_range(data)?;
        return Ok(Choice {
            dtype: Dtype::F32,
            note: Some(format!("auto is f32 on {backend}, which has no f64")),
        });
    }
    Ok(match f32_unfit(&data.matrix) {
        Some(why) => Choice {
            dtype: Dtype::F64,
            note: Some(format!("auto chose f64: {why}")),
        },
        None => Choice {
            dtype: Dtype::F32,
            note: None,
        },
    })
}

/// Rows per block of the f64 check's scoring (bounds its memory, not its result).
const CHECK_ROWS: usize = 1 << 16;

/// The f32 model's mean log-likelihood, BIC and AIC recomputed in f64.
struct CheckJob<'a> {
    model_json: &'a str,
    data: &'a Dataset,
}

impl BackendJob for CheckJob<'_> {
    type Output = (f64, f64, f64);

    fn run<B: Backend>(self, device: B::Device, dtype: DType) -> Result<(f64, f64, f64), CliError> {
        let m = &self.data.matrix;
        let (n, d) = (m.n_rows, m.n_cols);
        let kind = mixture::em::persist::peek(self.model_json)?.format;
        let (model, expected) = match kind {
            ModelKind::BayesianGaussianMixture => {
                let m =
                    BayesianGaussianMixture::<B>::from_json_as(self.model_json, &device, dtype)?;
                (m.point_estimate(), Some(m))
            }
            _ => (
                GaussianMixture::<B>::from_json_as(self.model_json, &device, dtype)?,
                None,
            ),
        };
        // In blocks of rows: an f64 copy of all the data and its [N, K] scores would cost
        // 8·N·(D + K) bytes at once.
        let mut total = 0.0;
        let mut expected_total = 0.0;
        for start in (0..n).step_by(CHECK_ROWS) {
            let end = (start + CHECK_ROWS).min(n);
            let x = m.values.tensor::<B>(start..end, d, &device, dtype);
            total += model.score(&x)? * (end - start) as f64;
            if let Some(m) = &expected {
                expected_total += m.score(&x)? * (end - start) as f64;
            }
        }
        // A variational fit reports scikit-learn's score (the variational expectations);
        // its BIC and AIC are the point estimate's.
        let score = if expected.is_some() {
            expected_total
        } else {
            total
        } / n as f64;
        let p = model.n_parameters();
        Ok((
            score,
            mixture::core::criteria::bic(total, p, n as f64),
            mixture::core::criteria::aic(total, p),
        ))
    }
}

/// Runs `mixture fit` under `--dtype auto`.
///
/// # Errors
/// Any error of the f64 fit, or an f32 error that is no numerical failure (bad input).
pub fn auto(args: &FitArgs, data: &Dataset) -> Result<(FitOutcome, Choice), CliError> {
    let fit = |dtype, shift: Option<&[f64]>| {
        backend::dispatch(args.backend, dtype, FitJob { args, data, shift })
    };
    let in_f64 = |why: String| -> Result<(FitOutcome, Choice), CliError> {
        let outcome = fit(Dtype::F64, None)?;
        Ok((
            outcome,
            Choice {
                dtype: Dtype::F64,
                note: Some(format!("auto chose f64: {why}")),
            },
        ))
    };
    // Step 1: the data alone settle it for data f32 cannot hold; data f32 holds once centred
    // are centred on the host, in f64, before the cast.
    let (shift, centred) = if args.backend.has_f64() {
        match f32_fit(&data.matrix) {
            F32Fit::Unfit(why) => return in_f64(why),
            F32Fit::Centred { shift, why } => (Some(shift), Some(why)),
            F32Fit::Holds => (None, None),
        }
    } else {
        crate::fit::check_f32_range(data)?;
        let shift = match f32_fit(&data.matrix) {
            F32Fit::Centred { shift, why } => Some((shift, why)),
            _ => None,
        };
        let note = format!(
            "auto is f32 on {}, which has no f64{}",
            args.backend,
            centring_note(shift.as_ref().map(|(_, why)| why.as_str()))
        );
        let outcome = fit(Dtype::F32, shift.as_ref().map(|(s, _)| s.as_slice()))?;
        return Ok((
            outcome,
            Choice {
                dtype: Dtype::F32,
                note: Some(note),
            },
        ));
    };
    let centred_note = centring_note(centred.as_deref());
    let mut outcome = match fit(Dtype::F32, shift.as_deref()) {
        Ok(o) => o,
        Err(CliError::Model(e)) if crate::fit::is_numerical(&e) => {
            return in_f64(format!("the f32 fit failed ({e})"));
        }
        Err(e) => return Err(e),
    };
    let Some(json) = outcome.model_json.as_deref() else {
        let note = format!("f32 (auto; gradient fits are not checked in f64){centred_note}");
        return Ok((
            outcome,
            Choice {
                dtype: Dtype::F32,
                note: Some(note),
            },
        ));
    };
    let (score, bic, aic) = backend::dispatch(
        args.backend,
        Dtype::F64,
        CheckJob {
            model_json: json,
            data,
        },
    )?;
    let gap = outcome.mean_log_likelihood - score;
    if !(gap.abs() <= tolerance(score)) {
        return in_f64(format!(
            "the f32 fit's mean log-likelihood {:.6} is {:.6} in f64",
            outcome.mean_log_likelihood, score
        ));
    }
    outcome.mean_log_likelihood = score;
    outcome.bic = bic;
    outcome.aic = aic;
    let note = format!(
        "f32, its likelihood confirmed in f64 (gap {:.1e}){centred_note}",
        gap.abs()
    );
    Ok((
        outcome,
        Choice {
            dtype: Dtype::F32,
            note: Some(note),
        },
    ))
}

/// The report's words for data centred on the host before the cast to f32 (empty when they
/// were not).
pub fn centring_note(why: Option<&str>) -> String {
    match why {
        Some(why) => format!(
            "; the data were centred on the host in f64 before the cast ({why}), and the model moved back to their units"
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mixture::core::tensor::from_f64_slice;

    #[test]
    fn the_f64_check_scores_in_blocks_and_adds_them_up() {
        use crate::backend::BackendKind;
        use mixture::em::GaussianMixtureConfig;
        // Two and a bit blocks of rows, two features.
        let n = 2 * CHECK_ROWS + 5;
        let values: Vec<f64> = (0..2 * n)
            .map(|i| ((i * 7919) % 1000) as f64 / 100.0 + (i % 2) as f64)
            .collect();
        let data = Dataset {
            name: "t".into(),
            matrix: matrix(values.clone(), 2),
            classes: None,
        };
        struct Direct<'a>(&'a [f64]);
        impl BackendJob for Direct<'_> {
            type Output = (String, f64);
            fn run<B: Backend>(
                self,
                device: B::Device,
                dtype: DType,
            ) -> Result<Self::Output, CliError> {
                let x = from_f64_slice::<B, 2>(self.0, [self.0.len() / 2, 2], &device, dtype);
                let head = x.clone().slice([0..500, 0..2]);
                let model = GaussianMixtureConfig::new(2).fit(&head)?;
                let wide = GaussianMixture::<B>::from_json_as(&model.to_json()?, &device, dtype)?;
                Ok((model.to_json()?, wide.score(&x)?))
            }
        }
        let (json, whole) =
            backend::dispatch(BackendKind::Flex, Dtype::F64, Direct(&values)).unwrap();
        let (score, bic, _) = backend::dispatch(
            BackendKind::Flex,
            Dtype::F64,
            CheckJob {
                model_json: &json,
                data: &data,
            },
        )
        .unwrap();
        assert!(
            (score - whole).abs() < 1e-12 * whole.abs(),
            "{score} vs {whole}"
        );
        assert!(bic.is_finite());
    }

    fn matrix(values: Vec<f64>, d: usize) -> Matrix {
        Matrix {
            n_rows: values.len() / d,
            n_cols: d,
            values: values.into(),
            header: None,
            note: None,
        }
    }

    #[test]
    fn ordinary_data_fit_f32() {
        let v: Vec<f64> = (0..200).map(|i| (i % 17) as f64 * 0.3 + 2000.0).collect();
        assert_eq!(f32_unfit(&matrix(v, 2)), None);
    }

    #[test]
    fn offsets_that_eat_the_digits_need_f64() {
        let v: Vec<f64> = (0..200).map(|i| (i % 17) as f64 * 0.1 + 1e8).collect();
        let why = f32_unfit(&matrix(v, 2)).expect("1e8 ± 0.5 is not f32 data");
        assert!(why.contains("round away"), "{why}");
    }

    #[test]
    fn overflowing_squares_need_f64() {
        let v: Vec<f64> = (0..200).map(|i| (i % 17) as f64 * 1e30).collect();
        let why = f32_unfit(&matrix(v, 2)).expect("squares of 1e31 overflow f32");
        assert!(
            why.contains("beyond f32's range") || why.contains("overflow"),
            "{why}"
        );
    }

    #[test]
    fn tolerance_grows_with_the_likelihood() {
        assert!((tolerance(0.0) - 1e-3).abs() < 1e-15);
        assert!((tolerance(-99.0) - 0.1).abs() < 1e-12);
    }
}
