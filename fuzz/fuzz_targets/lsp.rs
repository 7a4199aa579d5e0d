//! The language server's document handling on any text, at any position:
//! diagnostics, formatting, completion, hover, definition.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((at, text)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(text);
    let _ = byz::lsp::exercise(&text, usize::from(*at) * 7);
});
