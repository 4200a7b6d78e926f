//! A batch prepared once for the experts' E-step of every EM iteration.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::tensor::from_f64_like;

/// What the experts' E-step derives from a batch's data alone (the experts'
/// [`Components::Features`](mixture_core::Components::Features)): the design matrix `[x, 1]`
/// (`[N, D]`), the targets, and per-row products of them (see below).
///
/// An EM fit sees the same batch every iteration, so it prepares these once and the scores
/// and the statistics of every pass reuse them instead of rebuilding them. On small data,
/// where a tensor op costs its dispatch and allocation rather than its arithmetic, that is a
/// good part of the E-step.
///
/// The products take one of two forms, chosen by size. With few weights (the quadratic row
/// below at most about twice as wide as the design repeated per expert) every row's
/// `[x xᵀ, x yᵀ, y ⊙ y]` (`[N, D² + D·P + P]`): then all K experts' statistics but `Σ r` are
/// one product with the responsibilities and `xᵀB_k x` is one product with the covariances.
/// Otherwise the design repeated once per expert (`[N, K·D]`) and `‖y‖²` (`[N, 1]`).
#[derive(Debug, Clone)]
pub struct Prepared<B: Backend> {
    pub(crate) design: Tensor<B, 2>,
    pub(crate) y: Tensor<B, 2>,
    pub(crate) products: Products<B>,
}

/// The per-row products of a [`Prepared`] batch.
#[derive(Debug, Clone)]
pub(crate) enum Products<B: Backend> {
    /// `[x xᵀ (row-major), x yᵀ (row-major), y ⊙ y]`, `[N, D² + D·P + P]`.
    Quadratic(Tensor<B, 2>),
    /// The design repeated per expert (`[N, K·D]`, column `k·D + j` is design column `j`)
    /// and `‖y‖²` (`[N, 1]`).
    Repeated {
        design_rep: Tensor<B, 2>,
        y_sq: Tensor<B, 2>,
    },
}

impl<B: Backend> Products<B> {
    /// The products of design rows `x` (`[N, D]`) and targets `y` (`[N, P]`) for K experts.
    pub(crate) fn new(x: &Tensor<B, 2>, y: &Tensor<B, 2>, k: usize) -> Self {
        let d = x.dims()[1];
        let p = y.dims()[1];
        if quadratic_width(d, p) <= 2 * k * d + 8 {
            Self::Quadratic(quadratic_products(x, y))
        } else {
            Self::repeated(x, y, k)
        }
    }

    /// The repeated form, whatever the size.
    pub(crate) fn repeated(x: &Tensor<B, 2>, y: &Tensor<B, 2>, k: usize) -> Self {
        Self::Repeated {
            design_rep: x.clone().repeat_dim(1, k),
            y_sq: squared_norms(y),
        }
    }
}

/// `[x xᵀ, x yᵀ, y ⊙ y]` per row (`[N, D² + D·P + P]`, row-major blocks) as `(z L) ⊙ (z R)`
/// with `z = [x, y]` and 0/1 matrices `L`, `R` that pick each column's two factors: one
/// product and one element-wise multiplication instead of broadcasting `[N, D, D]` views.
/// Picking by a 0/1 product is exact for finite data.
fn quadratic_products<B: Backend>(x: &Tensor<B, 2>, y: &Tensor<B, 2>) -> Tensor<B, 2> {
    let [n, d] = x.dims();
    let p = y.dims()[1];
    let c = d + p; // columns of z
    let pairs = (0..d)
        .flat_map(|i| (0..d).map(move |j| (i, j)))
        .chain((0..d).flat_map(|i| (0..p).map(move |q| (i, d + q))))
        .chain((0..p).map(|q| (d + q, d + q)));
    let w = quadratic_width(d, p) - 2 + p;
    let mut pick = vec![0.0; c * 2 * w];
    for (col, (a, b)) in pairs.enumerate() {
        pick[a * 2 * w + col] = 1.0;
        pick[b * 2 * w + w + col] = 1.0;
    }
    let pick = from_f64_like::<B, 2, 2>(pick, [c, 2 * w], x);
    let factors = Tensor::cat(vec![x.clone(), y.clone()], 1).matmul(pick);
    factors.clone().slice([0..n, 0..w]) * factors.slice([0..n, w..2 * w])
}

