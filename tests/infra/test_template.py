"""template.yaml, proven offline: cfn-lint, the SAM transform, a stack in moto_server, the
rules' patterns against every sample event, and the parameters (region guard, emails)."""

import ast
import io
import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import boto3
import pytest
from moto.events.models import EventPattern

import sam
from calls import ARTICLE_RULES as ARTICLE_RULE_NAMES, ROOT_RULE, calls_by_rule, supported_calls

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ARTICLE = ROOT / "tests" / "fixtures" / "article" / "template.json"


@pytest.fixture(scope="module")
def template():
    return sam.load_template(TEMPLATE)


@pytest.fixture(scope="module")
def cfn(template):
    return sam.transformed(template)


ARTICLE_RULES = ("PolicyMonitor", "PrincipalsMonitor")


def rule_patterns(template):
    """The article's two rules' patterns as they stand in template.yaml."""
    events = template["Resources"]["NotifyFunction"]["Properties"]["Events"]
    return {name: e["Properties"]["Pattern"] for name, e in events.items() if name in ARTICLE_RULES}


def article_rules():
    """The article's two EventPatterns, from its CloudFormation template."""
    resources = json.loads(ARTICLE.read_text())["Resources"]
    return {
        "PolicyMonitor": resources["EventRulePolicyMonitor"]["Properties"]["EventPattern"],
        "PrincipalsMonitor": resources["EventRulePrincipalsMonitor"]["Properties"]["EventPattern"],
    }


# ---- 1. cfn-lint ---------------------------------------------------------------------------

def test_cfn_lint_reports_nothing(template):
    out = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout == "", out.stdout + out.stderr
    ignored = template["Metadata"]["cfn-lint"]["config"]["ignore_checks"]
    assert ignored == [], "every ignored rule must be listed here with its reason"


# ---- 2. SAM transform ----------------------------------------------------------------------

