//! Shared helpers for the examples.

/// The font the example pictures draw their text with: DejaVu Sans cut to ASCII, Greek and a
/// few symbols, embedded in the binary (no system fonts needed). The same file as the
/// command line's (`crates/mixture-cli/assets/`, with its license and the script that cut it).
const FONT: &[u8] = include_bytes!("../crates/mixture-cli/assets/DejaVuSans-subset.ttf");

/// The font family the examples' text styles name.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded font under [`FAMILY`] (call once before drawing).
///
/// # Errors
/// When the embedded font cannot be parsed (it can: the test below draws text with it).
pub fn register_font() -> Result<(), Box<dyn std::error::Error>> {
    plotters::style::register_font(FAMILY, plotters::style::FontStyle::Normal, FONT)
        .map_err(|_| "the embedded font cannot be read".into())
}

#[cfg(test)]
mod tests {
    use plotters::prelude::*;

    use super::*;

    #[test]
    fn the_embedded_font_draws_text() {
        register_font().unwrap();
        let (w, h) = (120u32, 40u32);
        let mut pixels = vec![255u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            let style = (FAMILY, 24).into_font().color(&BLACK);
            root.draw_text("K = 2σ", &style, (4, 4)).unwrap();
            root.present().unwrap();
        }
        let dark = pixels.chunks(3).filter(|p| p[0] < 128).count();
        // Six glyphs at 24 px cover a few hundred pixels; no font would leave none.
        assert!(dark > 100, "{dark} dark pixels");
    }
}
