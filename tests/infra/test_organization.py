"""Organization mode, proven offline.

- forwarder.yaml: cfn-lint, plain CloudFormation (no transform: service-managed StackSets
  cannot deploy templates with macros), its rules' calls derived from the one call table,
  and what it forwards equal in meaning to what the central stack's rules match;
- the central bus policy: only principals of the organization may put events (evaluated by
  tests/infra/wiring.py: across accounts both the caller's policy and the bus's must allow);
- in moto_server with two accounts (moto keys its backends by account id): the forwarder
  deploys in a member account, an IAM event there crosses to the central account's bus,
  reaches the central stack's rule and becomes an alert that names the member account.
"""

import functools
import json
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto.events.models import EventPattern

import demo
import local_servers
import sam
from calls import OTHER_WRITES_RULE, ROOT_RULE, TAMPER_RULE, calls_by_rule, supported_calls
from test_template import (MOTO_ACCOUNT, SAMPLE_ACCOUNT, as_root, client, create_stack, deployed_rules, iam_operations,
                           matching, READ_PREFIXES, sample_events, synthetic)
from wiring import ACCOUNT, PARTITION, REGION, allowed, deploy, deploy_in, statement_applies

ROOT = Path(__file__).resolve().parents[2]
FORWARDER = ROOT / "forwarder.yaml"
ORG = "o-a1b2c3d4e5"
MEMBER = "444455556666"
OUTSIDER = "999988887777"
CENTRAL_BUS = f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/default"


@functools.lru_cache(maxsize=1)
def forwarder_template():
    return sam.load_template(FORWARDER)


@pytest.fixture(scope="module")
def forwarder():
    return forwarder_template()


@pytest.fixture(scope="module")
def cfn():
    return sam.transformed(sam.load_template(ROOT / "template.yaml"))


def central_patterns(cfn, **parameters):
    """The central stack's enabled rules and their patterns, as CloudFormation would deploy
    them (tests/infra/wiring.py evaluates the intrinsic functions; moto's matcher matches)."""
    stack = deploy(cfn, OrganizationId=ORG, **parameters)
    return {r["Name"]: EventPattern.load(json.dumps(r["EventPattern"]))
            for r in stack.of_type("AWS::Events::Rule").values() if r["State"] == "ENABLED"}


def central_matching(patterns, event):
    return sorted(name for name, p in patterns.items() if p.matches_event(event))


def rules_of(template):
    return {r["Properties"]["Name"]: r["Properties"] for r in template["Resources"].values()
            if r["Type"] == "AWS::Events::Rule"}


def forwarded(forwarder, event):
    """The forwarder rules that match `event` (their patterns are plain JSON, no intrinsics)."""
    return sorted(name for name, rule in rules_of(forwarder).items()
                  if EventPattern.load(json.dumps(rule["EventPattern"])).matches_event(event))


def in_member_account(event):
    return json.loads(json.dumps(event).replace(SAMPLE_ACCOUNT, MEMBER))


# ---- the template ---------------------------------------------------------------------------

def test_the_forwarder_lints_clean_and_is_plain_cloudformation(forwarder):
    for extra in ([], ["-c", "I"]):
        out = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), *extra, "--", str(FORWARDER)],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0 and out.stdout == "", out.stdout + out.stderr
    assert "Transform" not in forwarder, "service-managed StackSets deploy no macros"
    assert forwarder["Metadata"]["cfn-lint"]["config"]["ignore_checks"] == []
    assert not [t for t in (r["Type"] for r in forwarder["Resources"].values()) if t.startswith("AWS::Serverless")]


def test_the_forwarder_names_exactly_the_calls_of_the_central_named_rules(forwarder):
    """Its IAM rule forwards every IAM write (readOnly false, as the other-IAM-writes rule
    matches) and, by name, every call the named rules watch: the call table's."""
    groups = calls_by_rule(supported_calls())
    named = [c["name"] for rule, calls in groups.items() if rule not in (OTHER_WRITES_RULE, ROOT_RULE, TAMPER_RULE)
             for c in calls if c["source"] == "iam.amazonaws.com"]
    detail = rules_of(forwarder)["iam-notify-forwarder-iam"]["EventPattern"]["detail"]
    listed = next(b["eventName"] for b in detail["$or"] if "eventName" in b)
    assert len(listed) == len(set(listed)), "each call once"
    assert set(listed) == set(named)
    assert {"readOnly": [False]} in detail["$or"]


