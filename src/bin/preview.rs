//! `preview [--format rich|classic] FILE... | -`: prints the notification each event file
//! would send, with no AWS at all. `preview --list-calls` prints the supported calls as JSON
//! (name, event source, template rule): the one list the template, the README and the tests
//! are checked against.

use iam_notify::{Format, render_payload};
use std::io::Read;
use std::process::ExitCode;

const USAGE: &str = "usage: preview [--format rich|classic] FILE... (- reads standard input)\n       preview --list-calls";

fn main() -> ExitCode {
    let mut format = Format::Rich;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--list-calls" => return list_calls(),
            "--format" => match args.next().as_deref() {
                Some("rich") => format = Format::Rich,
                Some("classic") => format = Format::Classic,
                other => {
                    eprintln!("preview: --format takes rich or classic, not {other:?}\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut failures = 0;
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("=== {file}");
        match read(file).and_then(|text| {
            let payload = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
            render_payload(&payload, format).map_err(|e| e.to_string())
        }) {
            Ok(n) => println!("{}", n.to_text()),
            Err(e) => {
                failures += 1;
                println!("ERROR: {e}");
                eprintln!("preview: {file}: {e}");
            }
        }
    }
    if failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn read(file: &str) -> Result<String, String> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read: {e}"))
    }
}

/// The call table as a JSON array: `{"name", "source", "rule"}` per call, in table order.
fn list_calls() -> ExitCode {
    match serde_json::to_string_pretty(iam_notify::calls::CALLS) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("preview: cannot write the call list: {e}");
            ExitCode::FAILURE
        }
    }
}
