//! GMMPytorch's demo on burn: generate mock clusters, fit a Gaussian mixture by gradient
//! descent (Adam, separate learning rates for the weights and the components, cosine
//! annealing, the σ ≥ 1e-6 floor), log the loss, and draw the data with the fitted ellipses.
//!
//! ```text
//! cargo run -p mixture-examples --example gmm_demo --release -- \
//!     --samples 1000 --components 5 --dims 2 --iterations 20000 --family full \
//!     --log-freq 5000 --radius 8 --mixture-lr 3e-5 --component-lr 1e-2 --visualize --seed 42
//! ```
//!
//! The options and their defaults are GMMPytorch's `demo.py` (its `--log_freq` style names
//! are accepted too). With `--visualize` (the default, as there) a PNG of the first two
//! dimensions is written to `--out-dir` at each log step and at the end: the data in grey,
//! each component's 1σ and 2σ ellipses and its mean in its colour, with a title (the
//! iteration and the loss), axis labels, ticks and a legend, drawn with the font embedded in
//! the binary (no system fonts needed).
//!
//! The mock data follow GMMPytorch's `src/data.py`: `samples / components` points per
//! cluster, means uniform in `[−radius, radius]^D`, covariances by family (full: a random
//! correlation matrix; diagonal: `diag(U(0, 1)^D)`; isotropic: `U(0, 1)·I`; shared isotropic:
//! one such for all; constant: `I`). The model starts as GMMPytorch's does: means uniform in
//! the same cube, standard deviations uniform in `[0.1, 1]` (GMMPytorch: `U(0, 1)`), uniform
//! weights; `--init data` starts from k-means++ rows of the data instead.

use std::path::{Path, PathBuf};

use burn::tensor::{DType, Tensor};
use clap::{ArgAction, Parser};
use mixture::core::tensor::{from_f64, to_vec_f64};
use mixture::core::NoopObserver;
use mixture::em::{CovarianceType, GaussianMixtureConfig};
use mixture::gradient::{
    Family, GaussianMixtureModule, GradientMixtureConfig, GradientTrainer, MeanInit, ScaleInit,
};
use mixture_examples::{register_font, FAMILY};
use plotters::prelude::*;
use rand::{rngs::StdRng, RngExt, SeedableRng};

#[cfg(feature = "wgpu")]
type Inner = burn_wgpu::Wgpu;
#[cfg(all(feature = "ndarray", not(feature = "wgpu")))]
type Inner = burn_ndarray::NdArray<f32>;
#[cfg(all(feature = "flex", not(feature = "ndarray"), not(feature = "wgpu")))]
type Inner = burn_flex::Flex;
type B = burn::backend::Autodiff<Inner>;

