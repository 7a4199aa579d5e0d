//! `byz lsp` as an editor meets it: the built binary over stdio, with
//! Content-Length framing. Every wait has a timeout, so a hang fails the test.

mod common;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_byz"))
            .arg("lsp")
            .current_dir(common::root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("byz lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = None;
                loop {
                    let mut header = String::new();
                    if stdout.read_line(&mut header).unwrap_or(0) == 0 {
                        return;
                    }
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(n) = header.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if stdout.read_exact(&mut body).is_err() {
                    return;
                }
                let _ = tx.send(serde_json::from_slice(&body).expect("a JSON message"));
            }
        });
        Server { child, stdin, messages, next_id: 1 }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response's `result`.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let response = self.wait_for(|m| m["id"] == id);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// The next message that satisfies `wanted`, skipping others.
    fn wait_for(&self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self.messages.recv_timeout(left).expect("the server answered in time");
            if wanted(&message) {
                return message;
            }
        }
    }

    fn diagnostics(&self) -> Vec<Value> {
        let note = self.wait_for(|m| m["method"] == "textDocument/publishDiagnostics");
        note["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

const URI: &str = "file:///tmp/byz-lsp-test/broken.byz";

fn position_params(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}})
}

#[test]
fn diagnostics_completion_hover_and_a_clean_exit() {
    let mut server = Server::start();
    let init = server.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    assert!(init["capabilities"]["completionProvider"].is_object(), "{init}");
    server.notify("initialized", json!({}));

    // `krumm` is not a rule: the same message and place as `byz check`.
    let broken = "scenario s {\n  task mean_estimation { dim 2; mean [2, 2]; std 1 }\n  workers { honest 7; byzantine 2 }\n  train { steps 8; lr 0.5 }\n  aggregate krumm\n}\n";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "byz", "version": 1, "text": broken}}),
    );
    let diagnostics = server.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert!(d["message"].as_str().unwrap().contains("krumm"), "{d}");
    assert!(d["message"].as_str().unwrap().contains("help: "), "{d}");
    assert_eq!(d["range"], json!({"start": {"line": 4, "character": 12}, "end": {"line": 4, "character": 17}}));

    // Fixing the file clears its diagnostics.
    let fixed = broken.replace("krumm", "krum");
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(server.diagnostics(), Vec::<Value>::new());

    // Completion after `aggregate ` offers rules; hover on `krum` shows `byz explain krum`.
    let with_space = fixed.replace("aggregate krum", "aggregate ");
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": with_space}]}),
    );
    server.diagnostics();
    let items = server.request("textDocument/completion", position_params(4, 12));
    let labels: Vec<&str> = items.as_array().expect("a list").iter().filter_map(|i| i["label"].as_str()).collect();
    assert!(labels.contains(&"cm") && labels.contains(&"krum"), "{labels:?}");
    assert!(!labels.contains(&"sf"), "attacks are not rules: {labels:?}");

    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 4}, "contentChanges": [{"text": fixed}]}),
    );
    server.diagnostics();
    let hover = server.request("textDocument/hover", position_params(4, 14));
    let text = hover["contents"]["value"].as_str().expect("markdown");
    let explain = Command::new(env!("CARGO_BIN_EXE_byz")).args(["explain", "krum"]).output().expect("explain");
    let explain = String::from_utf8(explain.stdout).unwrap();
    assert!(explain.contains("krum") && text.contains(explain.trim_end()), "{text}\n---\n{explain}");

    // Formatting gives the text of `byz fmt` as one edit.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 5}, "contentChanges": [{"text": "scenario s { seeds 1; aggregate cm }"}]}),
    );
    server.diagnostics();
    let edits = server.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits[0]["newText"], "scenario s {\n  seeds 1\n  aggregate cm\n}\n", "{edits}");

    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    server.notify("exit", Value::Null);
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "byz lsp did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}

/// Where the definition at (line, character) points: the first line of its range.
fn definition_line(server: &mut Server, line: u32, character: u32) -> (String, String) {
    let location = server.request("textDocument/definition", position_params(line, character));
    let uri = location["uri"].as_str().unwrap_or_else(|| panic!("a location at {line}:{character}: {location}"));
    let path = uri.strip_prefix("file://").expect("a file uri");
    let text = std::fs::read_to_string(path).expect("the definition's file exists");
    let start = location["range"]["start"]["line"].as_u64().unwrap() as usize;
    (uri.to_string(), text.lines().nth(start).unwrap_or_default().to_string())
}

