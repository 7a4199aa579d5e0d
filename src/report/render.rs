//! Every figure as SVG, PNG and PDF: the SVG that plotters draws, rendered
//! by resvg (PNG, about 1000 pixels wide: 300 dpi at a paper column's width) and converted by svg2pdf (PDF,
//! fonts embedded as subsets), each file written atomically.
//!
//! Text is set in DejaVu Sans, bundled (assets/fonts, Bitstream Vera licence)
//! so that figures look the same on every machine, with or without system
//! fonts; plotters' `sans-serif` is mapped to it.

use super::ReportError;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use resvg::{tiny_skia, usvg};

use super::output::write_atomic;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// A PNG's width in pixels: 300 dpi at a paper column's 3.33 in (a
/// column-wide figure is 240 units, see `style`), sharp in print and on slides.
const PNG_WIDTH: f32 = 1000.0;

/// The options every figure is parsed with: the bundled font as `sans-serif`.
fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut o = usvg::Options::default();
        let db = o.fontdb_mut();
        db.load_font_data(FONT.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        o
    })
}

/// `svg` rendered to PNG bytes.
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    let tree = usvg::Tree::from_str(svg, options()).map_err(|e| format!("the figure's SVG does not parse: {e}"))?;
    let size = tree.size();
    let scale = (PNG_WIDTH / size.width()).clamp(1.0, 4.0);
    let (w, h) = ((size.width() * scale).ceil() as u32, (size.height() * scale).ceil() as u32);
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or("a figure of zero size")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| format!("cannot encode the PNG: {e}"))
}

/// `svg` converted to a one-page PDF with its fonts embedded.
pub fn pdf(svg: &str) -> Result<Vec<u8>, String> {
    let tree = usvg::Tree::from_str(svg, options()).map_err(|e| format!("the figure's SVG does not parse: {e}"))?;
    let pdf = svg2pdf::to_pdf(&tree, svg2pdf::ConversionOptions::default(), svg2pdf::PageOptions::default())
        .map_err(|e| format!("cannot convert the figure to PDF: {e}"))?;
    Ok(sorted_resources(&pdf))
}

/// The PDF with the entries of each resource dictionary (`/XObject <<`,
/// `/ExtGState <<`, ...) in sorted order. svg2pdf 0.13 writes them in the
/// order of a `HashMap`, which differs from process to process; sorting the
/// lines of one dictionary moves no byte out of its object, so the
/// cross-reference offsets stay right and the same figure gives the same bytes.
fn sorted_resources(pdf: &[u8]) -> Vec<u8> {
    const KEYS: [&[u8]; 6] =
        [b"/XObject <<", b"/ExtGState <<", b"/Pattern <<", b"/Shading <<", b"/ColorSpace <<", b"/Font <<"];
    let indent = |l: &[u8]| l.iter().take_while(|c| **c == b' ').count();
    let lines: Vec<&[u8]> = pdf.split(|c| *c == b'\n').collect();
    let mut out: Vec<&[u8]> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        out.push(lines[i]);
        let head = lines[i].trim_ascii();
        i += 1;
        if KEYS.contains(&head) {
            // The entries: the following lines indented deeper than the key.
            let depth = indent(lines[i - 1]);
            let start = i;
            while i < lines.len() && indent(lines[i]) > depth && !lines[i].trim_ascii().ends_with(b"<<") {
                i += 1;
            }
            let mut entries = lines[start..i].to_vec();
            entries.sort_unstable();
            out.extend(entries);
        }
    }
    out.join(&b'\n')
}

/// Writes `svg` at `path` (NAME.svg) and beside it NAME.png and NAME.pdf; returns the three paths.
pub(crate) fn write_figure(path: &Path, svg: &str) -> Result<Vec<PathBuf>, ReportError> {
    let (png_path, pdf_path) = (path.with_extension("png"), path.with_extension("pdf"));
    let write = |p: &Path, bytes: &[u8]| write_atomic(p, bytes).map_err(ReportError::io(p));
    write(path, svg.as_bytes())?;
    write(&png_path, &png(svg).map_err(ReportError::draw(&png_path))?)?;
    write(&pdf_path, &pdf(svg).map_err(ReportError::draw(&pdf_path))?)?;
    Ok(vec![path.to_path_buf(), png_path, pdf_path])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">
        <rect x="0" y="0" width="60" height="40" fill="rgb(68,1,84)"/>
        <text x="70" y="25" font-family="sans-serif" font-size="14">α = 0.1</text></svg>"#;

    #[test]
    fn the_png_is_scaled_towards_a_thousand_pixels_and_draws_the_shapes_and_the_text() {
        let bytes = png(SVG).unwrap();
        let pixmap = tiny_skia::Pixmap::decode_png(&bytes).unwrap();
        // 1000 / 120 is more than the largest scale, 4.
        assert_eq!((pixmap.width(), pixmap.height()), (480, 160));
        let px = |x: u32, y: u32| pixmap.pixel(x, y).unwrap();
        assert_eq!((px(10, 10).red(), px(10, 10).green(), px(10, 10).blue()), (68, 1, 84));
        // The text (bundled font) darkens some pixels right of the rectangle.
        let dark =
            (260..480).flat_map(|x| (0..160).map(move |y| (x, y))).filter(|&(x, y)| px(x, y).red() < 128).count();
        assert!(dark > 50, "only {dark} dark pixels where the text should be");
    }

    #[test]
    fn resource_entries_are_sorted_in_place() {
        let pdf =
            b"1 0 obj\n  /XObject <<\n    /xo9 12 0 R\n    /xo10 3 0 R\n  >>\n  /Font <<\n    /f1 4 0 R\n  >>\nendobj";
        let sorted = sorted_resources(pdf);
        assert_eq!(sorted.len(), pdf.len());
        let text = String::from_utf8(sorted).unwrap();
        assert!(
            text.contains("  /XObject <<\n    /xo10 3 0 R\n    /xo9 12 0 R\n  >>\n  /Font <<\n    /f1 4 0 R"),
            "{text}"
        );
        assert_eq!(sorted_resources(text.as_bytes()), text.as_bytes(), "sorting twice changes nothing");
    }

    #[test]
    fn the_pdf_embeds_its_font() {
        let bytes = pdf(SVG).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("FontFile2") || text.contains("FontFile3"), "no embedded font program");
        assert!(text.contains("DejaVu"), "the font is not DejaVu Sans");
    }
}
