"""The one list of supported calls, as the Rust table gives it (`preview --list-calls`), and
the check that every other copy of it says the same: the template's rules, the root rule's
exclusion list, the README's table and the Python benchmark baseline."""

import functools
import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTICLE_RULES = ("policy-monitor", "principals-monitor")
ROOT_RULE = "root-activity-monitor"
OTHER_WRITES_RULE = "other-iam-writes-monitor"
TAMPER_RULE = "tamper-monitor"
# The rules whose calls change the monitor: matched by `$or` branches of (eventSource, names).
MONITOR_RULES = (TAMPER_RULE, "safeguards-monitor", "alarms-monitor")
# The heartbeat rule watches the schedule's TagRole of the canary, not a call of the table.
HEARTBEAT_RULE = "heartbeat-monitor"


def tamper_entries(rule):
    """The tamper rule's (eventSource, eventName entry) pairs across its `$or` branches; an
    entry is a name or {"prefix": ...}."""
    return [(source, entry) for branch in rule["EventPattern"]["detail"]["$or"]
            for source in branch["eventSource"] for entry in branch["eventName"]]


def entry_matches(entry, name):
    return name.startswith(entry["prefix"]) if isinstance(entry, dict) else name == entry


@functools.lru_cache(maxsize=1)
def supported_calls():
    """[{name, source, rule}] in table order, from the Rust crate itself."""
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--locked", "--bin", "preview", "--", "--list-calls"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=True)
    return json.loads(out.stdout)


def calls_by_rule(calls):
    out = {}
    for c in calls:
        out.setdefault(c["rule"], []).append(c)
    return out


RULE_PREFIX = "NotifyFunction"


def rule_id(event_key):
    """The rule's id in the call table (`policy-monitor`) for its key in the template
    (`PolicyMonitor`, the rule resource being `NotifyFunctionPolicyMonitor`)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", event_key).lower()


def event_key(rule):
    """The inverse of `rule_id`."""
    return "".join(part.capitalize() for part in rule.split("-"))


def template_rules(template):
    """rule id -> the Properties of its AWS::Events::Rule, as written."""
    return {rule_id(key[len(RULE_PREFIX):]): r["Properties"] for key, r in template["Resources"].items()
            if r.get("Type") == "AWS::Events::Rule" and key.startswith(RULE_PREFIX)}


def exclusions(event_name):
    """An `anything-but` list as the template writes it: (calls always excluded,
    {condition: calls excluded while it holds})."""
    split = event_name[0]["anything-but"]["Fn::Split"]
    parts = split[1]["Fn::Join"][1]
    always, conditional = [], {}
    for part in parts:
        if isinstance(part, str):
            always += [n for n in part.split(",") if n]
        else:
            condition, names, otherwise = part["Fn::If"]
            assert otherwise == "", f"{condition}: nothing is excluded when the group is off"
            conditional[condition] = [n for n in names.split(",") if n]
    return always, conditional


def root_iam_branch(rule):
    """The root rule's IAM branch while the other-IAM-writes rule is off (its exclusions)."""
    branches = rule["EventPattern"]["detail"]["$or"]
    branch = next(b for b in branches if "Fn::If" in b)
    condition, when_on, when_off = branch["Fn::If"]
    assert condition == "OtherIamWritesOn" and when_on["readOnly"] == [True]
    return when_off


def root_exclusions(rule):
    """The root rule's `anything-but` list: (calls always excluded, {condition: calls})."""
    return exclusions(root_iam_branch(rule)["eventName"])


def readme_rows(readme):
    """The "Supported calls" table: rule name -> the call names its row lists."""
    section = re.split(r"(?m)^#+ Supported calls\n", readme, maxsplit=1)[1]
    section = re.split(r"(?m)^#+ ", section, maxsplit=1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not re.match(r"^[a-z-]+-monitor\b", cells[0]):
            continue
        rule = cells[0].split()[0]
        rows[rule] = re.findall(r"\b[A-Z][A-Za-z0-9]+\b", cells[1])
    return rows


def drift(calls, template, readme, baseline_calls):
    """Every place where a copy of the call list differs from the table, in words."""
    problems = []
    by_rule = calls_by_rule(calls)
    rules = template_rules(template)
    names = [(c["source"], c["name"]) for c in calls]
    if len(names) != len(set(names)):
        problems.append("the call table names a call of a service twice")
    for rule, group in by_rule.items():
        if rule not in rules:
            problems.append(f"template.yaml has no rule {rule} for {[c['name'] for c in group]}")
    for monitor_rule in MONITOR_RULES:
        group = by_rule.get(monitor_rule, [])
        entries = tamper_entries(rules[monitor_rule]) if monitor_rule in rules else []
        for c in group:
            hits = {json.dumps(e, sort_keys=True) for s, e in entries if s == c["source"] and entry_matches(e, c["name"])}
            if len(hits) != 1:
                problems.append(f"rule {monitor_rule} matches {c['source']} {c['name']} by {sorted(hits)}, "
                                "the table says by one name")
        for source, entry in entries:
            if not any(c["source"] == source and entry_matches(entry, c["name"]) for c in group):
                problems.append(f"rule {monitor_rule} watches {source} {entry}, a call the table does not have")
    for rule, props in rules.items():
        if rule in (ROOT_RULE, OTHER_WRITES_RULE, HEARTBEAT_RULE) + MONITOR_RULES:
            continue
        detail = props["EventPattern"]["detail"]
        want = sorted(c["name"] for c in by_rule.get(rule, []))
        got = detail.get("eventName", [])
        if sorted(got) != want or len(got) != len(set(got)):
            problems.append(f"rule {rule} watches {sorted(got)}, the table says {want}")
        sources = sorted({c["source"] for c in by_rule.get(rule, [])})
        if sorted(detail.get("eventSource", [])) != sources:
            problems.append(f"rule {rule} has eventSource {detail.get('eventSource')}, the table says {sources}")
    article = sorted(c["name"] for r in ARTICLE_RULES for c in by_rule.get(r, []))
    catch_alls = {
        "the root rule": root_exclusions(rules[ROOT_RULE]),
        "the other-IAM-writes rule": exclusions(rules[OTHER_WRITES_RULE]["EventPattern"]["detail"]["eventName"]),
    }
    for who, (always, conditional) in catch_alls.items():
        if sorted(always) != article:
            problems.append(f"{who} always leaves out {sorted(always)}, the article's rules watch {article}")
        for rule, props in rules.items():
            if rule in ARTICLE_RULES or rule in (ROOT_RULE, OTHER_WRITES_RULE, HEARTBEAT_RULE) + MONITOR_RULES:
                continue
            condition = props["State"]["Fn::If"][0]
            want = sorted(c["name"] for c in by_rule.get(rule, []))
            got = sorted(conditional.get(condition, []))
            if got != want:
                problems.append(f"{who} leaves out {got} when {condition}, rule {rule} watches {want}")
    rows = readme_rows(readme)
    for rule, group in by_rule.items():
        want = sorted(c["name"] for c in group)
        if sorted(rows.get(rule, [])) != want:
            problems.append(f"README row {rule} lists {sorted(rows.get(rule, []))}, the table says {want}")
    for rule in set(rows) - set(by_rule):
        problems.append(f"README lists a rule {rule} the table does not have")
    if sorted(baseline_calls) != article:
        problems.append(f"the benchmark baseline renders {sorted(baseline_calls)}, the article's calls are {article}")
    return problems
