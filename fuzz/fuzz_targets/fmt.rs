//! `byz fmt` on any text: what formats, formats to itself, and checks as the
//! original does (the same plans, or errors both times).
#![no_main]

use byz::check::{Need, SourceFile, check_text};
use byz::syntax::format::format_source;
use libfuzzer_sys::fuzz_target;

fn plans(text: &str) -> Option<String> {
    let checked = check_text(&SourceFile::new("fuzz.byz", text), None, Need::Plan).ok()?;
    Some(serde_json::to_string(&checked.plans).expect("plans serialise"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(once) = format_source(&SourceFile::new("fuzz.byz", text.as_ref())) else { return };
    let twice = format_source(&SourceFile::new("fuzz.byz", once.as_str())).expect("formatted text parses");
    assert_eq!(once, twice, "formatting is not idempotent");
    assert_eq!(plans(&text), plans(&once), "formatting changed what the file means");
});
