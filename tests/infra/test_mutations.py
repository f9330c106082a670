"""Template tests that catch real breakage: each mutation below is a realistic edit that breaks
the security or failure wiring of template.yaml. Applied to a copy of the template, every one
must make the template suite fail (the tests of test_template.py and test_wiring.py that read
the template, run in this process against the broken copy); the original must pass them all.

`make test-mutations` runs this file alone; `make test` runs it with the other infra tests."""

import copy
import inspect

import pytest

import sam
import test_organization
import test_settings
import test_silence
import test_template
import test_wiring


def props(t, name):
    return t["Resources"][name]["Properties"]


def event(t, name):
    """The properties of the rule `name` (`PolicyMonitor`)."""
    return props(t, "NotifyFunction" + name)


def role_statements(t):
    return props(t, "FunctionRole")["Policies"][0]["PolicyDocument"]["Statement"]


def sid(statements, name):
    return next(s for s in statements if s.get("Sid") == name)


def topic_policy(t, name):
    return props(t, name)["PolicyDocument"]["Statement"]


def drop_sid(statements, name):
    statements.remove(sid(statements, name))


def env(t):
    return props(t, "NotifyFunction")["Environment"]["Variables"]


def invoke_config(t):
    return props(t, "NotifyFunction")["EventInvokeConfig"]


def set_path(d, path, value):
    for key in path[:-1]:
        d = d[key]
    if value is DELETE:
        del d[path[-1]]
    else:
        d[path[-1]] = value


DELETE = object()
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}