def test_sam_transform_gives_the_expected_resources(cfn):
    types = {name: r["Type"] for name, r in cfn["Resources"].items()}
    assert types["NotifyFunction"] == "AWS::Lambda::Function"
    assert types["NotifyFunctionPolicyMonitor"] == "AWS::Events::Rule"
    assert types["NotifyFunctionPrincipalsMonitor"] == "AWS::Events::Rule"
    assert types["NotifyFunctionEventInvokeConfig"] == "AWS::Lambda::EventInvokeConfig"
    assert sorted(t for t in types.values() if t == "AWS::CloudWatch::Alarm") == ["AWS::CloudWatch::Alarm"] * 2
    fn = cfn["Resources"]["NotifyFunction"]["Properties"]
    assert fn["Runtime"] == "provided.al2023" and fn["Handler"] == "bootstrap"
    assert fn["Architectures"] == ["arm64"] and fn["MemorySize"] == 128
    assert fn["Environment"]["Variables"]["TOPIC_ARN"] == {"Ref": "NotificationTopic"}
    # The timeout leaves room for the SDK's retries: attempts x attempt timeout + backoff.
    env = fn["Environment"]["Variables"]
    budget = int(env["SNS_MAX_ATTEMPTS"]) * int(env["SNS_ATTEMPT_TIMEOUT_MS"]) / 1000 + 3
    assert fn["Timeout"] > budget
    invoke = cfn["Resources"]["NotifyFunctionEventInvokeConfig"]["Properties"]
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["FailureQueue", "Arn"]}
    for rule in ("NotifyFunctionPolicyMonitor", "NotifyFunctionPrincipalsMonitor"):
        target = cfn["Resources"][rule]["Properties"]["Targets"][0]
        assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["FailureQueue", "Arn"]}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_least_privilege_and_no_public_principal(cfn):
    text = json.dumps(cfn)
    assert '"Principal": "*"' not in text and '"AWS": "*"' not in text
    role = cfn["Resources"]["FunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    plain = [s for s in statements if "Sid" in s]
    assert {s["Sid"]: s["Action"] for s in plain} == {
        "WriteItsOwnLogs": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "PublishToThisTopicOnly": "sns:Publish",
        "KeepFailedEvents": "sqs:SendMessage",
    }
    assert all(s["Resource"] != "*" for s in plain)
    publish = next(s for s in plain if s["Sid"] == "PublishToThisTopicOnly")
    assert publish["Resource"] == {"Ref": "NotificationTopic"}


# ---- 4. pattern coverage -------------------------------------------------------------------

def test_template_patterns_are_exactly_the_articles(template):
    assert rule_patterns(template) == article_rules()
    rules = article_rules()
    assert len(rules["PolicyMonitor"]["detail"]["eventName"]) == 16
    assert len(rules["PrincipalsMonitor"]["detail"]["eventName"]) == 9


def sample_events():
    for path in sorted((ROOT / "events").glob("*.json")):
        yield path.name, json.loads(path.read_text())


def test_every_sample_matches_exactly_its_own_rule(template):
    patterns = {name: EventPattern.load(json.dumps(p)) for name, p in rule_patterns(template).items()}
    article = article_rules()
    expected_rule = {}
    for rule, pattern in article.items():
        for name in pattern["detail"]["eventName"]:
            expected_rule[name] = rule
    seen_calls = set()
    for file, event in sample_events():
        matched = sorted(name for name, p in patterns.items() if p.matches_event(event))
        detail = event["detail"]
        is_article_call = (event["source"] == "aws.iam" and detail["eventSource"] == "iam.amazonaws.com"
                           and detail["eventName"] in expected_rule)
        expected = [expected_rule[detail["eventName"]]] if is_article_call else []
        assert matched == expected, f"{file}: matched {matched}, expected {expected}"
        if is_article_call:
            seen_calls.add(detail["eventName"])
    assert seen_calls == set(expected_rule), "every article call has a sample that matches"
    # The non-IAM and unlisted samples exist and match nothing.
    names = [f for f, _ in sample_events()]
    assert "transfer-CreateUser-non-iam.json" in names and "TagRole-unlisted-iam-call.json" in names


def test_the_matcher_follows_eventbridge_semantics():
    """moto's matcher on cases from EventBridge's documentation: exact values in arrays,
    nested fields, every field must match, fields absent from the pattern are ignored."""
    pattern = EventPattern.load(json.dumps({"source": ["aws.ec2"], "detail": {"state": ["running", "stopped"]}}))
    assert pattern.matches_event({"source": "aws.ec2", "detail": {"state": "running", "other": 1}})
    assert not pattern.matches_event({"source": "aws.ec2", "detail": {"state": "pending"}})
    assert not pattern.matches_event({"source": "aws.s3", "detail": {"state": "running"}})
    assert not pattern.matches_event({"source": "aws.ec2"})
    prefix = EventPattern.load(json.dumps({"detail": {"eventName": [{"prefix": "Create"}]}}))
    assert prefix.matches_event({"detail": {"eventName": "CreateRole"}})
    assert not prefix.matches_event({"detail": {"eventName": "DeleteRole"}})


# ---- 5. parameters -------------------------------------------------------------------------

def test_email_pattern_accepts_real_addresses_and_rejects_junk(template):
    param = template["Parameters"]["NotificationEmails"]
    # CloudFormation matches AllowedPattern against the whole value (Java regex; this one
    # uses only syntax Java and Python share).
    pattern = re.compile(param["AllowedPattern"])
    good = ["first.last+iam@mail.example.co.uk", "secops@example.com", "o'brien@example.ie",
            "a@example.com,first.last+iam@mail.example.co.uk",
            "a@b.io,c@d.io,e@f.io,g@h.io,i@j.io"]
    bad = ["", "not-an-email", "a@b", "a@@b.com", "a b@c.com", "a@b.com,", ",a@b.com",
           "a@b.com, c@d.com", "a@b.com;c@d.com", "a@b.c", "<script>@x.com",
           "a@b.io,c@d.io,e@f.io,g@h.io,i@j.io,k@l.io"]
    for value in good:
        assert pattern.fullmatch(value), value
    for value in bad:
        assert not pattern.fullmatch(value), value
    assert "one to five email addresses" in param["ConstraintDescription"]
    # The article's pattern rejects the real address this one accepts.
    assert not re.fullmatch(r"[a-zA-Z0-9]+@[a-zA-Z0-9]+\.[a-zA-Z]+", "first.last+iam@mail.example.co.uk")


def evaluate(node, pseudo):
    """Ref and Fn::Equals as CloudFormation evaluates them in a Rules assertion."""
    if isinstance(node, dict) and "Fn::Equals" in node:
        a, b = (evaluate(x, pseudo) for x in node["Fn::Equals"])
        return a == b
    if isinstance(node, dict) and "Ref" in node:
        return pseudo[node["Ref"]]
    return node


def test_region_guard_fails_outside_us_east_1(template):
    """moto does not evaluate template Rules, so this test evaluates the assertion itself
    (cfn-lint has checked its syntax)."""
    assertions = template["Rules"]["OnlyInUsEast1"]["Assertions"]
    assert len(assertions) == 1
    check = assertions[0]
    assert evaluate(check["Assert"], {"AWS::Region": "us-east-1"}) is True
    for region in ("eu-west-1", "us-west-2", "us-east-2", "cn-north-1"):
        assert evaluate(check["Assert"], {"AWS::Region": region}) is False, region
    assert "must be deployed in us-east-1" in check["AssertDescription"]


# ---- 3. the stack in moto ------------------------------------------------------------------

def client(service, moto):
    return boto3.client(service, endpoint_url=moto.url, region_name="us-east-1")


def create_stack(moto, cfn, name, **params):
    s3 = client("s3", moto)
    try:
        s3.create_bucket(Bucket=sam.CODE_BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    s3.put_object(Bucket=sam.CODE_BUCKET, Key=sam.CODE_KEY, Body=code.getvalue())
    cf = client("cloudformation", moto)
    cf.create_stack(
        StackName=name, TemplateBody=json.dumps(cfn), Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stack = cf.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.2)
    return stack


# moto 5.2's CloudFormation skips these types (it creates the stack without them); they are
# asserted on in the transformed template instead (test_sam_transform_..., test_alarms_...).
MOTO_UNSUPPORTED = {"AWS::Lambda::EventInvokeConfig", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy",
                    "AWS::CloudWatch::Alarm"}


def test_stack_reaches_create_complete_with_every_part(moto, cfn):
    emails = "secops@example.com,first.last+iam@mail.example.co.uk,c@example.org"
    stack = create_stack(moto, cfn, "iamnotify", NotificationEmails=emails)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert set(outputs) == {"TopicArn", "FunctionName", "FunctionArn", "FailureQueueUrl", "TestHint"}

    cf = client("cloudformation", moto)
    created = {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName="iamnotify")["StackResourceSummaries"]}
    for name, resource in cfn["Resources"].items():
        if resource.get("Condition") in ("EncryptTopic", "HasSms"):
            assert name not in created, f"no {name} unless its parameter asks for it"
        elif resource["Type"] in MOTO_UNSUPPORTED:
            assert name not in created, f"moto now creates {resource['Type']}: assert on it here"
        else:
            assert name in created, f"{name} ({resource['Type']}) missing from the stack"
            assert created[name]["ResourceStatus"] == "CREATE_COMPLETE", created[name]

    # Topic and one subscription per email.
    topic_arn = outputs["TopicArn"]
    assert topic_arn.endswith(":iamnotify-iam-monitoring-topic")
    subs = client("sns", moto).list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subs) == sorted(("email", e) for e in emails.split(","))

    # Both rules, named as in the article, with the template's patterns, enabled, targeting the function.
    events = client("events", moto)
    template_patterns = rule_patterns(sam.load_template(TEMPLATE))
    for rule_name, key in (("iamnotify-policy-monitor", "PolicyMonitor"),
                           ("iamnotify-principals-monitor", "PrincipalsMonitor")):
        rule = events.describe_rule(Name=rule_name)
        assert json.loads(rule["EventPattern"]) == template_patterns[key]
        assert rule["State"] == "ENABLED"
        targets = events.list_targets_by_rule(Rule=rule_name)["Targets"]
        assert [t["Arn"] for t in targets] == [outputs["FunctionArn"]]

    # The function as the template sets it up.
    fn = client("lambda", moto).get_function(FunctionName=outputs["FunctionName"])["Configuration"]
    assert fn["FunctionName"] == "iamnotify-notify"
    assert (fn["Runtime"], fn["Handler"], fn["MemorySize"], fn["Timeout"]) == ("provided.al2023", "bootstrap", 128, 30)
    # moto's CloudFormation drops Architectures (it reports its default, x86_64); the
    # transform test above asserts arm64 on what CloudFormation receives.
    assert fn["Environment"]["Variables"]["TOPIC_ARN"] == topic_arn
    assert fn["Environment"]["Variables"]["MESSAGE_FORMAT"] == "rich"
    assert fn["Environment"]["Variables"]["DRY_RUN"] == "false"

    # The failure queue.
    attrs = client("sqs", moto).get_queue_attributes(QueueUrl=outputs["FailureQueueUrl"], AttributeNames=["All"])
    assert attrs["Attributes"]["MessageRetentionPeriod"] == "1209600"


