"""Template tests that know what each setting is for, by class: every alarm that counts
failures fires on one failure; every parameter's default is the safe choice; every
resource-based permission and trust names its intended source; every dead-letter and queue
policy lets in every rule that uses it; the created trail logs what the rules need; nothing
on the path to the function filters out a watched call. `test_mutations.py` breaks an
instance of each class and shows these tests fail."""

import json
from pathlib import Path

import pytest
from moto.events.models import EventPattern

from wiring import ACCOUNT, allowed, deploy

ROOT = Path(__file__).resolve().parents[2]

# Each parameter's safe default: what a user who changes nothing must get. A new parameter
# fails the test below until its safe default is written here (and why, if not obvious).
SAFE_DEFAULTS = {
    "NotificationEmails": None,  # required: no default
    "SNSTopicName": "iam-monitoring-topic",
    "MonitorStatus": "ENABLED",
    "MessageFormat": "rich",
    "DryRun": "false",
    "ChatFormat": "none",
    "MonitorCredentials": "ENABLED",
    "MonitorTrustAndBoundaries": "ENABLED",
    "MonitorIdentityProviders": "ENABLED",
    "MonitorOtherIamWrites": "ENABLED",
    "MonitorRootActivity": "ENABLED",
    "IgnorePrincipals": "",
    "IgnoreAwsServices": "false",
    "IgnoreCloudFormation": "false",
    "CriticalSmsNumber": "",
    "OpsEmails": "",
    "HeartbeatSchedule": "rate(1 day)",
    "MonitorTamper": "ENABLED",
    "CreateTrail": "false",  # the account's own trail; a second one costs money
    "LogRetentionDays": 90,
    "TopicEncryption": "kms",
    "DeliveryMode": "immediate",
    "DigestWindowSeconds": 60,
    "EnrichAlerts": "ENABLED",
    "EnrichBudgetMs": 2000,
    "IdentityStoreId": "",
    "IdentityCenterRegion": "",
    "OrganizationId": "",
    "AccountNames": "",
}

# The metrics that count failures: one is enough to say so.
FAILURE_COUNTS = {"Errors", "Throttles", "DestinationDeliveryFailures", "NumberOfNotificationsFailed",
                  "NumberOfMessagesSent", "FailedInvocations", "InvocationsFailedToBeSentToDlq"}


def metrics_of(alarm):
    return [m["MetricStat"] for m in alarm.get("Metrics", []) if "MetricStat" in m] or [
        {"Metric": alarm, "Stat": alarm.get("Statistic"), "Period": alarm.get("Period")}]


def test_every_parameter_defaults_to_the_safe_choice(template):
    params = template["Parameters"]
    assert set(params) == set(SAFE_DEFAULTS), "write each new parameter's safe default in SAFE_DEFAULTS"
    for name, safe in SAFE_DEFAULTS.items():
        assert params[name].get("Default") == safe, f"{name} defaults to {params[name].get('Default')!r}"


@pytest.mark.parametrize("params", [{}, {"DeliveryMode": "digest"}, {"OrganizationId": "o-a1b2c3d4e5"}],
                         ids=["immediate", "digest", "central"])
def test_every_failure_alarm_fires_on_one_failure(cfn, params):
    """Sum over one period of five minutes, threshold 1, at or above it, one period to alarm,
    quiet periods fine: the first failure speaks."""
    stack = deploy(cfn, **params)
    counted = 0
    for name, alarm in stack.of_type("AWS::CloudWatch::Alarm").items():
        stats = metrics_of(alarm)
        if not any(s["Metric"]["MetricName"] in FAILURE_COUNTS for s in stats):
            continue
        counted += 1
        assert all(s["Stat"] == "Sum" and s["Period"] == 300 for s in stats), f"{name}: a Sum over 5 minutes"
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", name
        assert alarm["EvaluationPeriods"] == 1 and alarm.get("DatapointsToAlarm", 1) == 1, name
        assert alarm["TreatMissingData"] == "notBreaching", name
        if "Metrics" in alarm:
            (total,) = [m for m in alarm["Metrics"] if m.get("ReturnData")]
            ids = {m["Id"] for m in alarm["Metrics"] if "MetricStat" in m}
            assert total["Expression"] == f"SUM([{', '.join(sorted(ids, key=lambda i: int(i[1:])))}])", name
    assert counted >= 8


