"""The usual Rust Lambda habit, as a newcomer types it in a fresh clone:

    cargo lambda watch
    cargo lambda invoke --data-file events/CreateUser.json

No function name and no extra environment: Cargo.toml's `[package.metadata.lambda.watch]`
serves only the Lambda binary (not the `preview` CLI) and renders in dry-run unless a topic is
set. The only flags added here keep the server on 127.0.0.1 and on a free port (the defaults
are every interface and port 9000)."""

import json
import shlex
import subprocess

import pytest

from local_servers import ROOT, Server, free_port, offline_env

# The first invoke waits for cargo to build the function.
INVOKE_TIMEOUT = 900

# The README's two commands, exactly as it gives them (test_readme.py ties them to it); the
# tests below run them with only the loopback address and a free port added.
README_WATCH = "cargo lambda watch"
README_INVOKE = "cargo lambda invoke --data-file events/CreateUser.json"
README_COMMANDS = (README_WATCH, README_INVOKE)


def plain_env(**extra):
    """The offline environment, without any of the function's own variables."""
    env = offline_env(**extra)
    for name in ("TOPIC_ARN", "DRY_RUN", "MESSAGE_FORMAT", "CHAT_FORMAT", "AWS_ENDPOINT_URL"):
        if name not in extra:
            env.pop(name, None)
    return env


def watch(tmp_path, **extra):
    port = free_port()
    argv = shlex.split(README_WATCH) + ["-A", "127.0.0.1", "-P", str(port)]
    return Server("cargo lambda watch", argv, port, env=plain_env(**extra),
                  log_path=tmp_path / "watch.log", ready_timeout=120)


def invoke(server):
    argv = shlex.split(README_INVOKE) + ["-A", "127.0.0.1", "-P", str(server.port)]
    return subprocess.run(argv, env=plain_env(), cwd=ROOT, capture_output=True, text=True,
                          timeout=INVOKE_TIMEOUT)


def snapshot_subject(file):
    text = (ROOT / "tests" / "snapshots" / f"samples__every_sample_event_renders_as_its_snapshot@{file}.snap").read_text()
    return text.split("\n---\n", 1)[1].split("\n", 1)[0].removeprefix("Subject: ")


def test_watch_and_invoke_without_a_function_name_print_the_rendered_alert(tmp_path):
    with watch(tmp_path) as server:
        out = invoke(server)
        assert out.returncode == 0, out.stdout + out.stderr + server.log()
    response = json.loads(out.stdout)
    assert response["dryRun"] is True, "no topic configured: nothing is published"
    notification = response["notification"]
    assert notification["subject"] == snapshot_subject("CreateUser.json")
    assert notification["body"].startswith("alice created user bob.")


def test_a_function_that_cannot_start_tells_the_invoker_why(tmp_path):
    with watch(tmp_path, TOPIC_ARN="not-a-topic") as server:
        out = invoke(server)
        log = server.log()
    assert out.returncode != 0
    said = out.stdout + out.stderr
    assert "ConfigurationError" in said, said
    assert 'TOPIC_ARN "not-a-topic" is not an SNS topic ARN' in said, said
    assert '"outcome":"unconfigured"' in log, log


def test_input_that_is_not_one_json_document_reaches_the_handler_and_is_rejected(tmp_path):
    with watch(tmp_path) as server:
        outs = []
        for data in ("not json", '{"detail-type": "x"} trailing'):
            argv = ["cargo", "lambda", "invoke", "-A", "127.0.0.1", "-P", str(server.port), "--data-ascii", data]
            outs.append(subprocess.run(argv, env=plain_env(), cwd=ROOT, capture_output=True, text=True,
                                       timeout=INVOKE_TIMEOUT))
        log = server.log()
    for out in outs:
        said = out.stdout + out.stderr
        assert out.returncode != 0
        assert "InvalidEvent" in said and "not one JSON document" in said, said
    assert log.count('"outcome":"rejected"') == 2, log