MUTATIONS = {
    "role statement Action *": lambda t: role_statements(t).append(dict(ALLOW_ALL)),
    "second inline policy granting iam:*": lambda t: props(t, "FunctionRole")["Policies"].append(
        {"PolicyName": "extra", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}}),
    "publish policy on every topic": lambda t: set_path(
        props(t, "FunctionPublishPolicy"), ["PolicyDocument", "Statement", 0, "Resource"], "*"),
    "topic policy principal {AWS: [*]}": lambda t: topic_policy(t, "NotificationTopicPolicy").append(
        {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sns:Publish", "Resource": {"Ref": "NotificationTopic"}}),
    "alert topic's Deny removed": lambda t: drop_sid(topic_policy(t, "NotificationTopicPolicy"), "OnlyTheFunctionPublishes"),
    "alert topic's Deny exempts every role": lambda t: set_path(
        sid(topic_policy(t, "NotificationTopicPolicy"), "OnlyTheFunctionPublishes"), ["Condition"],
        {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}),
    "ops topic's Deny removed": lambda t: drop_sid(topic_policy(t, "OpsTopicPolicy"),
                                                   "OnlyTheFunctionAndThisStacksAlarmsPublish"),
    "region guard disabled by a RuleCondition": lambda t: set_path(
        t, ["Rules", "OnlyInUsEast1", "RuleCondition"], {"Fn::Equals": [{"Ref": "DryRun"}, "true"]}),
    "alarm on a function that does not exist": lambda t: set_path(
        props(t, "FunctionErrorsAlarm"), ["Dimensions", 0, "Value"], "some-other-function"),
    "alarm on a queue that does not exist": lambda t: set_path(
        props(t, "FailureQueueAlarm"), ["Dimensions", 0, "Value"], "no-such-queue"),
    "alarm on another stack's rule": lambda t: set_path(
        props(t, "RuleFailedInvocationsAlarm"), ["Metrics", 3, "MetricStat", "Metric", "Dimensions", 0, "Value"],
        "other-stack-policy-monitor"),
    "role unable to send to the failure queue": lambda t: drop_sid(role_statements(t), "KeepFailedEvents"),
    "queue policy SourceArn that matches nothing": lambda t: set_path(
        topic_policy(t, "FailureQueuePolicy")[0], ["Condition", "ArnEquals", "aws:SourceArn"],
        [{"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/nothing"}]),
    "queue policy forgets one rule": lambda t: topic_policy(t, "FailureQueuePolicy")[0]["Condition"]["ArnEquals"][
        "aws:SourceArn"].pop(),
    "topic policy SourceArn that matches nothing": lambda t: set_path(
        sid(topic_policy(t, "OpsTopicPolicy"), "ThisStacksAlarmsPublish"), ["Condition", "ArnLike", "aws:SourceArn"],
        {"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:nothing-*"}),
    "key policy loses the CloudWatch statement": lambda t: drop_sid(
        props(t, "OpsKey")["KeyPolicy"]["Statement"], "CloudWatchAlarmsPublishToTheTopics"),
    "key policy loses the function's statement": lambda t: drop_sid(
        props(t, "TopicKey")["KeyPolicy"]["Statement"], "TheFunctionPublishesToTheTopics"),
    "key policy open to every principal": lambda t: props(t, "TopicKey")["KeyPolicy"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}),
    "async retries 0": lambda t: set_path(invoke_config(t), ["MaximumRetryAttempts"], 0),
    "async maximum age 60 s": lambda t: set_path(invoke_config(t), ["MaximumEventAgeInSeconds"], 60),
    "on-failure destination removed": lambda t: set_path(invoke_config(t), ["DestinationConfig"], DELETE),
    "a non-article rule without retries": lambda t: set_path(
        event(t, "CredentialsMonitor"), ["Targets", 0, "RetryPolicy", "MaximumRetryAttempts"], 0),
    "a non-article rule without its DLQ": lambda t: set_path(event(t, "TrustMonitor"), ["Targets", 0, "DeadLetterConfig"], DELETE),
    "an article rule's events expire after 60 s": lambda t: set_path(
        event(t, "PolicyMonitor"), ["Targets", 0, "RetryPolicy", "MaximumEventAgeInSeconds"], 60),
    "one address never subscribed": lambda t: props(t, "NotificationTopic")["Subscription"]["Fn::If"][1].pop(),
    "ops topic without the fifth address": lambda t: props(t, "OpsTopic")["Subscription"]["Fn::If"][1].pop(),
    "log group the role cannot write": lambda t: set_path(
        sid(role_statements(t), "WriteItsOwnLogs"), ["Resource"],
        {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/other:*"}),
    "log retention removed": lambda t: set_path(props(t, "FunctionLogGroup"), ["RetentionInDays"], DELETE),
    "failure queue keeps messages 60 s": lambda t: set_path(props(t, "FailureQueue"), ["MessageRetentionPeriod"], 60),
    "an alarm speaks on the topic it watches": lambda t: set_path(
        props(t, "NotificationsFailedAlarm"), ["AlarmActions"], [{"Ref": "NotificationTopic"}]),
    "missing heartbeat treated as fine": lambda t: set_path(
        props(t, "HeartbeatMissingAlarm"), ["TreatMissingData"], "notBreaching"),
    "the schedule may tag any role": lambda t: set_path(
        props(t, "HeartbeatSchedulerRole"), ["Policies", 0, "PolicyDocument", "Statement", 0, "Resource"], "*"),
    "the canary trusts the account": lambda t: set_path(
        props(t, "HeartbeatCanary"), ["AssumeRolePolicyDocument", "Statement", 0, "Effect"], "Allow"),
    "the heartbeat rule watches another role": lambda t: set_path(
        event(t, "HeartbeatMonitor"), ["EventPattern", "detail", "requestParameters", "roleName"], ["-"]),
    "the tamper rule always off": lambda t: set_path(event(t, "TamperMonitor"), ["State"], "DISABLED"),
    "the safeguards rule forgets the ops topic": lambda t: set_path(
        event(t, "SafeguardsMonitor"), ["EventPattern", "detail", "$or", 0, "requestParameters", "$or", 0, "topicArn"],
        [{"Ref": "NotificationTopic"}]),
    "alerts published to the ops topic": lambda t: set_path(env(t), ["TOPIC_ARN"], {"Ref": "OpsTopic"}),
    "dry-run fixed on": lambda t: set_path(env(t), ["DRY_RUN"], "true"),
    "a rule named after the stack again": lambda t: set_path(
        event(t, "IdentityProvidersMonitor"), ["Name"], {"Fn::Sub": "${AWS::StackName}-identity-providers-monitor"}),
    "the function named after the stack": lambda t: set_path(
        props(t, "NotifyFunction"), ["FunctionName"], {"Fn::Sub": "${AWS::StackName}-notify"}),
    "topics left unencrypted by default": lambda t: set_path(t, ["Parameters", "TopicEncryption", "Default"], "none"),
    "anyone may queue events for the digest": lambda t: drop_sid(
        props(t, "DigestQueuePolicy")["PolicyDocument"]["Statement"], "NobodyElseWritesHere"),
    "a digest batch fails or succeeds as a whole": lambda t: set_path(
        props(t, "DigestBatches"), ["FunctionResponseTypes"], DELETE),
    "a rule bypasses the digest queue": lambda t: set_path(
        event(t, "TrustMonitor"), ["Targets", 0, "Arn"], {"Fn::GetAtt": ["NotifyFunction", "Arn"]}),
    "the digest queue unencrypted": lambda t: set_path(props(t, "DigestQueue"), ["SqsManagedSseEnabled"], False),
    "the tamper rule forgets the digest queues": lambda t: set_path(
        event(t, "TamperMonitor"), ["EventPattern", "detail", "$or", 3, "requestParameters", "queueUrl"],
        [{"wildcard": "*/other-queue"}]),
    "the bus accepts events from any account": lambda t: set_path(
        props(t, "OrganizationBusPolicy"), ["Statement", "Condition"], DELETE),
    "the bus policy allows every events action": lambda t: set_path(
        props(t, "OrganizationBusPolicy"), ["Statement", "Action"], "events:*"),
    "the bus policy in single-account mode too": lambda t: set_path(
        t["Resources"]["OrganizationBusPolicy"], ["Condition"], DELETE),
    "the root rule takes events any member writes": lambda t: set_path(
        event(t, "RootActivityMonitor"), ["EventPattern", "source"], DELETE),
    "the tamper rule takes events any member writes": lambda t: set_path(
        event(t, "TamperMonitor"), ["EventPattern", "source"], DELETE),
    "the tamper rule forgets the member forwarders": lambda t: set_path(
        event(t, "TamperMonitor"), ["EventPattern", "detail", "$or", 0, "requestParameters", "name"],
        event(t, "TamperMonitor")["EventPattern"]["detail"]["$or"][0]["requestParameters"]["name"][:1]),
    "member forwarder alarms go to the alert topic": lambda t: set_path(
        props(t, "MemberAlarmsRule"), ["Targets", 0, "Arn"], {"Ref": "NotificationTopic"}),
    "any EventBridge rule may publish to the ops topic": lambda t: set_path(
        sid(topic_policy(t, "OpsTopicPolicy"), "ThisStacksRulesPublish"), ["Condition"], DELETE),
    "the function may read every account's policies": lambda t: set_path(
        props(t, "FunctionEnrichPolicy"), ["PolicyDocument", "Statement", 0, "Resource"], "*"),
    "policy reading granted with enrichment off": lambda t: set_path(
        t["Resources"]["FunctionEnrichPolicy"], ["Condition"], DELETE),
    "digest dead letters go unwatched": lambda t: set_path(
        props(t, "DigestDeadLetterAlarm"), ["Dimensions", 0, "Value"], {"Fn::GetAtt": ["FailureQueue", "QueueName"]}),
    # ---- each class of setting, broken by meaning (tests/infra/test_settings.py) ----
    "a guard parameter defaults to silence": lambda t: set_path(t, ["Parameters", "IgnoreCloudFormation", "Default"], "true"),
    "dry-run by default": lambda t: set_path(t, ["Parameters", "DryRun", "Default"], "true"),
    "the tamper rules off by default": lambda t: set_path(t, ["Parameters", "MonitorTamper", "Default"], "DISABLED"),
    "the created trail logs no management events": lambda t: set_path(
        props(t, "Trail"), ["EventSelectors", 0, "IncludeManagementEvents"], False),
    "the created trail logs reads only": lambda t: set_path(
        props(t, "Trail"), ["EventSelectors", 0, "ReadWriteType"], "ReadOnly"),
    "the digest mapping lets only IAM's events through": lambda t: set_path(
        props(t, "DigestBatches"), ["FilterCriteria"], {"Filters": [{"Pattern": '{"body": {"source": ["aws.iam"]}}'}]}),
    "the errors alarm on the average": lambda t: set_path(props(t, "FunctionErrorsAlarm"), ["Statistic"], "Average"),
    "the throttles alarm needs two": lambda t: set_path(props(t, "FunctionThrottlesAlarm"), ["Threshold"], 2),
    "the failed-events alarm needs three periods": lambda t: set_path(props(t, "FailureQueueAlarm"), ["EvaluationPeriods"], 3),
    "the failed-invocations sum leaves out the tamper rule": lambda t: props(t, "MonitorRuleFailedInvocationsAlarm")[
        "Metrics"].pop(1),
    "a function permission without SourceArn": lambda t: set_path(
        props(t, "NotifyFunctionTamperMonitorPermission"), ["SourceArn"], DELETE),
    "the function role's trust without aws:SourceAccount": lambda t: set_path(
        props(t, "FunctionRole"), ["AssumeRolePolicyDocument", "Statement", 0, "Condition"], DELETE),
    "the scheduler role's trust without aws:SourceAccount": lambda t: set_path(
        props(t, "HeartbeatSchedulerRole"), ["AssumeRolePolicyDocument", "Statement", 0, "Condition"], DELETE),
    "the failure queue refuses the alarms rule": lambda t: props(t, "FailureQueuePolicy")["PolicyDocument"][
        "Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"].remove({"Fn::GetAtt": ["NotifyFunctionAlarmsMonitor", "Arn"]}),
    "the digest queue refuses the safeguards rule": lambda t: [
        st["Condition"][op]["aws:SourceArn"].remove({"Fn::GetAtt": ["NotifyFunctionSafeguardsMonitor", "Arn"]})
        for st, op in zip(props(t, "DigestQueuePolicy")["PolicyDocument"]["Statement"], ("ArnEquals", "ArnNotEquals"))],
    "the ops topic refuses the tamper-watch rule's copy": lambda t: next(
        st for st in topic_policy(t, "OpsTopicPolicy") if st.get("Sid") == "ThisStacksRulesPublish")["Condition"][
        "ArnEquals"]["aws:SourceArn"].remove({"Fn::GetAtt": ["TamperWatch", "Arn"]}),
    "the ops key refuses EventBridge": lambda t: drop_sid(props(t, "OpsKey")["KeyPolicy"]["Statement"],
                                                          "TheRulesPublishToTheOpsTopic"),
    "both topics under one key": lambda t: set_path(props(t, "OpsTopic"), ["KmsMasterKeyId"],
                                                    {"Fn::If": ["EncryptTopic", {"Ref": "TopicKey"}, {"Ref": "AWS::NoValue"}]}),
    "the heartbeat alarm on the function's own count only": lambda t: set_path(
        props(t, "HeartbeatMissingAlarm"), ["Namespace"], "iam-notify"),
    "a direct copy carries the caller's user agent": lambda t: set_path(
        next(x for x in event(t, "SafeguardsMonitor")["Targets"] if x["Id"] == "ops-topic-direct"),
        ["InputTransformer", "InputPathsMap", "ip"], "$.detail.userAgent"),
    "the tamper rule watches no rule but its own": lambda t: set_path(
        event(t, "TamperMonitor"), ["EventPattern", "detail", "$or", 0, "requestParameters", "name"],
        [{"Fn::Sub": ["iam-notify-${Id}-tamper-monitor", {"Id": "x"}]}]),
}


def silence_row_mutations():
    """One mutation per row of the README's silence matrix: its first noticer removed (the
    rule's branch that matches the row's first sample, or the alarm)."""
    out = {}
    for row in test_silence.matrix():
        noticer = row["noticers"][0]

        def remove(t, noticer=noticer, sample=(row["samples"] or [None])[0]):
            for key, r in t["Resources"].items():
                p = r.get("Properties", {})
                if r["Type"] == "AWS::CloudWatch::Alarm" and p["AlarmName"]["Fn::Sub"].endswith("-" + noticer):
                    del t["Resources"][key]
                    return
                name = p.get("Name", {})
                if r["Type"] == "AWS::Events::Rule" and isinstance(name, dict) and \
                        str(name.get("Fn::Sub", [""])[0]).endswith("-" + noticer):
                    detail = test_silence.json.loads((test_silence.ROOT / "events" / f"{sample}.json").read_text())["detail"]
                    branches = p["EventPattern"]["detail"]["$or"]
                    hit = next(b for b in branches if detail["eventSource"] in b["eventSource"] and any(
                        e == detail["eventName"] or (isinstance(e, dict) and (
                            detail["eventName"].startswith(e.get("prefix", "\0"))
                            or ("anything-but" in e and detail["eventName"] not in e["anything-but"])))
                        for e in b.get("eventName", [detail["eventName"]])))
                    branches.remove(hit)
                    return
            raise AssertionError(f"no rule or alarm named {noticer}")
        out[f"silence matrix row '{row['how'][:60]}': {noticer} removed"] = remove
    return out


MUTATIONS.update(silence_row_mutations())


def template_tests():
    """The suite's tests that read the template in this process (not cfn-lint's subprocess,
    not the moto ones): (name, function, {argument: value} for arguments other than the
    template), one entry per parameter set of a parametrized test."""
    out = []
    for module in (test_template, test_wiring, test_organization, test_silence, test_settings):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_") or "cfn_lint" in name:
                continue
            params = set(inspect.signature(fn).parameters)
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
            cases = [{}]
            for m in marks:
                names = [n.strip() for n in m.args[0].split(",")] if isinstance(m.args[0], str) else list(m.args[0])
                values = [v if len(names) > 1 else (v,) for v in m.args[1]]
                cases = [{**c, **dict(zip(names, v))} for c in cases for v in values]
            fixed = params - {"template", "cfn"}
            if params & {"template", "cfn"} and all(fixed <= set(c) for c in cases):
                out += [(f"{module.__name__}.{name}{'' if not c else c}", fn, c) for c in cases]
    return out


def failures(template):
    """The suite's verdict on `template`: the tests that fail, with why."""
    try:
        cfn = sam.transformed(template)
    except Exception as e:  # noqa: BLE001 - a template the transform rejects fails the suite
        return [f"SAM transform: {e}"]
    failed = []
    for name, fn, case in template_tests():
        args = {"template": template, "cfn": cfn, **case}
        try:
            fn(**{p: args[p] for p in inspect.signature(fn).parameters})
        except Exception as e:  # noqa: BLE001 - any failure of a test is the suite failing
            failed.append(f"{name}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    return failed


@pytest.fixture(scope="module")
def original():
    return sam.load_template(test_template.TEMPLATE)


def test_the_original_template_passes_every_template_test(original):
    assert len(template_tests()) >= 20
    assert failures(copy.deepcopy(original)) == []


def test_there_are_at_least_25_realistic_breakages():
    assert len(MUTATIONS) >= 80


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_suite_fails_on(original, mutation):
    broken = copy.deepcopy(original)
    MUTATIONS[mutation](broken)
    assert broken != original, "the mutation changed nothing"
    assert failures(broken), f"no template test fails when: {mutation}"
