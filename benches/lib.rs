//! Shared helpers for the benchmarks: the backend picked by cargo feature, seeded synthetic
//! data, and the initial parameters every benchmark (and scikit-learn's, in
//! `cargo xtask bench --compare sklearn`) starts from.
//!
//! Backends: `flex` (default), `ndarray`, `wgpu`, `cuda`. When several are enabled (the
//! default `flex` plus another), the explicitly added one wins: cuda, then wgpu, then ndarray,
//! then flex.
#![warn(missing_docs)]

use burn::tensor::{backend::Backend, DType, Tensor, TensorData};
use mixture::core::tensor::opts;
use mixture::experts::CovarianceType;
use rand::{rngs::StdRng, RngExt, SeedableRng};

#[cfg(feature = "cuda")]
/// The backend selected by cargo feature.
pub type Bench = burn_cuda::Cuda;
#[cfg(all(feature = "wgpu", not(feature = "cuda")))]
/// The backend selected by cargo feature.
pub type Bench = burn_wgpu::Wgpu;
#[cfg(all(feature = "ndarray", not(any(feature = "cuda", feature = "wgpu"))))]
/// The backend selected by cargo feature.
pub type Bench = burn_ndarray::NdArray<f32>;
#[cfg(all(
    feature = "flex",
    not(any(feature = "cuda", feature = "wgpu", feature = "ndarray"))
))]
/// The backend selected by cargo feature.
pub type Bench = burn_flex::Flex;
#[cfg(not(any(
    feature = "flex",
    feature = "ndarray",
    feature = "wgpu",
    feature = "cuda"
)))]
compile_error!("enable one backend feature of mixture-benches: flex, ndarray, wgpu or cuda");

/// Name of the backend selected by cargo feature.
pub fn backend_name() -> &'static str {
    if cfg!(feature = "cuda") {
        "cuda"
    } else if cfg!(feature = "wgpu") {
        "wgpu"
    } else if cfg!(feature = "ndarray") {
        "ndarray"
    } else {
        "flex"
    }
}

/// The four covariance structures, in the order the tables list them.
pub const COVARIANCE_TYPES: [CovarianceType; 4] = [
    CovarianceType::Full,
    CovarianceType::Tied,
    CovarianceType::Diag,
    CovarianceType::Spherical,
];

/// A seeded synthetic problem: `n` points in `d` dimensions drawn from `k` Gaussian blobs,
/// and the initial parameters of a K-component fit.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Rows.
    pub n: usize,
    /// Columns.
    pub d: usize,
    /// Components of the fit (and blobs in the data).
    pub k: usize,
    /// The data, row-major, `n × d`, f32.
    pub x: Vec<f32>,
    /// Initial weights, uniform, `[k]`.
    pub weights_init: Vec<f64>,
    /// Initial means, `[k, d]` row-major: the blob centres moved by N(0, 0.5²) noise, so EM
    /// has work to do but starts in the right basin (as PyCave's benchmark starts from the
    /// true means).
    pub means_init: Vec<f64>,
}

impl Problem {
    /// Draws the problem from `seed`. Blob centres are uniform in `[-4, 4]^d`; blob `j` has
    /// per-axis standard deviations uniform in `[0.5, 1.5]`; row `i` belongs to blob `i % k`
    /// before a seeded shuffle.
    pub fn generate(n: usize, d: usize, k: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let centers: Vec<f64> = (0..k * d).map(|_| rng.random_range(-4.0..4.0)).collect();
        let scales: Vec<f64> = (0..k * d).map(|_| rng.random_range(0.5..1.5)).collect();
        let mut normal = Normal::default();
        let mut x = vec![0f32; n * d];
        let mut order: Vec<usize> = (0..n).collect();
        // Fisher–Yates with the same generator: blob membership is shuffled over rows.
        for i in (1..n).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        for (row, &slot) in x.chunks_exact_mut(d).zip(&order) {
            let blob = slot % k;
            for (j, v) in row.iter_mut().enumerate() {
                let z = normal.sample(&mut rng);
                *v = (centers[blob * d + j] + scales[blob * d + j] * z) as f32;
            }
        }
        let means_init = centers
            .iter()
            .map(|c| c + 0.5 * normal.sample(&mut rng))
            .collect();
        Self {
            n,
            d,
            k,
            x,
            weights_init: vec![1.0 / k as f64; k],
            means_init,
        }
    }

