//! What every figure shares: a size that fits one column of a two-column
//! paper, fonts set for it, and curve styles that stay apart in print.
//!
//! Sizes are in points (1/72 in): svg2pdf maps an SVG's declared width and
//! height to the PDF page in points, so a 240-point-wide figure is 3.33 in,
//! one column of the ACM and IEEE two-column layouts, and its 7-point text
//! prints at 7 points. plotters places everything on whole units, which at
//! that size would put curves on a visible 1-point staircase; figures are
//! therefore drawn at `SCALE` times their size (`canvas`, `pt`, `font`) and
//! declared at their print size (`at_print_size`).

use plotters::coord::CoordTranslate;
use plotters::element::{Circle, Cross, EmptyElement, Rectangle, TriangleMarker};
use plotters::prelude::{DrawingArea, DrawingBackend, RGBColor, ShapeStyle};
use plotters::style::{Color, RGBAColor};

/// Drawing units per point.
pub const SCALE: i32 = 4;

/// One column's width, in points.
pub const WIDTH: i32 = 240;
/// A curve plot's height without its legend, in points.
pub const HEIGHT: i32 = 170;

/// A figure's title, in points.
pub const TITLE: f64 = 8.0;
/// An axis's name, in points.
pub const AXIS: f64 = 7.0;
/// Tick labels and the numbers in cells, in points.
pub const TICK: f64 = 6.0;
/// Legend entries, in points.
pub const LEGEND: f64 = 6.0;

/// A length of `points` points in drawing units.
pub(crate) fn pt(points: i32) -> i32 {
    points * SCALE
}

/// The drawing size of a figure `w` × `h` points.
pub(crate) fn canvas(w: i32, h: i32) -> (u32, u32) {
    (pt(w).max(1) as u32, pt(h).max(1) as u32)
}

/// The size to give plotters for text of `points` points: plotters writes
/// `font-size` as the size it is given divided by 1.24.
pub fn font(points: f64) -> f64 {
    points * SCALE as f64 * 1.24
}

/// The width in points of `text` set at `size` points: DejaVu Sans averages
/// about 0.55 em per character (an estimate for layout, not a measurement).
pub(crate) fn text_width(text: &str, size: f64) -> i32 {
    (text.chars().count() as f64 * size * 0.55).ceil() as i32
}

/// The (width, height) an SVG's root element declares, if it does.
pub fn declared_size(svg: &str) -> Option<(f64, f64)> {
    let root = &svg[..svg.find('>')?];
    let number = |name: &str| -> Option<f64> {
        let at = root.find(&format!(" {name}=\""))? + name.len() + 3;
        root[at..].split('"').next()?.parse().ok()
    };
    Some((number("width")?, number("height")?))
}

/// The range a colour scale spans for `values`: their least and greatest
/// finite value, widened by 10% around a single value (or all equal ones) so
/// that the scale is never empty, and (0, 1) when none is finite.
pub(crate) fn value_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi > lo {
        (lo, hi)
    } else {
        let d = 0.1 * lo.abs().max(1e-9);
        (lo - d, lo + d)
    }
}

/// Decimals that tell apart labels `step` apart: 2 for steps of 0.1 or more, one more for
/// each tenfold finer step (0.001 apart: 4).
pub fn decimals(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 2;
    }
    ((-step.log10().floor()).clamp(0.0, 8.0) as usize + 1).max(2)
}

/// How a legend of `labels` below a column-wide plot is laid out: (columns,
/// rows, column width in points), as many columns as the widest label allows.
pub(crate) fn legend_layout(labels: &[&str]) -> (usize, usize, i32) {
    // 26 points for the sample line and a gap.
    let entry = labels.iter().map(|l| text_width(l, LEGEND)).max().unwrap_or(0) + 26;
    let cols = ((WIDTH - 8) / entry.max(1)).clamp(1, labels.len().max(1) as i32) as usize;
    (cols, labels.len().div_ceil(cols), (WIDTH - 8) / cols as i32)
}

/// One legend entry at `(x, y)` (drawing units, the sample line's left end): the
/// curve's line (dashed if it is), its marker, and `label`.
pub(crate) fn legend_entry<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    look: Look,
    (x, y): (i32, i32),
    label: &str,
) -> Result<(), String> {
    use plotters::element::Text;
    use plotters::style::IntoFont;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let fail = |e: &dyn std::fmt::Display| e.to_string();
    look.draw_line(area, vec![(x, y), (x + pt(18), y)])?;
    look.draw_marker(area, (x + pt(9), y))?;
    let font =
        ("sans-serif", font(LEGEND)).into_font().color(&plotters::style::BLACK).pos(Pos::new(HPos::Left, VPos::Center));
    area.draw(&Text::new(label.to_string(), (x + pt(22), y), font)).map_err(|e| fail(&e))
}

