"""No single call silences the monitor: the README's silence matrix, tied to the template.

Each row of the matrix names the calls that could silence the monitor (by their sample events),
the rules and alarms that notice them, and how the news reaches a person. Here, against the
template as CloudFormation would deploy it (tests/infra/wiring.py) and with EventBridge's own
matching (moto's): every named rule is enabled, matches every sample of its row as made
against the stack, and sends a direct copy to the ops topic (EventBridge publishes it, no
function in between); every named alarm exists, speaks on the ops topic and rests on an `AWS/`
metric (which `cloudwatch:PutMetricData` cannot write); every call of the monitor rules is in
a row. `test_mutations.py` removes each row's noticer in turn and shows these tests fail.
The end-to-end proof (a stack in moto, its function deleted, a tamper event still reaching the
ops mailbox) is `test_with_the_function_deleted_a_tamper_event_still_reaches_the_ops_mailbox`.
"""

import json
import re
from pathlib import Path

from moto.events.models import EventPattern, EventTemplateParser

from calls import supported_calls
from wiring import ACCOUNT, STACK_UUID, deploy

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# The samples' account, stack, function id and key (tests/infra/test_template.py).
SAMPLE_ACCOUNT, SAMPLE_STACK, SAMPLE_ID = "111122223333", "iamnotify", "iam-notify-6f1c2a9e"
SAMPLE_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
MONITOR_RULES = ("tamper-monitor", "safeguards-monitor", "alarms-monitor")
# The fields a direct copy may carry: only what AWS writes into a record (no request
# parameter, no user agent: nothing the caller chose can forge a line or carry a secret).
AWS_WRITTEN = {"$.detail.eventName", "$.detail.eventSource", "$.detail.userIdentity.arn",
               "$.detail.sourceIPAddress", "$.detail.eventTime", "$.detail.awsRegion", "$.account",
               "$.detail.eventID"}


def matrix(readme_text=None):
    """The README's silence matrix: one dict per row (how, samples, noticers)."""
    text = readme_text or README.read_text()
    section = text.split("### What would silence the monitor, and what notices it", 1)[1]
    section = re.split(r"(?m)^#+ ", section, maxsplit=1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0].startswith(("How it could", "---")):
            continue
        rows.append({"how": cells[0], "samples": re.findall(r"`([^`]+)`", cells[1]),
                     "noticers": re.findall(r"`([^`]+)`", cells[2])})
    return rows


def mode(row):
    """The stack's parameters a row is about: digest or central mode, else the defaults."""
    if row["how"].startswith("digest mode"):
        return {"DeliveryMode": "digest"}
    if row["how"].startswith("central mode"):
        return {"OrganizationId": "o-a1b2c3d4e5"}
    return {}


def against(stack, sample):
    """A sample event as if made against `stack` (its account, names and key)."""
    text = (ROOT / "events" / f"{sample}.json").read_text()
    text = text.replace(SAMPLE_KEY, stack.ref("TopicKey") if "TopicKey" in stack.resources else "no-key")
    text = text.replace(SAMPLE_ID, f"iam-notify-{STACK_UUID.split('-')[0]}").replace(SAMPLE_ACCOUNT, ACCOUNT)
    return json.loads(text.replace(SAMPLE_STACK + "-", stack.name + "-"))


def rule_named(stack, suffix):
    return next(((k, r) for k, r in stack.of_type("AWS::Events::Rule").items() if r["Name"].endswith("-" + suffix)),
                (None, None))


def alarm_named(stack, suffix):
    return next(((k, a) for k, a in stack.of_type("AWS::CloudWatch::Alarm").items()
                 if a["AlarmName"].endswith("-" + suffix)), (None, None))


def direct_copies(stack, rule):
    return [t for t in rule["Targets"] if t["Arn"] == stack.ref("OpsTopic") and "InputTransformer" in t]


def test_every_row_is_noticed_and_reaches_a_person_without_what_it_changed(cfn):
    rows = matrix()
    assert len(rows) >= 12
    for row in rows:
        stack = deploy(cfn, **mode(row))
        assert row["noticers"], row["how"]
        for noticer in row["noticers"]:
            key, rule = rule_named(stack, noticer)
            if rule is not None:
                assert rule["State"] == "ENABLED", (row["how"], noticer)
                assert direct_copies(stack, rule), f"{noticer}: no direct copy to the ops topic"
                pattern = EventPattern.load(json.dumps(rule["EventPattern"]))
                for sample in row["samples"]:
                    assert pattern.matches_event(against(stack, sample)), f"{row['how']}: {noticer} misses {sample}"
                continue
            key, alarm = alarm_named(stack, noticer)
            assert alarm is not None, f"{row['how']}: no rule or alarm named {noticer}"
            assert alarm["AlarmActions"] == [stack.ref("OpsTopic")], noticer
            metrics = [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m] or [alarm]
            assert all(m["Namespace"].startswith("AWS/") for m in metrics), \
                f"{noticer} rests on a metric anyone allowed PutMetricData could post"
        # The rule that notices a change is never the only thing it changes: a row whose
        # samples change rules names a rule that is not among them.
        for sample in row["samples"]:
            changed = (against(stack, sample)["detail"].get("requestParameters") or {})
            target = str(changed.get("name") or changed.get("rule") or "")
            for noticer in row["noticers"]:
                _, rule = rule_named(stack, noticer)
                if rule is not None:
                    assert target != rule["Name"] or len([n for n in row["noticers"] if n != noticer]), \
                        f"{sample}: {noticer} would have to report a change to itself"