def test_the_forwarder_forwards_exactly_what_the_central_rules_match(cfn, forwarder):
    """For every sample (as recorded in a member account, and by root), every IAM API
    operation as a write and as a read, by a user and by root, and alarms of the forwarder
    and others: forwarded if and only if a rule of the central stack (defaults, every group
    on, central mode) matches it."""
    central = central_patterns(cfn)
    assert len(central) == 13, sorted(central)
    events = []
    for file, event in sample_events():
        events += [(file, in_member_account(event)), (f"{file} by root", as_root(in_member_account(event)))]
    for op in iam_operations():
        for root in (False, True):
            events.append((f"{op} write", synthetic(op, False, root)))
            if op.startswith(READ_PREFIXES):
                events.append((f"{op} read", synthetic(op, True, root)))
    for path in sorted((ROOT / "events" / "organization").glob("*.json")):
        event = json.loads(path.read_text())
        events.append((path.name, event))
        if event["source"] == "aws.cloudwatch":
            other = json.loads(json.dumps(event))
            other["detail"]["alarmName"] = "someone-elses-alarm"
            events.append((f"{path.name}, another alarm", other))
    kinds = set()
    for what, event in events:
        central_rules = central_matching(central, event)
        forwarding = forwarded(forwarder, event)
        assert bool(forwarding) == bool(central_rules), f"{what}: forwarded by {forwarding}, central {central_rules}"
        kinds.update(forwarding)
    assert kinds == set(rules_of(forwarder)), "every forwarder rule is exercised"


def test_a_member_forwarders_alarm_reaches_the_ops_topic_naming_the_account(cfn):
    """The member-alarms rule sends a forwarder's alarm state change straight to the ops topic
    (no function in between), worded by EventBridge with the member's account; only that rule
    may publish there besides the function and this stack's alarms (and use the key)."""
    from moto.events.models import EventTemplateParser
    stack = deploy(cfn, OrganizationId=ORG)
    [(key, rule)] = [(k, r) for k, r in stack.of_type("AWS::Events::Rule").items() if r["Name"].endswith("-member-alarms")]
    [target] = rule["Targets"]
    ops = stack.ref("OpsTopic")
    assert target["Arn"] == ops and target["DeadLetterConfig"]["Arn"] == stack.arn("FailureQueue")
    event = json.loads((ROOT / "events/organization/CloudWatch-alarm-member-forwarder-silent.json").read_text())
    transformer = target["InputTransformer"]
    text = EventTemplateParser.parse(input_template=transformer["InputTemplate"],
                                     input_paths_map=transformer["InputPathsMap"],
                                     event=dict(event, **{"ingestion-time": 0}))  # (moto's parser needs it)
    text = text if isinstance(text, str) else json.dumps(text)
    for words in (f"member account {MEMBER}", "iam-notify-forwarder-heartbeat-missing", "in state ALARM",
                  "Threshold Crossed"):
        assert words in text, (words, text)
    rule_arn = stack.arn(key)
    context = {"aws:SourceArn": rule_arn, "aws:SourceAccount": ACCOUNT}
    assert allowed(stack, {"Service": "events.amazonaws.com"}, "sns:Publish", ops, context)
    other = {"aws:SourceArn": f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/someone-else", "aws:SourceAccount": ACCOUNT}
    assert not allowed(stack, {"Service": "events.amazonaws.com"}, "sns:Publish", ops, other)
    assert not allowed(stack, {"Service": "events.amazonaws.com"}, "sns:Publish", stack.ref("NotificationTopic"), context)
    assert allowed(stack, {"Service": "events.amazonaws.com"}, "kms:GenerateDataKey", stack.arn("OpsKey"), context)
    assert not allowed(stack, {"Service": "events.amazonaws.com"}, "kms:GenerateDataKey", stack.arn("TopicKey"), context)
    assert allowed(stack, {"Service": "events.amazonaws.com"}, "sqs:SendMessage", stack.arn("FailureQueue"), context)
    # A single-account stack has neither the rule nor the grants.
    single = deploy(cfn)
    assert not [r for r in single.of_type("AWS::Events::Rule").values() if r["Name"].endswith("-member-alarms")]
    assert not allowed(single, {"Service": "events.amazonaws.com"}, "sns:Publish", single.ref("OpsTopic"), context)
    assert not allowed(single, {"Service": "events.amazonaws.com"}, "kms:GenerateDataKey", single.arn("TopicKey"),
                       context), "the alert topic's key serves the function alone"


def test_the_forwarder_alarms_watch_its_own_path_and_travel_to_the_central_stack():
    forwarder = forwarder_template()
    for schedule, window in (("rate(1 hour)", 1.5 * 3600), ("rate(1 day)", 1.5 * 86400)):
        fwd = deploy_in(forwarder, MEMBER, "f", CentralAccountId=ACCOUNT, HeartbeatSchedule=schedule)
        alarms = fwd.of_type("AWS::CloudWatch::Alarm")
        rules = {fwd.names[k]: k for k in fwd.of_type("AWS::Events::Rule")}
        for alarm in alarms.values():
            event = {"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
                     "detail": {"alarmName": alarm["AlarmName"]}}
            assert forwarded(forwarder, event) == ["iam-notify-forwarder-alarms"], alarm["AlarmName"]
            assert MEMBER in alarm["AlarmDescription"], "the alarm names its account"
        silent = alarms["ForwarderSilentAlarm"]
        assert (silent["Namespace"], silent["MetricName"]) == ("AWS/Events", "Invocations")
        assert silent["Dimensions"] == [{"Name": "RuleName", "Value": "iam-notify-forwarder-iam"}]
        assert silent["TreatMissingData"] == "breaching" and silent["ComparisonOperator"] == "LessThanThreshold"
        assert silent["Period"] * silent["EvaluationPeriods"] == window, schedule
        failed = alarms["ForwarderDeliveryAlarm"]
        watched = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for m in failed["Metrics"] if "MetricStat" in m}
        assert watched == set(rules), "every forwarding rule's failed deliveries"
        assert {m["MetricStat"]["Metric"]["MetricName"] for m in failed["Metrics"] if "MetricStat" in m} == \
            {"FailedInvocations"}
    quiet = deploy_in(forwarder, MEMBER, "f", CentralAccountId=ACCOUNT, HeartbeatSchedule="none")
    assert "ForwarderSilentAlarm" not in quiet.of_type("AWS::CloudWatch::Alarm")


