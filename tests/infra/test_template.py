"""template.yaml, proven offline: cfn-lint, the SAM transform, a stack in moto_server, the
rules' patterns against every sample event, and the parameters (region guard, emails)."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto.events.models import EventPattern

import direct_path
import sam
from calls import ARTICLE_RULES as ARTICLE_RULE_NAMES, ROOT_RULE, calls_by_rule, event_key, supported_calls

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
    resources = template["Resources"]
    return {name: resources["NotifyFunction" + name]["Properties"]["EventPattern"] for name in ARTICLE_RULES}


def article_rules():
    """The article's two EventPatterns, from its CloudFormation template."""
    resources = json.loads(ARTICLE.read_text())["Resources"]
    return {
        "PolicyMonitor": resources["EventRulePolicyMonitor"]["Properties"]["EventPattern"],
        "PrincipalsMonitor": resources["EventRulePrincipalsMonitor"]["Properties"]["EventPattern"],
    }


# ---- 1. cfn-lint ---------------------------------------------------------------------------

def test_cfn_lint_reports_nothing(template):
    """Errors and warnings, and with `-c I` the informational checks too."""
    for extra in ([], ["-c", "I"]):
        out = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), *extra, "--", str(TEMPLATE)],
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
    # Eleven always (two about the heartbeat, four about the rules), two more in digest mode.
    assert sum(t == "AWS::CloudWatch::Alarm" for t in types.values()) == 13
    fn = cfn["Resources"]["NotifyFunction"]["Properties"]
    assert fn["Runtime"] == "provided.al2023" and fn["Handler"] == "bootstrap"
    assert fn["Architectures"] == ["arm64"] and fn["MemorySize"] == 128
    assert fn["Environment"]["Variables"]["TOPIC_ARN"] == {"Ref": "NotificationTopic"}
    # The timeout leaves room for the SDK's retries: attempts x attempt timeout + backoff.
    env = fn["Environment"]["Variables"]
    budget = int(env["SNS_MAX_ATTEMPTS"]) * int(env["SNS_ATTEMPT_TIMEOUT_MS"]) / 1000 + 3
    condition, digest, immediate = fn["Timeout"]["Fn::If"]
    assert condition == "Digest" and digest > budget and immediate > budget
    invoke = cfn["Resources"]["NotifyFunctionEventInvokeConfig"]["Properties"]
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["FailureQueue", "Arn"]}
    rules = [n for n, t in types.items() if t == "AWS::Events::Rule"]
    # Twelve always; in central mode (OrganizationId) the member-alarms rule.
    assert len(rules) == 13
    assert [r for r in rules if "Condition" in cfn["Resources"][r]] == ["MemberAlarmsRule"]
    assert cfn["Resources"]["MemberAlarmsRule"]["Condition"] == "Central"
    for rule in rules:
        for target in cfn["Resources"][rule]["Properties"]["Targets"]:
            assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["FailureQueue", "Arn"]}, rule
            assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0, rule


def unwrap_if(items):
    """A list as written, with each `!If [condition, item, !Ref AWS::NoValue]` taken as its
    item (what a stack whose condition holds gets)."""
    out = []
    for x in items:
        if isinstance(x, dict) and "Fn::If" in x:
            out += [b for b in x["Fn::If"][1:] if b != {"Ref": "AWS::NoValue"}]
        else:
            out.append(x)
    return out


def every_statement(node):
    """Every policy statement anywhere in the template (resource policies included)."""
    if isinstance(node, dict):
        if "Statement" in node and isinstance(node["Statement"], list):
            for s in node["Statement"]:
                if isinstance(s, dict) and "Fn::If" in s:
                    yield from (b for b in s["Fn::If"][1:] if isinstance(b, dict) and "Effect" in b)
                elif isinstance(s, dict):
                    yield s
        for v in node.values():
            yield from every_statement(v)
    elif isinstance(node, list):
        for v in node:
            yield from every_statement(v)


