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
//!    f64), so the means reported and saved keep every digit. `mixture kmeans` and `mixture
//!    select` centre the same way ([`data_plan`]), streamed runs too (from two host passes in
//!    f64 over the stream, `stream::Plan::with_source`), and `mixture predict` centres such
//!    rows and moves an f32 model with them. An in-memory `mixture fit` in f32 takes the
//!    column means off on the host in every case (`fit::FitJob`): the library then finds the
//!    data centred and holds them once (`GaussianComponents::with_center_at_origin`).
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

use mixture::em::{persist::ModelKind, BayesianGaussianMixture, GaussianMixture, StatisticsCentre};

use burn::tensor::{backend::Backend, DType};

use crate::backend::{self, BackendJob, BackendKind, Dtype, FitDtype};
use crate::cli::FitArgs;
use crate::data::Matrix;
use crate::dataset::Dataset;
use crate::error::CliError;
use crate::fit::{fit_in, FitOutcome};

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
    Centred(Centring),
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
    let mean = m.values.column_means(d);
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
    for (j, dev) in max_dev.iter().enumerate() {
        if *dev > max_square {
            return F32Fit::Unfit(format!(
                "column {j} deviates from its mean by {dev:.3e}: its squares overflow f32"
            ));
        }
    }
    let std: Vec<f64> = sq.iter().map(|s| (s / n as f64).sqrt()).collect();
    match centring(mean, &std) {
        Some(c) => F32Fit::Centred(c),
        None => F32Fit::Holds,
    }
}

/// The centring of step 1 from the columns' means and spreads: the means to take off when
/// the cast to f32 would round away more than [`MAX_CAST_LOSS`] of some column's spread.
pub fn centring(mean: Vec<f64>, std: &[f64]) -> Option<Centring> {
    let j = (0..mean.len())
        .find(|&j| std[j] > 0.0 && mean[j].abs() * F32_ROUNDING > MAX_CAST_LOSS * std[j])?;
    let why = format!(
        "column {j} has mean {:.6e} and spread {:.3e}: f32 would round away its digits",
        mean[j], std[j]
    );
    Some(Centring { shift: mean, why })
}

/// Column means an f32 fit takes off the data on the host, in f64, before the cast, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Centring {
    /// The column means.
    pub shift: Vec<f64>,
    /// The first column that needs it.
    pub why: String,
}