def test_changes_to_the_forwarder_itself_reach_the_central_tamper_rule(cfn):
    forwarder = forwarder_template()
    central = central_patterns(cfn)
    tamper = [n for n in central if n.endswith("-tamper-monitor")]
    watch = [n for n in central if n.endswith("-tamper-watch")]
    event = json.loads((ROOT / "events/organization/DisableRule-member-forwarder.json").read_text())
    assert forwarded(forwarder, event) == ["iam-notify-forwarder-watch"]
    assert central_matching(central, event) == tamper
    for name in rules_of(forwarder):
        for call, key in (("DeleteRule", "name"), ("PutRule", "name"), ("RemoveTargets", "rule"),
                          ("PutTargets", "rule")):
            e = json.loads(json.dumps(event))
            e["detail"]["eventName"] = call
            e["detail"]["requestParameters"] = {key: name}
            # A change takes effect before CloudTrail delivers it: a rule other than the one
            # changed must forward it (the watch rule and the alarms rule watch each other),
            # and the central tamper-watch rule's direct copy reports changes to the watch rule.
            others = [r for r in forwarded(forwarder, e) if r != name]
            assert others, (name, call, "only the changed rule would forward it")
            assert central_matching(central, e) == sorted(tamper + (watch if name.endswith("-watch") else [])), \
                (name, call)


def test_an_event_a_member_account_writes_itself_matches_no_central_rule(cfn):
    """Members may put events on the central bus, but only AWS may use an aws.* source: with
    any other source, no sample (as recorded, or by root) reaches a central rule."""
    central = central_patterns(cfn)
    watched = 0
    for file, event in sample_events():
        for e in (event, as_root(event)):
            # (Changes to another stack's monitor, as some samples record, are not watched.)
            watched += bool(central_matching(central, e))
            forged = dict(e, source="custom.iam")
            assert central_matching(central, forged) == [], f"{file} from PutEvents: {central_matching(central, forged)}"
    assert watched > 150, "the samples as AWS wrote them are watched"


def test_forwarder_patterns_fit_eventbridges_quota(forwarder):
    for name, rule in rules_of(forwarder).items():
        assert len(json.dumps(rule["EventPattern"], separators=(",", ":"))) <= 2048, name


