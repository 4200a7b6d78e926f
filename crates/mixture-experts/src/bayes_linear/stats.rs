//! Additive sufficient statistics of K linear experts.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::Statistics;

use super::prepared::Products;

/// Responsibility-weighted sums over rows, per expert (`x` includes the intercept column):
/// `Σ r x xᵀ`, `Σ r x yᵀ`, `Σ r ‖y‖²` and `Σ r`, and the number of rows with `r > 0`. They
/// add up across batches, so the update from merged batches equals the update from the whole
/// data.
#[derive(Debug, Clone)]
pub struct LinearStats<B: Backend> {
    /// `Σ_n r_nk x_n x_nᵀ`, `[K, D, D]`.
    pub xx: Tensor<B, 3>,
    /// `Σ_n r_nk x_n y_nᵀ`, `[K, D, P]`.
    pub xy: Tensor<B, 3>,
    /// `Σ_n r_nk ‖y_n‖²`, `[K]`.
    pub yy: Tensor<B, 1>,
    /// `Σ_n r_nk`, `[K]`.
    pub weight: Tensor<B, 1>,
    /// `Σ_n [r_nk > 0]`, `[K]`: the rows an expert holds. Fewer than `D` rows (as hard and
    /// stochastic EM can leave) make `Σ r x xᵀ` singular, which its pivots alone cannot
    /// always tell from round-off.
    pub rows: Tensor<B, 1>,
}

impl<B: Backend> Statistics for LinearStats<B> {
    fn merge(self, other: Self) -> Self {
        Self {
            xx: self.xx + other.xx,
            xy: self.xy + other.xy,
            yy: self.yy + other.yy,
            weight: self.weight + other.weight,
            rows: self.rows + other.rows,
        }
    }
}

impl<B: Backend> LinearStats<B> {
    /// The statistics of design rows `x` (`[N, D]`, intercept included), targets `y`
    /// (`[N, P]`) and responsibilities `resp` (`[N, K]`), as a few batched matrix products.
    pub fn compute(x: &Tensor<B, 2>, y: &Tensor<B, 2>, resp: Tensor<B, 2>) -> Self {
        let k = resp.dims()[1];
        Self::from_products(&Products::new(x, y, k), x, y, resp)
    }

    /// [`Self::compute`] from the rows' prepared products (see [`Products`]).
    ///
    /// Every operand stays rows-first. Quadratic products: `rᵀ [x xᵀ, x yᵀ, y ⊙ y]` is every
    /// statistic of every expert but `Σ r` in one product. Repeated design: the responsibilities scale
    /// it (`r_nk x_n`, `[N, K·D]`), whose transpose times `x` and `y` gives all K `Σ r x xᵀ`
    /// and `Σ r x yᵀ` in two products.
    pub(crate) fn from_products(
        products: &Products<B>,
        x: &Tensor<B, 2>,
        y: &Tensor<B, 2>,
        resp: Tensor<B, 2>,
    ) -> Self {
        let [n, d] = x.dims();
        let p = y.dims()[1];
        let k = resp.dims()[1];
        let rows = resp
            .clone()
            .greater_elem(0.0)
            .float()
            .sum_dim(0)
            .reshape([k]);
        match products {
            Products::Quadratic(q) => {
                let sums = resp.clone().swap_dims(0, 1).matmul(q.clone()); // [K, D² + D·P + P]
                let (dd, dp) = (d * d, d * p);
                let column = |range: core::ops::Range<usize>| sums.clone().slice([0..k, range]);
                let yy = column(dd + dp..dd + dp + p);
                let yy = if p == 1 { yy } else { yy.sum_dim(1) };
                Self {
                    xx: column(0..dd).reshape([k, d, d]),
                    xy: column(dd..dd + dp).reshape([k, d, p]),
                    yy: yy.reshape([k]),
                    weight: resp.sum_dim(0).reshape([k]),
                    rows,
                }
            }
            Products::Repeated { design_rep, y_sq } => {
                // r-weighted rows, transposed: [K·D, N]
                let rx_t = (design_rep.clone().reshape([n, k, d])
                    * resp.clone().reshape([n, k, 1]))
                .reshape([n, k * d])
                .swap_dims(0, 1);
                let xx = rx_t.clone().matmul(x.clone()).reshape([k, d, d]);
                let xy = rx_t.matmul(y.clone()).reshape([k, d, p]);
                let yy = resp
                    .clone()
                    .swap_dims(0, 1)
                    .matmul(y_sq.clone())
                    .reshape([k]);
                let weight = resp.sum_dim(0).reshape([k]);
                Self {
                    xx,
                    xy,
                    yy,
                    weight,
                    rows,
                }
            }
        }
    }
}
