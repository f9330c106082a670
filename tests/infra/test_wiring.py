"""The security and failure wiring of template.yaml, by meaning: the transformed template is
evaluated as CloudFormation would deploy it (tests/infra/wiring.py) and every question is asked
of the result — who may publish, where failed events go, what each alarm watches, which
addresses get mail — not of how the YAML happens to be written. `test_mutations.py` breaks
the template in realistic ways and shows these tests fail on each breakage."""

import pytest

import sam
from wiring import ACCOUNT, PARTITION, REGION, allowed, as_list, deploy, like

ROOT_ARN = f"arn:{PARTITION}:iam::{ACCOUNT}:root"
ADMIN = f"arn:{PARTITION}:iam::{ACCOUNT}:role/admin"
# What an administrator of the account may do by its own policy: everything.
ADMIN_POLICY = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
EMAILS = ["a@example.com", "b.c+iam@mail.example.co.uk", "d@example.org", "e@example.net", "f@example.io"]


@pytest.fixture(scope="module")
def template():
    return sam.load_template(sam_path())


def sam_path():
    from pathlib import Path
    return Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture(scope="module")
def cfn(template):
    return sam.transformed(template)


def function(stack):
    (name, props), = stack.of_type("AWS::Lambda::Function").items()
    return name, props


def function_role(stack):
    _, fn = function(stack)
    role = next(k for k in stack.of_type("AWS::IAM::Role") if stack.arn(k) == fn["Role"])
    return role, {"AWS": stack.arn(role)}, stack.identity_statements(role)


def rules(stack):
    return stack.of_type("AWS::Events::Rule")


def alarms(stack):
    return stack.of_type("AWS::CloudWatch::Alarm")


def split_targets(stack, rule):
    """A rule's targets: (the direct copies to the ops topic, every other target)."""
    ops = stack.ref("OpsTopic")
    return ([t for t in rule["Targets"] if t["Arn"] == ops], [t for t in rule["Targets"] if t["Arn"] != ops])


# The rules that only send direct copies to the ops topic (no function behind them).
DIRECT_ONLY = {"TamperWatch"}


# ---- who may do what -------------------------------------------------------------------------

def test_the_function_role_may_do_its_job(cfn):
    for encryption in ("kms", "none"):
        stack = deploy(cfn, TopicEncryption=encryption)
        _, principal, identity = function_role(stack)
        can = lambda action, resource: allowed(stack, principal, action, resource, identity=identity)  # noqa: E731
        _, fn = function(stack)
        group = next(iter(stack.of_type("AWS::Logs::LogGroup").values()))["LogGroupName"]
        assert fn["LoggingConfig"]["LogGroup"] == group, "the function logs to the stack's log group"
        stream = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:2026/11/25/x"
        assert can("logs:CreateLogStream", stream) and can("logs:PutLogEvents", stream), "it may write its logs"
        queue = stack.arn("FailureQueue")
        assert can("sqs:SendMessage", queue), "it may keep failed events"
        for topic in ("NotificationTopic", "OpsTopic"):
            assert can("sns:Publish", stack.ref(topic)), f"it may publish to {topic}"
        if encryption == "kms":
            key = stack.arn("TopicKey")
            assert can("kms:GenerateDataKey", key) and can("kms:Decrypt", key), "it may use the topics' key"


def test_the_function_role_may_do_nothing_else(cfn):
    stack = deploy(cfn)
    _, principal, identity = function_role(stack)
    other = f"arn:{PARTITION}:%s:{REGION}:{ACCOUNT}:%s"
    probes = [("sns:Publish", other % ("sns", "someone-elses-topic")),
              ("sqs:SendMessage", other % ("sqs", "another-queue")),
              ("logs:PutLogEvents", other % ("logs", "log-group:/aws/lambda/other:log-stream:x")),
              ("kms:Decrypt", other % ("kms", "key/another")),
              ("iam:PassRole", f"arn:{PARTITION}:iam::{ACCOUNT}:role/admin"),
              ("iam:AttachRolePolicy", f"arn:{PARTITION}:iam::{ACCOUNT}:role/x"),
              ("iam:CreateUser", f"arn:{PARTITION}:iam::{ACCOUNT}:user/x"),
              ("sns:DeleteTopic", stack.ref("NotificationTopic")),
              ("sns:Subscribe", stack.ref("NotificationTopic")),
              ("sqs:DeleteQueue", stack.arn("FailureQueue")),
              ("sqs:ReceiveMessage", stack.arn("FailureQueue")),
              ("lambda:UpdateFunctionConfiguration", stack.arn(function(stack)[0])),
              ("s3:GetObject", "arn:aws:s3:::bucket/key"), ("ec2:RunInstances", "*")]
    for action, resource in probes:
        assert not allowed(stack, principal, action, resource, identity=identity), f"{action} on {resource}"
    for s in identity:
        if as_list(s["Action"]) == ["iam:ListAccountAliases"]:
            continue  # IAM grants it only on "*" (the account's own alias, read-only)
        assert s["Resource"] != "*" and all(a.split(":")[1] not in ("*", "") for a in as_list(s["Action"])), s


