"""The direct path of a change to the monitor, offline: template.yaml deployed in moto_server
(CloudFormation), its function deleted, and a tamper event delivered by the stack's own rules
to the ops topic, with no function in between.

moto stores the rules, patterns, targets and input transformers CloudFormation creates, and
delivers SNS to SQS; it does not deliver a rule's SNS target (moto's EventBridge sends to SQS,
logs and buses only). `deliver` is that last hop, done as EventBridge does it: every enabled
rule of the account whose pattern (moto's matcher) matches the event, each of its SNS targets,
the message its input transformer writes (moto's parser), published to the topic in moto."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "infra"))

# The samples' account, stack and function id, as recorded.
SAMPLE_ACCOUNT, SAMPLE_STACK, SAMPLE_ID = "111122223333", "iamnotify", "iam-notify-6f1c2a9e"


def deliver(events, sns, event):
    """Publishes what every matching rule's SNS targets receive; returns [(rule, topic, message)]."""
    from moto.events.models import EventPattern
    from moto.events.utils import EventTemplateParser
    out = []
    for page in events.get_paginator("list_rules").paginate():
        for rule in page["Rules"]:
            if rule.get("State") != "ENABLED" or "EventPattern" not in rule:
                continue
            if not EventPattern.load(rule["EventPattern"]).matches_event(event):
                continue
            for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
                if ":sns:" not in target["Arn"]:
                    continue
                transformer = target.get("InputTransformer")
                message = json.dumps(event) if transformer is None else EventTemplateParser.parse(
                    input_template=transformer["InputTemplate"], input_paths_map=transformer.get("InputPathsMap", {}),
                    event=dict(event, **{"ingestion-time": event.get("time", "")}))
                message = message if isinstance(message, str) else json.dumps(message)
                sns.publish(TopicArn=target["Arn"], Message=message)
                out.append((rule["Name"], target["Arn"], message))
    return out


def create_stack(cloudformation, s3, cfn, name, **parameters):
    """The SAM-transformed template `cfn` as a stack in moto, the function's code a stand-in
    zip where the transform points; returns the stack's description once no longer in
    progress (60 s at most)."""
    import io
    import time
    import zipfile

    import sam
    try:
        s3.create_bucket(Bucket=sam.CODE_BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    s3.put_object(Bucket=sam.CODE_BUCKET, Key=sam.CODE_KEY, Body=code.getvalue())
    cloudformation.create_stack(
        StackName=name, TemplateBody=json.dumps(cfn), Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    deadline = time.monotonic() + 60
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    while stack["StackStatus"].endswith("IN_PROGRESS") and time.monotonic() < deadline:
        time.sleep(0.2)
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return stack


def deploy(cloudformation, s3, name, **parameters):
    """template.yaml as a stack in moto (see `create_stack`); {logical id: physical id}."""
    import sam
    cfn = sam.transformed(sam.load_template(ROOT / "template.yaml"))
    stack = create_stack(cloudformation, s3, cfn, name, **parameters)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"{name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
    resources = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}


def against(sample, stack_name, ids, account):
    """A sample event as if made against the stack `ids` describes."""
    text = (ROOT / "events" / f"{sample}.json").read_text()
    text = text.replace(SAMPLE_ID, ids["NotifyFunction"]).replace(SAMPLE_ACCOUNT, account)
    return json.loads(text.replace(SAMPLE_STACK + "-", stack_name + "-"))


def function_deleted_then_tampered(clients, mailbox_url, stack_name="iamnotify-direct", sample="DeleteFunction20150331"):
    """Deploys the stack, subscribes `mailbox_url` (an SQS queue) to its ops topic, deletes the
    function, delivers `sample` as made against the stack; returns (what was published, what the
    mailbox received)."""
    cloudformation, events, sns, sqs, lam, s3 = (
        clients[s] for s in ("cloudformation", "events", "sns", "sqs", "lambda", "s3"))
    ids = deploy(cloudformation, s3, stack_name, NotificationEmails="ops@example.com")
    account = ids["OpsTopic"].split(":")[4]
    queue_arn = sqs.get_queue_attributes(QueueUrl=mailbox_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=ids["OpsTopic"], Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    lam.delete_function(FunctionName=ids["NotifyFunction"])
    published = deliver(events, sns, against(sample, stack_name, ids, account))
    received = []
    for _ in range(5):
        received += [m["Body"] for m in sqs.receive_message(QueueUrl=mailbox_url, MaxNumberOfMessages=10,
                                                             WaitTimeSeconds=1).get("Messages", [])]
        if len(received) >= len(published):
            break
    return published, received
