#!/usr/bin/env python3
"""iam-notify, end to end, offline.

    make demo                      # every file in events/: a few full alerts, then a table of all
    make demo ALL=1                # every alert in full, then the table
    python scripts/demo.py FILE... # some of them
    python scripts/demo.py --invoke-only FILE   # one dry-run invoke, no SNS

1. moto_server on 127.0.0.1 stands in for SNS and SQS: a topic, and a queue subscribed to it
   standing in for the mailbox.
2. `cargo lambda watch` on 127.0.0.1 runs the real function under the Lambda runtime API
   emulator, with TOPIC_ARN and AWS_ENDPOINT_URL pointing at moto and dummy credentials.
3. `cargo lambda invoke --data-file` sends every event, as EventBridge would.
4. The queue is read; a handful of alerts (one per severity, the denied and the failed ones)
   are printed as the recipient sees them (all of them with --all), then one table: every
   sample with its call, severity, subject and whether it was delivered.
5. Digest mode: the Terraform-like burst of events/burst/terraform-apply.json (twenty changes
   and one critical attach by one CI session) is put in a digest queue in moto as the rules
   would, received as Lambda's event source mapping would, and invoked as one SQS batch; the
   messages the function does not return are deleted. One critical alert and one digest arrive.
6. An organization: moto's Organizations gets a member account ("Payments Production"); in it,
   forwarder.yaml is deployed by CloudFormation; a change and the member's heartbeat are put
   on its event bus as CloudTrail would; the forwarder's rules carry them to the central bus,
   where a rule stands in for the central stack's (a digest queue); the function, in central
   mode, names the account as Organizations does and counts the heartbeat by account.
7. What a change means: moto's IAM gets the samples' policies (billing-read with three
   versions, held by a role and a user; the allow-all deploy-permissions), a role another
   account may assume, and moto's Identity Store the SSO user; four samples, moved into that
   account, are invoked with enrichment on: each alert says what the new version changed and
   who holds the policy, what the attached policy grants and who may assume the role, and who
   the person behind the SSO session is.
8. A change to the monitor with its function gone: template.yaml deployed by moto's
   CloudFormation, its function deleted, the DeleteFunction event delivered by the stack's own
   rules (EventBridge's last hop to SNS, which moto lacks, done by scripts/direct_path.py): the
   ops mailbox gets EventBridge's own direct copy, with no function in between.
Every process started is stopped by PID, also on Ctrl-C or failure. Exits non-zero if an
invoke failed or a notification is missing.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_servers import OFFLINE_ENV, ROOT, VENV_BIN, Server, free_port, moto_server, offline_env  # noqa: E402

FIRST_INVOKE_TIMEOUT = 900  # the first invoke waits for cargo to compile the function
INVOKE_TIMEOUT = 60


def say(msg):
    print(msg, flush=True)


@dataclass
class Invoke:
    file: str
    ok: bool
    output: str

    @property
    def heartbeat(self):
        """The function counted this event as the heartbeat (no alert is sent for it)."""
        return self.ok and '"heartbeat":true' in self.output.replace(" ", "")


@dataclass
class Delivery:
    subject: str
    body: str
    attributes: dict
    document: dict


@dataclass
class Burst:
    """Digest mode: one SQS batch in, what arrived and what stayed in the queue."""
    file: str
    invoke: Invoke = None
    records: int = 0
    returned: list = field(default_factory=list)
    left_in_queue: int = 0
    deliveries: list = field(default_factory=list)

    @property
    def ok(self):
        return (self.invoke is not None and self.invoke.ok and not self.returned and self.left_in_queue == 0
                and len(self.deliveries) >= 1)


@dataclass
class Organization:
    """An organization's member account, through its forwarder to the central function."""
    member: str = ""
    name: str = ""
    forwarded: int = 0
    invoke: Invoke = None
    deliveries: list = field(default_factory=list)
    heartbeat_metrics: list = field(default_factory=list)

    @property
    def ok(self):
        return (self.forwarded == 2 and self.invoke is not None and self.invoke.ok
                and len(self.deliveries) == 1 and self.deliveries[0].attributes.get("account") == self.member
                and f"] {self.name}: " in self.deliveries[0].subject and len(self.heartbeat_metrics) == 1)


