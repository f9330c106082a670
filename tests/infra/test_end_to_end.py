"""The demo's path, automated: moto_server (SNS + SQS) and `cargo lambda watch` on 127.0.0.1,
every sample invoked with `cargo lambda invoke`; the mailbox queue must hold exactly one
notification per event, with the snapshot's subject and body and the message attributes."""

import json
import re
from pathlib import Path

import pytest

import demo
from calls import supported_calls

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = ROOT / "tests" / "snapshots"
BURST = ROOT / "events" / "burst" / "terraform-apply.json"


def snapshot(file):
    """(subject, body) recorded by the Rust snapshot test for an event file."""
    text = (SNAPSHOTS / f"samples__every_sample_event_renders_as_its_snapshot@{file}.snap").read_text()
    content = text.split("\n---\n", 1)[1]
    subject = re.match(r"Subject: (.*)\n", content).group(1)
    body = content.split("\n\n", 1)[1]
    return subject, body.rstrip("\n")


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    files = sorted((ROOT / "events").glob("*.json"))
    return files, demo.run(files, tmp_path_factory.mktemp("e2e"), progress=print, burst=BURST)


def test_every_invoke_succeeds(delivered):
    files, result = delivered
    assert [i.file for i in result.invokes] == [f.name for f in files]
    failed = [(i.file, i.output) for i in result.invokes if not i.ok]
    assert failed == []


HEARTBEAT = "TagRole-heartbeat-by-schedule.json"
MONITOR_CALLS = {(c["source"], c["name"]) for c in supported_calls()
                 if c["rule"] in ("tamper-monitor", "safeguards-monitor", "alarms-monitor")}


def changes_the_monitor(event):
    """A call of the monitor rules, or an IAM write (not a tag) to a role the monitor acts as
    (named iam-notify-*): its alert also goes to the ops topic."""
    d = event["detail"]
    own_role = (d.get("eventSource") == "iam.amazonaws.com" and d.get("readOnly") is not True
                and d.get("eventName") not in ("TagRole", "UntagRole")
                and str((d.get("requestParameters") or {}).get("roleName", "")).startswith("iam-notify-"))
    return (d.get("eventSource"), d.get("eventName")) in MONITOR_CALLS or own_role


# The samples whose alert also goes to the ops topic.
OPS_FILES = {p.name for p in (ROOT / "events").glob("*.json") if changes_the_monitor(json.loads(p.read_text()))}


def test_a_burst_in_digest_mode_is_one_digest_and_its_serious_changes_at_once(delivered):
    """Through moto's SQS as Lambda's event source mapping would: every message consumed,
    none returned, and the mailbox holds the alerts sent at once (the critical attach, and
    the CI role's two changes to itself, warnings) and one digest of the other eighteen."""
    _, result = delivered
    burst = result.burst
    assert burst.invoke.ok, burst.invoke.output
    assert burst.records == 21 and burst.returned == [] and burst.left_in_queue == 0
    (digest,) = [d for d in burst.deliveries if d.attributes["eventName"] == "Digest"]
    at_once = [d for d in burst.deliveries if d is not digest]
    assert sorted(d.attributes["severity"] for d in at_once) == ["critical", "warning", "warning"]
    assert all(d.document["schema"] == "iam-notify/1" for d in at_once)
    assert digest.document["schema"] == "iam-notify-digest/1"
    assert digest.subject == "[IAM] 18 changes by ci-deploy/GitHubActions (Terraform) in 40 s"
    snapshot = (SNAPSHOTS / "digest__terraform-apply-batch.snap").read_text().split("\n---\n", 1)[1]
    assert all(d.body in snapshot for d in burst.deliveries), "what arrived is what the snapshot shows"
    queued = [json.loads(r["body"])["detail"]["eventID"] for r in json.loads(BURST.read_text())["Records"]]
    listed = {c["event"]["id"] for c in digest.document["changes"]} | {d.document["event"]["id"] for d in at_once}
    assert listed == set(queued), "every queued change arrived, once"


