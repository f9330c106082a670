//! `preview [--format rich|classic] FILE... | -`: prints the notification each event file
//! would send, with no AWS at all. `preview --list-calls` prints the supported calls as JSON
//! (name, event source, template rule): the one list the template, the README and the tests
//! are checked against. `preview --aws-managed-policies` prints how every AWS managed policy
//! the build knows is rated (one JSON line each). `preview --sns [--chat none|amazon-q] FILE...` prints, per file, the
//! exact SNS Publish request the function would send (Subject, Message, MessageStructure,
//! MessageAttributes) as JSON. An SQS batch (digest mode, `events/burst/`) prints every
//! message the batch sends: the alerts sent at once, then the digests.
//!
//! On a terminal the severity and the labels are coloured; `NO_COLOR` turns that off,
//! `CLICOLOR_FORCE` turns it on through a pipe (anstream decides). Colour is added here only:
//! what is published never carries escape codes.

use anstyle::{AnsiColor, Style};
use iam_notify::accounts::Accounts;
use iam_notify::delivery::{ChatFormat, publish_request};
use iam_notify::{Format, Notification, is_sqs_batch, render_batch_in, render_json_in};
use std::io::{Read, Write};
use std::process::ExitCode;

/// How to call it, the formats named as the code names them.
fn usage() -> String {
    let formats: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
    let chats: Vec<&str> = ChatFormat::ALL.iter().map(|c| c.name()).collect();
    format!(
        "usage: preview [--format {}] [--sns [--chat {}]]\n               [--organization o-ID] \
         [--account-names ID=NAME,...] FILE... (- reads standard input)\n       preview --list-calls\n       \
         preview --aws-managed-policies   (how every AWS managed policy is rated, one JSON line each)",
        formats.join("|"),
        chats.join("|")
    )
}

/// A closed standard output (`preview --list-calls | head -5`) ends the program quietly and
/// successfully, as other command-line tools do; any other write error is reported.
fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("preview: cannot write to standard output: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> std::io::Result<ExitCode> {
    let mut format = Format::Rich;
    let mut sns = false;
    let mut chat = ChatFormat::None;
    let mut files = Vec::new();
    let (mut organization, mut names) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                writeln!(std::io::stdout(), "{}", usage())?;
                return Ok(ExitCode::SUCCESS);
            }
            "--list-calls" => return list_calls(),
            "--aws-managed-policies" => return aws_managed_policies(),
            "--sns" => sns = true,
            "--chat" => match choice(&arg, args.next(), &ChatFormat::ALL.map(|c| (c.name(), c))) {
                Ok(c) => chat = c,
                Err(code) => return Ok(code),
            },
            "--format" => match choice(&arg, args.next(), &Format::ALL.map(|f| (f.name(), f))) {
                Ok(f) => format = f,
                Err(code) => return Ok(code),
            },
            "--organization" => organization = args.next(),
            "--account-names" => names = args.next(),
            _ => files.push(arg),
        }
    }
    let accounts = match Accounts::parse(names.as_deref(), organization.as_deref()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("preview: {e}\n{}", usage());
            return Ok(ExitCode::from(2));
        }
    };
    if files.is_empty() {
        eprintln!("{}", usage());
        return Ok(ExitCode::from(2));
    }
    if sns {
        return print_requests(&files, format, chat, &accounts);
    }
    let mut failures = 0;
    let mut out = anstream::stdout();
    for (i, file) in files.iter().enumerate() {
        let header = format!("{}=== {file}{}", BOLD.render(), BOLD.render_reset());
        let shown = match read(file).and_then(|text| rendered(&text, format, &accounts)) {
            Ok(sent) => sent
                .iter()
                .map(|n| paint(&n.to_text()))
                .collect::<Vec<_>>()
                .join("\n\n--- next message of this batch (digest mode) ---\n\n"),
            Err(e) => {
                failures += 1;
                eprintln!("preview: {file}: {e}");
                format!("ERROR: {e}")
            }
        };
        let gap = if i > 0 { "\n" } else { "" };
        writeln!(out, "{gap}{header}\n{shown}")?;
    }
    Ok(exit_code(failures))
}