# ---- who may put events on the central bus ---------------------------------------------------

def forwarder_role(forwarder, account):
    fwd = deploy_in(forwarder, account, "iam-notify-forwarder", CentralAccountId=ACCOUNT)
    return fwd, {"AWS": fwd.arn("ForwarderRole")}, fwd.identity_statements("ForwarderRole")


def test_only_the_organization_may_put_events_on_the_central_bus(cfn):
    forwarder = forwarder_template()
    central = deploy(cfn, OrganizationId=ORG)
    _, member, identity = forwarder_role(forwarder, MEMBER)
    in_org = {"aws:PrincipalOrgID": ORG}
    assert allowed(central, member, "events:PutEvents", CENTRAL_BUS, in_org, identity)
    # Only PutEvents: the organization may not change the bus or its rules.
    for action in ("events:PutRule", "events:PutTargets", "events:DeleteRule", "events:PutPermission"):
        assert not allowed(central, member, action, CENTRAL_BUS, in_org, [{"Effect": "Allow", "Action": "*",
                                                                            "Resource": "*"}]), action
    # A forwarder in an account outside the organization (or of another organization).
    _, outsider, outsider_identity = forwarder_role(forwarder, OUTSIDER)
    for context in ({}, {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}):
        assert not allowed(central, outsider, "events:PutEvents", CENTRAL_BUS, context, outsider_identity)
    # A single-account stack accepts no other account's events, organization or not.
    assert not allowed(deploy(cfn), member, "events:PutEvents", CENTRAL_BUS, in_org, identity)
    assert not deploy(cfn).of_type("AWS::Events::EventBusPolicy")