def test_every_call_that_changes_the_monitor_is_in_the_matrix():
    listed = {s for row in matrix() for s in row["samples"]}
    calls = [c for c in supported_calls() if c["rule"] in MONITOR_RULES]
    shared = {c["name"] for c in supported_calls() if sum(o["name"] == c["name"] for o in supported_calls()) > 1}
    for c in calls:
        sample = f"{c['name']}-{c['source'].split('.')[0]}" if c["name"] in shared else c["name"]
        assert sample in listed, f"{c['source']} {c['name']}: not in the README's silence matrix"
    for sample in listed:
        assert (ROOT / "events" / f"{sample}.json").exists(), f"the matrix names {sample}: no such sample"


def test_every_direct_copy_says_the_same_from_fields_only_aws_writes(cfn):
    """One wording for every direct copy; the variables come from what AWS writes; it names
    the call, the caller, the account and links the CloudTrail event in its region."""
    for params in ({}, {"DeliveryMode": "digest"}, {"OrganizationId": "o-a1b2c3d4e5"}):
        stack = deploy(cfn, **params)
        copies = [t["InputTransformer"] for r in stack.of_type("AWS::Events::Rule").values()
                  for t in direct_copies(stack, r) if not r["Name"].endswith("-member-alarms")]
        assert len(copies) == 4, "the tamper, safeguards, alarms and tamper-watch rules"
        assert all(c == copies[0] for c in copies), "one wording"
        assert set(copies[0]["InputPathsMap"].values()) <= AWS_WRITTEN
        event = against(stack, "DeleteFunction20150331")
        text = EventTemplateParser.parse(input_template=copies[0]["InputTemplate"],
                                         input_paths_map=copies[0]["InputPathsMap"],
                                         event=dict(event, **{"ingestion-time": 0}))
        d = event["detail"]
        for words in ("no function in", d["eventName"], d["userIdentity"]["arn"], ACCOUNT,
                      f"https://console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/{d['eventID']}"):
            assert words in text, (words, text)
        assert "\n" not in text


def test_the_rules_watch_each_other(cfn):
    """A change to any rule of the stack (the tamper rule included) is matched by a rule other
    than the one changed, which sends a direct copy."""
    stack = deploy(cfn)
    rules = stack.of_type("AWS::Events::Rule")
    base = against(stack, "DisableRule")
    for name in [r["Name"] for r in rules.values()]:
        for call, key in (("DisableRule", "name"), ("DeleteRule", "name"), ("PutRule", "name"),
                          ("RemoveTargets", "rule"), ("PutTargets", "rule")):
            event = json.loads(json.dumps(base))
            event["detail"]["eventName"] = call
            event["detail"]["requestParameters"] = {key: name}
            others = [r["Name"] for r in rules.values() if r["Name"] != name and direct_copies(stack, r)
                      and r["State"] == "ENABLED" and EventPattern.load(json.dumps(r["EventPattern"])).matches_event(event)]
            assert others, f"{call} on {name}: only the rule changed would see it"


def test_with_the_function_deleted_a_tamper_event_still_reaches_the_ops_mailbox(moto):
    """template.yaml in moto's CloudFormation; the function deleted; the DeleteFunction event
    (and a DRY_RUN set on it before) delivered by the stack's own rules: the ops mailbox gets
    EventBridge's own words, naming the call, the caller and the event."""
    import boto3
    import direct_path
    offline = {"endpoint_url": moto.url, "region_name": "us-east-1"}
    clients = {s: boto3.client(s, **offline) for s in ("cloudformation", "events", "sns", "sqs", "lambda", "s3")}
    mailbox = clients["sqs"].create_queue(QueueName="direct-path-ops-mailbox")["QueueUrl"]
    published, received = direct_path.function_deleted_then_tampered(clients, mailbox)
    assert [rule.rsplit("-", 2)[-2:] for rule, _, _ in published] == [["tamper", "monitor"]], published
    assert [topic.endswith(":iamnotify-direct-ops") for _, topic, _ in published] == [True]
    (message,) = received
    event = json.loads((ROOT / "events" / "DeleteFunction20150331.json").read_text())["detail"]
    for words in ("no function in between", "DeleteFunction20150331 on lambda.amazonaws.com", event["eventID"],
                  event["userIdentity"]["arn"].replace(SAMPLE_ACCOUNT, "123456789012")):
        assert words in message, (words, message)
