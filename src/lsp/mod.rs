//! `byz lsp`: a language server over stdio. Diagnostics come from the checker
//! (the same as `byz check`), completion and hover from the registry (the same
//! as `byz explain`), definitions from the loader, formatting from `byz fmt`.
//! Documents are synced whole; every request is answered from the text the
//! editor last sent.

mod completion;
mod definition;
mod diagnostics;
mod hover;
mod position;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{Completion, Formatting, GotoDefinition, HoverRequest, Request as _};
use lsp_types::{
    CompletionOptions, GotoDefinitionResponse, OneOf, PublishDiagnosticsParams, ServerCapabilities,
    TextDocumentPositionParams, TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit, Uri,
};
use std::collections::HashMap;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::check::SourceFile;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Serves one client until it asks to shut down and exit.
pub fn run() -> Result<()> {
    let (connection, io_threads) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(["(", "[", ",", ":", ">", " "].map(String::from).to_vec()),
            ..Default::default()
        }),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..Default::default()
    };
    connection.initialize(serde_json::to_value(capabilities)?)?;
    let mut documents: HashMap<String, String> = HashMap::new();
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    break;
                }
                connection.sender.send(Message::Response(respond(&documents, request)))?;
            }
            Message::Notification(n) => {
                if let Some((uri, diagnostics)) = update(&mut documents, n) {
                    let params = PublishDiagnosticsParams { uri, diagnostics, version: None };
                    let note = Notification::new(PublishDiagnostics::METHOD.into(), params);
                    connection.sender.send(Message::Notification(note))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// Keeps the documents' texts; returns the diagnostics to publish, if any changed.
fn update(documents: &mut HashMap<String, String>, n: Notification) -> Option<(Uri, Vec<lsp_types::Diagnostic>)> {
    let uri = match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let p: lsp_types::DidOpenTextDocumentParams = serde_json::from_value(n.params).ok()?;
            documents.insert(p.text_document.uri.to_string(), p.text_document.text);
            p.text_document.uri
        }
        DidChangeTextDocument::METHOD => {
            let p: lsp_types::DidChangeTextDocumentParams = serde_json::from_value(n.params).ok()?;
            // Full sync: the last change holds the whole text.
            let text = p.content_changes.into_iter().last()?.text;
            documents.insert(p.text_document.uri.to_string(), text);
            p.text_document.uri
        }
        DidSaveTextDocument::METHOD => {
            let p: lsp_types::DidSaveTextDocumentParams = serde_json::from_value(n.params).ok()?;
            if let Some(text) = p.text {
                documents.insert(p.text_document.uri.to_string(), text);
            }
            p.text_document.uri
        }
        DidCloseTextDocument::METHOD => {
            let p: lsp_types::DidCloseTextDocumentParams = serde_json::from_value(n.params).ok()?;
            documents.remove(&p.text_document.uri.to_string());
            return Some((p.text_document.uri, vec![]));
        }
        _ => return None,
    };
    let text = documents.get(&uri.to_string())?;
    let diagnostics = diagnostics::diagnostics(&uri, &document_path(&uri), text);
    Some((uri, diagnostics))
}

fn respond(documents: &HashMap<String, String>, request: Request) -> Response {
    let id = request.id.clone();
    match answer(documents, request) {
        Ok(value) => Response::new_ok(id, value),
        Err((code, message)) => Response::new_err(id, code as i32, message),
    }
}

type Answer = std::result::Result<serde_json::Value, (ErrorCode, String)>;