def test_disabled_monitor_turns_both_rules_off(moto, cfn):
    stack = create_stack(moto, cfn, "quiet", NotificationEmails="a@example.com", MonitorStatus="DISABLED",
                         MessageFormat="classic")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    events = client("events", moto)
    for name in ("quiet-policy-monitor", "quiet-principals-monitor"):
        assert events.describe_rule(Name=name)["State"] == "DISABLED"
    fn = client("lambda", moto).get_function(FunctionName="quiet-notify")["Configuration"]
    assert fn["Environment"]["Variables"]["MESSAGE_FORMAT"] == "classic"
    topic = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "TopicArn")
    subs = client("sns", moto).list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["Endpoint"] for s in subs] == ["a@example.com"]


def test_kms_option_encrypts_the_topic_and_lets_the_function_use_the_key(moto, cfn):
    stack = create_stack(moto, cfn, "sealed", NotificationEmails="a@example.com", TopicEncryption="kms")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    topic = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "TopicArn")
    attrs = client("sns", moto).get_topic_attributes(TopicArn=topic)["Attributes"]
    key_id = attrs.get("KmsMasterKeyId")
    assert key_id, attrs
    # (moto's DescribeKey fails on a key created from a template; ListKeys does not.)
    assert key_id in [k["KeyId"] for k in client("kms", moto).list_keys()["Keys"]]
    cf = client("cloudformation", moto)
    resources = cf.list_stack_resources(StackName="sealed")["StackResourceSummaries"]
    role = next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "FunctionRole")
    iam = client("iam", moto)
    policy = iam.get_role_policy(RoleName=role, PolicyName="iam-notify")
    document = policy["PolicyDocument"]
    if isinstance(document, str):  # moto 5.2 returns a policy created by CloudFormation as a Python repr
        document = ast.literal_eval(document)
    sids = {s.get("Sid") for s in document["Statement"]}
    assert "UseTheTopicKey" in sids


