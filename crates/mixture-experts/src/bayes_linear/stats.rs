//! Additive sufficient statistics of K linear experts.

use burn::tensor::{backend::Backend, Tensor};
use mixture_core::Statistics;

/// Responsibility-weighted sums over rows, per expert (`x` includes the intercept column):
/// `Σ r x xᵀ`, `Σ r x yᵀ`, `Σ r ‖y‖²` and `Σ r`. They add up across batches, so the update
/// from merged batches equals the update from the whole data.
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
}

impl<B: Backend> Statistics for LinearStats<B> {
    fn merge(self, other: Self) -> Self {
        Self {
            xx: self.xx + other.xx,
            xy: self.xy + other.xy,
            yy: self.yy + other.yy,
            weight: self.weight + other.weight,
        }
    }
}

impl<B: Backend> LinearStats<B> {
    /// The statistics of design rows `x` (`[N, D]`, intercept included), targets `y`
    /// (`[N, P]`) and responsibilities `resp` (`[N, K]`), as a few batched matrix products.
    pub fn compute(x: &Tensor<B, 2>, y: &Tensor<B, 2>, resp: Tensor<B, 2>) -> Self {
        let [n, d] = x.dims();
        let p = y.dims()[1];
        let k = resp.dims()[1];
        let rt = resp.clone().swap_dims(0, 1); // [K, N]
                                               // r-weighted rows, transposed: [K, D, N]
        let rx_t = (rt.clone().unsqueeze_dim::<3>(2).expand([k, n, d])
            * x.clone().unsqueeze_dim::<3>(0).expand([k, n, d]))
        .swap_dims(1, 2);
        let xx = rx_t
            .clone()
            .matmul(x.clone().unsqueeze_dim::<3>(0).expand([k, n, d]));
        let xy = rx_t.matmul(y.clone().unsqueeze_dim::<3>(0).expand([k, n, p]));
        let y2 = y.clone().square().sum_dim(1); // [N, 1]
        let yy = rt.matmul(y2).reshape([k]);
        let weight = resp.sum_dim(0).reshape([k]);
        Self { xx, xy, yy, weight }
    }
}