fn json(value: impl serde::Serialize) -> Answer {
    serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

fn answer(documents: &HashMap<String, String>, request: Request) -> Answer {
    let invalid = |e: serde_json::Error| (ErrorCode::InvalidParams, e.to_string());
    let at = |p: &TextDocumentPositionParams| -> Option<(&String, usize)> {
        let text = documents.get(&p.text_document.uri.to_string())?;
        Some((text, position::offset(text, p.position)))
    };
    match request.method.as_str() {
        Completion::METHOD => {
            let p: lsp_types::CompletionParams = serde_json::from_value(request.params).map_err(invalid)?;
            let items = at(&p.text_document_position).map(|(t, o)| completion::completions(t, o));
            json(items.map(lsp_types::CompletionResponse::Array))
        }
        HoverRequest::METHOD => {
            let p: lsp_types::HoverParams = serde_json::from_value(request.params).map_err(invalid)?;
            json(at(&p.text_document_position_params).and_then(|(t, o)| hover::hover(t, o)))
        }
        GotoDefinition::METHOD => {
            let p: lsp_types::GotoDefinitionParams = serde_json::from_value(request.params).map_err(invalid)?;
            let path = document_path(&p.text_document_position_params.text_document.uri);
            let found = at(&p.text_document_position_params).and_then(|(t, o)| definition::definition(&path, t, o));
            json(found.map(GotoDefinitionResponse::Scalar))
        }
        Formatting::METHOD => {
            let p: lsp_types::DocumentFormattingParams = serde_json::from_value(request.params).map_err(invalid)?;
            let Some(text) = documents.get(&p.text_document.uri.to_string()) else {
                return Ok(serde_json::Value::Null);
            };
            let src = SourceFile::new(document_path(&p.text_document.uri).display().to_string(), text.as_str());
            // A file that does not parse is left alone; its diagnostics say why.
            let edits = crate::syntax::format::format_source(&src)
                .ok()
                .filter(|f| f != text)
                .map(|formatted| vec![TextEdit { range: position::range(text, 0, text.len()), new_text: formatted }]);
            json(edits)
        }
        other => Err((ErrorCode::MethodNotFound, format!("byz lsp does not handle {other}"))),
    }
}

/// What the server computes for a document, as a client would ask for it:
/// diagnostics, formatting, and completion, hover and definition at the
/// position `at` (a character index, clamped to the text). For the fuzzer
/// (`fuzz/fuzz_targets/lsp.rs`): none of it may panic, whatever the text.
/// Returns how many items came back, so that nothing is optimised away.
pub fn exercise(text: &str, at: usize) -> usize {
    let path = PathBuf::from("/nonexistent/fuzz.byz");
    let uri = Uri::from_str("file:///nonexistent/fuzz.byz").expect("a valid uri");
    let mut items = diagnostics::diagnostics(&uri, &path, text).len();
    let src = SourceFile::new(path.display().to_string(), text);
    items += crate::syntax::format::format_source(&src).map_or(0, |f| f.len());
    let offset = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
    let p = position::position(text, offset);
    let offset = position::offset(text, p);
    items += completion::completions(text, offset).len();
    items += usize::from(hover::hover(text, offset).is_some());
    items += usize::from(definition::definition(&path, text, offset).is_some());
    items
}

/// The file a document is, for relative `use` paths; an unsaved document is
/// taken to live in the current directory.
fn document_path(uri: &Uri) -> PathBuf {
    path_of(uri).unwrap_or_else(|| PathBuf::from(uri.as_str().rsplit('/').next().unwrap_or("untitled.byz")))
}

/// `file:///a/b%20c.byz` → `/a/b c.byz`.
fn path_of(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    let path = String::from_utf8(out).ok()?;
    // `file:///C:/x` on Windows names `C:/x`.
    let path = if path.len() > 2 && path.as_bytes()[2] == b':' { path[1..].to_string() } else { path };
    Some(PathBuf::from(path))
}

/// `/a/b c.byz` → `file:///a/b%20c.byz`.
fn uri_of(path: &Path) -> Option<Uri> {
    let absolute = std::path::absolute(path).ok()?;
    let text = absolute.to_string_lossy().replace('\\', "/");
    let mut out = String::from(if text.starts_with('/') { "file://" } else { "file:///" });
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    Uri::from_str(&out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_and_paths_round_trip() {
        let path = Path::new("/tmp/a dir/ü.byz");
        let uri = uri_of(path).expect("a file uri");
        assert_eq!(uri.as_str(), "file:///tmp/a%20dir/%C3%BC.byz");
        assert_eq!(path_of(&uri).as_deref(), Some(path));
    }
}
