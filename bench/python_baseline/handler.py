"""The baseline: a Python 3 Lambda that does iam-notify's job honestly — it parses the event,
renders a subject, a plain-text body and a console link for the article's 25 calls (and a
generic message for the rest), and, at init, imports boto3 and creates an SNS client as a real
one would. In dry-run (the benchmark) it returns the notification instead of publishing.
"""

import json
import os
import re
import urllib.parse

import boto3

SNS = boto3.client("sns", region_name=os.environ.get("AWS_REGION", "us-east-1"))
TOPIC_ARN = os.environ.get("TOPIC_ARN", "")
DRY_RUN = os.environ.get("DRY_RUN", "false") == "true"

# call -> (kind, verb words, request key of the principal)
CALLS = {
    "CreatePolicy": ("policy", "created managed policy", None),
    "DeletePolicy": ("policy", "deleted managed policy", None),
    "CreatePolicyVersion": ("policy", "created a policy version of policy", None),
    "DeletePolicyVersion": ("policy", "deleted a policy version of policy", None),
    "PutGroupPolicy": ("group", "put inline policy", "groupName"),
    "DeleteGroupPolicy": ("group", "deleted inline policy", "groupName"),
    "PutRolePolicy": ("role", "put inline policy", "roleName"),
    "DeleteRolePolicy": ("role", "deleted inline policy", "roleName"),
    "PutUserPolicy": ("user", "put inline policy", "userName"),
    "DeleteUserPolicy": ("user", "deleted inline policy", "userName"),
    "AttachRolePolicy": ("role", "attached managed policy", "roleName"),
    "DetachRolePolicy": ("role", "detached managed policy", "roleName"),
    "AttachUserPolicy": ("user", "attached managed policy", "userName"),
    "DetachUserPolicy": ("user", "detached managed policy", "userName"),
    "AttachGroupPolicy": ("group", "attached managed policy", "groupName"),
    "DetachGroupPolicy": ("group", "detached managed policy", "groupName"),
    "CreateUser": ("user", "created user", "userName"),
    "CreateGroup": ("group", "created group", "groupName"),
    "CreateRole": ("role", "created role", "roleName"),
    "UpdateUser": ("user", "updated user", "userName"),
    "UpdateGroup": ("group", "updated group", "groupName"),
    "UpdateRole": ("role", "updated role", "roleName"),
    "DeleteUser": ("user", "deleted user", "userName"),
    "DeleteGroup": ("group", "deleted group", "groupName"),
    "DeleteRole": ("role", "deleted role", "roleName"),
}
HOSTS = {"aws-cn": "console.amazonaws.cn", "aws-us-gov": "console.amazonaws-us-gov.com"}
NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def who(identity):
    kind = identity.get("type")
    arn = identity.get("arn") or ""
    if kind == "Root":
        return "ROOT", f"the account root user ({arn})"
    if kind == "IAMUser":
        name = identity.get("userName") or arn.rsplit("/", 1)[-1]
        return name, f"IAM user {name} ({arn})"
    if kind == "AssumedRole" and ":assumed-role/" in arn:
        role, _, session = arn.split(":assumed-role/", 1)[1].partition("/")
        if role.startswith("AWSReservedSSO_"):
            return session, f"{session} via {role} (IAM Identity Center session) ({arn})"
        return f"{role}/{session}", f"role {role}, session {session} ({arn})"
    name = arn or identity.get("principalId") or identity.get("invokedBy") or "unknown caller"
    return name, f"{kind} {name}"


def render(event):
    d = event.get("detail") or {}
    name = d.get("eventName") or event.get("detail-type", "")
    req = d.get("requestParameters") or {}
    resp = d.get("responseElements") or {}
    short, long = who(d.get("userIdentity") or {})
    arns = [x for x in ((d.get("userIdentity") or {}).get("arn"), req.get("policyArn")) if x]
    partition = arns[0].split(":")[1] if arns else "aws"
    host = HOSTS.get(partition, "console.aws.amazon.com")
    call = CALLS.get(name) if d.get("eventSource") == "iam.amazonaws.com" else None
    if call:
        kind, verb, key = call
        policy_arn = req.get("policyArn") or (resp.get("policy") or {}).get("arn")
        policy = req.get("policyName") or (policy_arn or "").rsplit("/", 1)[-1]
        principal = req.get(key) if key else None
        target = f"{policy} -> {kind} {principal}" if principal and policy else f"{kind} {principal or policy}"
        summary = f"{verb} {target}"
        if kind == "policy":
            link = f"https://{host}/iam/home#/policies/details/{urllib.parse.quote(policy_arn or '', safe='')}"
        elif name.startswith("Delete") and not name.endswith("Policy"):
            link = f"https://{host}/iam/home#/{kind}s"
        else:
            link = f"https://{host}/iam/home#/{kind}s/details/{urllib.parse.quote(principal or '', safe='')}"
    else:
        target, summary = d.get("eventSource", ""), f"called {name}"
        link = f"https://{host}/cloudtrailv2/home?region=us-east-1#/events/{urllib.parse.quote(d.get('eventID') or '', safe='')}"
    tag = "[IAM DENIED]" if "AccessDenied" in (d.get("errorCode") or "") else "[IAM FAILED]" if d.get("errorCode") else "[IAM]"
    subject = " ".join(NOT_PRINTABLE.sub("?", f"{tag} {name} {target} by {short}").split())
    if len(subject) > 99:
        subject = subject[:96].rstrip() + "..."
    lines = [f"{short} {summary}.", ""]
    for label, value in (("Action", f"{name} ({d.get('eventSource')})"), ("Who", long),
                         ("Account", d.get("recipientAccountId")), ("Region", d.get("awsRegion")),
                         ("Time", d.get("eventTime")), ("Source IP", d.get("sourceIPAddress")),
                         ("User agent", d.get("userAgent")), ("Event ID", d.get("eventID")),
                         ("Request ID", d.get("requestID")), ("Console", link)):
        text = str(value if value is not None else "(not recorded)").replace("\n", "\\n")
        lines.append(f"{label + ':':<15} {text}")
    doc = req.get("policyDocument")
    if isinstance(doc, str):
        try:
            doc = json.loads(urllib.parse.unquote(doc) if doc.startswith("%") else doc)
        except ValueError:
            pass
    if doc:
        lines += ["", "Policy document:", json.dumps(doc, indent=2)]
    body = "\n".join(lines).encode()[:256_000].decode(errors="ignore")
    return {"subject": subject, "body": body, "link": link}


def lambda_handler(event, context):
    n = render(event)
    if DRY_RUN:
        return {"dryRun": True, "notification": n}
    out = SNS.publish(TopicArn=TOPIC_ARN, Subject=n["subject"], Message=n["body"])
    return {"messageId": out["MessageId"]}