def test_the_forwarder_role_may_put_events_on_the_central_bus_only(forwarder):
    fwd, _, identity = forwarder_role(forwarder, MEMBER)
    grants = lambda action, resource: any(  # noqa: E731  (the role's own policy, alone)
        s["Effect"] == "Allow" and statement_applies(s, action, resource, {}) for s in identity)
    assert grants("events:PutEvents", CENTRAL_BUS)
    for action, resource in (("events:PutEvents", f"arn:{PARTITION}:events:{REGION}:{MEMBER}:event-bus/default"),
                             ("events:PutEvents", f"arn:{PARTITION}:events:{REGION}:{OUTSIDER}:event-bus/default"),
                             ("events:PutRule", CENTRAL_BUS), ("iam:PassRole", fwd.arn("ForwarderRole"))):
        assert not grants(action, resource), (action, resource)
    trust = fwd.trust_statements("ForwarderRole")
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                      "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": MEMBER}}}]
    for rule in fwd.of_type("AWS::Events::Rule").values():
        [target] = rule["Targets"]
        assert target["Arn"] == CENTRAL_BUS and target["RoleArn"] == fwd.arn("ForwarderRole")
        assert target["DeadLetterConfig"]["Arn"] == fwd.arn("ForwarderDeadLetterQueue")
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_the_optional_read_role_trusts_only_the_central_function_and_only_reads(forwarder, cfn):
    assert not deploy_in(forwarder, MEMBER, "f", CentralAccountId=ACCOUNT).of_type("AWS::IAM::Role").get("CentralReadRole")
    central = deploy(cfn, OrganizationId=ORG)
    fn_role = central.arn("FunctionRole")
    fwd = deploy_in(forwarder, MEMBER, "f", CentralAccountId=ACCOUNT, CentralFunctionRoleArn=fn_role)
    role = fwd.resources["CentralReadRole"]["Properties"]
    assert [s["Principal"] for s in role["AssumeRolePolicyDocument"]["Statement"]] == [{"AWS": fn_role}]
    actions = set()
    for p in role["Policies"]:
        for s in p["PolicyDocument"]["Statement"]:
            actions.update([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    assert actions and all(a.split(":")[1].startswith(("Get", "List")) for a in actions), actions


def test_the_central_function_may_name_the_organizations_accounts_and_nothing_more(cfn):
    """DescribeAccount of the organization's accounts, and their read role for the alias."""
    def can(stack, action, resource):
        role = stack.arn("FunctionRole")
        return allowed(stack, {"AWS": role}, action, resource, identity=stack.identity_statements("FunctionRole"))
    account = f"arn:{PARTITION}:organizations::111111111111:account/{ORG}/{MEMBER}"
    central = deploy(cfn, OrganizationId=ORG)
    assert can(central, "organizations:DescribeAccount", account)
    for action, resource in (("organizations:DescribeAccount",
                              f"arn:{PARTITION}:organizations::111111111111:account/o-zzzzzzzzzz/{MEMBER}"),
                             ("organizations:ListAccounts", "*"), ("organizations:DescribeOrganization", "*"),
                             ("organizations:LeaveOrganization", "*")):
        assert not can(central, action, resource), (action, resource)
    assert not can(deploy(cfn), "organizations:DescribeAccount", account), "single-account: no lookups"
    # The members' read role, in the organization only; no other role.
    def assume(stack, role, org):
        principal = {"AWS": stack.arn("FunctionRole")}
        return allowed(stack, principal, "sts:AssumeRole", role, {"aws:ResourceOrgID": org},
                       identity=stack.identity_statements("FunctionRole"))
    read_role = f"arn:{PARTITION}:iam::{MEMBER}:role/iam-notify-central-read"
    assert assume(central, read_role, ORG)
    assert not assume(central, read_role, "o-zzzzzzzzzz"), "another organization's account"
    assert not assume(central, f"arn:{PARTITION}:iam::{MEMBER}:role/OrganizationAccountAccessRole", ORG)
    assert not assume(deploy(cfn), read_role, ORG)


# ---- two accounts in moto ---------------------------------------------------------------------

def member_client(moto, account, service):
    """A client acting in `account` (moto maps an assumed role's keys to its account)."""
    sts = client("sts", moto)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                            RoleSessionName="stacksets")["Credentials"]
    return boto3.client(service, endpoint_url=moto.url, region_name="us-east-1",
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


@pytest.fixture(scope="module")
def own_moto(tmp_path_factory):
    """A moto_server of this test's own: events put on the central bus reach every rule there,
    and the session's other stacks target Lambda functions, which moto's rules cannot invoke."""
    server = local_servers.moto_server(log_path=tmp_path_factory.mktemp("moto-org") / "moto.log")
    try:
        yield server
    finally:
        server.stop()


def mailbox_for(moto, topic, name):
    """A queue subscribed to `topic`: what an email subscriber would get, readable here."""
    sqs = client("sqs", moto)
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client("sns", moto).subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return queue


def run_function(moto, tmp_path, payload, mailbox, **env):
    """The real function under `cargo lambda watch` (publishing to moto), invoked once with
    the file `payload`: its answer, what reached `mailbox`, and its log."""
    aws = {k: v for k, v in local_servers.offline_env().items() if k.startswith("AWS_")}
    with demo.start_watch(tmp_path, AWS_ENDPOINT_URL=moto.url, RUST_LOG="info", **{**aws, **env}) as watch:
        answer = demo.invoke(watch, payload, demo.FIRST_INVOKE_TIMEOUT)
        assert answer.ok, answer.output + watch.log()
        delivered = []
        demo.read_mailbox(client("sqs", moto), mailbox, delivered, expected=1, seconds=20)
        return answer, delivered, watch.log()


def test_an_iam_change_in_a_member_account_becomes_an_alert_naming_that_account(own_moto, cfn, forwarder, tmp_path):
    """Two accounts of one organization in moto: the real function, under `cargo lambda
    watch`, publishes the member's change with the name AWS Organizations gives the account."""
    moto = own_moto
    # The organization: this (moto's default) account manages it; the member is created in it.
    org = client("organizations", moto)
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    request = org.create_account(AccountName="Payments Production", Email="payments@example.com")
    member = org.describe_create_account_status(
        CreateAccountRequestId=request["CreateAccountStatus"]["Id"])["CreateAccountStatus"]["AccountId"]

    # The central stack: organization mode, a name of its own for the member (the
    # organization's wins), digest mode (moto's rules deliver to SQS; they invoke no Lambda).
    stack = create_stack(moto, cfn, "org-central", NotificationEmails="a@example.com", OrganizationId=org_id,
                         AccountNames=f"{member}=from-the-mapping", DeliveryMode="digest")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in client("cloudformation", moto)
                 .list_stack_resources(StackName="org-central")["StackResourceSummaries"]}
    fn = client("lambda", moto).get_function(FunctionName=resources["NotifyFunction"])["Configuration"]
    assert fn["Environment"]["Variables"]["ORGANIZATION_ID"] == org_id

    # The member account's forwarder, as a StackSet instance would create it.
    cf = member_client(moto, member, "cloudformation")
    cf.create_stack(StackName="iam-notify-forwarder", TemplateBody=json.dumps(forwarder),
                    Capabilities=["CAPABILITY_NAMED_IAM"],
                    Parameters=[{"ParameterKey": "CentralAccountId", "ParameterValue": MOTO_ACCOUNT},
                                {"ParameterKey": "CentralFunctionRoleArn", "ParameterValue": fn["Role"]}])
    member_stack = cf.describe_stacks(StackName="iam-notify-forwarder")["Stacks"][0]
    assert member_stack["StackStatus"] == "CREATE_COMPLETE", member_stack.get("StackStatusReason")
    assert member_stack["StackId"].split(":")[4] == member
    events = member_client(moto, member, "events")
    central_bus = f"arn:aws:events:us-east-1:{MOTO_ACCOUNT}:event-bus/default"
    for name in rules_of(forwarder):
        [target] = events.list_targets_by_rule(Rule=name)["Targets"]
        assert target["Arn"] == central_bus and target["RoleArn"].split(":")[4] == member
    iam = member_client(moto, member, "iam")
    assert iam.get_role(RoleName="iam-notify-central-read")["Role"]["Arn"].split(":")[4] == member
    assert iam.get_role(RoleName="iam-notify-forwarder-canary")

    # What CloudTrail would put on the member's bus: a change, and the member's heartbeat.
    as_member = lambda name: json.loads(  # noqa: E731
        (ROOT / f"events/organization/{name}.json").read_text().replace(MEMBER, member))
    for e in (as_member("AttachRolePolicy-in-member-account"), as_member("TagRole-member-heartbeat")):
        out = events.put_events(Entries=[{"Source": e["source"], "DetailType": e["detail-type"],
                                          "Detail": json.dumps(e["detail"])}])
        assert out["FailedEntryCount"] == 0

    # On the central side: both crossed to the central bus and reached a central rule's queue.
    sqs = client("sqs", moto)
    got = []
    for _ in range(5):
        got += sqs.receive_message(QueueUrl=resources["DigestQueue"], MaxNumberOfMessages=10,
                                   WaitTimeSeconds=1).get("Messages", [])
        if len(got) >= 2:
            break
    bodies = [json.loads(m["Body"]) for m in got]
    assert sorted(b["detail"]["eventName"] for b in bodies) == ["AttachRolePolicy", "TagRole"]
    assert {b["detail"]["recipientAccountId"] for b in bodies} == {member}

    # The function itself, as the event source mapping would invoke it, publishing to the
    # central topic in moto (a queue subscribed to it is the mailbox).
    mailbox = mailbox_for(moto, outputs["TopicArn"], "org-mailbox")
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(demo.as_lambda_batch(got, "arn:aws:sqs:us-east-1:123456789012:digest")))
    answer, delivered, log = run_function(moto, tmp_path, batch, mailbox, TOPIC_ARN=outputs["TopicArn"],
                                          ORGANIZATION_ID=org_id, ACCOUNT_NAMES=f"{member}=from-the-mapping")
    assert '"batchItemFailures":[]' in answer.output.replace(" ", ""), answer.output
    [alert] = delivered
    # (The sample's role attaches the policy to itself: a self-change warning.)
    assert alert.subject.startswith("[IAM WARNING] Payments Production: AttachRolePolicy deploy-permissions"), \
        alert.subject
    assert alert.attributes["account"] == member
    assert f"Account:        {member} (Payments Production)" in alert.body
    assert alert.document["event"]["accountName"] == "Payments Production"
    # The heartbeat was counted for its account, not sent.
    assert '"MemberHeartbeats"' in log and f'"Account":"{member}"' in log.replace(" ", "")