# What each enriched sample's alert must say (step 7), by sample file.
MEANING = {
    "CreatePolicyVersion.json": ("Compared with:  v2, the version created before v3", "Held by:        1 role (finance-reporting), 1 user (alice)", "What changed in what the policy grants:"),
    "SetDefaultPolicyVersion.json": ("Compared with:  v1, the version created before v2", "Held by:", "What changed in what the policy grants:"),
    "AttachRolePolicy.json": ("Policy version: v1 (its default version, read from IAM)", "Assumable by:   account 999988887777 (outside this account"),
    "AttachRolePolicy-aws-managed-AdministratorAccess-by-sso-user.json": ("Person:         Maria Garcia (user name maria.garcia@example.com",),
}
# The labels of the lines enrichment adds (what the demo prints of each enriched alert).
MEANING_LABELS = ("Severity:", "  - ", "Policy version:", "Compared with:", "Held by:", "Assumable by:", "Person:",
                  "Not looked up:", "What changed", "  ~ ", "  + ", "  - removed")


@dataclass
class Meaning:
    """Step 7: samples whose alerts read from moto's IAM and Identity Store what they mean."""
    invokes: list = field(default_factory=list)
    deliveries: list = field(default_factory=list)

    def delivery(self, name):
        event_id = json.loads((ROOT / "events" / name).read_text())["detail"]["eventID"]
        return next((d for d in self.deliveries if event_id in d.body), None)

    @property
    def ok(self):
        return (len(self.invokes) == len(MEANING) and all(i.ok for i in self.invokes)
                and all((d := self.delivery(name)) is not None and all(line in d.body for line in lines)
                        for name, lines in MEANING.items()))


@dataclass
class DirectPath:
    """Step 8: a change to the monitor reaching the ops mailbox with the function deleted."""
    published: list = field(default_factory=list)
    received: list = field(default_factory=list)

    @property
    def ok(self):
        return len(self.published) == 1 and len(self.received) == 1 and "no function in between" in self.received[0]


def run_direct_path(moto, progress):
    """Step 8: template.yaml in moto's CloudFormation, its function deleted, a tamper event."""
    import boto3
    import direct_path
    offline = {"endpoint_url": moto.url, "region_name": "us-east-1"}
    clients = {s: boto3.client(s, **offline) for s in ("cloudformation", "events", "sns", "sqs", "lambda", "s3")}
    mailbox = clients["sqs"].create_queue(QueueName="iam-notify-demo-direct-ops-mailbox")["QueueUrl"]
    published, received = direct_path.function_deleted_then_tampered(clients, mailbox)
    progress(f"      stack iamnotify-direct: CREATE_COMPLETE; its function deleted; DeleteFunction20150331 matched "
             f"{', '.join(rule for rule, _, _ in published) or 'no rule'}")
    progress(f"      {len(received)} direct copy arrived in the ops mailbox")
    return DirectPath(published, received)


@dataclass
class Result:
    invokes: list = field(default_factory=list)
    deliveries: list = field(default_factory=list)
    # What the ops topic's mailbox received: alerts about changes to the monitor itself.
    ops_deliveries: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    # Embedded-metric lines the function wrote for heartbeats.
    heartbeat_metrics: list = field(default_factory=list)
    # Digest mode's run, when one was asked for.
    burst: Burst = None
    # The organization's run (with the burst).
    organization: Organization = None
    # What a change means (with the burst).
    meaning: Meaning = None
    # A change to the monitor with the function deleted (with the burst).
    direct: DirectPath = None

    @property
    def alerts_expected(self):
        return sum(1 for i in self.invokes if i.ok and not i.heartbeat)

    @property
    def ok(self):
        return (all(i.ok for i in self.invokes) and not self.missing
                and len(self.deliveries) == self.alerts_expected
                and (self.burst is None or self.burst.ok)
                and (self.organization is None or self.organization.ok)
                and (self.meaning is None or self.meaning.ok)
                and (self.direct is None or self.direct.ok))


# The samples' stack (events/TagRole-heartbeat-by-schedule.json): its heartbeat canary and the
# role its schedule acts as, as the template hands them to the function.
DEMO_CANARY = "arn:aws:iam::111122223333:role/iamnotify-HeartbeatCanary-A1B2C3D4E5F6"
DEMO_SCHEDULER = "arn:aws:iam::111122223333:role/iam-notify-6f1c2a9e-heartbeat"


