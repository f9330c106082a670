#!/usr/bin/env python3
"""Builds the SQS batch event Lambda hands the function in digest mode, from sample events.

In digest mode each EventBridge rule delivers its events to the digest queue; the event source
mapping hands the function a batch: `{"Records": [{"messageId", "body": <the event as JSON
text>, "eventSource": "aws:sqs", ...}]}`. This script builds such a batch from event files,
optionally as one session's burst (every event made by the caller of --session, --step
seconds apart from --start), the way a `terraform apply` looks.

    scripts/sqs_batch.py events/CreateRole.json events/CreateUser.json > batch.json
    scripts/sqs_batch.py --preset terraform-apply        # what events/burst/terraform-apply.json holds
    scripts/sqs_batch.py --preset terraform-apply --write  # rewrite that file

Pure standard library: the demo and the tests run it from the project's virtualenv or any
Python 3.
"""
import argparse
import copy
import datetime
import hashlib
import json
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:iam-notify-DigestQueue-EXAMPLE"

# A Terraform apply by the CI role (the caller of events/AttachRolePolicy.json): twenty
# changes rated info, and one attach of AdministratorAccess (critical) in the middle, which
# is sent at once while the twenty become one digest.
PRESETS = {
    "terraform-apply": {
        "session": "events/AttachRolePolicy.json",
        "start": "2026-11-24T10:00:00Z",
        "step": 2,
        "files": [
            "events/CreatePolicy.json",
            "events/CreateRole.json",
            "events/PutRolePolicy.json",
            "events/AttachRolePolicy.json",
            "events/PutRolePermissionsBoundary.json",
            "events/UpdateAssumeRolePolicy.json",
            "events/UpdateRole.json",
            "events/AddRoleToInstanceProfile.json",
            "events/CreateGroup.json",
            "events/PutGroupPolicy.json",
            "events/AttachRolePolicy-aws-managed-AdministratorAccess-by-sso-user.json",
            "events/AttachGroupPolicy.json",
            "events/CreateUser.json",
            "events/AddUserToGroup.json",
            "events/AttachUserPolicy.json",
            "events/PutUserPolicy.json",
            "events/UpdateGroup.json",
            "events/DeletePolicyVersion.json",
            "events/DetachRolePolicy.json",
            "events/DeleteRolePolicy.json",
            "events/DeleteRole.json",
        ],
        "output": "events/burst/terraform-apply.json",
    },
}


def as_session(event, session, when):
    """`event` as made by `session`'s caller at `when` (an RFC 3339 UTC text)."""
    out = copy.deepcopy(event)
    detail, caller = out["detail"], session["detail"]
    for key in ("userIdentity", "userAgent", "sourceIPAddress"):
        if key in caller:
            detail[key] = copy.deepcopy(caller[key])
    detail["eventTime"] = when
    out["time"] = when
    return out


def record(index, event, queue_arn):
    """One SQS message of the batch, as the event source mapping hands it over."""
    body = json.dumps(event, separators=(",", ":"))
    key = f"{index}:{event.get('detail', {}).get('eventID', '')}"
    sent = 1764000000000 + index
    return {
        "messageId": str(uuid.uuid5(uuid.NAMESPACE_URL, "iam-notify-message:" + key)),
        "receiptHandle": "AQEB" + hashlib.sha256(key.encode()).hexdigest(),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(sent),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(sent + 5),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def batch(files, session=None, start=None, step=2, queue_arn=QUEUE_ARN):
    """The SQS batch event of `files` (paths relative to the project or absolute)."""
    events = [json.loads((ROOT / f).read_text()) for f in files]
    if session is not None:
        caller = json.loads((ROOT / session).read_text())
        t0 = datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
        events = [
            as_session(e, caller, (t0 + datetime.timedelta(seconds=i * step)).strftime("%Y-%m-%dT%H:%M:%SZ"))
            for i, e in enumerate(events)
        ]
    return {"Records": [record(i, e, queue_arn) for i, e in enumerate(events)]}


def preset(name):
    p = PRESETS[name]
    return batch(p["files"], p["session"], p["start"], p["step"])


def dump(value):
    return json.dumps(value, indent=2) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="event files")
    parser.add_argument("--preset", choices=sorted(PRESETS))
    parser.add_argument("--write", action="store_true", help="with --preset: write its file")
    parser.add_argument("--session", help="an event file whose caller makes every event")
    parser.add_argument("--start", default="2026-11-24T10:00:00Z", help="time of the first event (with --session)")
    parser.add_argument("--step", type=int, default=2, help="seconds between events (with --session)")
    parser.add_argument("--queue-arn", default=QUEUE_ARN)
    args = parser.parse_args()
    if args.preset:
        text = dump(preset(args.preset))
        if args.write:
            (ROOT / PRESETS[args.preset]["output"]).parent.mkdir(parents=True, exist_ok=True)
            (ROOT / PRESETS[args.preset]["output"]).write_text(text)
        else:
            sys.stdout.write(text)
        return
    if not args.files:
        parser.error("give event files or --preset")
    sys.stdout.write(dump(batch(args.files, args.session, args.start, args.step, args.queue_arn)))


if __name__ == "__main__":
    main()