/// Columns of the row `[x xᵀ, x yᵀ, ‖y‖², 1]` the size rule compares with the repeated design.
fn quadratic_width(d: usize, p: usize) -> usize {
    d * d + d * p + 2
}

/// `‖y_n‖²` per row, `[N, 1]`.
pub(crate) fn squared_norms<B: Backend>(y: &Tensor<B, 2>) -> Tensor<B, 2> {
    if y.dims()[1] == 1 {
        y.clone().square()
    } else {
        y.clone().square().sum_dim(1)
    }
}

impl<B: Backend> Prepared<B> {
    /// The design rows `design` (`[N, D]`) with targets `y` (`[N, P]`), for K experts.
    pub(crate) fn new(design: Tensor<B, 2>, y: &Tensor<B, 2>, k: usize) -> Self {
        let products = Products::new(&design, y, k);
        Self {
            design,
            y: y.clone(),
            products,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bayes_linear::{BayesianLinearConfig, LinearStats};
    use burn::tensor::DType;
    use mixture_core::{
        Batch, Components,
        tensor::{from_f64, to_vec_f64},
    };

    type N = burn_ndarray::NdArray<f64>;

    /// Six rows, two inputs, two outputs and three experts with distinct posteriors.
    fn case() -> (Tensor<N, 2>, Tensor<N, 2>, Tensor<N, 2>) {
        let dev = Default::default();
        let x: Vec<f64> = (0..12).map(|i| ((i * 5 % 7) as f64 - 3.0) / 2.0).collect();
        let y: Vec<f64> = (0..12).map(|i| ((i * 3 % 5) as f64) - 1.5).collect();
        let mut r: Vec<f64> = (0..18).map(|i| 1.0 + (i * 7 % 4) as f64).collect();
        for row in r.chunks_mut(3) {
            let s: f64 = row.iter().sum();
            row.iter_mut().for_each(|v| *v /= s);
        }
        (
            from_f64(x, [6, 2], &dev, DType::F64),
            from_f64(y, [6, 2], &dev, DType::F64),
            from_f64(r, [6, 3], &dev, DType::F64),
        )
    }

    fn close(a: Tensor<N, 3>, b: Tensor<N, 3>) {
        for (g, w) in to_vec_f64(a).unwrap().iter().zip(to_vec_f64(b).unwrap()) {
            // Same sums in another order: f64 rounding on O(10) values.
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
    }

    #[test]
    fn quadratic_and_repeated_products_agree() {
        let (x, y, r) = case();
        let mut experts = BayesianLinearConfig::new(3, 2)
            .with_n_outputs(2)
            .init(&x)
            .unwrap();
        let design = experts.design(&x);
        // D = 3, P = 2: the quadratic row (17 columns) is within 2·K·D + 8 = 26.
        let quadratic = Products::new(&design, &y, 3);
        assert!(matches!(quadratic, Products::Quadratic(_)));
        let repeated = Products::repeated(&design, &y, 3);
        let a = LinearStats::from_products(&quadratic, &design, &y, r.clone());
        let b = LinearStats::from_products(&repeated, &design, &y, r.clone());
        close(a.xx.clone(), b.xx);
        close(a.xy.clone(), b.xy);
        close(a.yy.clone().reshape([1, 1, 3]), b.yy.reshape([1, 1, 3]));
        close(
            a.weight.clone().reshape([1, 1, 3]),
            b.weight.reshape([1, 1, 3]),
        );
        // After an update the experts differ, and so does xᵀBx per expert: the expected
        // log-likelihood through both forms, and through the prepared batch (quadratic here).
        experts.update(a);
        let batch = Batch::new(x).with_targets(y.clone());
        let prepared = experts.prepare(&batch).unwrap();
        assert!(matches!(prepared.products, Products::Quadratic(_)));
        let lw = from_f64::<N, 2>(vec![0.0; 3], [1, 3], &Default::default(), DType::F64);
        let joints = [
            experts.score(&prepared, lw).unsqueeze_dim::<3>(0),
            experts
                .log_likelihood(&batch)
                .unwrap()
                .unsqueeze_dim::<3>(0),
        ];
        close(
            experts.summarize(&prepared, r.clone()).xx,
            LinearStats::from_products(&repeated, &design, &y, r.clone()).xx,
        );
        let ll = experts
            .expected_log_likelihood(&design, &repeated, &y)
            .unsqueeze_dim::<3>(0);
        close(joints[0].clone(), ll.clone());
        close(joints[1].clone(), ll);
    }
}