def read_mailbox(sqs, queue, into, expected, seconds=20):
    """Moves what SNS delivered to `queue` into `into` until `expected` arrived or time is up."""
    deadline = time.monotonic() + seconds
    while len(into) < expected and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in got.get("Messages", []):
            # SNS wraps what it delivers to SQS in an envelope; iam-notify publishes per
            # protocol, so the queue gets the machine-readable document, whose `text` is
            # exactly what an email subscriber reads.
            envelope = json.loads(m["Body"])
            document = json.loads(envelope.get("Message", "{}"))
            into.append(Delivery(
                envelope.get("Subject", ""), document.get("text", ""),
                {k: v.get("Value") for k, v in envelope.get("MessageAttributes", {}).items()},
                document))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])


def check_tools():
    missing = [t for t in ("cargo-lambda", "moto_server") if not (VENV_BIN / t).exists()]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)} in {VENV_BIN}: run `make venv` (or `make demo`) first")


def start_watch(log_dir, **env_vars):
    port = free_port()
    env_list = ",".join(f"{k}={v}" for k, v in env_vars.items())
    argv = ["cargo", "lambda", "watch", "-A", "127.0.0.1", "-P", str(port), "--env-vars", env_list]
    return Server("cargo lambda watch", argv, port, env=offline_env(**env_vars),
                  log_path=Path(log_dir) / "watch.log", ready_timeout=120)


def invoke(watch, path, timeout):
    argv = ["cargo", "lambda", "invoke", "-A", "127.0.0.1", "-P", str(watch.port),
            "--data-file", str(path)]
    try:
        out = subprocess.run(argv, env=offline_env(), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Invoke(path.name, False, f"no answer within {timeout}s")
    return Invoke(path.name, out.returncode == 0, (out.stdout + out.stderr).strip())


def as_lambda_batch(messages, queue_arn):
    """The event Lambda's SQS event source mapping hands the function for `messages` (as
    ReceiveMessage returned them)."""
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1"} for m in messages]}


def run_burst(path, sqs, watch, mailbox_queue, log_dir, progress):
    """Digest mode with moto's SQS standing in for the digest queue: the burst's events are
    sent to it as the rules would, received as the event source mapping would, invoked as
    one batch, and the messages not returned are deleted."""
    burst = Burst(path.name)
    events = [r["body"] for r in json.loads(path.read_text())["Records"]]
    queue = sqs.create_queue(QueueName="iam-notify-demo-digest")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for body in events:
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    received = []
    while len(received) < len(events):
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"],
                                  VisibilityTimeout=300, WaitTimeSeconds=1).get("Messages", [])
        if not got:
            break
        received += got
    burst.records = len(received)
    batch_file = Path(log_dir) / "digest-batch.json"
    batch_file.write_text(json.dumps(as_lambda_batch(received, queue_arn)))
    progress(f"      {len(events)} events in the digest queue, received as one batch of {len(received)}; invoking it")
    burst.invoke = invoke(watch, batch_file, INVOKE_TIMEOUT)
    if burst.invoke.ok:
        answer = json.loads(burst.invoke.output[burst.invoke.output.index("{"):])
        burst.returned = [f["itemIdentifier"] for f in answer.get("batchItemFailures", [])]
        for m in received:
            if m["MessageId"] not in burst.returned:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    else:
        progress("        " + burst.invoke.output.replace("\n", "\n        "))
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages",
                                                                      "ApproximateNumberOfMessagesNotVisible"])
    burst.left_in_queue = sum(int(v) for v in attrs["Attributes"].values())
    read_mailbox(sqs, mailbox_queue, burst.deliveries, 2)
    progress(f"      {len(burst.returned)} messages returned to the queue, {burst.left_in_queue} left in it; "
             f"{len(burst.deliveries)} notifications arrived")
    return burst