def test_alarms_watch_function_errors_and_the_failure_queue(cfn):
    alarms = {n: r["Properties"] for n, r in cfn["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert {(a["Namespace"], a["MetricName"]) for a in alarms.values()} == {
        ("AWS/Lambda", "Errors"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible")}
    for a in alarms.values():
        assert a["AlarmActions"] == [{"Ref": "NotificationTopic"}]
        assert a["Threshold"] == 1 and a["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        # The topic policy lets this stack's alarms (named after the stack) publish.
        assert a["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-")


# ---- beyond the article: extra rule groups, root activity, SMS ---------------------------

# Each optional group's calls, from the one call table (`preview --list-calls`); test_calls.py
# checks that the template's rules say the same.
GROUPS = {rule: [c["name"] for c in group] for rule, group in calls_by_rule(supported_calls()).items()
          if rule not in (*ARTICLE_RULE_NAMES, ROOT_RULE)}
ALL_GROUPS_ON = {"MonitorCredentials": "ENABLED", "MonitorTrustAndBoundaries": "ENABLED",
                 "MonitorIdentityProviders": "ENABLED", "MonitorOtherIamWrites": "ENABLED",
                 "MonitorRootActivity": "ENABLED"}
GROUPS_OFF = {"MonitorCredentials": "DISABLED", "MonitorTrustAndBoundaries": "DISABLED",
              "MonitorIdentityProviders": "DISABLED", "MonitorOtherIamWrites": "DISABLED"}
RULE_SUFFIXES = [*ARTICLE_RULE_NAMES, *GROUPS, ROOT_RULE]


def deployed_rules(moto, stack):
    """Every rule of a stack in moto, as CloudFormation evaluated it: (pattern, state)."""
    events = client("events", moto)
    out = {}
    for suffix in RULE_SUFFIXES:
        rule = events.describe_rule(Name=f"{stack}-{suffix}")
        out[suffix] = (EventPattern.load(rule["EventPattern"]), rule["State"])
    return out


def matching(rules, event):
    return sorted(name for name, (pattern, state) in rules.items() if state == "ENABLED" and pattern.matches_event(event))


def as_root(event):
    event = json.loads(json.dumps(event))
    event["detail"]["userIdentity"] = {"type": "Root", "arn": "arn:aws:iam::111122223333:root",
                                       "accountId": "111122223333", "principalId": "111122223333"}
    return event


OTHER_WRITES = "other-iam-writes-monitor"
# The groups that name their calls (the other-writes rule catches every other IAM write).
NAMED_GROUPS = {group: calls for group, calls in GROUPS.items() if group != OTHER_WRITES}


def expected_rule(event, enabled_groups):
    """The one rule EventBridge should deliver `event` to, from the rules' meaning (not from
    the template): the article's, an enabled named group's, the other-IAM-writes rule for any
    other IAM write, the root rule for what is left of root's activity."""
    detail = event["detail"]
    iam_call = (event.get("source") == "aws.iam" and event.get("detail-type") == "AWS API Call via CloudTrail"
                and detail.get("eventSource") == "iam.amazonaws.com")
    article = article_rules()
    for name, pattern in article.items():
        if (event.get("source") == "aws.iam" and detail.get("eventSource") == "iam.amazonaws.com"
                and detail.get("eventName") in pattern["detail"]["eventName"]):
            return ["policy-monitor" if name == "PolicyMonitor" else "principals-monitor"]
    for group, calls in NAMED_GROUPS.items():
        if (group in enabled_groups and event.get("source") == "aws.iam"
                and detail.get("eventSource") == "iam.amazonaws.com" and detail.get("eventName") in calls):
            return [group]
    if OTHER_WRITES in enabled_groups and iam_call and detail.get("readOnly") is False:
        return [OTHER_WRITES]
    if detail.get("userIdentity", {}).get("type") == "Root" and event["detail-type"] in (
            "AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"):
        if OTHER_WRITES in enabled_groups and detail.get("eventSource") == "iam.amazonaws.com":
            # Every IAM write went to an IAM rule above: root's IAM reads are left.
            return ["root-activity-monitor"] if detail.get("readOnly") is True else []
        return ["root-activity-monitor"]
    return []


def test_every_sample_matches_exactly_one_rule_with_every_group_on(moto, cfn):
    stack = create_stack(moto, cfn, "all", NotificationEmails="a@example.com", **ALL_GROUPS_ON)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    rules = deployed_rules(moto, "all")
    assert all(state == "ENABLED" for _, state in rules.values())
    covered = set()
    for file, event in sample_events():
        for variant, e in (("as recorded", event), ("by root", as_root(event))):
            got = matching(rules, e)
            want = expected_rule(e, set(GROUPS))
            assert got == want, f"{file} {variant}: matched {got}, expected {want}"
            covered.update(got)
    assert covered == set(RULE_SUFFIXES), "every rule is exercised by a sample"
    calls = {e["detail"]["eventName"] for _, e in sample_events()}
    for group, names in GROUPS.items():
        assert set(names) <= calls, f"a sample event for every call of {group}"


def test_root_calls_of_disabled_groups_go_to_the_root_rule(moto, cfn):
    stack = create_stack(moto, cfn, "rootonly", NotificationEmails="a@example.com", **GROUPS_OFF)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    rules = deployed_rules(moto, "rootonly")
    states = {name: state for name, (_, state) in rules.items()}
    assert states == {"policy-monitor": "ENABLED", "principals-monitor": "ENABLED",
                      "credentials-monitor": "DISABLED", "trust-monitor": "DISABLED",
                      "identity-providers-monitor": "DISABLED", OTHER_WRITES: "DISABLED",
                      "root-activity-monitor": "ENABLED"}
    for file, event in sample_events():
        for e in (event, as_root(event)):
            assert matching(rules, e) == expected_rule(e, set()), file
    key = dict(sample_events())["CreateAccessKey.json"]
    assert matching(rules, key) == [], "credentials rule is off"
    assert matching(rules, as_root(key)) == ["root-activity-monitor"], "but root's key is still caught"


def test_monitor_status_disabled_turns_every_rule_off(moto, cfn):
    stack = create_stack(moto, cfn, "off", NotificationEmails="a@example.com", MonitorStatus="DISABLED", **ALL_GROUPS_ON)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert {state for _, state in deployed_rules(moto, "off").values()} == {"DISABLED"}


def test_noise_and_chat_parameters_reach_the_function(moto, cfn):
    stack = create_stack(moto, cfn, "quietci", NotificationEmails="a@example.com", ChatFormat="amazon-q",
                         IgnorePrincipals="arn:aws:iam::*:role/terraform-*,arn:aws:iam::*:user/bot",
                         IgnoreCloudFormation="true")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    env = client("lambda", moto).get_function(FunctionName="quietci-notify")["Configuration"]["Environment"]["Variables"]
    assert env["CHAT_FORMAT"] == "amazon-q"
    assert env["IGNORE_PRINCIPALS"] == "arn:aws:iam::*:role/terraform-*,arn:aws:iam::*:user/bot"
    assert (env["IGNORE_CLOUDFORMATION"], env["IGNORE_AWS_SERVICES"]) == ("true", "false")


def test_critical_sms_subscription_filters_on_severity(template, cfn):
    sms = cfn["Resources"]["CriticalSmsSubscription"]
    assert sms["Condition"] == "HasSms"
    assert sms["Properties"]["Protocol"] == "sms"
    assert sms["Properties"]["FilterPolicy"] == {"severity": ["critical"]}
    assert sms["Properties"]["FilterPolicyScope"] == "MessageAttributes"
    pattern = re.compile(template["Parameters"]["CriticalSmsNumber"]["AllowedPattern"])
    assert pattern.fullmatch("") and pattern.fullmatch("+14155550100")
    assert not pattern.fullmatch("4155550100") and not pattern.fullmatch("+1 415 555")


# ---- every IAM write watched, once; patterns within EventBridge's quota -------------------

# IAM operations that change nothing although their names do not say so: none today. Any
# write left unwatched must be listed here, with the reason.
UNWATCHED_WRITES = {}

READ_PREFIXES = ("Get", "List", "Simulate", "Generate")


def iam_operations():
    """Every operation of IAM's API, from the service model botocore ships."""
    import botocore.session
    return botocore.session.get_session().get_service_model("iam").operation_names


def synthetic(name, read_only, root=False):
    identity = ({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"} if root
                else {"type": "IAMUser", "userName": "alice", "arn": "arn:aws:iam::111122223333:user/alice"})
    return {"source": "aws.iam", "detail-type": "AWS API Call via CloudTrail",
            "detail": {"eventSource": "iam.amazonaws.com", "eventName": name, "readOnly": read_only,
                       "userIdentity": identity}}


def test_the_default_stack_watches_every_iam_write_exactly_once(moto, cfn):
    stack = create_stack(moto, cfn, "defaults", NotificationEmails="a@example.com")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    rules = deployed_rules(moto, "defaults")
    assert all(state == "ENABLED" for _, state in rules.values()), "every group is on by default"
    operations = iam_operations()
    writes = [op for op in operations if not op.startswith(READ_PREFIXES)]
    reads = [op for op in operations if op.startswith(READ_PREFIXES)]
    assert len(writes) > 100 and len(reads) > 50, (len(writes), len(reads))
    for op in writes:
        for root in (False, True):
            got = matching(rules, synthetic(op, False, root))
            if op in UNWATCHED_WRITES:
                continue
            assert len(got) == 1, f"{op} ({'root' if root else 'user'}): matched {got}"
            assert got != ["root-activity-monitor"], f"{op}: an IAM write goes to an IAM rule"
    for op in reads:
        assert matching(rules, synthetic(op, True)) == [], f"{op}: reads are not alerts"
        assert matching(rules, synthetic(op, True, root=True)) == ["root-activity-monitor"], op
    named = {c["name"] for c in supported_calls() if c["source"] == "iam.amazonaws.com"}
    assert named <= set(operations), f"the call table names calls IAM does not have: {named - set(operations)}"


@pytest.mark.parametrize("settings", [{}, ALL_GROUPS_ON, GROUPS_OFF], ids=["defaults", "all-on", "groups-off"])
def test_every_rule_pattern_fits_eventbridges_quota(moto, cfn, settings):
    name = f"quota{len(settings)}{len(str(settings))}"
    stack = create_stack(moto, cfn, name, NotificationEmails="a@example.com", **settings)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    events = client("events", moto)
    for suffix in RULE_SUFFIXES:
        pattern = events.describe_rule(Name=f"{name}-{suffix}")["EventPattern"]
        # EventBridge's default quota for one event pattern: 2,048 characters.
        assert len(pattern) <= 2048, f"{suffix}: {len(pattern)} characters"