def test_only_the_monitor_may_publish_to_its_topics(cfn):
    stack = deploy(cfn)
    _, function_principal, identity = function_role(stack)
    for topic in ("NotificationTopic", "OpsTopic"):
        arn = stack.ref(topic)
        assert not allowed(stack, {"AWS": ADMIN}, "sns:Publish", arn, identity=ADMIN_POLICY), \
            f"an administrator of the account cannot forge alerts on {topic}"
        assert not allowed(stack, {"AWS": f"arn:{PARTITION}:iam::999988887777:role/x"}, "sns:Publish", arn,
                           identity=ADMIN_POLICY)
        assert allowed(stack, function_principal, "sns:Publish", arn, identity=identity)
    alarm_arn = f"arn:{PARTITION}:cloudwatch:{REGION}:{ACCOUNT}:alarm:%s"
    cloudwatch = {"Service": "cloudwatch.amazonaws.com"}
    for name, a in alarms(stack).items():
        ctx = {"aws:SourceArn": alarm_arn % a["AlarmName"], "aws:SourceAccount": ACCOUNT}
        assert allowed(stack, cloudwatch, "sns:Publish", stack.ref("OpsTopic"), ctx), f"{name} reaches the ops topic"
        assert not allowed(stack, cloudwatch, "sns:Publish", stack.ref("NotificationTopic"), ctx), \
            "no alarm speaks on the alert topic"
    ctx = {"aws:SourceArn": alarm_arn % "someone-elses-alarm", "aws:SourceAccount": ACCOUNT}
    assert not allowed(stack, cloudwatch, "sns:Publish", stack.ref("OpsTopic"), ctx), "only this stack's alarms"


def test_each_topic_has_its_own_key_serving_only_who_publishes_there(cfn):
    """No one key silences both paths: the alert topic's key serves the function; the ops
    topic's the function, this stack's alarms and the rules' direct copies (EventBridge, with
    no condition: AWS does not support aws:SourceAccount/SourceArn for encrypted SNS targets)."""
    stack = deploy(cfn)
    topics = stack.of_type("AWS::SNS::Topic")
    assert topics["NotificationTopic"]["KmsMasterKeyId"] == stack.ref("TopicKey")
    assert topics["OpsTopic"]["KmsMasterKeyId"] == stack.ref("OpsKey")
    _, principal, identity = function_role(stack)
    cloudwatch, events = {"Service": "cloudwatch.amazonaws.com"}, {"Service": "events.amazonaws.com"}
    alert_key, ops_key = stack.arn("TopicKey"), stack.arn("OpsKey")
    for key in (alert_key, ops_key):
        assert allowed(stack, principal, "kms:GenerateDataKey", key, identity=identity)
        assert not allowed(stack, {"Service": "s3.amazonaws.com"}, "kms:Decrypt", key)
    assert allowed(stack, cloudwatch, "kms:GenerateDataKey", ops_key, {"aws:SourceAccount": ACCOUNT})
    assert not allowed(stack, cloudwatch, "kms:GenerateDataKey", ops_key, {"aws:SourceAccount": "999988887777"})
    assert allowed(stack, events, "kms:GenerateDataKey", ops_key, {})
    for service in (cloudwatch, events):
        assert not allowed(stack, service, "kms:GenerateDataKey", alert_key, {"aws:SourceAccount": ACCOUNT}), \
            "nothing but the function speaks on the alert topic"
    for key in ("TopicKey", "OpsKey"):
        for s in stack.resources[key]["Properties"]["KeyPolicy"]["Statement"]:
            assert s["Principal"] not in ("*", {"AWS": "*"}), s


