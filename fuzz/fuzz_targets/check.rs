//! Parse and check any text: errors and warnings, never a panic, a stack
//! overflow or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let src = byz::check::SourceFile::new("fuzz.byz", text.as_ref());
    // No directory: `use "file"` looks where the fuzzer runs, as it would for a user.
    let _ = byz::check::check_text(&src, None, byz::check::Need::Plan);
});
