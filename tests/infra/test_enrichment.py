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
        role = f"arn:{PARTITION}:iam::{ACCOUNT}:role/ci-deploy"
        for action in ("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListEntitiesForPolicy"):
            assert can(action, own) is expected, (enrich, action)
        assert can("iam:GetRole", role) is expected
        group = f"arn:{PARTITION}:iam::{ACCOUNT}:group/devs"
        for action in ("iam:ListAttachedGroupPolicies", "iam:ListGroupPolicies", "iam:GetGroupPolicy"):
            assert can(action, group) is expected, (enrich, action)
            assert not can(action, f"arn:{PARTITION}:iam::999988887777:group/devs"), action
        for action in ("iam:AddUserToGroup", "iam:PutGroupPolicy", "iam:AttachGroupPolicy"):
            assert not can(action, group), action
        store = f"arn:{PARTITION}:identitystore::{ACCOUNT}:identitystore/d-1234567890"
        user = f"arn:{PARTITION}:identitystore:::user/9067-ab"
        for action in ("identitystore:DescribeUser", "identitystore:GetUserId"):
            assert can(action, store) is expected and can(action, user) is expected, (enrich, action)
            assert not can(action, f"arn:{PARTITION}:identitystore::999988887777:identitystore/d-1234567890")
        for action in ("identitystore:ListUsers", "identitystore:UpdateUser", "identitystore:DeleteUser"):
            assert not can(action, store) and not can(action, user), action
        _, fn = next(iter(stack.of_type("AWS::Lambda::Function").items()))
        assert fn["Environment"]["Variables"]["ENRICH"] == ("true" if expected else "false")
        assert fn["Environment"]["Variables"]["IDENTITY_STORE_ID"] == ""
        for action, resource in (("iam:GetPolicy", f"arn:{PARTITION}:iam::999988887777:policy/x"),
                                 ("iam:GetPolicy", f"arn:{PARTITION}:iam::aws:policy/AdministratorAccess"),
                                 ("iam:ListEntitiesForPolicy", f"arn:{PARTITION}:iam::999988887777:policy/x"),
                                 ("iam:GetRole", f"arn:{PARTITION}:iam::999988887777:role/x"),
                                 ("iam:GetRole", own), ("iam:GetPolicy", role),
                                 ("iam:ListRolePolicies", role), ("iam:GetRolePolicy", role),
                                 ("iam:CreatePolicyVersion", own), ("iam:SetDefaultPolicyVersion", own),
                                 ("iam:UpdateAssumeRolePolicy", role),
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
    # The same event with enrichment off: the alert as before (nothing read; a warning only
    # because the sample's role attaches the policy to itself: self-change).
    mailbox_off = mailbox_for(moto, topic, "enrich-off-mailbox")
    _, delivered, _ = run_function(moto, tmp_path, event, mailbox_off, TOPIC_ARN=topic, ENRICH="false")
    [plain] = delivered
    assert plain.subject.startswith("[IAM WARNING] AttachRolePolicy") and "Policy version" not in plain.body
    assert "[warning: self-change]" in plain.body


def test_a_new_default_version_arrives_with_what_it_changed_and_who_holds_it(own_moto, tmp_path):
    """moto's IAM holds billing-read v1 (narrow) and v2 (allow-all, now the default), attached
    to a role and a user: the real function reads ListPolicyVersions, GetPolicyVersion and
    ListEntitiesForPolicy and publishes the CreatePolicyVersion as critical, the risk marked
    new, the diff and the holders shown; SetDefaultPolicyVersion back to v1 says what went."""
    moto = own_moto
    account = "123456789012"
    iam = client("iam", moto)
    narrow = {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadBilling", "Effect": "Allow", "Action": ["ce:Get*"], "Resource": "*"}]}
    arn = iam.create_policy(PolicyName="billing-read", PolicyDocument=json.dumps(narrow))["Policy"]["Arn"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_ALL),
                                   SetAsDefault=True)["PolicyVersion"]["VersionId"]
    iam.create_role(RoleName="finance-reporting", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="finance-reporting", PolicyArn=arn)
    iam.create_user(UserName="alice")
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    topic = client("sns", moto).create_topic(Name="versions")["TopicArn"]

    sample = json.loads((ROOT / "events" / "CreatePolicyVersion.json").read_text().replace("111122223333", account))
    detail = sample["detail"]
    assert detail["requestParameters"]["policyArn"] == arn
    detail["requestParameters"]["policyDocument"] = json.dumps(ALLOW_ALL)
    detail["responseElements"]["policyVersion"]["versionId"] = v2
    event = tmp_path / "create-version.json"
    event.write_text(json.dumps(sample))
    _, [alert], log = run_function(moto, tmp_path, event, mailbox_for(moto, topic, "versions-mailbox"), TOPIC_ARN=topic)
    assert alert.subject.startswith("[IAM CRITICAL] CreatePolicyVersion billing-read"), (alert.subject, log[-2000:])
    assert "(new: v1 did not grant this) [critical: allow-all]" in alert.body, alert.body
    assert "\nCompared with:  v1, the policy's only other version (so the default before)\n" in alert.body
    assert "\nHeld by:        1 role (finance-reporting), 1 user (alice), no groups\n" in alert.body
    assert "\n  ~ changed the Allow statement on *: actions added: *; actions removed: ce:Get*\n" in alert.body

    # Back to v1: the document is read from IAM, the allow-all goes.
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    back = json.loads((ROOT / "events" / "SetDefaultPolicyVersion.json").read_text().replace("111122223333", account))
    back["detail"]["requestParameters"]["versionId"] = "v1"
    event = tmp_path / "set-default.json"
    event.write_text(json.dumps(back))
    _, [alert], _ = run_function(moto, tmp_path, event, mailbox_for(moto, topic, "back-mailbox"), TOPIC_ARN=topic)
    assert alert.subject.startswith("[IAM WARNING] SetDefaultPolicyVersion billing-read v1"), alert.subject
    assert '\n  ~ changed statement "ReadBilling": actions added: ce:Get*; actions removed: *\n' in alert.body, alert.body
    assert '"ce:Get*"' in alert.body and "allow-all" not in alert.body


def test_an_attach_to_a_role_says_who_may_assume_it(own_moto, tmp_path):
    """The role in moto trusts another account: the real function reads it with GetRole."""
    moto = own_moto
    account = "123456789012"
    iam = client("iam", moto)
    iam.create_role(RoleName="ci-deploy", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                       "Action": "sts:AssumeRole"}]}))
    topic = client("sns", moto).create_topic(Name="trust")["TopicArn"]
    event = tmp_path / "attach-managed.json"
    sample = json.loads((ROOT / "events" / "AttachRolePolicy.json").read_text().replace("111122223333", account))
    sample["detail"]["requestParameters"]["policyArn"] = f"arn:{PARTITION}:iam::aws:policy/ReadOnlyAccess"
    event.write_text(json.dumps(sample))
    _, [alert], log = run_function(moto, tmp_path, event, mailbox_for(moto, topic, "trust-mailbox"), TOPIC_ARN=topic)
    assert ("\nAssumable by:   account 999988887777 (outside this account: arn:aws:iam::999988887777:root)\n"
            in alert.body), (alert.body, log[-2000:])
    assert "role ci-deploy's trust policy (read from IAM): account 999988887777 may assume the role" in alert.body
    assert alert.attributes["severity"] == "warning"


