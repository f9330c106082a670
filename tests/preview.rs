//! The `preview` CLI as a user runs it: colour only where a terminal wants it, the same text
//! otherwise, and the call table as JSON.

mod common;

use std::process::Command;

fn preview(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_preview"));
    cmd.args(args).current_dir(common::root());
    for name in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "TERM"] {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const SAMPLE: &str = "events/AttachRolePolicy-aws-managed-AdministratorAccess-by-sso-user.json";

#[test]
fn a_pipe_gets_plain_text_and_a_forced_terminal_gets_the_same_text_in_colour() {
    let plain = preview(&[SAMPLE], &[]);
    assert!(!plain.contains('\u{1b}'), "no escape codes through a pipe");
    assert!(plain.contains("Subject: [IAM CRITICAL] AttachRolePolicy"));
    let coloured = preview(&[SAMPLE], &[("CLICOLOR_FORCE", "1")]);
    assert!(
        coloured.contains("\u{1b}[1m\u{1b}[31m[IAM CRITICAL]"),
        "{coloured:?}"
    );
    assert_eq!(anstream::adapter::strip_str(&coloured).to_string(), plain);
}

#[test]
fn no_color_wins() {
    let out = preview(&[SAMPLE], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

#[test]
fn list_calls_prints_the_call_table() {
    let calls: serde_json::Value = serde_json::from_str(&preview(&["--list-calls"], &[])).unwrap();
    let calls = calls.as_array().unwrap();
    assert_eq!(calls.len(), iam_notify::calls::CALLS.len());
    for (listed, call) in calls.iter().zip(iam_notify::calls::CALLS) {
        assert_eq!(listed["name"], call.name);
        assert_eq!(listed["source"], call.source);
        assert_eq!(listed["rule"], call.group.rule_name());
    }
}

/// `preview … | head -5`: the reader closes the pipe, and the program ends quietly and
/// successfully instead of panicking. The read end is closed before the program writes, so
/// every write fails with a broken pipe, whatever the output's size.
#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    for args in [
        vec!["--list-calls"],
        vec![SAMPLE, "events/CreateUser.json"],
        vec!["--sns", SAMPLE],
        vec!["--help"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_preview"))
            .args(&args)
            .current_dir(common::root())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(stderr.is_empty(), "{args:?} said: {stderr}");
    }
}