@pytest.mark.parametrize("alias", [None, "payments-prod"], ids=["no-alias", "alias"])
def test_without_access_to_organizations_the_alias_then_the_mapping_names_the_account(own_moto, tmp_path, alias):
    """A central account that may not call DescribeAccount (here: an account in no
    organization) still alerts, named by the member's alias when its read role lets the
    function read it (iam:ListAccountAliases, a signed Query call), else from AccountNames."""
    moto = own_moto
    member = "444455556666" if alias is None else "444455557777"
    topic = client("sns", moto).create_topic(Name=f"no-org-{member}")["TopicArn"]
    mailbox = mailbox_for(moto, topic, f"no-org-mailbox-{member}")
    event = tmp_path / "event.json"
    event.write_text((ROOT / "events/organization/AttachRolePolicy-in-member-account.json").read_text()
                     .replace(MEMBER, member))
    if alias:
        iam = member_client(moto, member, "iam")
        iam.create_role(RoleName="iam-notify-central-read", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": "arn:aws:iam::210987654321:root"}}]}))
        iam.create_account_alias(AccountAlias=alias)
    # Another moto account, outside any organization, stands for the central account.
    creds = client("sts", moto).assume_role(RoleArn="arn:aws:iam::210987654321:role/admin",
                                           RoleSessionName="central")["Credentials"]
    _, delivered, log = run_function(moto, tmp_path, event, mailbox, TOPIC_ARN=topic, ORGANIZATION_ID=ORG,
                                     ACCOUNT_NAMES=f"{member}=from-the-mapping",
                                     AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
                                     AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                                     AWS_SESSION_TOKEN=creds["SessionToken"])
    [alert] = delivered
    label = alias or "from-the-mapping"
    assert alert.subject.startswith(f"[IAM WARNING] {label}: AttachRolePolicy"), (alert.subject, log[-3000:])
    assert f"Account:        {member} ({label})" in alert.body
    assert "account name" in log, log[-2000:]


def test_a_members_attached_policy_is_read_through_its_read_role(own_moto, tmp_path):
    """Central mode: the member's policy and role live in the member's account; the real
    function assumes the member's iam-notify-central-read role (moto's STS) and reads them
    there: the attach of the member's allow-all policy arrives critical, with who may assume
    the member's role. A member without the policy: the alert, and one line saying why not
    (a role that cannot be assumed: tests/policy_versions.rs, against a fake STS)."""
    moto = own_moto
    central = "210987654321"
    member, bare = "444455558888", "444455559999"
    iam = member_client(moto, member, "iam")
    iam.create_role(RoleName="iam-notify-central-read", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{central}:root"}}]}))
    iam.create_policy(PolicyName="deploy-permissions", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam.create_role(RoleName="ci-deploy", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                                                "Principal": {"Federated": f"arn:aws:iam::{member}:oidc-provider/token.actions.githubusercontent.com"}}]}))
    creds = client("sts", moto).assume_role(RoleArn=f"arn:aws:iam::{central}:role/admin",
                                           RoleSessionName="central")["Credentials"]
    as_central = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                  "AWS_SESSION_TOKEN": creds["SessionToken"]}
    topic = client("sns", moto).create_topic(Name="member-policies")["TopicArn"]
    for account in (member, bare):
        event = tmp_path / f"attach-{account}.json"
        event.write_text((ROOT / "events/organization/AttachRolePolicy-in-member-account.json").read_text()
                         .replace(MEMBER, account))
        _, [alert], log = run_function(moto, tmp_path, event, mailbox_for(moto, topic, f"member-policies-{account}"),
                                       TOPIC_ARN=topic, ORGANIZATION_ID=ORG, **as_central)
        if account == member:
            assert alert.subject.startswith(f"[IAM CRITICAL] {member}: AttachRolePolicy deploy-permissions"), \
                (alert.subject, log[-3000:])
            assert "Policy version: v1 (its default version, read from IAM)" in alert.body
            assert "\nAssumable by:   federated arn:aws:iam::444455558888:oidc-provider/token.actions.githubusercontent.com (outside this account)\n" in alert.body
        else:
            # moto's STS lets any role be assumed; the policy is not in that account.
            assert alert.subject.startswith(f"[IAM WARNING] {bare}: AttachRolePolicy"), alert.subject
            assert "Not looked up:  what the policy grants: not found: it no longer exists (NoSuchEntity)" in alert.body


def test_the_readme_gives_the_stacksets_commands_the_script_prints():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "stacksets.py"), "--central", "111122223333",
                          "--targets", "r-a1b2"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "\n```sh needs-aws\n" + out + "```\n" in (ROOT / "README.md").read_text()
    # Its parameters are the forwarder's, and it refuses what is not an id.
    names = set(re.findall(r"ParameterKey=(\w+),", out))
    assert names and names <= set(forwarder_template()["Parameters"]), names
    bad = subprocess.run([sys.executable, str(ROOT / "scripts" / "stacksets.py"), "--central", "1111",
                          "--targets", "r-a1b2"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "12-digit" in bad.stderr
