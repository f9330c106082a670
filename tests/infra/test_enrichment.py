"""What an attached policy grants, offline: the template lets the function read this
account's policies and nothing more, only while EnrichAlerts is on; the real function under
`cargo lambda watch` reads a customer-managed policy from moto's IAM (two signed Query calls)
and publishes the attach as critical, with the policy's text."""

import json
from pathlib import Path

import sam
from test_organization import mailbox_for, own_moto, run_function  # noqa: F401 (a fixture)
from test_template import client
from wiring import ACCOUNT, PARTITION, allowed, deploy

ROOT = Path(__file__).resolve().parents[2]
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def cfn():
    return sam.transformed(sam.load_template(ROOT / "template.yaml"))


def test_the_function_may_read_this_accounts_policies_and_nothing_more():
    template = cfn()
    own = f"arn:{PARTITION}:iam::{ACCOUNT}:policy/deploy-permissions"
    for enrich, expected in (("ENABLED", True), ("DISABLED", False)):
        stack = deploy(template, EnrichAlerts=enrich)
        principal = {"AWS": stack.arn("FunctionRole")}
        identity = stack.identity_statements("FunctionRole")
        can = lambda action, resource: allowed(stack, principal, action, resource, identity=identity)  # noqa: E731
        assert can("iam:GetPolicy", own) is expected and can("iam:GetPolicyVersion", own) is expected
        _, fn = next(iter(stack.of_type("AWS::Lambda::Function").items()))
        assert fn["Environment"]["Variables"]["ENRICH"] == ("true" if expected else "false")
        for action, resource in (("iam:GetPolicy", f"arn:{PARTITION}:iam::999988887777:policy/x"),
                                 ("iam:GetPolicy", f"arn:{PARTITION}:iam::aws:policy/AdministratorAccess"),
                                 ("iam:GetRole", f"arn:{PARTITION}:iam::{ACCOUNT}:role/x"),
                                 ("iam:ListPolicyVersions", own), ("iam:CreatePolicyVersion", own),
                                 ("iam:CreateAccountAlias", "*"), ("iam:DeleteAccountAlias", "*")):
            assert not can(action, resource), (enrich, action, resource)
        assert can("iam:ListAccountAliases", "*") is expected


def test_an_attach_of_an_allow_all_policy_arrives_critical_with_what_it_grants(own_moto, tmp_path):
    moto = own_moto
    account = "123456789012"  # moto's default account: the stack's own
    policy = client("iam", moto).create_policy(PolicyName="deploy-permissions",
                                               PolicyDocument=json.dumps(ALLOW_ALL))["Policy"]
    topic = client("sns", moto).create_topic(Name="enrich")["TopicArn"]
    mailbox = mailbox_for(moto, topic, "enrich-mailbox")
    event = tmp_path / "attach.json"
    event.write_text((ROOT / "events" / "AttachRolePolicy.json").read_text().replace("111122223333", account))
    assert json.loads(event.read_text())["detail"]["requestParameters"]["policyArn"] == policy["Arn"]
    _, delivered, log = run_function(moto, tmp_path, event, mailbox, TOPIC_ARN=topic)
    [alert] = delivered
    assert alert.subject.startswith("[IAM CRITICAL] AttachRolePolicy deploy-permissions"), (alert.subject, log[-2000:])
    assert alert.attributes["severity"] == "critical"
    assert f"Policy version: {policy['DefaultVersionId']} (its default version, read from IAM)" in alert.body
    assert '"Action": "*"' in alert.body
    assert "allow-all" in alert.body
    # The same event with enrichment off: the alert as before (info, nothing read).
    mailbox_off = mailbox_for(moto, topic, "enrich-off-mailbox")
    _, delivered, _ = run_function(moto, tmp_path, event, mailbox_off, TOPIC_ARN=topic, ENRICH="false")
    [plain] = delivered
    assert plain.subject.startswith("[IAM] AttachRolePolicy") and "Policy version" not in plain.body


def test_the_stacks_own_account_is_shown_with_its_alias(own_moto, tmp_path):
    moto = own_moto
    client("iam", moto).create_account_alias(AccountAlias="acme-security")
    topic = client("sns", moto).create_topic(Name="alias")["TopicArn"]
    mailbox = mailbox_for(moto, topic, "alias-mailbox")
    event = tmp_path / "create-user.json"
    event.write_text((ROOT / "events" / "CreateUser.json").read_text().replace("111122223333", "123456789012"))
    _, delivered, _ = run_function(moto, tmp_path, event, mailbox, TOPIC_ARN=topic)
    [alert] = delivered
    assert "\nAccount:        123456789012 (acme-security)\n" in alert.body, alert.body
    assert alert.subject.startswith("[IAM] CreateUser"), "a single-account subject names no account"
