"""One source of truth for the supported calls: the Rust table (`preview --list-calls`). Every
other copy (template rules, the root rule's exclusions, the README table, the benchmark
baseline) is checked against it, and the check itself is shown to catch each kind of drift."""

import copy
import importlib.util
import sys

import pytest

import sam
from calls import ROOT, ROOT_RULE, drift, root_iam_branch, supported_calls, template_rules


@pytest.fixture(scope="module")
def sources():
    template = sam.load_template(ROOT / "template.yaml")
    readme = (ROOT / "README.md").read_text()
    return supported_calls(), template, readme, baseline_calls()


def baseline_calls():
    """The calls the Python baseline (bench/python_baseline/handler.py) renders specifically."""
    path = ROOT / "bench" / "python_baseline" / "handler.py"
    spec = importlib.util.spec_from_file_location("baseline_handler", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_handler"] = module
    spec.loader.exec_module(module)
    return list(module.CALLS)


def test_the_table_lists_every_rule_group_with_its_calls(sources):
    calls = sources[0]
    assert len(calls) == len({(c["source"], c["name"]) for c in calls}) > 25
    assert {c["rule"] for c in calls} == {
        "policy-monitor", "principals-monitor", "credentials-monitor", "trust-monitor",
        "identity-providers-monitor", "other-iam-writes-monitor", ROOT_RULE, "tamper-monitor",
        "safeguards-monitor", "alarms-monitor"}
    assert sum(c["rule"] == "policy-monitor" for c in calls) == 16
    assert sum(c["rule"] == "principals-monitor" for c in calls) == 9


def test_every_copy_of_the_call_list_agrees_with_the_table(sources):
    assert drift(*sources) == []


def without(names, name):
    return [n for n in names if n != name]


def test_drift_is_caught_when_a_call_leaves_a_template_rule(sources):
    calls, template, readme, baseline = sources
    broken = copy.deepcopy(template)
    rule = template_rules(broken)["credentials-monitor"]
    rule["EventPattern"]["detail"]["eventName"] = without(rule["EventPattern"]["detail"]["eventName"], "CreateAccessKey")
    problems = drift(calls, broken, readme, baseline)
    assert any("rule credentials-monitor watches" in p for p in problems), problems


def test_drift_is_caught_when_a_call_leaves_the_root_exclusions(sources):
    calls, template, readme, baseline = sources
    broken = copy.deepcopy(template)
    rule = template_rules(broken)[ROOT_RULE]
    branch = root_iam_branch(rule)
    parts = branch["eventName"][0]["anything-but"]["Fn::Split"][1]["Fn::Join"][1]
    parts[0] = ",".join(without(parts[0].split(","), "DeleteGroup"))
    problems = drift(calls, broken, readme, baseline)
    assert any("the root rule always leaves out" in p for p in problems), problems


def test_drift_is_caught_when_a_call_leaves_the_readme(sources):
    calls, template, readme, baseline = sources
    broken = readme.replace("UploadSSHPublicKey |", "|", 1).replace(", |", " |", 1)
    assert broken != readme
    problems = drift(calls, template, broken, baseline)
    assert any("README row credentials-monitor" in p for p in problems), problems


def test_drift_is_caught_when_the_tamper_rule_loses_or_gains_a_call(sources):
    calls, template, readme, baseline = sources
    broken = copy.deepcopy(template)
    branches = template_rules(broken)["tamper-monitor"]["EventPattern"]["detail"]["$or"]
    lambda_branch = next(b for b in branches if b["eventSource"] == ["lambda.amazonaws.com"])
    lambda_branch["eventName"] = [e for e in lambda_branch["eventName"] if e != {"prefix": "DeleteFunction20"}]
    trail_branch = next(b for b in branches if b["eventSource"] == ["cloudtrail.amazonaws.com"])
    trail_branch["eventName"].append("CreateTrail")
    problems = drift(calls, broken, readme, baseline)
    assert any("DeleteFunction20150331 by []" in p for p in problems), problems
    assert any("watches cloudtrail.amazonaws.com CreateTrail" in p for p in problems), problems


def test_drift_is_caught_when_the_table_gains_a_call_nothing_else_knows(sources):
    calls, template, readme, baseline = sources
    grown = calls + [{"name": "SetDefaultPolicyVersion", "source": "iam.amazonaws.com", "rule": "policy-monitor"}]
    problems = drift(grown, template, readme, baseline)
    assert any("rule policy-monitor watches" in p for p in problems), problems
    assert any("README row policy-monitor" in p for p in problems), problems
    assert any("the root rule always leaves out" in p for p in problems), problems


def test_the_templates_format_parameters_are_the_codes_formats():
    """`MessageFormat` and `ChatFormat` allow exactly the formats the code knows
    (`Format::ALL`, `ChatFormat::ALL`, as `preview --help` names them), the code's default
    first."""
    import re
    import subprocess
    usage = subprocess.run(["cargo", "run", "--quiet", "--locked", "--bin", "preview", "--", "--help"],
                           cwd=ROOT, capture_output=True, text=True, check=True, timeout=900).stdout
    formats = re.search(r"--format ([a-z|-]+)\]", usage).group(1).split("|")
    chats = re.search(r"--chat ([a-z|-]+)\]", usage).group(1).split("|")
    parameters = sam.load_template(ROOT / "template.yaml")["Parameters"]
    for name, codes in (("MessageFormat", formats), ("ChatFormat", chats)):
        assert parameters[name]["AllowedValues"] == codes, name
        assert parameters[name]["Default"] == codes[0], name