def member_client(moto, account, service):
    """A client acting in `account`: moto maps an assumed role's keys to the role's account."""
    import boto3
    offline = {"endpoint_url": moto.url, "region_name": "us-east-1"}
    creds = boto3.client("sts", **offline).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="demo")["Credentials"]
    return boto3.client(service, **offline, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


# The samples' member account (events/organization/), replaced by the one moto creates.
SAMPLE_MEMBER = "444455556666"


def run_organization(moto, topic, mailbox_queue, log_dir, progress):
    """Step 6: a member account's change and heartbeat, through forwarder.yaml, to the function
    in central mode."""
    import boto3
    from samtranslator.yaml_helper import yaml_parse
    offline = {"endpoint_url": moto.url, "region_name": "us-east-1"}
    central = "123456789012"  # moto's default account: the central one
    org = Organization()
    organizations = boto3.client("organizations", **offline)
    org_id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    org.name = "Payments Production"
    request = organizations.create_account(AccountName=org.name, Email="payments@example.com")
    org.member = organizations.describe_create_account_status(
        CreateAccountRequestId=request["CreateAccountStatus"]["Id"])["CreateAccountStatus"]["AccountId"]
    progress(f"      organization {org_id}: central account {central}, member {org.member} ({org.name})")
    # The central stack's rules, stood in for by one rule into a queue (as digest mode).
    events, sqs = boto3.client("events", **offline), boto3.client("sqs", **offline)
    queue = sqs.create_queue(QueueName="iam-notify-demo-central")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="iam-notify-demo-central", EventPattern=json.dumps({"source": [{"prefix": "aws."}]}))
    events.put_targets(Rule="iam-notify-demo-central", Targets=[{"Id": "queue", "Arn": queue_arn}])
    # The member's forwarder, as a StackSet instance would create it.
    cf = member_client(moto, org.member, "cloudformation")
    template = yaml_parse((ROOT / "forwarder.yaml").read_text())
    cf.create_stack(StackName="iam-notify-forwarder", TemplateBody=json.dumps(template),
                    Capabilities=["CAPABILITY_NAMED_IAM"],
                    Parameters=[{"ParameterKey": "CentralAccountId", "ParameterValue": central}])
    status = cf.describe_stacks(StackName="iam-notify-forwarder")["Stacks"][0]["StackStatus"]
    progress(f"      forwarder.yaml in account {org.member}: {status}")
    member_events = member_client(moto, org.member, "events")
    for name in ("AttachRolePolicy-in-member-account", "TagRole-member-heartbeat"):
        e = json.loads((ROOT / "events" / "organization" / f"{name}.json").read_text()
                       .replace(SAMPLE_MEMBER, org.member))
        member_events.put_events(Entries=[{"Source": e["source"], "DetailType": e["detail-type"],
                                           "Detail": json.dumps(e["detail"])}])
    received = []
    for _ in range(10):
        received += sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if len(received) >= 2:
            break
    org.forwarded = len(received)
    progress(f"      2 events put on the member's bus; {org.forwarded} reached the central bus's queue; invoking them")
    batch_file = Path(log_dir) / "organization-batch.json"
    batch_file.write_text(json.dumps(as_lambda_batch(received, queue_arn)))
    (Path(log_dir) / "organization").mkdir(exist_ok=True)
    with start_watch(Path(log_dir) / "organization", TOPIC_ARN=topic, ORGANIZATION_ID=org_id,
                     AWS_ENDPOINT_URL=moto.url, RUST_LOG="info",
                     **{k: v for k, v in offline_env().items() if k.startswith("AWS_")}) as watch:
        org.invoke = invoke(watch, batch_file, INVOKE_TIMEOUT)
        read_mailbox(sqs, mailbox_queue, org.deliveries, 1)
        org.heartbeat_metrics = [line for line in Path(watch.log_path).read_text(errors="replace").splitlines()
                                 if '"MemberHeartbeats":1' in line]
    if not org.invoke.ok:
        progress("        " + org.invoke.output.replace("\n", "\n        "))
    progress(f"      {len(org.deliveries)} alert arrived; {len(org.heartbeat_metrics)} member heartbeat counted")
    return org


# The samples' account, and the identity store the SSO sample's user is in (step 7).
SAMPLE_ACCOUNT = "111122223333"
DEMO_STORE = "d-1234567890"