/// Fit a Gaussian mixture model to generated mock data (GMMPytorch's demo).
#[derive(Parser, Debug)]
#[command(name = "gmm_demo")]
struct Args {
    /// The number of total samples in the dataset.
    #[arg(long, default_value_t = 1000)]
    samples: usize,
    /// The number of Gaussian components in the mixture.
    #[arg(long, default_value_t = 5)]
    components: usize,
    /// The number of data dimensions.
    #[arg(long, default_value_t = 2)]
    dims: usize,
    /// The number of optimization steps.
    #[arg(long, default_value_t = 20_000)]
    iterations: usize,
    /// Model family: full, diagonal, isotropic, shared-isotropic or constant.
    #[arg(long, default_value = "full")]
    family: Family,
    /// Steps per log event.
    #[arg(long = "log-freq", alias = "log_freq", default_value_t = 5000)]
    log_freq: usize,
    /// Bound of the cluster means (the data's cube is `[−radius, radius]^D`).
    #[arg(long, default_value_t = 8.0)]
    radius: f64,
    /// Learning rate of the mixture weights.
    #[arg(long = "mixture-lr", alias = "mixture_lr", default_value_t = 3e-5)]
    mixture_lr: f64,
    /// Learning rate of the component parameters (means, scales).
    #[arg(long = "component-lr", alias = "component_lr", default_value_t = 1e-2)]
    component_lr: f64,
    /// Write plots at each log event and at the end (`--visualize false` to skip).
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set)]
    visualize: bool,
    /// Seed of the data and the model.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the plots go.
    #[arg(long = "out-dir", default_value = "gmm_demo_out")]
    out_dir: PathBuf,
    /// Model start: `uniform` (GMMPytorch), `data` (k-means++ rows, data variance) or `em`
    /// (where EM starts: k-means clusters' means, covariances and weights).
    #[arg(long, default_value = "uniform")]
    init: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.components == 0 || args.dims == 0 || args.samples < args.components {
        return Err("need components >= 1, dims >= 1 and samples >= components".into());
    }
    let mut rng = StdRng::seed_from_u64(args.seed);
    let (values, n) = mock_data(&args, &mut rng);
    let device = Default::default();
    let x: Tensor<B, 2> = from_f64(values.clone(), [n, args.dims], &device, DType::F32);

    let (mean_init, scale_init) = match args.init.as_str() {
        "uniform" => (
            MeanInit::Uniform {
                radius: args.radius,
            },
            match args.family {
                Family::Constant => ScaleInit::Std(1.0),
                _ => ScaleInit::UniformStd {
                    low: 0.1,
                    high: 1.0,
                },
            },
        ),
        "data" => (MeanInit::FromData, ScaleInit::FromData),
        "em" => (
            MeanInit::KMeans,
            match args.family {
                Family::Constant => ScaleInit::Std(1.0),
                _ => ScaleInit::FromData,
            },
        ),
        other => return Err(format!("unknown --init `{other}`; use uniform, data or em").into()),
    };
    let config = GradientMixtureConfig::new(args.components)
        .with_family(args.family)
        .with_iterations(args.iterations)
        .with_mixture_lr(args.mixture_lr)
        .with_component_lr(args.component_lr)
        .with_mean_init(mean_init)
        .with_scale_init(scale_init)
        .with_tol(0.0) // GMMPytorch runs every iteration
        .with_seed(args.seed);
    let module = config.init_module(&x)?;
    let mut trainer = GradientTrainer::new(&config, module, &x)?;

    if args.visualize {
        std::fs::create_dir_all(&args.out_dir)?;
    }
    let log_freq = args.log_freq.max(1);
    let mut plots = Vec::new();
    while !trainer.is_done() {
        trainer.iterate(log_freq, &mut NoopObserver)?;
        let loss = trainer.loss_history().last().copied().unwrap_or(f64::NAN);
        println!(
            "iteration {:>6}/{}  loss {loss:.4}",
            trainer.n_iter(),
            args.iterations
        );
        if args.visualize && !trainer.is_done() {
            let path = args
                .out_dir
                .join(format!("step_{:06}.png", trainer.n_iter()));
            let title = format!("iteration {}, loss {loss:.4}", trainer.n_iter());
            plot(&path, &title, &values, args.dims, trainer.module())?;
            plots.push(path);
        }
    }
    let (module, report) = trainer.finish(&mut NoopObserver)?;
    println!(
        "Final Loss: {:.2}  ({} iterations, {:.1} s)",
        report.final_loss, report.n_iter, report.fit_seconds
    );
    // The same data fitted by EM (the family's covariance type, k-means init, this seed):
    // the optimum a gradient fit should reach.
    let covariance_type = match args.family {
        Family::Full => CovarianceType::Full,
        Family::Diagonal => CovarianceType::Diag,
        _ => CovarianceType::Spherical,
    };
    if let Ok(em) = GaussianMixtureConfig::new(args.components)
        .with_covariance_type(covariance_type)
        .with_seed(args.seed)
        .fit(&x.clone().inner())
    {
        println!(
            "EM ({covariance_type} covariance) on the same data: loss {:.4}",
            -em.score(&x.clone().inner())?
        );
    }
    let weights = to_vec_f64(module.mixture_probs())?;
    println!("weights: {weights:.3?}");
    if args.visualize {
        let path = args.out_dir.join("final.png");
        let title = format!(
            "final: {} iterations, loss {:.4}",
            report.n_iter, report.final_loss
        );
        plot(&path, &title, &values, args.dims, &module)?;
        plots.push(path);
        for p in plots {
            println!("wrote {}", p.display());
        }
    }
    Ok(())
}

/// GMMPytorch's mock data: `samples / components` rows per cluster, row-major `[n, D]`.
fn mock_data(args: &Args, rng: &mut StdRng) -> (Vec<f64>, usize) {
    let (k, d) = (args.components, args.dims);
    let per = args.samples / k;
    let shared = rng.random::<f64>();
    let mut out = Vec::with_capacity(per * k * d);
    for _ in 0..k {
        let mean: Vec<f64> = (0..d)
            .map(|_| (2.0 * rng.random::<f64>() - 1.0) * args.radius)
            .collect();
        let cov = match args.family {
            Family::Full => random_correlation(d, rng),
            Family::Diagonal => diag(&(0..d).map(|_| rng.random::<f64>()).collect::<Vec<_>>()),
            Family::Isotropic => diag(&vec![rng.random::<f64>(); d]),
            Family::SharedIsotropic => diag(&vec![shared; d]),
            Family::Constant => diag(&vec![1.0; d]),
        };
        let l = cholesky(&cov, d);
        for _ in 0..per {
            let z = mixture::gradient::module::standard_normal(d, rng);
            for a in 0..d {
                out.push(mean[a] + (0..=a).map(|p| l[a * d + p] * z[p]).sum::<f64>());
            }
        }
    }
    (out, per * k)
}