#[test]
fn definitions_of_a_base_a_model_and_a_use() {
    let mut server = Server::start();
    server.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    server.notify("initialized", json!({}));
    let text =
        "use std.papers.jump\nuse std.models\n\nscenario s extends two_wells {\n  model logreg\n  aggregate cm\n}\n";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "byz", "version": 1, "text": text}}),
    );
    server.diagnostics();

    let (uri, line) = definition_line(&mut server, 3, 22);
    assert!(uri.ends_with("stdlib/papers/jump.byz") && line.starts_with("base two_wells "), "{uri}: {line}");
    let (uri, line) = definition_line(&mut server, 4, 10);
    assert!(uri.ends_with("stdlib/models.byz") && line.starts_with("model logreg "), "{uri}: {line}");
    let (module, _) = definition_line(&mut server, 0, 8);
    assert!(module.ends_with("stdlib/papers/jump.byz"), "{module}");

    // Nothing to go to on a component name.
    let none = server.request("textDocument/definition", position_params(5, 13));
    assert_eq!(none, Value::Null);
}

#[test]
fn an_error_in_an_imported_file_shows_on_its_use() {
    let dir = std::env::temp_dir().join(format!("byz-lsp-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A syntax error: the pipe leads nowhere.
    std::fs::write(dir.join("pieces.byz"), "base b {\n  aggregate cm |>\n}\n").unwrap();
    let uri = format!("file://{}/main.byz", dir.display());
    let mut server = Server::start();
    server.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    server.notify("initialized", json!({}));
    let text = "// pieces\nuse \"pieces.byz\"\n\nscenario s extends b {}\n";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "byz", "version": 1, "text": text}}),
    );
    let diagnostics = server.diagnostics();
    let _ = std::fs::remove_dir_all(&dir);
    let d = diagnostics
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("pieces.byz"))
        .unwrap_or_else(|| panic!("the import's error in {diagnostics:?}"));
    assert!(
        d["message"].as_str().unwrap().starts_with("in ") && d["message"].as_str().unwrap().contains("expected"),
        "{d}"
    );
    assert_eq!(d["range"], json!({"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 16}}));
}

#[test]
fn deeply_nested_text_gets_a_diagnostic_and_the_server_lives_on() {
    let mut server = Server::start();
    server.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    server.notify("initialized", json!({}));
    let deep = format!(
        "scenario s {{\n  task landscape {{ init [0, 0]; honest a = {}theta[0]{} }}\n}}\n",
        "exp(".repeat(5000),
        ")".repeat(5000)
    );
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "file:///tmp/deep.byz", "languageId": "byz", "version": 1, "text": deep}}),
    );
    let diagnostics = server.diagnostics();
    let d = diagnostics
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("nested too deeply"))
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    // Two braces are open when the `exp(`s start at column 43: the 63rd is the 65th bracket.
    assert_eq!(d["range"]["start"], json!({"line": 1, "character": 43 + 62 * 4 + 3}));
    // Still serving: formatting the document answers (with nothing, as it does not parse).
    let edits = server.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": "file:///tmp/deep.byz"}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert!(edits.get("error").is_none() || edits["error"].is_object(), "{edits}");
}

#[test]
fn warnings_reach_the_editor_as_warnings() {
    let mut server = Server::start();
    server.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    server.notify("initialized", json!({}));
    let text = "scenario s {\n  task mean_estimation { dim 2 }\n  workers { honest 12; byzantine 3 }\n  train { steps 10; lr 0.1 }\n  aggregate gm(iters: 0)\n}\n";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "file:///tmp/warn.byz", "languageId": "byz", "version": 1, "text": text}}),
    );
    let diagnostics = server.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["severity"], 2, "LSP's Warning");
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("it equals `mean`"));
    assert_eq!(diagnostics[0]["range"]["start"], json!({"line": 4, "character": 12}));
}

#[test]
fn a_typo_in_a_base_shows_in_its_own_file() {
    let mut server = Server::start();
    server.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    server.notify("initialized", json!({}));
    let text = "base defended {\n  aggregate nnm |> krumm\n}\n";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "file:///tmp/bases.byz", "languageId": "byz", "version": 1, "text": text}}),
    );
    let diagnostics = server.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("unknown aggregation rule `krumm`"));
    assert_eq!(diagnostics[0]["range"]["start"], json!({"line": 1, "character": 19}));
}