def test_every_permission_and_trust_names_its_source(cfn):
    """Lambda may be invoked only by this stack's rules, each by its ARN; every role a
    service assumes is assumed only on behalf of this account."""
    for params in ({}, {"OrganizationId": "o-a1b2c3d4e5"}):
        stack = deploy(cfn, **params)
        rules = {stack.arn(k) for k in stack.of_type("AWS::Events::Rule")}
        permissions = stack.of_type("AWS::Lambda::Permission")
        assert permissions
        for name, p in permissions.items():
            assert p["Principal"] == "events.amazonaws.com" and p["Action"] == "lambda:InvokeFunction", name
            assert p.get("SourceArn") in rules, f"{name}: invoked by any rule of any account"
        for name, role in stack.of_type("AWS::IAM::Role").items():
            for s in role["AssumeRolePolicyDocument"]["Statement"]:
                if s["Effect"] == "Allow" and "Service" in s.get("Principal", {}):
                    assert s.get("Condition", {}).get("StringEquals", {}).get("aws:SourceAccount") == ACCOUNT, \
                        f"{name}: {s['Principal']['Service']} may assume it for any account"


@pytest.mark.parametrize("params", [{}, {"DeliveryMode": "digest"}, {"OrganizationId": "o-a1b2c3d4e5"}],
                         ids=["immediate", "digest", "central"])
def test_every_queue_lets_in_every_rule_that_uses_it(cfn, params):
    """Each rule's dead-letter queue, and in digest mode the queue it delivers to, accepts
    its messages; the topic a direct copy goes to accepts it."""
    stack = deploy(cfn, **params)
    events = {"Service": "events.amazonaws.com"}
    for kind in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
        for name, policy in stack.of_type(kind).items():
            for s in policy["PolicyDocument"]["Statement"]:
                for arns in s.get("Condition", {}).get("ArnEquals", {}).values():
                    assert len(arns) == len(set(arns)) if isinstance(arns, list) else True, f"{name}: a rule twice"
    for name, rule in stack.of_type("AWS::Events::Rule").items():
        ctx = {"aws:SourceArn": stack.arn(name), "aws:SourceAccount": ACCOUNT}
        for target in rule["Targets"]:
            dlq = target["DeadLetterConfig"]["Arn"]
            assert allowed(stack, events, "sqs:SendMessage", dlq, ctx), f"{name}: its dead letters are refused"
            arn = target["Arn"]
            if arn.startswith("arn:aws:sqs:"):
                assert allowed(stack, events, "sqs:SendMessage", arn, ctx), f"{name}: its queue refuses it"
            elif arn.startswith("arn:aws:sns:"):
                assert allowed(stack, events, "sns:Publish", arn, ctx), f"{name}: its topic refuses it"


@pytest.mark.parametrize("create", ["true", "with-read-events"])
def test_the_created_trail_logs_what_the_rules_need(cfn, create):
    """Write management events in every region (the rules watch writes in us-east-1, IAM's
    included); reads only when asked."""
    stack = deploy(cfn, CreateTrail=create)
    (trail,) = stack.of_type("AWS::CloudTrail::Trail").values()
    assert trail["IsLogging"] and trail["IsMultiRegionTrail"] and trail["IncludeGlobalServiceEvents"]
    assert "AdvancedEventSelectors" not in trail
    (selector,) = trail["EventSelectors"]
    assert selector["IncludeManagementEvents"] is True
    assert selector["ReadWriteType"] == ("All" if create == "with-read-events" else "WriteOnly")
    assert not deploy(cfn).of_type("AWS::CloudTrail::Trail"), "no trail unless asked"


def test_nothing_on_the_path_to_the_function_filters_out_a_watched_call(cfn):
    """Digest mode's event source mapping takes every message the rules put on the queue:
    a filter there would drop, silently, whatever it does not match (tamper events first)."""
    stack = deploy(cfn, DeliveryMode="digest")
    samples = [json.loads(p.read_text()) for p in sorted((ROOT / "events").glob("*.json"))]
    for name, mapping in stack.of_type("AWS::Lambda::EventSourceMapping").items():
        for f in mapping.get("FilterCriteria", {}).get("Filters", []):
            pattern = EventPattern.load(f["Pattern"])
            for event in samples:
                assert pattern.matches_event({"body": event}), f"{name} drops {event['detail'].get('eventName')}"