/// Failure when any file could not be rendered.
fn exit_code(failures: usize) -> ExitCode {
    if failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The option `value` names for `flag`, or the usage error (exit code 2).
fn choice<T: Copy>(
    flag: &str,
    value: Option<String>,
    options: &[(&str, T)],
) -> Result<T, ExitCode> {
    let found = options
        .iter()
        .find(|(name, _)| Some(*name) == value.as_deref());
    found.map(|(_, v)| *v).ok_or_else(|| {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        eprintln!(
            "preview: {flag} takes {}, not {value:?}\n{}",
            names.join(" or "),
            usage()
        );
        ExitCode::from(2)
    })
}

/// What the function sends for an event file: one notification for an EventBridge event,
/// each message of digest mode for an SQS batch (see `render_batch`).
fn rendered(
    text: &str,
    format: Format,
    accounts: &Accounts,
) -> Result<Vec<Notification<'static>>, String> {
    let payload = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if is_sqs_batch(&payload) {
        return render_batch_in(&payload, format, accounts).map_err(|e| e.to_string());
    }
    render_json_in(text, format, accounts)
        .map(|n| vec![n])
        .map_err(|e| e.to_string())
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

/// One JSON object per line and Publish: `{"file", "request"}` with the exact Publish
/// request (one per message of a digest-mode batch), or `{"file", "error"}`.
fn print_requests(
    files: &[String],
    format: Format,
    chat: ChatFormat,
    accounts: &Accounts,
) -> std::io::Result<ExitCode> {
    let mut failures = 0;
    let mut out = std::io::stdout().lock();
    for file in files {
        let line = match read(file).and_then(|text| rendered(&text, format, accounts)) {
            Ok(sent) => sent
                .iter()
                .map(|n| {
                    serde_json::json!({"file": file, "request": publish_request(n, chat).to_json()})
                        .to_string()
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => {
                failures += 1;
                eprintln!("preview: {file}: {e}");
                serde_json::json!({"file": file, "error": e}).to_string()
            }
        };
        writeln!(out, "{line}")?;
    }
    Ok(exit_code(failures))
}

/// The call table as a JSON array: `{"name", "source", "rule"}` per call, in table order.
fn list_calls() -> std::io::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    // serde_json hands a write error back as the io::Error it was (a closed pipe stays one).
    serde_json::to_writer_pretty(&mut out, iam_notify::calls::CALLS)
        .map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}

/// How every AWS managed policy the build knows is rated, one JSON line each: name, default
/// version, severity, the rules of its findings and their reasons (what
/// attaching it says).
fn aws_managed_policies() -> std::io::Result<ExitCode> {
    use iam_notify::policy::{self, DocKind};
    let mut out = std::io::stdout().lock();
    for p in policy::managed::all() {
        let findings = policy::findings(&p.document(), DocKind::Permissions, None);
        let line = serde_json::json!({
            "name": p.name,
            "version": p.version,
            "severity": iam_notify::severity::overall(&findings, false),
            "rules": findings.iter().map(|f| f.rule).collect::<Vec<_>>(),
            "reasons": findings.iter().map(|f| f.reason.as_str()).collect::<Vec<_>>(),
        });
        serde_json::to_writer(&mut out, &line).map_err(std::io::Error::from)?;
        writeln!(out)?;
    }
    Ok(ExitCode::SUCCESS)
}

const BOLD: Style = Style::new().bold();

/// The style of a severity or outcome word (`CRITICAL`, `warning`, `DENIED`, …), if it is one.
fn severity_style(word: &str) -> Option<Style> {
    let colour = match word.to_ascii_lowercase().as_str() {
        "critical" => AnsiColor::Red,
        "warning" => AnsiColor::Yellow,
        "denied" | "failed" => AnsiColor::Magenta,
        "info" => AnsiColor::Green,
        _ => return None,
    };
    Some(Style::new().bold().fg_color(Some(colour.into())))
}

fn styled(style: Style, text: &str) -> String {
    format!("{}{text}{}", style.render(), style.render_reset())
}

/// The alert as a person reads it, with ANSI styles: the subject's tag and the severity
/// coloured, labels in bold. anstream removes the codes where colour is not wanted.
fn paint(text: &str) -> String {
    text.lines().map(paint_line).collect::<Vec<_>>().join("\n")
}

fn paint_line(line: &str) -> String {
    if let Some(subject) = line.strip_prefix("Subject: ") {
        // `[IAM CRITICAL] …`: colour the tag by its last word.
        let painted = match subject.split_once("] ") {
            Some((tag, rest)) => {
                let word = tag.rsplit([' ', '[']).next().unwrap_or_default();
                let style = severity_style(word).unwrap_or(BOLD);
                format!("{} {rest}", styled(style, &format!("{tag}]")))
            }
            None => subject.to_string(),
        };
        return format!("{} {painted}", styled(BOLD, "Subject:"));
    }
    if let Some(value) = line.strip_prefix("Severity:") {
        let word = value.trim();
        let style = severity_style(word).unwrap_or(BOLD);
        return format!(
            "{}{}",
            styled(BOLD, "Severity:"),
            value.replace(word, &styled(style, word))
        );
    }
    if let Some(finding) = line.strip_prefix("  - ") {
        // `  - reason [critical: rule-id]`
        if let Some((reason, tail)) = finding.rsplit_once(" [") {
            let word = tail.split(':').next().unwrap_or_default();
            if let Some(style) = severity_style(word) {
                return format!("  - {reason} {}", styled(style, &format!("[{tail}")));
            }
        }
        return line.to_string();
    }
    if let Some(rest) = line.strip_prefix("WARNING:") {
        let yellow = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
        return format!("{}{rest}", styled(yellow, "WARNING:"));
    }
    match label_end(line) {
        Some(end) => {
            let (head, rest) = line.split_at(end);
            format!("{}{rest}", styled(BOLD, head))
        }
        None => line.to_string(),
    }
}

/// Where the label of a labelled line ends: `Link:`, or a capitalised `Label:` padded with
/// spaces to the value column (16), as the body writes them. A sentence with a colon is not one.
fn label_end(line: &str) -> Option<usize> {
    if line.starts_with("Link: ") {
        return Some("Link:".len());
    }
    let (label, pad) = line.get(..16)?.split_once(':')?;
    let is_label = label.starts_with(|c: char| c.is_ascii_uppercase())
        && label.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')
        && pad.chars().all(|c| c == ' ');
    is_label.then_some(label.len() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_colours_the_tag_severity_findings_and_labels_only() {
        let text = "Subject: [IAM CRITICAL] AttachRolePolicy x by y\nLink: https://l\n\nalice did: it.\n\nSeverity:       CRITICAL\n  - why [critical: allow-all]\n\nAction:         X";
        let painted = paint(text);
        let red = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
        assert!(
            painted.contains(&styled(red, "[IAM CRITICAL]")),
            "{painted:?}"
        );
        assert!(painted.contains(&styled(red, "CRITICAL")));
        assert!(painted.contains(&styled(red, "[critical: allow-all]")));
        assert!(painted.contains(&styled(BOLD, "Action:")));
        assert!(
            painted.contains("\nalice did: it.\n"),
            "a sentence is not a label"
        );
        let plain = anstream::adapter::strip_str(&painted).to_string();
        assert_eq!(plain, text, "only styles are added");
    }
}
