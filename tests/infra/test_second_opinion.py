"""A second opinion, offline: cloudsplaining (Salesforce's policy analyser, pinned in
requirements-dev.txt) reads every AWS managed policy of data/aws-managed-policies.tsv and the
permissions policy of every sample event. Where it reports privilege escalation, resource
exposure (Permissions management without constraints) or credentials exposure, iam-notify
rates the policy at least WARNING, or the disagreement is listed in
tests/fixtures/second-opinion.json with its reasons. The list is exact: a disagreement that
appears, or one listed that no longer is, fails the test (update the list, with a reason)."""

import json
import subprocess
import urllib.parse
from pathlib import Path

import pytest

cloudsplaining = pytest.importorskip("cloudsplaining.scan.policy_document")

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "second-opinion.json"
PREVIEW = ROOT / "target" / "debug" / "preview"
RANK = {"info": 0, "warning": 1, "critical": 2}


@pytest.fixture(scope="module", autouse=True)
def built():
    subprocess.run(["cargo", "build", "--quiet", "--bin", "preview"], cwd=ROOT, check=True, timeout=900)


def preview(*args):
    return subprocess.run([str(PREVIEW), *args], cwd=ROOT, check=True, capture_output=True, text=True,
                          timeout=300).stdout


def second_opinion(document):
    """What cloudsplaining reports, by kind (empty when nothing)."""
    pd = cloudsplaining.PolicyDocument(document)
    said = {}
    if pd.allows_privilege_escalation:
        said["privilege escalation"] = sorted(p["type"] for p in pd.allows_privilege_escalation)
    if pd.permissions_management_without_constraints:
        said["resource exposure"] = sorted(pd.permissions_management_without_constraints)[:5]
    if pd.credentials_exposure:
        said["credentials exposure"] = sorted(pd.credentials_exposure)[:5]
    return said


def managed_policies():
    """(name, document, iam-notify's severity) of every AWS managed policy."""
    ours = {}
    for line in preview("--aws-managed-policies").splitlines():
        row = json.loads(line)
        ours[row["name"]] = row["severity"]
    for line in (ROOT / "data" / "aws-managed-policies.tsv").read_text().splitlines():
        if line.startswith("#"):
            continue
        name, _, _, document = line.split("\t", 3)
        yield f"aws-managed/{name}", json.loads(document), ours[name]


def sample_policies():
    """(name, document, iam-notify's severity) of every sample that carries a permissions
    policy document (the alert's severity, as the function publishes it)."""
    carrying = []
    for path in sorted((ROOT / "events").glob("*.json")):
        event = json.loads(path.read_text())
        detail = event.get("detail") or {}
        if detail.get("eventName") not in ("PutRolePolicy", "PutUserPolicy", "PutGroupPolicy",
                                           "CreatePolicy", "CreatePolicyVersion"):
            continue
        raw = (detail.get("requestParameters") or {}).get("policyDocument")
        document = None
        for text in (raw, urllib.parse.unquote(raw) if isinstance(raw, str) else None):
            try:
                document = json.loads(text) if isinstance(text, str) else None
            except ValueError:
                continue
            break
        if isinstance(document, dict):
            carrying.append((path, document))
    published = preview("--sns", *(str(p.relative_to(ROOT)) for p, _ in carrying)).splitlines()
    for (path, document), line in zip(carrying, published, strict=True):
        severity = json.loads(line)["request"]["MessageAttributes"]["severity"]["StringValue"]
        yield f"sample/{path.name}", document, severity


def test_where_cloudsplaining_sees_a_risk_iam_notify_warns_or_says_why_not():
    fixture = json.loads(FIXTURE.read_text())
    reasons, listed = fixture["reasons"], fixture["disagreements"]
    found, checked, flagged = {}, 0, 0
    for name, document, severity in [*managed_policies(), *sample_policies()]:
        checked += 1
        said = second_opinion(document)
        if not said:
            continue
        flagged += 1
        if RANK[severity] < RANK["warning"]:
            found[name] = said
    assert checked > 1500 and flagged > 100, (checked, flagged)
    new = {n: found[n] for n in found if n not in listed}
    gone = [n for n in listed if n not in found]
    assert not new, f"cloudsplaining reports a risk iam-notify rates info (add each with a reason): " \
                    f"{json.dumps(new, indent=1)}"
    assert not gone, f"listed disagreements that are gone (remove them): {gone}"
    unexplained = {n: keys for n, keys in listed.items() if not keys or any(k not in reasons for k in keys)}
    assert not unexplained, f"every listed disagreement names its reasons: {unexplained}"
