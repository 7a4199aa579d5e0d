//! Figures: the structure of each SVG (its print size, how many elements of
//! each kind, every text in order) as a snapshot, so that a change of layout,
//! legend or labels shows in review; pixels are not compared. The PNG and
//! PDF beside each SVG are checked to decode at the right size and to embed
//! the font.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{byz_in, root, temp_dir, text};

/// The figures of tests/inputs/figures/figures.byz, run once into a fresh folder.
fn figures() -> std::path::PathBuf {
    let dir = temp_dir("figures");
    let file = root().join("tests/inputs/figures/figures.byz");
    let run = byz_in(&dir, &["run", file.to_str().unwrap(), "--out", "results"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    dir.join("results/figures")
}

/// The value of attribute `name` in the element starting `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=\"");
    tag.find(&key).map_or("", |i| {
        let rest = &tag[i + key.len()..];
        &rest[..rest.find('"').unwrap_or(0)]
    })
}

/// The SVG's root size, each element's count and every text, one per line.
fn structure(svg: &str) -> String {
    let root = &svg[..svg.find('>').unwrap()];
    let mut out = format!(
        "size {} x {} (drawn {})\n",
        attribute(root, "width"),
        attribute(root, "height"),
        attribute(root, "viewBox")
    );
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for tag in svg.split('<').skip(1).filter(|t| !t.starts_with('/')) {
        let name = tag.split(|c: char| c.is_whitespace() || c == '>' || c == '/').next().unwrap_or("");
        *counts.entry(name).or_default() += 1;
    }
    for (name, n) in counts {
        out.push_str(&format!("{name}: {n}\n"));
    }
    for part in svg.split("<text").skip(1) {
        let body = &part[part.find('>').unwrap() + 1..part.find("</text>").unwrap()];
        out.push_str(&format!("text: {}\n", body.trim()));
    }
    out
}

fn snapshot(dir: &Path, name: &str) -> String {
    let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
    structure(&svg)
}

#[test]
fn figure_structures_and_their_png_and_pdf() {
    let dir = figures();
    insta::assert_snapshot!("curve", snapshot(&dir, "curves/cm-loss"));
    insta::assert_snapshot!("heatmap", snapshot(&dir, "heatmap"));
    insta::assert_snapshot!("trajectory", snapshot(&dir, "trajectory-seed1"));
    for name in ["curves/cm-loss", "curves/gm-loss", "heatmap", "trajectory-seed1", "trajectory-seed2"] {
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        let (width, _) = byz::report::style::declared_size(&svg).unwrap();
        let png = resvg::tiny_skia::Pixmap::load_png(dir.join(format!("{name}.png"))).unwrap();
        // About 1000 pixels wide, at most four pixels per point: 960 for a column-wide figure.
        let expected = if width == 240.0 { 960 } else { (width * (1000.0 / width).clamp(1.0, 4.0)).ceil() as u32 };
        assert_eq!(png.width(), expected, "{name}.png");
        let pdf = std::fs::read(dir.join(format!("{name}.pdf"))).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{name}.pdf");
        let has = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"/FontFile2") && has(b"DejaVuSans"), "{name}.pdf embeds the font");
        // The page is the figure's print size, in points.
        let media = format!("/MediaBox [0 0 {} ", width as u32);
        assert!(has(media.as_bytes()), "{name}.pdf is {width} points wide");
    }
}
