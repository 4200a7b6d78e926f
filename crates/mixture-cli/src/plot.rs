//! PNG line charts with readable text (title, axis labels, tick values, legend), drawn with
//! plotters and a font embedded in the binary (DejaVu Sans cut to ASCII, Greek and a few
//! symbols: `assets/`), so a fresh machine without fonts draws the same picture.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

use crate::error::CliError;

/// DejaVu Sans, subset by `assets/make_font_subset.sh` (license: `assets/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");

/// The font family every text style names.
const FAMILY: &str = "sans-serif";

/// One line of a chart: a legend label and its points, in order of x.
pub struct Series {
    /// The legend's text.
    pub label: String,
    /// `(x, y)` points.
    pub points: Vec<(f64, f64)>,
}

/// What to draw.
pub struct LineChart<'a> {
    /// The title above the chart.
    pub title: &'a str,
    /// The x axis's label.
    pub x_label: &'a str,
    /// The y axis's label.
    pub y_label: &'a str,
    /// The lines.
    pub series: &'a [Series],
    /// A point to ring and its legend label (the best fit).
    pub highlight: Option<((f64, f64), String)>,
}

/// Registers the embedded font once.
fn register_font() -> Result<(), CliError> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .map_err(|_| CliError::Runtime("the embedded font cannot be read".into()));
    });
    result
}

/// Draws `chart` to the PNG file `path` (900 × 600 pixels); x ticks at integers.
///
/// # Errors
/// A run-time error when the file cannot be written or the chart has no finite point.
pub fn draw_png(path: &Path, chart: &LineChart) -> Result<(), CliError> {
    register_font()?;
    let fail = |e: &dyn std::fmt::Display| {
        CliError::Runtime(format!("cannot draw the plot {}: {e}", path.display()))
    };
    let points = || {
        chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in points() {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        return Err(fail(&"no cell fitted, so there is nothing to draw"));
    }
    let pad = ((y1 - y0) * 0.06).max(y1.abs().max(1.0) * 1e-6);
    let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let mut ctx = ChartBuilder::on(&root)
        .caption(chart.title, (FAMILY, 24))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d((x0 - 0.5)..(x1 + 0.5), (y0 - pad)..(y1 + pad))
        .map_err(|e| fail(&e))?;
    let n_ticks = (x1 - x0).round() as usize + 1;
    ctx.configure_mesh()
        .x_desc(chart.x_label)
        .y_desc(chart.y_label)
        .x_labels(n_ticks.min(20))
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-9 {
                format!("{}", x.round() as i64)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 17))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| fail(&e))?;
    for (i, s) in chart.series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let finite: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        ctx.draw_series(LineSeries::new(finite.clone(), color.stroke_width(2)))
            .map_err(|e| fail(&e))?
            .label(s.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        ctx.draw_series(
            finite
                .into_iter()
                .map(|p| Circle::new(p, 4, color.filled())),
        )
        .map_err(|e| fail(&e))?;
    }
    if let Some((point, label)) = &chart.highlight {
        ctx.draw_series(std::iter::once(Circle::new(
            *point,
            11,
            BLACK.stroke_width(2),
        )))
        .map_err(|e| fail(&e))?
        .label(label.clone())
        .legend(|(x, y)| Circle::new((x + 12, y), 6, BLACK.stroke_width(2)));
    }
    ctx.configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FAMILY, 15))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}
