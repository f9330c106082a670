"""Print the AWS CLI commands that deploy forwarder.yaml to an organization with StackSets.

    python scripts/stacksets.py --central 111122223333 --targets r-a1b2
    make stacksets CENTRAL_ACCOUNT=111122223333 TARGETS=ou-a1b2-c3d4e5f6,ou-a1b2-g7h8i9j0

Nothing is run: the commands are printed for you to read and run with your organization's
management (or delegated administrator) credentials. Service-managed StackSets deploy to
every account of the given roots/OUs, and to accounts that join them later, but never to the
management account: if the central stack is not there, the last command deploys a forwarder
to it as a plain stack.
"""

import argparse
import re
import shlex
import sys

STACK_SET = "iam-notify-forwarder"
REGION = "us-east-1"
HEARTBEATS = ("rate(1 hour)", "rate(6 hours)", "rate(12 hours)", "rate(1 day)", "none")


def target(value):
    if not re.fullmatch(r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an organization root (r-...) or OU id (ou-...-...)")
    return value


def account(value):
    if not re.fullmatch(r"\d{12}", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a 12-digit account id")
    return value


def role_arn(value):
    if value and not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an IAM role ARN")
    return value


def parameters(args):
    out = [("CentralAccountId", args.central), ("HeartbeatSchedule", args.heartbeat)]
    if args.read_role_for:
        out.append(("CentralFunctionRoleArn", args.read_role_for))
    return [f"ParameterKey={k},ParameterValue={v}" for k, v in out]


def commands(args):
    q = shlex.quote
    params = " ".join(q(p) for p in parameters(args))
    call_as = " --call-as DELEGATED_ADMIN" if args.delegated_admin else ""
    targets = ",".join(args.targets)
    out = [
        "# 1. The stack set (once): service-managed, deployed automatically to accounts that join.",
        f"aws cloudformation create-stack-set --region {REGION}{call_as} \\\n"
        f"  --stack-set-name {STACK_SET} --template-body file://forwarder.yaml \\\n"
        f"  --permission-model SERVICE_MANAGED \\\n"
        f"  --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \\\n"
        f"  --capabilities CAPABILITY_NAMED_IAM \\\n"
        f"  --parameters {params}",
        "# 2. Its instances: every account of these roots/OUs but the central one, in us-east-1 only.",
        f"aws cloudformation create-stack-instances --region {REGION}{call_as} \\\n"
        f"  --stack-set-name {STACK_SET} \\\n"
        f"  --deployment-targets OrganizationalUnitIds={targets},Accounts={args.central},AccountFilterType=DIFFERENCE \\\n"
        f"  --regions {REGION} \\\n"
        f"  --operation-preferences FailureTolerancePercentage=10,MaxConcurrentPercentage=25",
        "# 3. Watch it finish (the operation id is printed by step 2).",
        f"aws cloudformation list-stack-instances --region {REGION}{call_as} --stack-set-name {STACK_SET} \\\n"
        f"  --query 'Summaries[?Status!=`CURRENT`].[Account,Status,StatusReason]' --output table",
        "# 4. The management account, unless it is the central account (StackSets skip it):",
        "#    run with its own credentials.",
        f"aws cloudformation deploy --region {REGION} --stack-name {STACK_SET} \\\n"
        f"  --template-file forwarder.yaml --capabilities CAPABILITY_NAMED_IAM \\\n"
        f"  --parameter-overrides "
        + " ".join(q(p.replace("ParameterKey=", "").replace(",ParameterValue=", "=")) for p in parameters(args)),
    ]
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--central", type=account, required=True,
                   help="the account of the central stack (deployed with OrganizationId)")
    p.add_argument("--targets", type=lambda v: [target(t) for t in v.split(",") if t], required=True,
                   help="comma-separated organization root (r-...) or OU ids (ou-...)")
    p.add_argument("--heartbeat", choices=HEARTBEATS, default="rate(1 day)",
                   help="each member's heartbeat schedule (default rate(1 day))")
    p.add_argument("--read-role-for", type=role_arn, default="",
                   help="the central function's role ARN: members get the read-only role it may assume")
    p.add_argument("--delegated-admin", action="store_true",
                   help="run as a delegated StackSets administrator instead of the management account")
    args = p.parse_args(argv)
    print(commands(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