def test_an_organizations_member_change_arrives_named_and_its_heartbeat_is_counted(delivered):
    """Step 6 of the demo: moto's Organizations with a member account; forwarder.yaml deployed
    there by CloudFormation; a change and the heartbeat put on the member's bus reach the
    central bus; the function in central mode names the account as Organizations does."""
    _, result = delivered
    org = result.organization
    assert org.invoke.ok, org.invoke.output
    assert org.forwarded == 2
    [alert] = org.deliveries
    # (The sample's role attaches a policy to itself: a self-change warning.)
    assert alert.subject.startswith(f"[IAM WARNING] {org.name}: AttachRolePolicy deploy-permissions"), alert.subject
    assert alert.attributes["account"] == org.member
    assert f"Account:        {org.member} ({org.name})" in alert.body
    [metric] = org.heartbeat_metrics
    assert json.loads(metric)["Account"] == org.member
    assert org.ok


def test_alerts_say_what_a_change_means_from_what_moto_holds(delivered):
    """Step 7: each enriched sample's alert says what the demo's fixtures in moto's IAM and
    Identity Store make true (the diff, the holders, the attached text, the trust, the person)."""
    _, result = delivered
    meaning = result.meaning
    assert meaning is not None and meaning.ok, [d.body for d in meaning.deliveries]
    created = meaning.delivery("CreatePolicyVersion.json").body
    assert '\n  ~ changed statement "ReadBilling": actions added: ce:Describe*\n' in created
    attach = meaning.delivery("AttachRolePolicy.json")
    assert attach.attributes["severity"] == "critical" and "[critical: allow-all]" in attach.body
    assert demo.meaning_line(meaning) in (ROOT / "README.md").read_text()


