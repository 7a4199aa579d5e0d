//! The results page (`index.html`) in a real headless browser, Debian's
//! `chromium`: it loads with no console error and its screenshot shows the
//! table and the figures. `.ci/run` installs chromium and sets
//! BYZ_REQUIRE_CHROMIUM=1 so that these tests fail rather than skip without it.

mod common;

use std::path::Path;
use std::process::Command;

use common::{byz_in, temp_dir, text};

const SCENARIO: &str = "use std.papers.jump

scenario page extends two_wells {
  seeds 1..=2
  train { steps 30 }
  sweep {
    aggregate in [cm, gm]
    attack in [sf, alie]
  }
  table {
    rows aggregate
    columns attack
    value final loss
  }
}
";

/// The browser, if one is installed; says why a test is skipped when not.
fn chromium(test: &str) -> Option<&'static str> {
    let found = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()));
    if found.is_none() {
        let how = "install it with `apt-get install chromium`";
        assert!(
            std::env::var_os("BYZ_REQUIRE_CHROMIUM").is_none(),
            "BYZ_REQUIRE_CHROMIUM is set but no chromium runs: {how}"
        );
        eprintln!("skipped {test}: no headless browser (`chromium`); {how}");
    }
    found
}

/// Loads `page` headless and screenshots it: (console messages, RGBA pixels, width).
fn load(browser: &str, page: &Path, shot: &Path) -> (Vec<String>, Vec<u8>, u32) {
    let out = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"])
        // Its own profile, so that two browsers (or a user's) never share one; images painted before the shot.
        .arg(format!("--user-data-dir={}", shot.with_extension("profile").display()))
        .arg("--run-all-compositor-stages-before-draw")
        .arg("--window-size=1200,2400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Chromium logs every console message (errors, uncaught exceptions, failed loads) as `CONSOLE`.
    let console = text(&out.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(String::from).collect();
    let png = resvg::tiny_skia::Pixmap::load_png(shot).expect("a PNG screenshot");
    (console, png.data().to_vec(), png.width())
}

/// Pixels of a clear colour (a curve, a band, a heat-map cell), as opposed to
/// the page's black text, grey rules and white ground.
fn coloured(rgba: &[u8]) -> usize {
    rgba.chunks(4).filter(|p| p[..3].iter().max().unwrap() - p[..3].iter().min().unwrap() > 60).count()
}

/// Dark pixels (text) in rows `rows` of the screenshot.
fn dark(rgba: &[u8], width: u32, rows: std::ops::Range<usize>) -> usize {
    let w = width as usize * 4;
    rgba[rows.start * w..rows.end * w].chunks(4).filter(|p| p[..3].iter().all(|c| *c < 90)).count()
}

#[test]
fn the_results_page_loads_in_a_browser_and_shows_the_table_and_figures() {
    let Some(browser) = chromium("the_results_page_loads_in_a_browser_and_shows_the_table_and_figures") else {
        return;
    };
    let dir = temp_dir("page");
    std::fs::write(dir.join("page.byz"), SCENARIO).unwrap();
    let run = byz_in(&dir, &["run", "page.byz", "--out", "results"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let page = dir.join("results/page/index.html");
    let html = std::fs::read_to_string(&page).unwrap();

    // One static file: no script, nothing fetched; every SVG figure embedded once.
    assert!(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("url(http"));
    let svgs =
        common::files_under(&dir.join("results/page"), "runs").iter().filter(|(p, _)| p.ends_with(".svg")).count();
    assert!(svgs >= 4, "curves, heat map and trajectories: {svgs} SVG files");
    assert_eq!(html.matches("src=\"data:image/svg+xml;base64,").count(), svgs);
    // The table with its four cells, and each of the eight runs with its settings.
    assert!(html.contains("<caption>final loss, mean ± 95% CI over 2 seeds</caption>"), "{html}");
    assert_eq!(html.matches("<details>").count(), 8);
    assert_eq!(html.matches("<td class=\"key\">2 honest + 1 Byzantine</td>").count(), 8);

    let (console, pixels, width) = load(browser, &page, &dir.join("page.png"));
    assert!(console.is_empty(), "console messages: {console:#?}");
    // The heading and table are text at the top of the page.
    assert!(dark(&pixels, width, 0..500) > 2_000, "too little text at the top: {}", dark(&pixels, width, 0..500));

    // The same page with its figures' data taken out: what the figures alone colour.
    let blank = without_figures(&html);
    let blank_page = dir.join("results/page/blank.html");
    std::fs::write(&blank_page, blank).unwrap();
    let (_, without, _) = load(browser, &blank_page, &dir.join("blank.png"));
    let (with, without) = (coloured(&pixels), coloured(&without));
    assert!(
        with > 20_000 && with > 10 * without.max(1),
        "figures coloured {with} pixels, the page without them {without}"
    );
}

/// `html` with every embedded image's data removed.
fn without_figures(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("base64,") {
        out.push_str(&rest[..i + 7]);
        rest = &rest[i + 7..];
        rest = &rest[rest.find('"').unwrap_or(0)..];
    }
    out + rest
}
