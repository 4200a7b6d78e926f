//! The point an in-memory fit takes its statistics about: the data mean, or exactly the
//! origin when the data are centred already.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{Batch, Result, tensor::to_vec_f64};
use mixture_experts::GaussianComponents;

/// How close to the origin, against the column's range, the column means of data must be for
/// the fit to take its statistics about the origin: `|c_j| ≤ 2⁻¹⁰ · (max_j − min_j)`.
///
/// About the origin rather than the mean `c`, the one-pass second moment of a component at
/// `μ_k` loses `|μ_k|²` instead of `|μ_k − c|²` of its precision against its variance. Within
/// this bound the difference is at most `2⁻²⁰ · range²` per column: a millionth of what a
/// component at the far edge of the data (a range from the mean) loses anyway.
pub(crate) const ORIGIN_TOLERANCE: f64 = 1.0 / 1024.0;

/// The centre of an in-memory fit.
#[derive(Debug, Clone)]
pub(crate) struct Centre<B: Backend> {
    /// The point, `[1, D]`: the weighted mean, or zeros.
    pub(crate) at: Tensor<B, 2>,
    /// The weighted mean, `[1, D]`, even where `at` is the origin (a variational fit's prior
    /// mean).
    pub(crate) mean: Tensor<B, 2>,
    /// Whether `at` is the origin, exactly.
    origin: bool,
}

impl<B: Backend> Centre<B> {
    /// The weighted mean `Σ w x / Σ w` of `batch` (total weight `total`), or the origin when
    /// that mean is within [`ORIGIN_TOLERANCE`] of it (data centred on the host, or
    /// standardised): a fit then holds the rows once, not beside a centred copy in its
    /// features. Three reductions over the rows (mean, maximum, minimum; no `[N, D]`
    /// temporary) and one host read of `3·D` values.
    ///
    /// # Errors
    /// A failed host read.
    pub(crate) fn of(batch: &Batch<B>, total: f64) -> Result<Self> {
        let mean = weighted_mean(batch, total);
        let x = &batch.x;
        let host = to_vec_f64(Tensor::cat(
            vec![mean.clone(), x.clone().max_dim(0), x.clone().min_dim(0)],
            1,
        ))?;
        let d = host.len() / 3;
        let (mean_h, extremes) = host.split_at(d);
        let (max_h, min_h) = extremes.split_at(d);
        let origin = (0..d).all(|j| mean_h[j].abs() <= ORIGIN_TOLERANCE * (max_h[j] - min_h[j]));
        let at = if origin {
            mean.zeros_like()
        } else {
            mean.clone()
        };
        Ok(Self { at, mean, origin })
    }

    /// A centre that is never the origin by construction: `at` as given (a streamed fit's
    /// mean, say).
    pub(crate) fn at(at: Tensor<B, 2>) -> Self {
        Self {
            mean: at.clone(),
            at,
            origin: false,
        }
    }

    /// Whether the centre is the origin, exactly.
    pub(crate) fn is_origin(&self) -> bool {
        self.origin
    }

    /// `components` centred here.
    pub(crate) fn place(&self, components: GaussianComponents<B>) -> GaussianComponents<B> {
        if self.origin {
            components.with_center_at_origin()
        } else {
            components.with_center(self.at.clone())
        }
    }
}

/// `Σ w x / Σ w` as a `[1, D]` tensor.
fn weighted_mean<B: Backend>(batch: &Batch<B>, total: f64) -> Tensor<B, 2> {
    match &batch.weight {
        Some(w) => (batch.x.clone() * w.clone().unsqueeze_dim(1))
            .sum_dim(0)
            .div_scalar(total),
        None => batch.x.clone().sum_dim(0).div_scalar(total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::DType;
    use mixture_core::tensor::from_f64;

    type B = burn_flex::Flex;

    fn centre(values: Vec<f64>) -> Centre<B> {
        let n = values.len() / 2;
        let x = from_f64::<B, 2>(values, [n, 2], &Default::default(), DType::F64);
        Centre::of(&Batch::new(x), n as f64).unwrap()
    }

    #[test]
    fn centred_data_snap_to_the_origin_and_others_keep_their_mean() {
        // Column means 1e-4 against a range of 2: within 2⁻¹⁰.
        let c = centre(vec![1.0001, -2.0, -0.9999, 2.0]);
        assert!(c.origin);
        assert_eq!(to_vec_f64(c.at).unwrap(), vec![0.0, 0.0]);
        // A mean of 1e-2 against a range of 2 is beyond it.
        let c = centre(vec![1.01, -2.0, -0.99, 2.0]);
        assert!(!c.origin);
        let at = to_vec_f64(c.at).unwrap();
        assert!((at[0] - 0.01).abs() < 1e-12 && at[1] == 0.0, "{at:?}");
    }

    #[test]
    fn a_constant_zero_column_is_at_the_origin() {
        assert!(centre(vec![1.0, 0.0, -1.0, 0.0]).origin);
    }
}