def meaning_fixtures(moto, progress):
    """What the four enriched samples refer to, in moto's default account: policies, versions,
    holders, roles, the SSO user. Returns billing-read's ARN."""
    import boto3
    offline = {"endpoint_url": moto.url, "region_name": "us-east-1"}
    account = "123456789012"  # moto's default account: the stack's own
    iam = boto3.client("iam", **offline)

    def doc(*statements):
        return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    read = {"Sid": "ReadBilling", "Effect": "Allow", "Action": ["ce:Get*"], "Resource": "*"}
    reports = {"Sid": "Reports", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::billing-reports/*"}
    create = json.loads((ROOT / "events" / "CreatePolicyVersion.json").read_text())["detail"]["requestParameters"]
    billing = iam.create_policy(PolicyName="billing-read", PolicyDocument=doc(read))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=billing, PolicyDocument=doc({**read, "Action": ["ce:Get*", "budgets:ViewBudget"]}, reports),
                              SetAsDefault=True)
    iam.create_policy_version(PolicyArn=billing, PolicyDocument=create["policyDocument"], SetAsDefault=True)
    trust = lambda principal: doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})  # noqa: E731
    iam.create_role(RoleName="finance-reporting", AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))
    iam.attach_role_policy(RoleName="finance-reporting", PolicyArn=billing)
    iam.create_user(UserName="alice")
    iam.attach_user_policy(UserName="alice", PolicyArn=billing)
    iam.create_policy(PolicyName="deploy-permissions", PolicyDocument=doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    iam.create_role(RoleName="ci-deploy", AssumeRolePolicyDocument=trust({"AWS": "arn:aws:iam::999988887777:root"}))
    boto3.client("identitystore", **offline).create_user(
        IdentityStoreId=DEMO_STORE, UserName="maria.garcia@example.com", DisplayName="Maria Garcia",
        Name={"GivenName": "Maria", "FamilyName": "Garcia"},
        Emails=[{"Value": "maria.garcia@example.com", "Type": "work", "Primary": True}])
    progress(f"      in account {account}: policy billing-read v1-v3 held by role finance-reporting and user alice; "
             "policy deploy-permissions (allow-all); role ci-deploy, which account 999988887777 may assume; "
             f"Identity Store {DEMO_STORE} with maria.garcia@example.com")
    return billing


def run_meaning(moto, topic, mailbox_queue, log_dir, progress):
    """Step 7: the samples' policies, roles and person in moto; four samples in that account."""
    import boto3
    offline = {"endpoint_url": moto.url, "region_name": "us-east-1"}
    account = "123456789012"  # moto's default account: the stack's own
    iam = boto3.client("iam", **offline)
    meaning = Meaning()
    billing = meaning_fixtures(moto, progress)
    folder = Path(log_dir) / "meaning"
    folder.mkdir(exist_ok=True)
    with start_watch(folder, TOPIC_ARN=topic, IDENTITY_STORE_ID=DEMO_STORE, AWS_ENDPOINT_URL=moto.url, RUST_LOG="info",
                     **{k: v for k, v in offline_env().items() if k.startswith("AWS_")}) as watch:
        for name in MEANING:
            if name == "SetDefaultPolicyVersion.json":
                iam.set_default_policy_version(PolicyArn=billing, VersionId="v2")  # what the sample records
            path = folder / name
            path.write_text((ROOT / "events" / name).read_text().replace(SAMPLE_ACCOUNT, account))
            inv = invoke(watch, path, FIRST_INVOKE_TIMEOUT)
            meaning.invokes.append(inv)
            progress(f"      {name}: {'ok' if inv.ok else 'FAILED'}")
            if not inv.ok:
                progress("        " + inv.output.replace("\n", "\n        "))
        read_mailbox(boto3.client("sqs", **offline), mailbox_queue, meaning.deliveries, len(MEANING))
    progress(f"      {len(meaning.deliveries)} alerts arrived, each with what IAM and Identity Store say")
    return meaning


def run(files, log_dir, progress=say, burst=None):
    """Runs the whole path for `files` (and digest mode for the SQS batch `burst`, if given);
    returns what was invoked and what arrived."""
    import boto3

    result = Result()
    steps = 4 if burst is None else 8
    progress(f"[1/{steps}] starting moto_server (SNS + SQS) on 127.0.0.1")
    with moto_server(log_path=Path(log_dir) / "moto.log") as moto:
        offline = {"endpoint_url": moto.url, "region_name": "us-east-1",
                   "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        sns = boto3.client("sns", **offline)
        sqs = boto3.client("sqs", **offline)
        mailbox = {}
        for name in ("iam-notify-demo", "iam-notify-demo-ops"):
            topic = sns.create_topic(Name=name)["TopicArn"]
            queue = sqs.create_queue(QueueName=f"{name}-mailbox")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
            mailbox[name] = (topic, queue)
        (topic, queue), (ops_topic, ops_queue) = mailbox["iam-notify-demo"], mailbox["iam-notify-demo-ops"]
        progress(f"      moto_server pid {moto.pid} at {moto.url}; alert topic {topic} and ops topic "
                 f"{ops_topic}, a mailbox queue subscribed to each")

        progress(f"[2/{steps}] starting `cargo lambda watch` (the Lambda runtime API emulator) on 127.0.0.1")
        with start_watch(log_dir, TOPIC_ARN=topic, OPS_TOPIC_ARN=ops_topic, HEARTBEAT_ROLE_ARN=DEMO_CANARY,
                         HEARTBEAT_CALLER_ARN=DEMO_SCHEDULER, AWS_ENDPOINT_URL=moto.url, RUST_LOG="info",
                         **{k: v for k, v in offline_env().items() if k.startswith("AWS_")}) as watch:
            progress(f"      cargo lambda watch pid {watch.pid} on port {watch.port}")
            progress(f"[3/{steps}] invoking {len(files)} events (the first waits for the build)")
            for n, path in enumerate(files, 1):
                timeout = FIRST_INVOKE_TIMEOUT if n == 1 else INVOKE_TIMEOUT
                started = time.monotonic()
                inv = invoke(watch, path, timeout)
                result.invokes.append(inv)
                took = time.monotonic() - started
                status = ("ok: heartbeat counted, no alert" if inv.heartbeat else "ok") if inv.ok else "FAILED"
                progress(f"      [{n}/{len(files)}] {path.name}: {status} ({took:.1f}s)")
                if not inv.ok:
                    progress("        " + inv.output.replace("\n", "\n        "))

            progress(f"[4/{steps}] reading the mailbox queues")
            expected = result.alerts_expected
            read_mailbox(sqs, queue, result.deliveries, expected)
            ops_expected = sum(1 for i in result.invokes if i.ok and '"opsMessageId"' in i.output)
            read_mailbox(sqs, ops_queue, result.ops_deliveries, ops_expected, seconds=10)
            result.heartbeat_metrics = [line for line in Path(watch.log_path).read_text(errors="replace").splitlines()
                                        if '"Heartbeats":1' in line]
            if len(result.deliveries) > expected:
                progress(f"      {len(result.deliveries) - expected} more notifications than invokes")
            if burst is not None:
                progress(f"[5/{steps}] digest mode: {burst.relative_to(ROOT) if burst.is_relative_to(ROOT) else burst} "
                         "through an SQS digest queue")
                result.burst = run_burst(burst, sqs, watch, queue, log_dir, progress)
        if any(not i.ok for i in result.invokes):
            progress(f"      function log: {watch.log_path}")
        if burst is not None:
            progress(f"[6/{steps}] an organization: a member account's change through forwarder.yaml to the "
                     "function in central mode")
            result.organization = run_organization(moto, topic, queue, log_dir, progress)
            progress(f"[7/{steps}] what a change means: the samples' policies, roles and person in moto's IAM and "
                     "Identity Store, read by the function")
            result.meaning = run_meaning(moto, topic, queue, log_dir, progress)
            progress(f"[8/{steps}] a change to the monitor with its function deleted: template.yaml in moto's "
                     "CloudFormation, the rules' direct copy to the ops topic")
            result.direct = run_direct_path(moto, progress)
    heartbeats = {i.file for i in result.invokes if i.heartbeat}
    for path in files:
        event_id = json.loads(path.read_text())["detail"].get("eventID")
        if path.name not in heartbeats and not any(event_id and event_id in d.body for d in result.deliveries):
            result.missing.append(path.name)
    return result


@dataclass
class Row:
    file: str
    call: str
    severity: str
    subject: str
    delivered: bool
    # Also arrived on the ops topic (a change to the monitor itself).
    ops: bool = False
    heartbeat: bool = False

    @property
    def status(self):
        if self.heartbeat:
            return "counted"
        return ("yes" if self.delivered else "NO") + ("+ops" if self.ops else "")


def summary(files, result):
    """One row per event file: what it was, what arrived for it (matched by event ID)."""
    rows = []
    heartbeats = {i.file for i in result.invokes if i.heartbeat}
    for path in files:
        detail = json.loads(path.read_text()).get("detail", {})
        event_id = detail.get("eventID")
        d = next((d for d in result.deliveries if event_id and event_id in d.body), None)
        ops = any(event_id and event_id in o.body for o in result.ops_deliveries)
        if path.name in heartbeats:
            rows.append(Row(path.name, detail.get("eventName") or "(none)", "-",
                            "(heartbeat: counted as a metric, no alert)", True, heartbeat=True))
            continue
        rows.append(Row(path.name, detail.get("eventName") or "(none)",
                        d.attributes.get("severity", "?") if d else "-",
                        d.subject if d else "(nothing arrived)", d is not None, ops=ops))
    return rows


def table(rows):
    """The rows as a plain-text table, one line each, columns aligned."""
    header = ("call", "severity", "delivered", "subject")
    lines = [(r.call, r.severity, r.status, r.subject) for r in rows]
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(3)]
    fmt = lambda x: "  ".join(c.ljust(w) for c, w in zip(x[:3], widths)) + "  " + x[3]  # noqa: E731
    return "\n".join([fmt(header), fmt(tuple("-" * w for w in widths) + ("-" * 7,)), *map(fmt, lines)])


def featured(deliveries):
    """A handful worth reading in full: the first of each severity, denied and failed."""
    picks = []
    for key, value in (("severity", "critical"), ("severity", "warning"), ("severity", "info"),
                       ("outcome", "denied"), ("outcome", "failed")):
        d = next((d for d in deliveries if d.attributes.get(key) == value), None)
        if d is not None and d not in picks:
            picks.append(d)
    return picks


def rule():
    """The line that opens each part of the demo's report."""
    say("\n" + "=" * 100)


def print_alert(d):
    rule()
    say(f"Subject: {d.subject}")
    say(f"Attributes: {json.dumps(d.attributes, sort_keys=True)}")
    say("-" * 100)
    say(d.body)


def digest_line(burst):
    """The digest run in the closing line (nothing when there was none)."""
    if burst is None:
        return ""
    return f"digest mode: {burst.records} changes in one batch, {len(burst.deliveries)} emails; "


def organization_line(org):
    """The organization's run in the closing line (nothing when there was none)."""
    if org is None:
        return ""
    return (f"organization: {org.forwarded} events forwarded from a member account, {len(org.deliveries)} alert "
            f"naming it, {len(org.heartbeat_metrics)} heartbeat counted; ")


def meaning_line(meaning):
    """What a change means, in the closing line (nothing when it was not run)."""
    if meaning is None:
        return ""
    enriched = sum(1 for name in MEANING if meaning.delivery(name) is not None)
    return f"meaning: {len(meaning.invokes)} changes read from IAM and Identity Store, {enriched} alerts saying what they mean; "


def direct_line(direct):
    """The direct path, in the closing line (nothing when it was not run)."""
    if direct is None:
        return ""
    return f"direct path: {len(direct.received)} copy in the ops mailbox with the function deleted; "


def invoke_only(path, log_dir):
    say(f"starting `cargo lambda watch` on 127.0.0.1 in dry-run (no SNS) for {path}")
    with start_watch(log_dir, DRY_RUN="true", RUST_LOG="info") as watch:
        inv = invoke(watch, path, FIRST_INVOKE_TIMEOUT)
    say(inv.output)
    return 0 if inv.ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, help="event files (default: events/*.json)")
    parser.add_argument("--invoke-only", action="store_true", help="one dry-run invoke of one file, no SNS")
    parser.add_argument("--all", action="store_true", help="print every alert in full, not only a handful")
    args = parser.parse_args(argv)
    check_tools()
    # This process and every child: dummy credentials, a region, no instance metadata.
    os.environ.update(OFFLINE_ENV)
    os.environ.pop("AWS_PROFILE", None)

    # Ctrl-C and SIGTERM unwind through the `with` blocks, which stop every process.
    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupted)

    log_dir = tempfile.mkdtemp(prefix="iam-notify-demo-")
    try:
        if args.invoke_only:
            if len(args.files) != 1:
                parser.error("--invoke-only takes exactly one event file")
            return invoke_only(args.files[0], log_dir)
        files = args.files or sorted((ROOT / "events").glob("*.json"))
        burst = None if args.files else ROOT / "events" / "burst" / "terraform-apply.json"
        started = time.monotonic()
        result = run(files, log_dir, burst=burst)
    except KeyboardInterrupt:
        say("\ninterrupted: every process started has been stopped")
        return 130
    shown = result.deliveries if args.all else featured(result.deliveries)
    for d in shown:
        print_alert(d)
    if result.ops_deliveries:
        rule()
        say(f"The ops topic's mailbox: {len(result.ops_deliveries)} alerts about changes to the monitor itself "
            "(each also on the alert topic), the first in full:")
        print_alert(result.ops_deliveries[0])
    for line in result.heartbeat_metrics:
        rule()
        say("The heartbeat: no alert, one CloudWatch embedded-metric line in the function's log "
            "(the heartbeat-missing alarm watches it):")
        say(line)
    if not args.all:
        say(f"\n({len(shown)} of {len(result.deliveries)} alerts shown in full; `make demo ALL=1` prints every one)")
    if result.burst is not None:
        b = result.burst
        rule()
        say(f"Digest mode ({b.file}): {b.records} changes in one batch became {len(b.deliveries)} emails: "
            "each warning or critical alert at once, one digest for the rest of the session:")
        for d in b.deliveries:
            print_alert(d)
    if result.organization is not None:
        o = result.organization
        rule()
        say(f"An organization: account {o.member} ({o.name}) forwarded {o.forwarded} events to the central bus; "
            "the change arrived named as AWS Organizations names the account, the heartbeat was counted:")
        for d in o.deliveries:
            print_alert(d)
        for line in o.heartbeat_metrics:
            say(line)
    if result.meaning is not None:
        m = result.meaning
        rule()
        say("What a change means: what the function read from moto's IAM and Identity Store, the first in full:")
        for n, name in enumerate(MEANING):
            d = m.delivery(name)
            if d is None:
                say(f"\n(nothing arrived for {name})")
            elif n == 0:
                print_alert(d)
            else:
                say(f"\nSubject: {d.subject}")
                for line in d.body.splitlines():
                    if line.startswith(MEANING_LABELS):
                        say(line)
    if result.direct is not None and result.direct.received:
        rule()
        say("A change to the monitor with its function deleted: what EventBridge itself sent to the ops topic:")
        say(result.direct.received[0])
    say("\n" + table(summary(files, result)))
    failed = [i.file for i in result.invokes if not i.ok]
    rule()
    heartbeats = sum(1 for i in result.invokes if i.heartbeat)
    say(f"{len(result.invokes)} events invoked, {len(failed)} failed; {heartbeats} heartbeat counted; "
        f"{len(result.deliveries)} notifications arrived in the alert mailbox, {len(result.ops_deliveries)} "
        f"in the ops mailbox; {digest_line(result.burst)}{organization_line(result.organization)}"
        f"{meaning_line(result.meaning)}{direct_line(result.direct)}"
        f"{time.monotonic() - started:.0f}s; logs in {log_dir}")
    if failed:
        say("failed invokes: " + ", ".join(failed))
    if result.missing:
        say("no notification for: " + ", ".join(result.missing))
    if result.burst is not None and not result.burst.ok:
        say(f"digest mode failed: {result.burst}")
    if result.organization is not None and not result.organization.ok:
        say(f"the organization's run failed: {result.organization}")
    if result.direct is not None and not result.direct.ok:
        say(f"the direct path failed: {result.direct}")
    if result.meaning is not None and not result.meaning.ok:
        say("what a change means: an alert did not say what was expected: "
            + ", ".join(n for n, lines in MEANING.items()
                        if (d := result.meaning.delivery(n)) is None or not all(x in d.body for x in lines)))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