def test_least_privilege_and_no_public_principal(cfn):
    for s in every_statement(cfn["Resources"]):
        if s["Effect"] == "Allow":
            principal = s.get("Principal", {})
            everyone = principal == "*" or (isinstance(principal, dict) and "*" in (
                principal.get("AWS") if isinstance(principal.get("AWS"), list) else [principal.get("AWS")]))
            assert not everyone, s
    role = cfn["Resources"]["FunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role and len(role["Policies"]) == 1
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert {s["Sid"]: s["Action"] for s in statements} == {
        "WriteItsOwnLogs": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "KeepFailedEvents": "sqs:SendMessage",
    }
    publish = cfn["Resources"]["FunctionPublishPolicy"]["Properties"]
    assert publish["Roles"] == [{"Ref": "FunctionRole"}]
    assert publish["PolicyDocument"]["Statement"] == [{
        "Sid": "PublishToThisStacksTopicsOnly", "Effect": "Allow", "Action": "sns:Publish",
        "Resource": [{"Ref": "NotificationTopic"}, {"Ref": "OpsTopic"}]}]
    key = cfn["Resources"]["FunctionKeyPolicy"]
    assert key["Condition"] == "EncryptTopic" and key["Properties"]["Roles"] == [{"Ref": "FunctionRole"}]
    assert key["Properties"]["PolicyDocument"]["Statement"][0]["Resource"] == [
        {"Fn::GetAtt": ["TopicKey", "Arn"]}, {"Fn::GetAtt": ["OpsKey", "Arn"]}]
    # No other policy in the template is attached to the function's role.
    others = [n for n, r in cfn["Resources"].items() if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")]
    assert sorted(others) == ["FunctionDigestPolicy", "FunctionEnrichPolicy", "FunctionKeyPolicy",
                              "FunctionOrganizationsPolicy", "FunctionPublishPolicy"]
    enrich = cfn["Resources"]["FunctionEnrichPolicy"]
    assert enrich["Condition"] == "EnrichOn" and enrich["Properties"]["Roles"] == [{"Ref": "FunctionRole"}]
    assert enrich["Properties"]["PolicyDocument"]["Statement"] == [{
        "Sid": "ReadThisAccountsPolicies", "Effect": "Allow",
        "Action": ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListEntitiesForPolicy"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/*"}}, {
        "Sid": "ReadThisAccountsRoles", "Effect": "Allow", "Action": "iam:GetRole",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"}}, {
        "Sid": "ReadThisAccountsGroups", "Effect": "Allow",
        "Action": ["iam:ListAttachedGroupPolicies", "iam:ListGroupPolicies", "iam:GetGroupPolicy"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:group/*"}}, {
        "Sid": "NameIdentityCenterUsers", "Effect": "Allow",
        "Action": ["identitystore:GetUserId", "identitystore:DescribeUser"],
        "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:identitystore::${AWS::AccountId}:identitystore/*"},
                     {"Fn::Sub": "arn:${AWS::Partition}:identitystore:::user/*"}]}, {
        "Sid": "ReadThisAccountsAlias", "Effect": "Allow", "Action": "iam:ListAccountAliases", "Resource": "*"}], \
        "read this account's policies, roles, groups, identity stores and alias: nothing more"
    names = cfn["Resources"]["FunctionOrganizationsPolicy"]
    assert names["Condition"] == "Central" and names["Properties"]["Roles"] == [{"Ref": "FunctionRole"}]
    assert names["Properties"]["PolicyDocument"]["Statement"] == [{
        "Sid": "NameTheOrganizationsAccounts", "Effect": "Allow", "Action": "organizations:DescribeAccount",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:organizations::*:account/${OrganizationId}/*"}}, {
        "Sid": "ReadMemberAliases", "Effect": "Allow", "Action": "sts:AssumeRole",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/iam-notify-central-read"},
        "Condition": {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}}}], \
        "describe the organization's accounts, assume their read role: nothing more"
    digest = cfn["Resources"]["FunctionDigestPolicy"]
    assert digest["Condition"] == "Digest" and digest["Properties"]["Roles"] == [{"Ref": "FunctionRole"}]
    assert digest["Properties"]["PolicyDocument"]["Statement"] == [{
        "Sid": "ReadTheDigestQueue", "Effect": "Allow",
        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        "Resource": {"Fn::GetAtt": ["DigestQueue", "Arn"]}}], "read the queue: nothing more"
    # Nothing the function's role may do is on every resource, but for the one action IAM
    # grants only on "*": ListAccountAliases (the account's own alias; read-only).
    for s in every_statement({"a": role["Policies"], "b": publish, "c": key, "d": digest, "e": names, "f": enrich}):
        if s.get("Sid") == "ReadThisAccountsAlias":
            assert s["Action"] == "iam:ListAccountAliases", s
            continue
        assert s["Resource"] != "*" and "*" not in str(s["Action"]).replace("GenerateDataKey*", ""), s


def test_only_the_monitor_may_publish_to_its_topics(cfn):
    """The Deny statements: every principal but the function's role (and, on the ops topic,
    CloudWatch) is refused sns:Publish, whatever its own policy allows."""
    policies = {r["Properties"]["Topics"][0]["Ref"]: unwrap_if(r["Properties"]["PolicyDocument"]["Statement"])
                for r in cfn["Resources"].values() if r["Type"] == "AWS::SNS::TopicPolicy"}
    assert set(policies) == {"NotificationTopic", "OpsTopic"}
    role = {"Fn::GetAtt": ["FunctionRole", "Arn"]}
    for topic, statements in policies.items():
        deny = [s for s in statements if s["Effect"] == "Deny"]
        assert len(deny) == 1 and deny[0]["Principal"] == {"AWS": "*"} and deny[0]["Action"] == "sns:Publish"
        assert deny[0]["Resource"] == {"Ref": topic}
        assert deny[0]["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": role}
        allows = [s for s in statements if s["Effect"] == "Allow"]
        if topic == "NotificationTopic":
            assert allows == [] and set(deny[0]["Condition"]) == {"ArnNotEquals"}, "no alarm speaks on the alert topic"
        else:
            assert deny[0]["Condition"]["StringNotEquals"] == {
                "aws:PrincipalServiceName": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}
            # CloudWatch for this stack's alarms; EventBridge for the tamper rules' direct
            # copies (and in central mode the member-alarms rule), those rules alone.
            assert [a["Principal"] for a in allows] == [{"Service": "cloudwatch.amazonaws.com"},
                                                        {"Service": "events.amazonaws.com"}]
            assert unwrap_if(allows[1]["Condition"]["ArnEquals"]["aws:SourceArn"]) == [
                {"Fn::GetAtt": [rule, "Arn"]} for rule in
                ("NotifyFunctionTamperMonitor", "NotifyFunctionSafeguardsMonitor", "NotifyFunctionAlarmsMonitor",
                 "TamperWatch", "MemberAlarmsRule")]
    # Each topic its own key: the alert topic's serves the function alone; the ops topic's the
    # function, this stack's alarms and (without conditions: AWS does not support them for
    # EventBridge targets) EventBridge, whose rules the topic's policy names.
    for key, principals in (("TopicKey", [{"AWS": role}]),
                            ("OpsKey", [{"AWS": role}, {"Service": "cloudwatch.amazonaws.com"},
                                        {"Service": "events.amazonaws.com"}])):
        statements = unwrap_if(cfn["Resources"][key]["Properties"]["KeyPolicy"]["Statement"])
        users = {json.dumps(s["Principal"], sort_keys=True) for s in statements}
        assert users == {json.dumps(p, sort_keys=True) for p in (
            {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}, *principals)}, key


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
    return direct_path.create_stack(client("cloudformation", moto), client("s3", moto), cfn, name, **params)


# moto 5.2's CloudFormation skips these types (it creates the stack without them); they are
# asserted on in the transformed template instead (test_sam_transform_..., test_alarms_...).
MOTO_UNSUPPORTED = {"AWS::Lambda::EventInvokeConfig", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy",
                    "AWS::CloudWatch::Alarm", "AWS::Scheduler::Schedule"}


def test_stack_reaches_create_complete_with_every_part(moto, cfn):
    emails = "secops@example.com,first.last+iam@mail.example.co.uk,c@example.org"
    stack = create_stack(moto, cfn, "iamnotify", NotificationEmails=emails)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert set(outputs) == {"TopicArn", "OpsTopicArn", "FunctionName", "FunctionArn", "FailureQueueUrl", "TestHint",
                            "Coverage"}

    cf = client("cloudformation", moto)
    created = {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName="iamnotify")["StackResourceSummaries"]}
    for name, resource in cfn["Resources"].items():
        if resource.get("Condition") in ("MakeTrail", "HasSms", "Digest", "Central"):
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
    # The ops topic: the same addresses when OpsEmails is empty.
    ops = client("sns", moto).list_subscriptions_by_topic(TopicArn=outputs["OpsTopicArn"])["Subscriptions"]
    assert sorted(s["Endpoint"] for s in ops) == sorted(emails.split(","))
    assert client("sns", moto).get_topic_attributes(TopicArn=topic_arn)["Attributes"].get("KmsMasterKeyId"), \
        "topics are encrypted by default"

    # Both rules with the template's patterns, enabled, targeting the function.
    events = client("events", moto)
    template_patterns = rule_patterns(sam.load_template(TEMPLATE))
    for key in ("PolicyMonitor", "PrincipalsMonitor"):
        rule_name = created[f"NotifyFunction{key}"]["PhysicalResourceId"]
        rule = events.describe_rule(Name=rule_name)
        assert json.loads(rule["EventPattern"]) == template_patterns[key]
        assert rule["State"] == "ENABLED"
        targets = events.list_targets_by_rule(Rule=rule_name)["Targets"]
        assert [t["Arn"] for t in targets] == [outputs["FunctionArn"]]

    # The function as the template sets it up.
    fn = client("lambda", moto).get_function(FunctionName=outputs["FunctionName"])["Configuration"]
    assert fn["FunctionName"] == created["NotifyFunction"]["PhysicalResourceId"]
    assert (fn["Runtime"], fn["Handler"], fn["MemorySize"], fn["Timeout"]) == ("provided.al2023", "bootstrap", 128, 45)
    # moto's CloudFormation drops Architectures (it reports its default, x86_64); the
    # transform test above asserts arm64 on what CloudFormation receives.
    assert fn["Environment"]["Variables"]["TOPIC_ARN"] == topic_arn
    assert fn["Environment"]["Variables"]["MESSAGE_FORMAT"] == "rich"
    assert fn["Environment"]["Variables"]["DRY_RUN"] == "false"
    env = fn["Environment"]["Variables"]
    assert env["OPS_TOPIC_ARN"] == outputs["OpsTopicArn"]
    canary = created["HeartbeatCanary"]["PhysicalResourceId"]
    assert env["HEARTBEAT_ROLE_ARN"].endswith(f":role/{canary}")
    assert env["HEARTBEAT_CALLER_ARN"].endswith(f":role/{created['HeartbeatSchedulerRole']['PhysicalResourceId']}")

    # The failure queue.
    attrs = client("sqs", moto).get_queue_attributes(QueueUrl=outputs["FailureQueueUrl"], AttributeNames=["All"])
    assert attrs["Attributes"]["MessageRetentionPeriod"] == "1209600"


def test_digest_mode_deploys_rules_into_an_encrypted_queue_the_function_reads_in_batches(moto, cfn):
    stack = create_stack(moto, cfn, "iamnotify-digest", NotificationEmails="a@example.com",
                         DeliveryMode="digest", DigestWindowSeconds="120")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    cf = client("cloudformation", moto)
    created = {r["LogicalResourceId"]: r["PhysicalResourceId"]
               for r in cf.list_stack_resources(StackName="iamnotify-digest")["StackResourceSummaries"]}
    sqs = client("sqs", moto)
    queue_url = created["DigestQueue"]
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attrs["MessageRetentionPeriod"] == "1209600" and attrs["SqsManagedSseEnabled"] == "true"
    redrive = json.loads(attrs["RedrivePolicy"])
    dead = sqs.get_queue_attributes(QueueUrl=created["DigestDeadLetterQueue"], AttributeNames=["All"])["Attributes"]
    assert redrive["deadLetterTargetArn"] == dead["QueueArn"] and int(redrive["maxReceiveCount"]) >= 3
    assert dead["MessageRetentionPeriod"] == "1209600" and dead["SqsManagedSseEnabled"] == "true"
    # Every rule delivers to the queue (with its retries and dead-letter queue), none to the function.
    events = client("events", moto)
    rules = [k for k, r in cfn["Resources"].items() if r["Type"] == "AWS::Events::Rule" and "Condition" not in r]
    assert len(rules) == 12
    ops = created["OpsTopic"]
    for key in rules:
        targets = events.list_targets_by_rule(Rule=created[key])["Targets"]
        # The tamper rules' direct copies go to the ops topic besides; the watch rule's only.
        want = [] if key == "TamperWatch" else [attrs["QueueArn"]]
        assert [t["Arn"] for t in targets if t["Arn"] != ops] == want, key
        assert all(t["RetryPolicy"]["MaximumRetryAttempts"] > 0 for t in targets)
    assert not [k for k in created if k.endswith("MonitorPermission")], "the rules do not invoke the function"
    # The function reads the queue in batches, answering per message.
    mappings = client("lambda", moto).list_event_source_mappings(FunctionName=created["NotifyFunction"])
    [mapping] = mappings["EventSourceMappings"]
    assert mapping["EventSourceArn"] == attrs["QueueArn"]
    assert mapping["BatchSize"] >= 100
    fn = client("lambda", moto).get_function(FunctionName=created["NotifyFunction"])["Configuration"]
    assert int(attrs["VisibilityTimeout"]) >= 6 * fn["Timeout"], "AWS's advice: six times the timeout"
    # What moto does not keep of the mapping, on what CloudFormation receives.
    esm = cfn["Resources"]["DigestBatches"]["Properties"]
    assert esm["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert esm["MaximumBatchingWindowInSeconds"] == {"Ref": "DigestWindowSeconds"}
    window = cfn["Parameters"]["DigestWindowSeconds"]
    assert (window["Default"], window["MinValue"], window["MaxValue"]) == (60, 1, 300)


def test_a_128_character_stack_name_deploys(moto, cfn):
    name = "n" + "-iam-notify" * 11 + "-" * 5 + "x" * 1
    name = name[:128]
    assert len(name) == 128
    stack = create_stack(moto, cfn, name, NotificationEmails="a@example.com")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    rules = deployed_rules(moto, name)
    assert len(rules) == len(RULE_SUFFIXES) and all(state == "ENABLED" for _, state in rules.values())


def test_disabled_monitor_turns_both_rules_off(moto, cfn):
    stack = create_stack(moto, cfn, "quiet", NotificationEmails="a@example.com", MonitorStatus="DISABLED",
                         MessageFormat="classic")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    events = client("events", moto)
    for name in ("policy-monitor", "principals-monitor"):
        assert events.describe_rule(Name=physical(moto, "quiet", name))["State"] == "DISABLED"
    fn = client("lambda", moto).get_function(FunctionName=physical(moto, "quiet", "NotifyFunction"))["Configuration"]
    assert fn["Environment"]["Variables"]["MESSAGE_FORMAT"] == "classic"
    topic = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "TopicArn")
    subs = client("sns", moto).list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["Endpoint"] for s in subs] == ["a@example.com"]


def test_kms_option_encrypts_the_topic_and_lets_the_function_use_the_key(moto, cfn):
    plain = create_stack(moto, cfn, "plain", NotificationEmails="a@example.com", TopicEncryption="none")
    topic = next(o["OutputValue"] for o in plain["Outputs"] if o["OutputKey"] == "TopicArn")
    assert not client("sns", moto).get_topic_attributes(TopicArn=topic)["Attributes"].get("KmsMasterKeyId")
    stack = create_stack(moto, cfn, "sealed", NotificationEmails="a@example.com")
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
    policy = iam.get_role_policy(RoleName=role, PolicyName="iam-notify-topic-key")
    document = policy["PolicyDocument"]
    if isinstance(document, str):  # moto 5.2 returns a policy created by CloudFormation as a Python repr
        document = ast.literal_eval(document)
    sids = {s.get("Sid") for s in document["Statement"]}
    assert "UseTheTopicKey" in sids


def alarm_metrics(alarm):
    """(namespace, metric, dimensions) of each metric an alarm watches."""
    if "Metrics" in alarm:
        return [(m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"],
                 m["MetricStat"]["Metric"]["Dimensions"]) for m in unwrap_if(alarm["Metrics"]) if "MetricStat" in m]
    return [(alarm["Namespace"], alarm["MetricName"], alarm["Dimensions"])]


def test_alarms_watch_this_stacks_resources_and_speak_on_the_ops_topic(cfn):
    resources = cfn["Resources"]
    alarms = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    watched = {(ns, metric) for a in alarms.values() for ns, metric, _ in alarm_metrics(a)}
    assert watched == {
        ("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles"), ("AWS/Lambda", "DestinationDeliveryFailures"),
        ("AWS/Events", "FailedInvocations"), ("AWS/Events", "InvocationsFailedToBeSentToDlq"),
        ("AWS/SNS", "NumberOfNotificationsFailed"), ("AWS/SQS", "NumberOfMessagesSent"),
        ("iam-notify", "Heartbeats"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage"), ("AWS/Events", "Invocations")}
    rules = sorted(n for n, r in resources.items() if r["Type"] == "AWS::Events::Rule")
    # Each dimension names a resource of this stack (by reference), of the right type.
    kinds = {"FunctionName": "AWS::Lambda::Function", "RuleName": "AWS::Events::Rule",
             "TopicName": "AWS::SNS::Topic", "QueueName": "AWS::SQS::Queue", "Canary": "AWS::IAM::Role"}
    for name, a in alarms.items():
        assert a["AlarmActions"] == [{"Ref": "OpsTopic"}], f"{name}: alarms speak on the ops topic, never the one they watch"
        assert a["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), "the ops topic policy lets these publish"
        for _, metric, dims in alarm_metrics(a):
            for d in dims:
                ref = d["Value"].get("Ref") or d["Value"].get("Fn::GetAtt", [None])[0]
                assert resources[ref]["Type"] == kinds[d["Name"]], (name, d)
        if metric in ("FailedInvocations", "InvocationsFailedToBeSentToDlq"):
            assert all("SUM(" in e for e in unwrap_if([a["Metrics"][0]["Expression"]]))
    # Every rule's failures are summed by exactly one alarm of each metric (a metric math
    # alarm holds ten metrics at most: the rules that invoke the function, and the rules that
    # only publish to the ops topic, each have theirs).
    for metric in ("FailedInvocations", "InvocationsFailedToBeSentToDlq"):
        summed = sorted(d["Value"]["Ref"] for a in alarms.values() for _, m, dims in alarm_metrics(a)
                        if m == metric for d in dims)
        assert summed == rules, metric
    queue = alarms["FailureQueueAlarm"]
    assert queue["MetricName"] == "NumberOfMessagesSent" and queue["Statistic"] == "Sum", "fires for each new failure"
    # The heartbeat: AWS/Events' count of the heartbeat rule's invocations (which only AWS
    # writes), and the function's own count as a second alarm; both breach on missing data.
    for name, metric in (("HeartbeatMissingAlarm", ("AWS/Events", "Invocations")),
                         ("HeartbeatNotCountedAlarm", ("iam-notify", "Heartbeats"))):
        heartbeat = alarms[name]
        assert heartbeat["TreatMissingData"] == "breaching" and heartbeat["ComparisonOperator"] == "LessThanThreshold"
        assert resources[name]["Condition"] == "HeartbeatOn"
        assert [(ns, m) for ns, m, _ in alarm_metrics(heartbeat)] == [metric], name
    assert alarms["HeartbeatMissingAlarm"]["Dimensions"] == [
        {"Name": "RuleName", "Value": {"Ref": "NotifyFunctionHeartbeatMonitor"}}]


@pytest.mark.parametrize("schedule,hours", [("rate(1 hour)", 1), ("rate(6 hours)", 6), ("rate(12 hours)", 12),
                                            ("rate(1 day)", 24)])
def test_the_heartbeat_alarm_waits_one_and_a_half_periods(template, schedule, hours):
    """Both heartbeat alarms' window, as CloudFormation evaluates its conditions for each schedule."""
    for name in ("HeartbeatMissingAlarm", "HeartbeatNotCountedAlarm"):
        heartbeat_window(template["Resources"][name]["Properties"], template, schedule, hours)


def heartbeat_window(alarm, template, schedule, hours):
    conditions = {"HeartbeatHourly": schedule == "rate(1 hour)", "Heartbeat6Hours": schedule == "rate(6 hours)",
                  "Heartbeat12Hours": schedule == "rate(12 hours)"}

    def value(node):
        if isinstance(node, dict) and "Fn::If" in node:
            cond, yes, no = node["Fn::If"]
            return value(yes if conditions[cond] else no)
        return node
    period, periods = value(alarm["Period"]), value(alarm["EvaluationPeriods"])
    assert value(alarm["DatapointsToAlarm"]) == periods, "every period of the window must be empty"
    assert period * periods == 1.5 * hours * 3600
    assert period * periods <= 7 * 86400 and period % 60 == 0
    assert schedule in template["Parameters"]["HeartbeatSchedule"]["AllowedValues"]


def test_the_heartbeat_schedule_tags_only_the_canary(cfn):
    r = cfn["Resources"]
    timer = r["HeartbeatTimer"]["Properties"]
    assert timer["ScheduleExpression"] == {"Ref": "HeartbeatSchedule"}
    assert timer["Target"]["Arn"] == {"Fn::Sub": "arn:${AWS::Partition}:scheduler:::aws-sdk:iam:tagRole"}
    assert timer["Target"]["RoleArn"] == {"Fn::GetAtt": ["HeartbeatSchedulerRole", "Arn"]}
    assert json.loads(timer["Target"]["Input"]["Fn::Sub"].replace("${HeartbeatCanary}", "c"))["RoleName"] == "c"
    scheduler = r["HeartbeatSchedulerRole"]["Properties"]
    assert scheduler["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    (statement,) = scheduler["Policies"][0]["PolicyDocument"]["Statement"]
    assert (statement["Action"], statement["Resource"]) == ("iam:TagRole", {"Fn::GetAtt": ["HeartbeatCanary", "Arn"]})
    canary = r["HeartbeatCanary"]["Properties"]
    assert "Policies" not in canary and "ManagedPolicyArns" not in canary, "the canary can do nothing"
    assert [s["Effect"] for s in canary["AssumeRolePolicyDocument"]["Statement"]] == ["Deny"], "and trusts nobody"


# ---- beyond the article: extra rule groups, root activity, SMS ---------------------------

# Each optional group's calls, from the one call table (`preview --list-calls`); test_calls.py
# checks that the template's rules say the same.
TAMPER = "tamper-monitor"
SAFEGUARDS, ALARMS = "safeguards-monitor", "alarms-monitor"
HEARTBEAT = "heartbeat-monitor"
GROUPS = {rule: [c["name"] for c in group] for rule, group in calls_by_rule(supported_calls()).items()
          if rule not in (*ARTICLE_RULE_NAMES, ROOT_RULE, TAMPER, SAFEGUARDS, ALARMS)}
ALL_GROUPS_ON = {"MonitorCredentials": "ENABLED", "MonitorTrustAndBoundaries": "ENABLED",
                 "MonitorIdentityProviders": "ENABLED", "MonitorOtherIamWrites": "ENABLED",
                 "MonitorRootActivity": "ENABLED"}
GROUPS_OFF = {"MonitorCredentials": "DISABLED", "MonitorTrustAndBoundaries": "DISABLED",
              "MonitorIdentityProviders": "DISABLED", "MonitorOtherIamWrites": "DISABLED"}
RULE_SUFFIXES = [*ARTICLE_RULE_NAMES, *GROUPS, ROOT_RULE, TAMPER, SAFEGUARDS, ALARMS, HEARTBEAT]
# (eventSource, eventName) -> the rule that watches the monitor for it.
MONITOR_CALLS = {(c["source"], c["name"]): c["rule"] for c in supported_calls() if c["rule"] in (TAMPER, SAFEGUARDS, ALARMS)}
# The samples' KMS key (AWS's documented example id), retargeted to the stack's topic key.
SAMPLE_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
# The samples' stack, account and canary, as recorded.
SAMPLE_STACK, SAMPLE_ACCOUNT = "iamnotify", "111122223333"
SAMPLE_CANARY = "iamnotify-HeartbeatCanary-A1B2C3D4E5F6"
# The samples' names of the function and rules, as CloudFormation generated them there.
SAMPLE_ID = "iam-notify-6f1c2a9e"
MOTO_ACCOUNT = "123456789012"
# forwarder.yaml's rule names: the tamper rule watches them in every account.
FORWARDER_PREFIX = "iam-notify-forwarder-"


def unversioned(name):
    """A Lambda call's name without the API version CloudTrail appends (UpdateFunctionCode20150331v2)."""
    return re.sub(r"20\d{6}(v\d+)?$", "", name)


class Stack:
    """What the rules' meaning depends on: the stack's name, its topics and its canary."""

    def __init__(self, moto, name):
        self.name = name
        resources = client("cloudformation", moto).list_stack_resources(StackName=name)["StackResourceSummaries"]
        ids = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
        self.topics = [ids["NotificationTopic"], ids["OpsTopic"]]
        self.canary = ids.get("HeartbeatCanary")
        self.ids = ids
        self.function = ids["NotifyFunction"]
        self.rules = [v for k, v in ids.items() if k.startswith("NotifyFunction") and k.endswith("Monitor")]

    def retarget(self, event):
        """The sample as if made against this stack: its names, account, canary and key."""
        text = json.dumps(event).replace(SAMPLE_CANARY, self.canary or "no-canary")
        text = text.replace(SAMPLE_KEY, self.ids.get("TopicKey", "no-key"))
        text = text.replace(SAMPLE_ID, self.function)
        return json.loads(text.replace(SAMPLE_STACK + "-", self.name + "-").replace(SAMPLE_ACCOUNT, MOTO_ACCOUNT))

    def monitor_rule(self, event):
        """The rule that watches the monitor for `event` (a call of the table's monitor rows
        on this stack's rules, function, topics, queues, mapping, keys, alarms or schedule,
        or any trail or bus permission), or None."""
        d = event["detail"]
        source, name = d.get("eventSource"), d.get("eventName", "")
        rule = next((r for (s, n), r in MONITOR_CALLS.items() if source == s and unversioned(name) == unversioned(n)), None)
        if rule is None or event.get("detail-type") != "AWS API Call via CloudTrail":
            return None
        p = d.get("requestParameters") or {}
        r = d.get("responseElements") or {}
        fn = self.function
        keys = [self.ids[k] for k in ("TopicKey", "OpsKey") if k in self.ids]
        alarms = p.get("alarmNames") or [p.get("alarmName")]
        ours = {
            # By the key's id or ARN in the request, or the ARN AWS writes in the record's
            # resources.
            "kms.amazonaws.com": lambda: any(str(p.get("keyId")).endswith(k) for k in keys) or any(
                str(x.get("ARN", "")).endswith(f":{MOTO_ACCOUNT}:key/{k}") for x in d.get("resources") or [] for k in keys),
            # This stack's alarms (in its own account), and any account's forwarder alarms.
            "monitoring.amazonaws.com": lambda: any(str(a).startswith(FORWARDER_PREFIX) or (
                str(a).startswith(f"{self.name}-") and d.get("recipientAccountId") == MOTO_ACCOUNT) for a in alarms),
            "scheduler.amazonaws.com": lambda: p.get("name") in (f"{fn}-heartbeat", f"{FORWARDER_PREFIX}heartbeat"),
            # This stack's rules, and member accounts' forwarder rules (forwarder.yaml); any
            # permission on the bus.
            "events.amazonaws.com": lambda: (d.get("recipientAccountId") == MOTO_ACCOUNT
                                             if name in ("PutPermission", "RemovePermission") else False)
                                            or str(p.get("name") or p.get("rule")).startswith(f"{fn}-")
                                            or str(p.get("name") or p.get("rule")).startswith(FORWARDER_PREFIX),
            "lambda.amazonaws.com": lambda: (str(r.get("functionArn")).endswith(f":function:{fn}")
                                             if "EventSourceMapping" in name else
                                             p.get("functionName") in (fn,) or str(p.get("functionName")).endswith(f":{fn}")
                                             or f":{fn}:" in str(p.get("functionName"))),
            # This stack's digest queues are named after its function.
            "sqs.amazonaws.com": lambda: str(p.get("queueUrl")).rsplit("/", 1)[-1].startswith(f"{fn}-digest"),
            "sns.amazonaws.com": lambda: (p.get("topicArn") or p.get("resourceArn")) in self.topics
                                         or any(str(p.get("subscriptionArn")).startswith(t + ":") for t in self.topics),
            "cloudtrail.amazonaws.com": lambda: True,
        }[source]()
        return rule if ours else None


def physical(moto, stack, rule_or_logical):
    """The physical id CloudFormation gave a rule (`policy-monitor`) or a resource (logical id)."""
    logical = rule_or_logical if rule_or_logical[0].isupper() else f"NotifyFunction{event_key(rule_or_logical)}"
    resources = client("cloudformation", moto).list_stack_resources(StackName=stack)["StackResourceSummaries"]
    return next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == logical)


def deployed_rules(moto, stack):
    """Every rule of a stack in moto, as CloudFormation evaluated it: (pattern, state)."""
    events = client("events", moto)
    out = {}
    for suffix in RULE_SUFFIXES:
        rule = events.describe_rule(Name=physical(moto, stack, suffix))
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


def expected_rule(event, enabled_groups, stack):
    """The one rule EventBridge should deliver `event` to, from the rules' meaning (not from
    the template): the article's, an enabled named group's, the other-IAM-writes rule for any
    other IAM write, the root rule for what is left of root's activity."""
    detail = event["detail"]
    root = detail.get("userIdentity", {}).get("type") == "Root"
    monitor = stack.monitor_rule(event)
    if monitor:
        # A change to the monitor by root: the tamper alert and the root alert, both.
        return sorted([monitor] + (["root-activity-monitor"] if root else []))
    if (stack.canary and detail.get("eventSource") == "iam.amazonaws.com" and detail.get("eventName") == "TagRole"
            and (detail.get("requestParameters") or {}).get("roleName") == stack.canary):
        # The heartbeat rule takes every TagRole of the canary; the function tells the
        # schedule's from anyone else's. Root's reaches the root rule too when no IAM rule
        # catches every write.
        return sorted([HEARTBEAT] + (["root-activity-monitor"] if root and OTHER_WRITES not in enabled_groups else []))
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
    stack = Stack(moto, "all")
    covered = set()
    for file, event in sample_events():
        retargeted = stack.retarget(event)
        for variant, e in (("as recorded", event), ("by root", as_root(event)),
                           ("against this stack", retargeted), ("against this stack by root", as_root(retargeted))):
            got = matching(rules, e)
            want = expected_rule(e, set(GROUPS), stack)
            assert got == want, f"{file} {variant}: matched {got}, expected {want}"
            covered.update(got)
    assert covered == set(RULE_SUFFIXES), "every rule is exercised by a sample"
    calls = {e["detail"]["eventName"] for _, e in sample_events()}
    for group, names in GROUPS.items():
        assert set(names) <= calls, f"a sample event for every call of {group}"
    assert {n for _, n in MONITOR_CALLS} <= calls


def test_root_calls_of_disabled_groups_go_to_the_root_rule(moto, cfn):
    stack = create_stack(moto, cfn, "rootonly", NotificationEmails="a@example.com", **GROUPS_OFF)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    rules = deployed_rules(moto, "rootonly")
    states = {name: state for name, (_, state) in rules.items()}
    assert states == {"policy-monitor": "ENABLED", "principals-monitor": "ENABLED",
                      "credentials-monitor": "DISABLED", "trust-monitor": "DISABLED",
                      "identity-providers-monitor": "DISABLED", OTHER_WRITES: "DISABLED",
                      "root-activity-monitor": "ENABLED", TAMPER: "ENABLED", SAFEGUARDS: "ENABLED",
                      ALARMS: "ENABLED", HEARTBEAT: "ENABLED"}
    stack = Stack(moto, "rootonly")
    for file, event in sample_events():
        retargeted = stack.retarget(event)
        for e in (event, as_root(event), retargeted, as_root(retargeted)):
            assert matching(rules, e) == expected_rule(e, set(), stack), file
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
    fn = physical(moto, "quietci", "NotifyFunction")
    env = client("lambda", moto).get_function(FunctionName=fn)["Configuration"]["Environment"]["Variables"]
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


@pytest.mark.parametrize("settings", [{}, ALL_GROUPS_ON, GROUPS_OFF, {"DeliveryMode": "digest"},
                                      {"OrganizationId": "o-a1b2c3d4e5"}],
                         ids=["defaults", "all-on", "groups-off", "digest", "central"])
def test_every_rule_pattern_fits_eventbridges_quota(moto, cfn, settings):
    """With the longest stack name CloudFormation accepts (128 characters): the patterns
    embed it (topic and alarm prefixes)."""
    name = f"quota-{len(settings)}-{len(str(settings))}-".ljust(128, "x")
    assert len(name) == 128
    stack = create_stack(moto, cfn, name, NotificationEmails="a@example.com", **settings)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    events = client("events", moto)
    resources = client("cloudformation", moto).list_stack_resources(StackName=name)["StackResourceSummaries"]
    rules = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::Events::Rule"]
    assert len(rules) >= 12
    for rule in rules:
        pattern = events.describe_rule(Name=rule)["EventPattern"]
        # EventBridge's default quota for one event pattern: 2,048 characters.
        assert len(pattern) <= 2048, f"{rule}: {len(pattern)} characters"