/// `corrcoef` of a `d × 10` standard normal matrix (GMMPytorch's random covariance).
fn random_correlation(d: usize, rng: &mut StdRng) -> Vec<f64> {
    let m = 10;
    let g = mixture::gradient::module::standard_normal(d * m, rng);
    let mean: Vec<f64> = (0..d)
        .map(|i| g[i * m..(i + 1) * m].iter().sum::<f64>() / m as f64)
        .collect();
    let mut c = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            c[i * d + j] = (0..m)
                .map(|t| (g[i * m + t] - mean[i]) * (g[j * m + t] - mean[j]))
                .sum::<f64>();
        }
    }
    let s: Vec<f64> = (0..d).map(|i| c[i * d + i].sqrt()).collect();
    for i in 0..d {
        for j in 0..d {
            c[i * d + j] /= s[i] * s[j];
        }
        // A touch of ridge keeps the 10-sample correlation matrix safely positive definite.
        c[i * d + i] += 1e-3;
    }
    c
}

fn diag(v: &[f64]) -> Vec<f64> {
    let d = v.len();
    let mut m = vec![0.0; d * d];
    for i in 0..d {
        m[i * d + i] = v[i];
    }
    m
}

/// Lower Cholesky factor of a small symmetric positive-definite matrix (host).
fn cholesky(a: &[f64], d: usize) -> Vec<f64> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|p| l[i * d + p] * l[j * d + p]).sum();
            l[i * d + j] = if i == j {
                (a[i * d + i] - s).max(0.0).sqrt()
            } else {
                (a[i * d + j] - s) / l[j * d + j]
            };
        }
    }
    l
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(230, 25, 75),
    RGBColor(60, 180, 75),
    RGBColor(0, 130, 200),
    RGBColor(245, 130, 48),
    RGBColor(145, 30, 180),
    RGBColor(70, 240, 240),
    RGBColor(240, 50, 230),
    RGBColor(128, 128, 0),
];

/// The data (first two dimensions; 1-D data is spread on a zero second axis) with each
/// component's 1σ and 2σ ellipses and its mean.
fn plot(
    path: &Path,
    title: &str,
    values: &[f64],
    d: usize,
    module: &GaussianMixtureModule<B>,
) -> Result<(), Box<dyn std::error::Error>> {
    let point = |r: &[f64]| (r[0], if d > 1 { r[1] } else { 0.0 });
    let pts: Vec<(f64, f64)> = values.chunks(d).map(point).collect();
    let k = module.n_components();
    let means = to_vec_f64(module.means.val())?;
    let cov = to_vec_f64(module.covariance())?;
    let mut ellipses = Vec::with_capacity(k);
    for c in 0..k {
        let mu = point(&means[c * d..(c + 1) * d]);
        let s = &cov[c * d * d..(c + 1) * d * d];
        // The 2×2 block of the first two dimensions (1-D: a flat ellipse).
        let (a, b, e) = if d > 1 {
            (s[0], s[1], s[d + 1])
        } else {
            (s[0], 0.0, 1e-12)
        };
        let l = cholesky(&[a, b, b, e], 2);
        let ring = |scale: f64| -> Vec<(f64, f64)> {
            (0..=96)
                .map(|t| {
                    let th = t as f64 / 96.0 * std::f64::consts::TAU;
                    let (u, v) = (th.cos() * scale, th.sin() * scale);
                    (mu.0 + l[0] * u, mu.1 + l[2] * u + l[3] * v)
                })
                .collect()
        };
        ellipses.push((mu, ring(1.0), ring(2.0)));
    }
    let all = pts.iter().chain(ellipses.iter().flat_map(|e| e.2.iter()));
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        if x.is_finite() && y.is_finite() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    let pad = 0.05 * (x1 - x0).max(y1 - y0).max(1e-6);

    register_font()?;
    let root = BitMapBackend::new(path, (800, 800)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Gaussian mixture by gradient descent: {title}"),
            (FAMILY, 20),
        )
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(x0 - pad..x1 + pad, y0 - pad..y1 + pad)?;
    chart
        .configure_mesh()
        .x_desc("x0")
        .y_desc(if d > 1 { "x1" } else { "(one dimension)" })
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart
        .draw_series(
            pts.iter()
                .map(|&p| Circle::new(p, 2, RGBColor(150, 150, 150).filled())),
        )?
        .label("data")
        .legend(|(x, y)| Circle::new((x + 10, y), 3, RGBColor(150, 150, 150).filled()));
    for (c, (mu, one, two)) in ellipses.into_iter().enumerate() {
        let colour = PALETTE[c % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(one, colour.stroke_width(2)))?
            .label(format!("component {c}: 1σ, 2σ, mean"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        chart.draw_series(LineSeries::new(two, colour.stroke_width(1)))?;
        chart.draw_series(std::iter::once(Cross::new(mu, 6, colour.stroke_width(3))))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FAMILY, 13))
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    root.present()?;
    Ok(())
}