def test_an_identity_center_session_is_named_by_the_identity_store(own_moto, tmp_path):
    """moto's Identity Store holds maria.garcia@example.com: the real function, given the
    store's id, finds her by the session's name and names her under Who."""
    moto = own_moto
    account = "123456789012"
    store = "d-1234567890"
    client("identitystore", moto).create_user(
        IdentityStoreId=store, UserName="maria.garcia@example.com", DisplayName="Maria Garcia",
        Name={"GivenName": "Maria", "FamilyName": "Garcia"},
        Emails=[{"Value": "maria@example.com", "Type": "work", "Primary": True}])
    topic = client("sns", moto).create_topic(Name="person")["TopicArn"]
    event = tmp_path / "sso.json"
    event.write_text((ROOT / "events" / "AttachRolePolicy-aws-managed-AdministratorAccess-by-sso-user.json")
                     .read_text().replace("111122223333", account))
    _, [alert], log = run_function(moto, tmp_path, event, mailbox_for(moto, topic, "person-mailbox"),
                                   TOPIC_ARN=topic, IDENTITY_STORE_ID=store)
    line = next((l for l in alert.body.splitlines() if l.startswith("Person:")), None)
    assert line and line.startswith("Person:         Maria Garcia (user name maria.garcia@example.com, "
                                    "maria@example.com; IAM Identity Center user "), (alert.body, log[-2000:])


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


def test_joining_a_group_that_grants_everything_arrives_critical(own_moto, tmp_path):
    """moto's IAM holds the group with an allow-all customer managed policy attached and an
    inline one; the real function reads what the group grants (ListAttachedGroupPolicies,
    GetPolicy, GetPolicyVersion, ListGroupPolicies, GetGroupPolicy) and rates the membership by
    it. (moto serves no AWS managed policies by default: those are judged from the built-in
    dataset, tests/group_membership.rs.)"""
    moto = own_moto
    account = "123456789012"
    iam = client("iam", moto)
    iam.create_group(GroupName="admins")
    everything = iam.create_policy(PolicyName="everything", PolicyDocument=json.dumps(ALLOW_ALL))["Policy"]
    iam.attach_group_policy(GroupName="admins", PolicyArn=everything["Arn"])
    iam.put_group_policy(GroupName="admins", PolicyName="reads",
                         PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                             {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    topic = client("sns", moto).create_topic(Name="groups")["TopicArn"]
    mailbox = mailbox_for(moto, topic, "groups-mailbox")
    event = json.loads((ROOT / "events" / "AddUserToGroup.json").read_text().replace("111122223333", account))
    event["detail"]["requestParameters"]["groupName"] = "admins"
    path = tmp_path / "add.json"
    path.write_text(json.dumps(event))
    _, delivered, log = run_function(moto, tmp_path, path, mailbox, TOPIC_ARN=topic)
    [alert] = delivered
    assert alert.subject.startswith("[IAM CRITICAL] AddUserToGroup"), (alert.subject, log[-2000:])
    assert "through group admins, everything (customer managed, v1): allows every action" in alert.body
    assert "Not looked up" not in alert.body, alert.body