def test_the_burst_fixture_is_what_its_script_builds():
    """events/burst/terraform-apply.json is `scripts/sqs_batch.py --preset terraform-apply`."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("sqs_batch", ROOT / "scripts" / "sqs_batch.py")
    sqs_batch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sqs_batch)
    assert BURST.read_text() == sqs_batch.dump(sqs_batch.preset("terraform-apply"))


def test_a_change_to_the_monitor_reaches_the_ops_mailbox_with_the_function_deleted(delivered):
    _, result = delivered
    assert result.direct.ok, result.direct
    (message,) = result.direct.received
    assert "DeleteFunction20150331 on lambda.amazonaws.com" in message and "no function in between" in message


def test_the_heartbeat_is_counted_and_sends_nothing(delivered):
    files, result = delivered
    assert [i.file for i in result.invokes if i.heartbeat] == [HEARTBEAT]
    event_id = json.loads((ROOT / "events" / HEARTBEAT).read_text())["detail"]["eventID"]
    assert not any(event_id in d.body for d in result.deliveries + result.ops_deliveries), "no email"
    (line,) = result.heartbeat_metrics
    metric = json.loads(line[line.index("{"):])
    assert metric["Heartbeats"] == 1 and metric["eventID"] == event_id
    assert metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "iam-notify"


def test_changes_to_the_monitor_reach_the_ops_topic_too_and_nothing_else_does(delivered):
    files, result = delivered
    ids = {json.loads((ROOT / "events" / f).read_text())["detail"]["eventID"]: f for f in OPS_FILES}
    ops = {f for d in result.ops_deliveries for i, f in ids.items() if f"Event ID:       {i}\n" in d.body}
    assert ops == OPS_FILES and len(result.ops_deliveries) == len(OPS_FILES)
    for d in result.ops_deliveries:
        twin = [m for m in result.deliveries if m.body == d.body]
        assert len(twin) == 1 and d.attributes["severity"] == "critical", d.subject


def test_exactly_one_notification_per_event_with_the_snapshot_subject_and_body(delivered):
    files, result = delivered
    files = [f for f in files if f.name != HEARTBEAT]
    assert len(result.deliveries) == len(files)
    assert result.missing == []
    for path in files:
        event = json.loads(path.read_text())
        event_id = event["detail"]["eventID"]
        matching = [d for d in result.deliveries if f"Event ID:       {event_id}\n" in d.body]
        assert len(matching) == 1, f"{path.name}: {len(matching)} notifications"
        subject, body = snapshot(path.name)
        assert matching[0].subject == subject, path.name
        assert matching[0].body == body, path.name
        got = matching[0]
        assert got.attributes["eventName"] == event["detail"]["eventName"]
        assert got.attributes["outcome"] in {"succeeded", "denied", "failed"}
        assert got.attributes["severity"] in {"info", "warning", "critical"}
        assert got.attributes["account"] == "111122223333"
        # The queue (an sqs subscriber) got the machine-readable document.
        assert got.document["schema"] == "iam-notify/1"
        assert got.document["severity"] == got.attributes["severity"]
        assert got.document["subject"] == subject
    severities = {d.attributes["severity"] for d in result.deliveries}
    assert severities == {"info", "warning", "critical"}, "the samples show every severity"


def test_the_summary_table_has_one_delivered_row_per_sample_with_its_subject(delivered):
    files, result = delivered
    rows = demo.summary(files, result)
    assert [r.file for r in rows] == [f.name for f in files]
    for row, path in zip(rows, files):
        assert row.delivered, path.name
        if path.name == HEARTBEAT:
            assert (row.heartbeat, row.status, row.severity) == (True, "counted", "-")
            continue
        assert row.subject == snapshot(path.name)[0], path.name
        assert row.severity in {"info", "warning", "critical"}, path.name
        assert row.ops == (path.name in OPS_FILES), path.name
    text = demo.table(rows).splitlines()
    assert text[0].split() == ["call", "severity", "delivered", "subject"]
    assert len(text) == len(files) + 2
    for line, row in zip(text[2:], rows):
        assert line.startswith(row.call) and line.endswith(row.subject)
        assert line.split()[1:3] == [row.severity, row.status]
    picks = demo.featured(result.deliveries)
    shown = {(d.attributes["severity"], d.attributes["outcome"]) for d in picks}
    assert {s for s, _ in shown} == {"info", "warning", "critical"}
    assert {"denied", "failed"} <= {o for _, o in shown}
    assert len(picks) <= 5


def test_a_missing_delivery_is_a_no_in_the_table(delivered):
    files, result = delivered
    dropped = result.deliveries[0]
    lost = demo.Result(invokes=result.invokes, deliveries=result.deliveries[1:])
    rows = demo.summary(files, lost)
    missing = [r for r in rows if not r.delivered]
    assert len(missing) == 1
    event_id = json.loads((ROOT / "events" / missing[0].file).read_text())["detail"]["eventID"]
    assert event_id in dropped.body
    assert missing[0].subject == "(nothing arrived)"
    line = demo.table(rows).splitlines()[2 + rows.index(missing[0])]
    assert line.split()[1:3] == ["-", "NO"]


def test_a_huge_policy_document_and_a_300_character_role_name_still_publish(tmp_path):
    base = json.loads((ROOT / "events" / "PutRolePolicy.json").read_text())
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket-\u00e9t\u00e9/*"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement] * 4000})
    assert len(document.encode()) > 262_144
    big = json.loads(json.dumps(base))
    big["detail"]["eventID"] = "big-policy-document"
    big["detail"]["requestParameters"]["policyDocument"] = document
    long_name = json.loads(json.dumps(base))
    long_name["detail"]["eventID"] = "long-role-name"
    long_name["detail"]["requestParameters"]["roleName"] = "r" * 300
    files = []
    for name, event in (("big.json", big), ("long.json", long_name)):
        (tmp_path / name).write_text(json.dumps(event))
        files.append(tmp_path / name)
    result = demo.run(files, tmp_path, progress=print)
    assert all(i.ok for i in result.invokes), [i.output for i in result.invokes]
    assert result.missing == [] and len(result.deliveries) == 2
    by_id = {("big" if "big-policy-document" in d.body else "long"): d for d in result.deliveries}
    big_body = by_id["big"].body
    # Six copies of the text travel in one per-protocol message (default, email, and the
    # documents for sqs, lambda, http, https): each is cut so that all fit in 256 KiB.
    assert 20_000 < len(big_body.encode()) < 262_144 // 6
    assert "cut to fit the SNS message limit" in big_body
    assert by_id["big"].document["policyDocumentOmitted"] is True
    long_subject = by_id["long"].subject
    # The caller is shortened first, then the 300-character role name.
    assert len(long_subject) < 100 and long_subject.endswith("... by ci-deploy/GitH...")
    assert "on role rrrr" in long_subject
    assert "r" * 300 in by_id["long"].body


def test_the_readme_transcript_counts_every_sample():
    count = len(list((ROOT / "events").glob("*.json")))
    readme = (ROOT / "README.md").read_text()
    assert f"[3/8] invoking {count} events" in readme
    tamper = len(OPS_FILES)
    assert (f"{count} events invoked, 0 failed; 1 heartbeat counted; {count - 1} notifications arrived in the "
            f"alert mailbox, {tamper} in the ops mailbox") in readme