def test_failed_events_can_reach_the_failure_queue_from_every_rule(cfn):
    stack = deploy(cfn)
    queue = stack.arn("FailureQueue")
    events = {"Service": "events.amazonaws.com"}
    for name, rule in rules(stack).items():
        ctx = {"aws:SourceArn": stack.arn(name), "aws:SourceAccount": ACCOUNT}
        assert allowed(stack, events, "sqs:SendMessage", queue, ctx), f"{name} can dead-letter"
        fn_name, _ = function(stack)
        _, others = split_targets(stack, rule)
        assert [t["Arn"] for t in others] == ([] if name in DIRECT_ONLY else [stack.arn(fn_name)]), \
            f"{name} targets the function"
        for target in rule["Targets"]:
            assert target["DeadLetterConfig"]["Arn"] == queue, f"{name} dead-letters to the failure queue"
            retry = target["RetryPolicy"]
            assert retry["MaximumRetryAttempts"] >= 100 and retry["MaximumEventAgeInSeconds"] >= 86400, name
        if name not in DIRECT_ONLY:
            assert allowed(stack, events, "lambda:InvokeFunction", stack.arn(fn_name), ctx), f"{name} may invoke"
    ctx = {"aws:SourceArn": f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/someone-else", "aws:SourceAccount": ACCOUNT}
    assert not allowed(stack, events, "sqs:SendMessage", queue, ctx), "only this stack's rules"
    assert len(rules(stack)) == 12


def test_in_digest_mode_the_rules_deliver_to_a_queue_only_they_may_write(cfn):
    stack = deploy(cfn, DeliveryMode="digest", DigestWindowSeconds=90)
    queue, failures = stack.arn("DigestQueue"), stack.arn("FailureQueue")
    events = {"Service": "events.amazonaws.com"}
    fn_name, fn = function(stack)
    for name, rule in rules(stack).items():
        ctx = {"aws:SourceArn": stack.arn(name), "aws:SourceAccount": ACCOUNT}
        assert not allowed(stack, events, "lambda:InvokeFunction", stack.arn(fn_name), ctx), \
            f"{name} no longer invokes the function"
        assert all(t["DeadLetterConfig"]["Arn"] == failures for t in rule["Targets"]), f"{name} still dead-letters"
        if name in DIRECT_ONLY:
            continue
        _, (target,) = split_targets(stack, rule)
        assert target["Arn"] == queue, f"{name} delivers to the digest queue"
        assert allowed(stack, events, "sqs:SendMessage", queue, ctx), f"{name} may deliver"
    assert len(rules(stack)) == 12
    other = {"aws:SourceArn": f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/someone-else", "aws:SourceAccount": ACCOUNT}
    assert not allowed(stack, events, "sqs:SendMessage", queue, other), "only this stack's rules"
    assert not allowed(stack, {"AWS": ADMIN}, "sqs:SendMessage", queue, identity=ADMIN_POLICY), \
        "an administrator of the account cannot queue forged events"
    _, principal, identity = function_role(stack)
    can = lambda action, resource: allowed(stack, principal, action, resource, identity=identity)  # noqa: E731
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert can(action, queue), f"the function may {action} the digest queue"
        assert not can(action, failures), f"and not the failure queue ({action})"
    assert not can("sqs:SendMessage", queue) and not can("sqs:PurgeQueue", queue)
    (mapping,) = stack.of_type("AWS::Lambda::EventSourceMapping").values()
    assert mapping["EventSourceArn"] == queue and mapping["FunctionName"] == stack.ref(fn_name)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], "only failed messages return"
    assert mapping["MaximumBatchingWindowInSeconds"] == "90"
    digest = stack.resources["DigestQueue"]["Properties"]
    dead = stack.resources["DigestDeadLetterQueue"]["Properties"]
    assert digest["RedrivePolicy"]["deadLetterTargetArn"] == stack.arn("DigestDeadLetterQueue")
    assert digest["MessageRetentionPeriod"] == dead["MessageRetentionPeriod"] == 1209600, "kept 14 days"
    assert digest["SqsManagedSseEnabled"] and dead["SqsManagedSseEnabled"], "encrypted"
    assert digest["VisibilityTimeout"] >= 6 * fn["Timeout"]
    watched = {d["Value"] for a in alarms(stack).values() for d in a.get("Dimensions", [])}
    assert {stack.names["DigestQueue"], stack.names["DigestDeadLetterQueue"]} <= watched, "both queues are watched"


def test_in_immediate_mode_there_is_no_queue_in_between(cfn):
    stack = deploy(cfn)
    assert not stack.of_type("AWS::Lambda::EventSourceMapping")
    assert "DigestQueue" not in stack.resources and "DigestDeadLetterQueue" not in stack.resources
    fn_name, fn = function(stack)
    assert fn["Timeout"] == 45
    for name, rule in rules(stack).items():
        _, others = split_targets(stack, rule)
        assert [t["Arn"] for t in others] == ([] if name in DIRECT_ONLY else [stack.arn(fn_name)]), name


def test_the_function_retries_and_keeps_what_it_cannot_deliver(cfn):
    stack = deploy(cfn)
    (config,) = stack.of_type("AWS::Lambda::EventInvokeConfig").values()
    fn_name, _ = function(stack)
    assert config["FunctionName"] == stack.ref(fn_name)
    assert config["MaximumRetryAttempts"] == 2 and config["MaximumEventAgeInSeconds"] >= 6 * 3600
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == stack.arn("FailureQueue")
    queue = stack.resources["FailureQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 1209600, "failed events are kept 14 days"


# ---- what reaches whom -------------------------------------------------------------------------

def subscribed(stack, topic):
    return sorted(s["Endpoint"] for s in stack.resources[topic]["Properties"].get("Subscription", []))


def test_every_address_is_subscribed_once_to_each_topic(cfn):
    for n in range(1, 6):
        emails = EMAILS[:n]
        stack = deploy(cfn, NotificationEmails=",".join(emails))
        assert subscribed(stack, "NotificationTopic") == sorted(emails), n
        assert subscribed(stack, "OpsTopic") == sorted(emails), f"{n}: the ops topic defaults to the same addresses"
        ops = EMAILS[5 - n:]
        stack = deploy(cfn, NotificationEmails=",".join(emails), OpsEmails=",".join(ops))
        assert subscribed(stack, "NotificationTopic") == sorted(emails)
        assert subscribed(stack, "OpsTopic") == sorted(ops), n


def test_alarms_watch_this_stacks_resources_and_speak_on_the_ops_topic(cfn):
    stack = deploy(cfn)
    fn_name, fn = function(stack)
    names = {"FunctionName": {fn["FunctionName"]}, "QueueName": {stack.names["FailureQueue"]},
             "TopicName": {stack.names["NotificationTopic"]}, "RuleName": {stack.names[k] for k in rules(stack)},
             "Canary": {stack.arn("HeartbeatCanary")}}
    for name, a in alarms(stack).items():
        assert a["AlarmActions"] == [stack.ref("OpsTopic")], name
        metrics = [m["MetricStat"]["Metric"] for m in a.get("Metrics", []) if "MetricStat" in m] or [a]
        for m in metrics:
            for d in m["Dimensions"]:
                assert d["Value"] in names[d["Name"]], f"{name} watches {d['Name']}={d['Value']}: not this stack's"
    for metric in ("FailedInvocations", "InvocationsFailedToBeSentToDlq"):
        summed = sorted(d["Value"] for a in alarms(stack).values()
                        for m in [x["MetricStat"]["Metric"] for x in a.get("Metrics", []) if "MetricStat" in x] or [a]
                        if m["MetricName"] == metric for d in m["Dimensions"])
        assert summed == sorted(names["RuleName"]), f"{metric}: every rule, once"
    for heartbeat in ("HeartbeatMissingAlarm", "HeartbeatNotCountedAlarm"):
        assert alarms(stack)[heartbeat]["TreatMissingData"] == "breaching", "a silent pipeline must fire the alarm"
    assert alarms(stack)["FailureQueueAlarm"]["MetricName"] == "NumberOfMessagesSent"


def test_the_function_gets_its_topics_and_canary(cfn):
    stack = deploy(cfn)
    _, fn = function(stack)
    env = fn["Environment"]["Variables"]
    assert env["TOPIC_ARN"] == stack.ref("NotificationTopic")
    assert env["OPS_TOPIC_ARN"] == stack.ref("OpsTopic")
    assert env["DRY_RUN"] == "false"
    assert env["HEARTBEAT_ROLE_ARN"] == stack.arn("HeartbeatCanary")
    assert env["HEARTBEAT_CALLER_ARN"] == stack.arn("HeartbeatSchedulerRole")
    assert env["IGNORE_PRINCIPALS"] == "" and env["IGNORE_AWS_SERVICES"] == "false"
    for days in ("90", "30"):
        group = deploy(cfn, LogRetentionDays=days).resources["FunctionLogGroup"]["Properties"]
        assert str(group.get("RetentionInDays")) == days, "logs are kept as long as LogRetentionDays says"


def test_the_heartbeat_travels_the_real_path(cfn):
    stack = deploy(cfn)
    canary, scheduler = stack.arn("HeartbeatCanary"), stack.arn("HeartbeatSchedulerRole")
    identity = stack.identity_statements("HeartbeatSchedulerRole")
    assert allowed(stack, {"AWS": scheduler}, "iam:TagRole", canary, identity=identity)
    for action, resource in (("iam:TagRole", f"arn:{PARTITION}:iam::{ACCOUNT}:role/admin"),
                             ("iam:AttachRolePolicy", canary), ("iam:PassRole", canary)):
        assert not allowed(stack, {"AWS": scheduler}, action, resource, identity=identity), action
    trust = stack.trust_statements("HeartbeatCanary")
    for who in ({"AWS": ADMIN}, {"AWS": ROOT_ARN}, {"Service": "lambda.amazonaws.com"}):
        assert not any(s["Effect"] == "Allow" and s["Action"] in ("sts:AssumeRole", "sts:*")
                       for s in trust), f"{who} could assume the canary"
    assert stack.identity_statements("HeartbeatCanary") == [], "the canary has no permissions"
    (timer,) = stack.of_type("AWS::Scheduler::Schedule").values()
    assert timer["Target"]["RoleArn"] == scheduler and timer["ScheduleExpression"] == "rate(1 day)"
    heartbeat_rule = rules(stack)["NotifyFunctionHeartbeatMonitor"]
    assert heartbeat_rule["State"] == "ENABLED"
    assert heartbeat_rule["EventPattern"]["detail"]["requestParameters"]["roleName"] == [stack.names["HeartbeatCanary"]]
    off = deploy(cfn, HeartbeatSchedule="none")
    assert "HeartbeatTimer" not in off.resources and "HeartbeatMissingAlarm" not in off.resources
    assert function(off)[1]["Environment"]["Variables"]["HEARTBEAT_ROLE_ARN"] == ""


def test_the_tamper_rule_watches_this_stacks_parts(cfn):
    stack = deploy(cfn)
    tamper = rules(stack)["NotifyFunctionTamperMonitor"]
    assert tamper["State"] == "ENABLED"
    branches = tamper["EventPattern"]["detail"]["$or"]
    fn_name, fn = function(stack)
    functions = [b["requestParameters"]["functionName"] for b in branches
                 if "functionName" in b.get("requestParameters", {})]
    assert functions and functions[0][0] == fn["FunctionName"]
    prefixes = [b["requestParameters"][k][0]["prefix"] for b in branches for k in ("name", "rule")
                if k in b.get("requestParameters", {})]
    assert len(prefixes) == 2 and all(stack.names[k].startswith(p) for p in prefixes for k in rules(stack)), \
        "every rule of this stack"
    assert all(p == "iam-notify-0a1b2c3d-" for p in prefixes), "named from this stack's id: no other stack's"
    # The topics, their subscriptions and data protection: the safeguards rule, by one prefix.
    safeguards = rules(stack)["NotifyFunctionSafeguardsMonitor"]["EventPattern"]["detail"]["$or"]
    sns = [alt[k][0]["prefix"] for b in safeguards for alt in b.get("requestParameters", {}).get("$or", [])
           for k in ("topicArn", "subscriptionArn", "resourceArn") if k in alt]
    assert len(sns) == 3 and all(stack.ref(t).startswith(p) for p in sns for t in ("NotificationTopic", "OpsTopic"))
    # Digest mode: both queues (by the last part of their URL) and the mapping (by the function
    # its response names).
    digest = deploy(cfn, DeliveryMode="digest")
    branches = rules(digest)["NotifyFunctionTamperMonitor"]["EventPattern"]["detail"]["$or"]
    (queues,) = [b["requestParameters"]["queueUrl"][0]["wildcard"] for b in branches
                 if "queueUrl" in b.get("requestParameters", {})]
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/%s"
    for queue in ("DigestQueue", "DigestDeadLetterQueue"):
        assert like(queues, url % digest.names[queue]), f"{queue} is watched"
    assert not like(queues, url % "another-stacks-queue")
    (mapping,) = [b["responseElements"]["functionArn"][0]["suffix"] for b in branches if "responseElements" in b]
    assert digest.arn(function(digest)[0]).endswith(mapping) and mapping.endswith(function(digest)[1]["FunctionName"])
    assert deploy(cfn, MonitorTamper="DISABLED") is not None


def test_the_region_guard_is_unconditional(template):
    guard = template["Rules"]["OnlyInUsEast1"]
    assert "RuleCondition" not in guard, "the region guard holds for every parameter value"
    assert len(template["Rules"]) == 1


def test_a_trail_only_when_asked_and_private(cfn):
    assert "Trail" not in deploy(cfn).resources
    stack = deploy(cfn, CreateTrail="true")
    trail = stack.resources["Trail"]["Properties"]
    assert trail["IsMultiRegionTrail"] and trail["IsLogging"] and trail["IncludeGlobalServiceEvents"]
    assert trail["EventSelectors"][0]["ReadWriteType"] in ("All", "WriteOnly")
    bucket = stack.resources["TrailBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] >= 1
    bucket_arn = stack.arn("TrailBucket")
    cloudtrail = {"Service": "cloudtrail.amazonaws.com"}
    trail_arn = f"arn:{PARTITION}:cloudtrail:{REGION}:{ACCOUNT}:trail/{stack.names['Trail']}"
    ctx = {"aws:SourceArn": trail_arn, "aws:SourceAccount": ACCOUNT, "s3:x-amz-acl": "bucket-owner-full-control",
           "aws:SecureTransport": "true"}
    assert allowed(stack, cloudtrail, "s3:PutObject", f"{bucket_arn}/AWSLogs/{ACCOUNT}/CloudTrail/x.json.gz", ctx)
    assert not allowed(stack, cloudtrail, "s3:PutObject", f"{bucket_arn}/AWSLogs/{ACCOUNT}/x",
                       {**ctx, "aws:SourceAccount": "999988887777"}), "only this account's trails"
    assert not allowed(stack, cloudtrail, "s3:PutObject", f"{bucket_arn}/AWSLogs/{ACCOUNT}/x",
                       {**ctx, "s3:x-amz-acl": "private"}), "the bucket owner owns every log"


# What each service accepts as a name (AWS's documented maximum lengths).
NAME_LIMITS = {"AWS::Events::Rule": 64, "AWS::Lambda::Function": 64, "AWS::SQS::Queue": 80, "AWS::SNS::Topic": 256,
               "AWS::Logs::LogGroup": 512, "AWS::CloudWatch::Alarm": 255, "AWS::IAM::Role": 64,
               "AWS::CloudTrail::Trail": 128, "AWS::Scheduler::Schedule": 64, "AWS::S3::Bucket": 63}


@pytest.mark.parametrize("stack_name", ["a", "iamnotify", "a" * 38, "s" + "-x" * 63 + "y"])
def test_every_name_fits_its_service_for_any_stack_name(cfn, stack_name):
    """CloudFormation accepts stack names of up to 128 characters; every name the template
    gives a resource must fit that resource's limit for all of them (the longest topic name
    too). Names the template does not give are generated by CloudFormation within the limit."""
    assert len(stack_name) <= 128
    stack = deploy(cfn, name=stack_name, SNSTopicName="t" * cfn["Parameters"]["SNSTopicName"]["MaxLength"],
                   CreateTrail="true")
    named = 0
    for logical, r in stack._raw.items():
        prop = stack.NAME_PROPERTY.get(r["Type"])
        if prop and prop in r.get("Properties", {}):
            named += 1
            name = stack.names[logical]
            assert len(name) <= NAME_LIMITS[r["Type"]], f"{logical}: {len(name)} characters for {r['Type']}"
    assert named >= 15, "the function, the nine rules, two topics, the log group and the alarms are named"