/// Step 1 of the policy: the dtype the data alone decide, and the column means to take off
/// them on the host (in f64, before the cast) when an f32 fit needs that; all of `auto` for
/// `mixture kmeans` and `mixture select`, the start of [`auto`] for `mixture fit`.
///
/// A fixed f64 is taken as it is. A fixed f32, and `auto` on a backend without f64, are
/// checked against values beyond f32's range and centred where [`f32_fit`] says so. `auto`
/// is f64 when [`f32_fit`] finds the data unfit for f32, else f32 (centred where needed).
pub fn data_plan(
    requested: FitDtype,
    backend: BackendKind,
    data: &Dataset,
) -> Result<(Choice, Option<Centring>), CliError> {
    let fixed = requested.fixed();
    if fixed == Some(Dtype::F64) {
        return Ok((
            Choice {
                dtype: Dtype::F64,
                note: None,
            },
            None,
        ));
    }
    let only_f32 = fixed.is_some() || !backend.has_f64();
    if only_f32 {
        crate::fit::check_f32_range(data)?;
    }
    let (shift, centred) = match f32_fit(&data.matrix) {
        F32Fit::Unfit(why) if !only_f32 => {
            let note = Some(format!("auto chose f64: {why}"));
            return Ok((
                Choice {
                    dtype: Dtype::F64,
                    note,
                },
                None,
            ));
        }
        F32Fit::Centred(c) => {
            let note = centring_note(Some(&c.why));
            (Some(c), note)
        }
        _ => (None, String::new()),
    };
    let note = if fixed.is_none() && !backend.has_f64() {
        Some(format!(
            "auto is f32 on {backend}, which has no f64{centred}"
        ))
    } else {
        (!centred.is_empty()).then(|| format!("f32{centred}"))
    };
    Ok((
        Choice {
            dtype: Dtype::F32,
            note,
        },
        shift,
    ))
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
pub fn auto(args: &FitArgs, data: &mut Dataset) -> Result<(FitOutcome, Choice), CliError> {
    let in_f64 = |data: &mut Dataset, why: String| -> Result<(FitOutcome, Choice), CliError> {
        let outcome = fit_in(args, data, Dtype::F64, None)?;
        Ok((
            outcome,
            Choice {
                dtype: Dtype::F64,
                note: Some(format!("auto chose f64: {why}")),
            },
        ))
    };
    // Step 1: the data alone settle it for data f32 cannot hold (and on a backend without
    // f64); data f32 holds once centred are centred on the host, in f64, before the cast.
    let (choice, centring) = data_plan(FitDtype::Auto, args.backend, data)?;
    let shift = centring.as_ref().map(|c| c.shift.as_slice());
    if choice.dtype == Dtype::F64 {
        return Ok((fit_in(args, data, choice.dtype, shift)?, choice));
    }
    if !args.backend.has_f64() {
        return without_f64(args, data, shift, choice);
    }
    let centred = centring.as_ref().map(|c| c.why.clone());
    let centred_note = centring_note(centred.as_deref());
    let mut outcome = match fit_in(args, data, Dtype::F32, shift) {
        Ok(o) => o,
        Err(CliError::Model(e)) if crate::fit::is_numerical(&e) => {
            return in_f64(data, format!("the f32 fit failed ({e})"));
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
    data.ensure_values()?;
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
        return in_f64(
            data,
            format!(
                "the f32 fit's mean log-likelihood {:.6} is {:.6} in f64",
                outcome.mean_log_likelihood, score
            ),
        );
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

/// Step 2 of [`auto`] on a backend without f64 (wgpu): an f32 fit that fails numerically
/// with moments about the data mean is run again, still in f32, with second moments about
/// each component's mean ([`StatisticsCentre::ComponentMeans`]: slower per iteration, but
/// no cancellation), which is the one more thing f32 can do; a second failure is reported.
fn without_f64(
    args: &FitArgs,
    data: &mut Dataset,
    shift: Option<&[f64]>,
    choice: Choice,
) -> Result<(FitOutcome, Choice), CliError> {
    let e = match fit_in(args, data, Dtype::F32, shift) {
        Err(CliError::Model(e))
            if args.statistics_centre == StatisticsCentre::DataMean
                && crate::fit::is_numerical(&e) =>
        {
            e
        }
        other => return Ok((other?, choice)),
    };
    let mut again = args.clone();
    again.statistics_centre = StatisticsCentre::ComponentMeans;
    let outcome = match fit_in(&again, data, Dtype::F32, shift) {
        Ok(o) => o,
        Err(e2) => return Err(in_f32(e2, data)),
    };
    let note = format!(
        "{}; the fit about the data mean failed ({e}), so the second moments were taken about each component's mean",
        choice.note.as_deref().unwrap_or("f32")
    );
    Ok((
        outcome,
        Choice {
            dtype: Dtype::F32,
            note: Some(note),
        },
    ))
}

/// A numerical failure of an f32 fit as [`CliError::InF32`], which names what in the data
/// f32 cannot hold when [`f32_fit`] finds it (squares beyond f32's range, say); other errors
/// as they are.
pub fn in_f32(e: CliError, data: &mut Dataset) -> CliError {
    match e {
        CliError::Model(source) if crate::fit::is_numerical(&source) => CliError::InF32 {
            source,
            // The values are read again if a fit held them; a file that cannot be read now
            // leaves the error as the fit gave it.
            unfit: match data.ensure_values().map(|()| f32_fit(&data.matrix)) {
                Ok(F32Fit::Unfit(why)) => Some(why),
                _ => None,
            },
        },
        e => e,
    }
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
            reload: None,
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
        assert_eq!(f32_fit(&matrix(v, 2)), F32Fit::Holds);
    }

    #[test]
    fn offsets_that_eat_the_digits_are_taken_off_before_the_cast() {
        let v: Vec<f64> = (0..200).map(|i| (i % 17) as f64 * 0.1 + 1e8).collect();
        let mean = |j: usize| v.iter().skip(j).step_by(2).sum::<f64>() / 100.0;
        let want = [mean(0), mean(1)];
        let F32Fit::Centred(Centring { shift, why }) = f32_fit(&matrix(v, 2)) else {
            panic!("1e8 ± 0.8 needs centring before the cast to f32");
        };
        assert!(why.contains("round away"), "{why}");
        assert_eq!(shift, want);
    }

    #[test]
    fn overflowing_squares_need_f64() {
        let v: Vec<f64> = (0..200).map(|i| (i % 17) as f64 * 1e30).collect();
        let F32Fit::Unfit(why) = f32_fit(&matrix(v, 2)) else {
            panic!("squares of 1e31 overflow f32");
        };
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
