//! MixtureLib's two-planes example: 200 rows drawn from the planes `y = 10·x1` and
//! `y = 30·x2` with noise 5, fitted as a mixture of *models* (a Dirichlet gate: global
//! weights) and as a mixture of *experts* (a softmax network gate: weights depend on x).
//! Prints the learned planes and the training MSE, and draws the data and the real and fitted
//! planes to a PNG (titles, axes and legends drawn with the font embedded in the binary).
//!
//! ```text
//! cargo run --release -p mixture-examples --example two_planes [-- OUT.png]
//! ```
//!
//! The PNG has two rows (Dirichlet gate, softmax gate) and two columns (y against x1, y
//! against x2). Points are coloured by their most probable expert; each expert's fitted
//! plane is drawn as its line through the origin of the other input (solid, the expert's
//! colour), the true planes in grey.

use burn::tensor::{DType, Tensor};
use mixture::core::tensor::{from_f64, to_vec_f64};
use mixture::em::experts::{two_planes, TwoPlanes, TWO_PLANES};
use mixture::em::{GateKind, MixtureOfExperts, MixtureOfExpertsConfig};
use mixture_examples::{register_font, FAMILY};
use plotters::prelude::*;

type B = burn_flex::Flex;

/// Expert colours.
const PALETTE: [RGBColor; 2] = [RGBColor(214, 39, 40), RGBColor(31, 119, 180)];

/// One fitted model, on the host.
struct Fitted {
    name: &'static str,
    /// `[K][2]` plane coefficients.
    planes: Vec<[f64; 2]>,
    intercepts: Vec<f64>,
    /// The most probable expert of every row.
    labels: Vec<usize>,
    mse: f64,
    seconds: f64,
}

fn fit(
    name: &'static str,
    gate: GateKind,
    data: &TwoPlanes,
) -> Result<Fitted, Box<dyn std::error::Error>> {
    let n = data.n_samples();
    let device = Default::default();
    let x: Tensor<B, 2> = from_f64(data.x.clone(), [n, 2], &device, DType::F32);
    let y: Tensor<B, 2> = from_f64(data.y.clone(), [n, 1], &device, DType::F32);
    let start = std::time::Instant::now();
    // 100 gate epochs per M-step for the network gate, as in MixtureLib's example.
    let model: MixtureOfExperts<B> = MixtureOfExpertsConfig::new(2)
        .with_gate(gate)
        .with_gate_epochs(100)
        .fit(&x, &y)?;
    let seconds = start.elapsed().as_secs_f64();
    let coef = to_vec_f64(model.coefficients())?; // [K, 3, 1]: x1, x2, intercept
    let rows = coef.len() / 2;
    let planes = (0..2)
        .map(|k| [coef[k * rows], coef[k * rows + 1]])
        .collect();
    let intercepts = to_vec_f64(model.intercepts())?;
    let proba = to_vec_f64(model.predict_proba(&x, &y)?)?;
    let labels = proba.chunks(2).map(|r| usize::from(r[1] > r[0])).collect();
    let mse = model.mean_squared_error(&x, &y)?;
    Ok(Fitted {
        name,
        planes,
        intercepts,
        labels,
        mse,
        seconds,
    })
}

fn draw(path: &str, data: &TwoPlanes, fits: &[Fitted]) -> Result<(), Box<dyn std::error::Error>> {
    register_font()?;
    let n = data.n_samples();
    let root = BitMapBackend::new(path, (1000, 1000)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "MixtureLib's two planes: y = 10 x1 and y = 30 x2, noise 5",
        (FAMILY, 24),
    )?;
    let panels = root.split_evenly((fits.len(), 2));
    let (y0, y1) = data
        .y
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    for (p, panel) in panels.iter().enumerate() {
        let (f, j) = (&fits[p / 2], p % 2);
        let xs: Vec<f64> = (0..n).map(|i| data.x[2 * i + j]).collect();
        let (x0, x1) = xs
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{}: y against x{}", f.name, j + 1), (FAMILY, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc(format!("x{}", j + 1))
            .y_desc("y")
            .label_style((FAMILY, 13))
            .axis_desc_style((FAMILY, 15))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (t, plane) in TWO_PLANES.iter().enumerate() {
            let line = [(x0, plane[j] * x0), (x1, plane[j] * x1)];
            let series = chart.draw_series(LineSeries::new(
                line,
                RGBColor(160, 160, 160).stroke_width(6),
            ))?;
            if t == 0 {
                series.label("true planes").legend(|(x, y)| {
                    PathElement::new(
                        vec![(x, y), (x + 20, y)],
                        RGBColor(160, 160, 160).stroke_width(6),
                    )
                });
            }
        }
        chart.draw_series(
            (0..n).map(|i| Circle::new((xs[i], data.y[i]), 3, PALETTE[f.labels[i]].filled())),
        )?;
        for (k, plane) in f.planes.iter().enumerate() {
            let b = f.intercepts[k];
            let line = [(x0, plane[j] * x0 + b), (x1, plane[j] * x1 + b)];
            let colour = PALETTE[k];
            chart
                .draw_series(LineSeries::new(line, colour.stroke_width(2)))?
                .label(format!("expert {k} (its rows in its colour)"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FAMILY, 12))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "two_planes.png".into());
    let data = two_planes(200, 5.0, 0);
    println!(
        "two planes: N = {}, true planes {:?} and {:?}, noise 5; MSE with the true plane of each row: {:.2}",
        data.n_samples(),
        TWO_PLANES[0],
        TWO_PLANES[1],
        data.oracle_mse()
    );
    let fits = [
        fit(
            "mixture of models (Dirichlet gate)",
            GateKind::Dirichlet,
            &data,
        )?,
        fit(
            "mixture of experts (softmax gate)",
            GateKind::Softmax,
            &data,
        )?,
    ];
    for f in &fits {
        println!("\n{} — {:.3} s", f.name, f.seconds);
        for (k, (w, b)) in f.planes.iter().zip(&f.intercepts).enumerate() {
            println!(
                "  expert {k}: y = {:7.3}·x1 + {:7.3}·x2 + {:6.3}",
                w[0], w[1], b
            );
        }
        println!("  training MSE {:.2}", f.mse);
    }
    draw(&out, &data, &fits)?;
    println!("\nwrote {out} (rows: Dirichlet, softmax gate; columns: y vs x1, y vs x2)");
    Ok(())
}