/// `svg` (drawn by plotters at `SCALE` times its size) declared at its
/// print size: the root's `width` and `height` divided by `SCALE`, its
/// `viewBox` kept, so every coordinate inside is a quarter point.
pub(crate) fn at_print_size(svg: String) -> String {
    let Some(end) = svg.find('>') else { return svg };
    let (head, rest) = svg.split_at(end);
    let mut head = head.to_string();
    for attr in ["width=\"", "height=\""] {
        let Some(i) = head.find(attr).map(|i| i + attr.len()) else { continue };
        let Some(len) = head[i..].find('"') else { continue };
        if let Ok(v) = head[i..i + len].parse::<f64>() {
            head.replace_range(i..i + len, &format!("{}", v / SCALE as f64));
        }
    }
    head + rest
}

/// Okabe and Ito's colour-blind-safe palette without its yellow, which is
/// too light on white.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
];

/// The light grid behind the data, half a point wide.
pub fn grid() -> ShapeStyle {
    RGBColor(0xE4, 0xE4, 0xE4).stroke_width((SCALE / 2) as u32)
}

/// How curve `k` is drawn: colour, marker shape and dash, so that no two of
/// the first 105 curves look alike, and curves that coincide still show
/// their markers (they are staggered along the curve, see `marker_steps`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Look {
    pub colour: RGBColor,
    pub marker: usize,
    /// `None` for a solid line, else (dash, gap) lengths.
    pub dash: Option<(u32, u32)>,
}

/// The look of curve `k`.
pub(crate) fn look(k: usize) -> Look {
    const DASHES: [Option<(u32, u32)>; 3] = [None, Some((4, 2)), Some((1, 2))];
    Look { colour: PALETTE[k % PALETTE.len()], marker: k % 5, dash: DASHES[(k / PALETTE.len()) % DASHES.len()] }
}

impl Look {
    /// The line's style.
    pub fn line(self) -> ShapeStyle {
        self.colour.stroke_width(pt(1) as u32)
    }

    /// The dash and gap in drawing units, if dashed.
    pub(crate) fn dash_units(self) -> Option<(i32, i32)> {
        self.dash.map(|(d, g)| (pt(d as i32), pt(g as i32)))
    }

    /// Draws the line through `points` on `area`, solid or dashed as this look is.
    pub(crate) fn draw_line<DB: DrawingBackend, CT: CoordTranslate>(
        self,
        area: &DrawingArea<DB, CT>,
        points: Vec<CT::From>,
    ) -> Result<(), String>
    where
        CT::From: Clone,
    {
        use plotters::element::{DashedPathElement, PathElement};
        match self.dash_units() {
            None => area.draw(&PathElement::new(points, self.line())),
            Some((dash, gap)) => area.draw(&DashedPathElement::new(points, dash, gap, self.line())),
        }
        .map_err(|e| e.to_string())
    }

    /// Draws marker number `self.marker` at `at` on `area`: a circle,
    /// triangle, square, cross or hollow circle.
    pub(crate) fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
        self,
        area: &DrawingArea<DB, CT>,
        at: CT::From,
    ) -> Result<(), String>
    where
        CT::From: Clone,
    {
        let filled = self.colour.filled();
        let open = self.colour.stroke_width(pt(1) as u32);
        let base = EmptyElement::at(at);
        let r = pt(2);
        match self.marker {
            0 => area.draw(&(base + Circle::new((0, 0), r, filled))),
            1 => area.draw(&(base + TriangleMarker::new((0, 0), pt(3), filled))),
            2 => area.draw(&(base + Rectangle::new([(-r, -r), (r, r)], filled))),
            3 => area.draw(&(base + Cross::new((0, 0), r, open))),
            _ => area.draw(&(base + Circle::new((0, 0), r, open))),
        }
        .map_err(|e| e.to_string())
    }
}

/// The indices among `len` points where curve `k` of `curves` puts its
/// markers: about 6 per curve, shifted by k/curves of the spacing so that
/// coinciding curves' markers fall side by side.
pub(crate) fn marker_steps(len: usize, k: usize, curves: usize) -> Vec<usize> {
    if len == 0 {
        return vec![];
    }
    let every = (len / 6).max(1);
    let shift = every * k / curves.max(1);
    (0..len).filter(|i| i % every == shift % every).collect()
}

/// A translucent version of `colour` for confidence bands.
pub fn band(colour: RGBColor) -> RGBAColor {
    colour.mix(0.18)
}