    /// Initial precisions for `covariance_type`, in scikit-learn's shapes, flattened: the
    /// identity (unit variances) for every component.
    pub fn precisions_init(&self, covariance_type: CovarianceType) -> Vec<f64> {
        let (k, d) = (self.k, self.d);
        let eye: Vec<f64> = (0..d * d)
            .map(|i| if i / d == i % d { 1.0 } else { 0.0 })
            .collect();
        match covariance_type {
            CovarianceType::Full => eye.repeat(k),
            CovarianceType::Tied => eye,
            CovarianceType::Diag => vec![1.0; k * d],
            CovarianceType::Spherical => vec![1.0; k],
        }
    }

    /// The data as an f32 tensor on `device`.
    pub fn tensor<B: Backend>(&self, device: &B::Device) -> Tensor<B, 2> {
        self.tensor_as::<B>(device, DType::F32)
    }

    /// The data as a `[N, D]` tensor of `dtype` on `device` (the f32 values, widened for f64).
    pub fn tensor_as<B: Backend>(&self, device: &B::Device, dtype: DType) -> Tensor<B, 2> {
        if dtype == DType::F32 {
            let data = TensorData::new(self.x.clone(), [self.n, self.d]);
            return Tensor::from_data(data, opts::<B>(device, DType::F32));
        }
        let wide = self.x.iter().map(|&v| f64::from(v)).collect();
        mixture::core::tensor::from_f64(wide, [self.n, self.d], device, dtype)
    }

    /// The index of the nearest initial mean of every row (squared distances in f64; the
    /// first on ties): the one-hot start of the variational benchmark, which
    /// `sklearn_bench.py` recomputes the same way.
    pub fn nearest_init_labels(&self) -> Vec<usize> {
        let (k, d) = (self.k, self.d);
        self.x
            .chunks_exact(d)
            .map(|row| {
                let dist = |c: usize| -> f64 {
                    row.iter()
                        .zip(&self.means_init[c * d..(c + 1) * d])
                        .map(|(x, m)| (f64::from(*x) - m).powi(2))
                        .sum()
                };
                (0..k)
                    .fold((0, f64::INFINITY), |best, c| {
                        let v = dist(c);
                        if v < best.1 {
                            (c, v)
                        } else {
                            best
                        }
                    })
                    .0
            })
            .collect()
    }

    /// Writes the data as a 2-D little-endian f32 `.npy` file (NumPy format 1.0, C order).
    pub fn write_npy(&self, path: &std::path::Path) -> std::io::Result<()> {
        use std::io::Write;
        let mut header = format!(
            "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
            self.n, self.d
        );
        // Magic (6) + version (2) + header length (2) + header + '\n', padded to 64 bytes.
        let unpadded = 10 + header.len() + 1;
        header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
        header.push('\n');
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        out.write_all(b"\x93NUMPY\x01\x00")?;
        out.write_all(&(header.len() as u16).to_le_bytes())?;
        out.write_all(header.as_bytes())?;
        for v in &self.x {
            out.write_all(&v.to_le_bytes())?;
        }
        out.flush()
    }
}

/// Standard normal draws by the Box–Muller transform (two per pair of uniforms).
#[derive(Debug, Default)]
struct Normal {
    spare: Option<f64>,
}

impl Normal {
    fn sample(&mut self, rng: &mut StdRng) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
        let u2: f64 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

/// The median of `values` (which it sorts); `NaN` when empty.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let m = values.len() / 2;
    if values.len() % 2 == 1 {
        values[m]
    } else {
        0.5 * (values[m - 1] + values[m])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_seeded_and_centred_on_the_blobs() {
        let a = Problem::generate(2000, 3, 4, 7);
        let b = Problem::generate(2000, 3, 4, 7);
        assert_eq!(a.x, b.x);
        assert_eq!(a.means_init, b.means_init);
        let mean: f64 = a.x.iter().map(|&v| v as f64).sum::<f64>() / a.x.len() as f64;
        assert!(mean.abs() < 4.0);
        assert_eq!(a.precisions_init(CovarianceType::Full).len(), 4 * 9);
        assert_eq!(a.precisions_init(CovarianceType::Spherical), vec![1.0; 4]);
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn npy_header_is_aligned() {
        let p = Problem::generate(5, 2, 1, 0);
        let path = std::env::temp_dir().join("mixture-benches-test.npy");
        p.write_npy(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        assert_eq!(bytes.len(), 10 + header_len + 5 * 2 * 4);
        std::fs::remove_file(path).ok();
    }
}
