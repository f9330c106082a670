"""The transformed template as CloudFormation would deploy it, and IAM's answer on it.

`deploy(cfn, **parameters)` evaluates parameters, conditions and intrinsic functions (Ref,
Fn::GetAtt, Fn::Sub, Fn::If, Fn::Select, Fn::Split, Fn::Join, Fn::Equals, Fn::And, Fn::Or,
Fn::Not, Fn::FindInMap, AWS::NoValue) and gives every resource a physical name and ARN, so tests can ask
questions by meaning: may the function's role send to the failure queue? which addresses does
each topic deliver to? does an alarm watch a resource of this stack?

`allowed(...)` is a small IAM policy evaluator (explicit Deny wins; an Allow from the
principal's identity policies or from the resource's policy grants, as within one account;
service principals need the resource policy) over the operators the template uses.
"""

import copy
import fnmatch
import re

ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"
STACK_UUID = "0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9"
NO_VALUE = object()


class Stack:
    def __init__(self, cfn, name, parameters, account=ACCOUNT):
        self.cfn, self.name, self.account = cfn, name, account
        self.params = {k: str(v.get("Default", "")) for k, v in cfn.get("Parameters", {}).items()}
        self.params.update({k: str(v) for k, v in parameters.items()})
        self.pseudo = {"AWS::AccountId": account, "AWS::Region": REGION, "AWS::Partition": PARTITION,
                       "AWS::StackName": name, "AWS::URLSuffix": "amazonaws.com",
                       "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{self.account}:stack/{name}/{STACK_UUID}"}
        self.conditions = {}
        for c in cfn.get("Conditions", {}):
            self.condition(c)
        raw = {k: r for k, r in cfn["Resources"].items() if "Condition" not in r or self.condition(r["Condition"])}
        self.types = {k: r["Type"] for k, r in raw.items()}
        self._raw = raw
        self.names = {k: self._physical_name(k, r) for k, r in raw.items()}
        self.resources = {k: {"Type": r["Type"], "Properties": self.value(r.get("Properties", {}))}
                          for k, r in raw.items()}

    # ---- intrinsic functions ------------------------------------------------------------

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(self.cfn["Conditions"][name]))
        return self.conditions[name]

    def value(self, node):
        out = self._value(node)
        return None if out is NO_VALUE else out

    def _value(self, node):
        if isinstance(node, list):
            return [v for v in (self._value(x) for x in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                if arg == "AWS::NoValue":
                    return NO_VALUE
                if arg in self.pseudo:
                    return self.pseudo[arg]
                if arg in self.params:
                    return self.params[arg]
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attribute)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::If":
                cond, yes, no = arg
                return self._value(yes if self.condition(cond) else no)
            if key == "Fn::Equals":
                a, b = (self._value(x) for x in arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self._value(arg[0])
            if key == "Fn::And":
                return all(self._value(x) for x in arg)
            if key == "Fn::Or":
                return any(self._value(x) for x in arg)
            if key == "Fn::Select":
                index, items = self._value(arg[0]), self._value(arg[1])
                return items[int(index)]
            if key == "Fn::Split":
                sep, text = arg
                return str(self._value(text)).split(sep)
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(x) for x in self._value(items))
            if key == "Fn::FindInMap":
                name, top, second = (self._value(x) for x in arg)
                return self.cfn["Mappings"][name][top][second]
            if key == "Fn::Sub":
                template, variables = (arg, {}) if isinstance(arg, str) else arg
                variables = {k: self._value(v) for k, v in variables.items()}
                return re.sub(r"\$\{([^}!]+)\}", lambda m: str(self._sub(m.group(1), variables)), template)
        return {k: v for k, v in ((k, self._value(v)) for k, v in node.items()) if v is not NO_VALUE}

    def _sub(self, name, variables):
        if name in variables:
            return variables[name]
        if "." in name and name.split(".")[0] in self._raw:
            return self.get_att(*name.split(".", 1))
        return self._value({"Ref": name})

    # ---- resources ------------------------------------------------------------------------

    NAME_PROPERTY = {"AWS::SNS::Topic": "TopicName", "AWS::SQS::Queue": "QueueName",
                     "AWS::Lambda::Function": "FunctionName", "AWS::Events::Rule": "Name",
                     "AWS::Logs::LogGroup": "LogGroupName", "AWS::IAM::Role": "RoleName",
                     "AWS::CloudWatch::Alarm": "AlarmName", "AWS::CloudTrail::Trail": "TrailName",
                     "AWS::S3::Bucket": "BucketName", "AWS::Scheduler::Schedule": "Name"}

    def _physical_name(self, logical, resource):
        prop = self.NAME_PROPERTY.get(resource["Type"])
        given = resource.get("Properties", {}).get(prop) if prop else None
        if given is not None:
            return self.value(given)
        return f"{self.name}-{logical}-GENERATED"[:64]

    def ref(self, logical):
        t, name = self.types[logical], self.names[logical]
        if t == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{REGION}:{self.account}:{name}"
        if t == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{self.account}/{name}"
        return name

    def get_att(self, logical, attribute):
        t, name = self.types[logical], self.names[logical]
        arns = {
            "AWS::SNS::Topic": f"arn:{PARTITION}:sns:{REGION}:{self.account}:{name}",
            "AWS::SQS::Queue": f"arn:{PARTITION}:sqs:{REGION}:{self.account}:{name}",
            "AWS::Lambda::Function": f"arn:{PARTITION}:lambda:{REGION}:{self.account}:function:{name}",
            "AWS::Events::Rule": f"arn:{PARTITION}:events:{REGION}:{self.account}:rule/{name}",
            "AWS::Logs::LogGroup": f"arn:{PARTITION}:logs:{REGION}:{self.account}:log-group:{name}:*",
            "AWS::IAM::Role": f"arn:{PARTITION}:iam::{self.account}:role/{name}",
            "AWS::KMS::Key": f"arn:{PARTITION}:kms:{REGION}:{self.account}:key/{name}",
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{name}",
        }
        if attribute == "Arn":
            return arns.get(t, f"arn:{PARTITION}:unknown:{REGION}:{self.account}:{name}")
        if attribute in ("TopicName", "QueueName"):
            return name
        raise KeyError(f"{logical}.{attribute}")

    def arn(self, logical):
        return self.get_att(logical, "Arn")

    def of_type(self, t):
        return {k: r["Properties"] for k, r in self.resources.items() if r["Type"] == t}

    # ---- policies ---------------------------------------------------------------------------

    def identity_statements(self, role_logical):
        """Every statement of the role's inline policies and of AWS::IAM::Policy resources
        attached to it."""
        role = self.resources[role_logical]["Properties"]
        out = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
        for p in self.of_type("AWS::IAM::Policy").values():
            if self.names[role_logical] in p.get("Roles", []):
                out += p["PolicyDocument"]["Statement"]
        return out

    def resource_statements(self, arn):
        """The resource policy statements that govern `arn` (topic, queue and key policies,
        Lambda permissions as statements)."""
        out = []
        for p in self.of_type("AWS::SNS::TopicPolicy").values():
            if arn in p["Topics"]:
                out += p["PolicyDocument"]["Statement"]
        for p in self.of_type("AWS::SQS::QueuePolicy").values():
            if arn in [self.queue_arn_of(url) for url in p["Queues"]]:
                out += p["PolicyDocument"]["Statement"]
        for k, r in self.of_type("AWS::KMS::Key").items():
            if self.arn(k) == arn:
                out += r["KeyPolicy"]["Statement"]
        for p in self.of_type("AWS::S3::BucketPolicy").values():
            bucket = f"arn:{PARTITION}:s3:::{p['Bucket']}"
            if arn == bucket or arn.startswith(bucket + "/"):
                out += p["PolicyDocument"]["Statement"]
        for p in self.of_type("AWS::Events::EventBusPolicy").values():
            if arn == f"arn:{PARTITION}:events:{REGION}:{self.account}:event-bus/{p['EventBusName']}":
                out += as_list(p["Statement"])
        for p in self.of_type("AWS::Lambda::Permission").values():
            fn = p["FunctionName"]
            fn_arn = fn if fn.startswith("arn:") else f"arn:{PARTITION}:lambda:{REGION}:{self.account}:function:{fn}"
            if fn_arn == arn:
                condition = {"ArnLike": {"aws:SourceArn": p["SourceArn"]}} if "SourceArn" in p else {}
                out.append({"Effect": "Allow", "Principal": {"Service": p["Principal"]}, "Action": p["Action"],
                            "Resource": arn, "Condition": condition})
        return out

    def queue_arn_of(self, url):
        name = url.rsplit("/", 1)[-1]
        return f"arn:{PARTITION}:sqs:{REGION}:{self.account}:{name}"

    def trust_statements(self, role_logical):
        return self.resources[role_logical]["Properties"]["AssumeRolePolicyDocument"]["Statement"]


def as_list(x):
    return x if isinstance(x, list) else [x]


def like(pattern, value):
    """IAM's * and ? wildcards (ArnLike, StringLike, Action and Resource)."""
    return fnmatch.fnmatchcase(value, pattern)


def condition_holds(condition, context):
    for operator, tests in (condition or {}).items():
        for key, wanted in tests.items():
            wanted = [str(w).lower() if isinstance(w, bool) else str(w) for w in as_list(wanted)]
            present = key in context
            value = str(context.get(key, ""))
            if operator in ("StringEquals", "ArnEquals"):
                ok = present and value in wanted
            elif operator in ("StringNotEquals", "ArnNotEquals"):
                ok = not present or value not in wanted
            elif operator in ("StringLike", "ArnLike"):
                ok = present and any(like(w, value) for w in wanted)
            elif operator in ("StringNotLike", "ArnNotLike"):
                ok = not present or not any(like(w, value) for w in wanted)
            elif operator == "Bool":
                ok = present and value.lower() in [w.lower() for w in wanted]
            else:
                raise ValueError(f"operator {operator} not modelled")
            if not ok:
                return False
    return True


def principal_matches(statement_principal, principal):
    """`principal` is {"AWS": arn} or {"Service": name}."""
    if statement_principal in ("*", {"AWS": "*"}):
        return "AWS" in principal or statement_principal == "*"
    for kind, values in statement_principal.items():
        for v in as_list(values):
            if kind == "AWS" and "AWS" in principal:
                if v == "*" or v == principal["AWS"]:
                    return True
                # The account root stands for every principal of the account.
                if re.fullmatch(r"arn:[^:]+:iam::(\d{12}):root", v) and f"::{v.split(':')[4]}:" in principal["AWS"]:
                    return True
            if kind == "Service" and principal.get("Service") == v:
                return True
    return False


def statement_applies(s, action, resource, context, principal=None):
    actions = as_list(s.get("Action", []))
    if not any(like(a, action) for a in actions):
        return False
    if "Resource" in s and not any(like(r, resource) for r in as_list(s["Resource"])):
        return False
    if principal is not None and not principal_matches(s.get("Principal", {}), principal):
        return False
    return condition_holds(s.get("Condition"), context)


def account_of(arn):
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def allowed(stack, principal, action, resource, context=None, identity=()):
    """IAM's decision for `principal` ({"AWS": role arn} or {"Service": name}) doing `action` on
    `resource`: `identity` holds the principal's own statements (empty for services). Across
    accounts both must allow: the principal's identity policy and the resource's policy."""
    context = dict(context or {})
    if "AWS" in principal:
        context.setdefault("aws:PrincipalArn", principal["AWS"])
    else:
        context.setdefault("aws:PrincipalServiceName", principal["Service"])
    resource_policy = stack.resource_statements(resource)
    decisions = [(s["Effect"], "identity") for s in identity if statement_applies(s, action, resource, context)]
    decisions += [(s["Effect"], "resource") for s in resource_policy
                  if statement_applies(s, action, resource, context, principal)]
    if any(effect == "Deny" for effect, _ in decisions):
        return False
    # (Resources of services whose resource policies admit other accounts; an Organizations ARN
    # names the management account, but the caller's own policy decides.)
    shared = resource.split(":")[2:3] in (["events"], ["sns"], ["sqs"], ["lambda"], ["kms"], ["s3"])
    if shared and "AWS" in principal and account_of(principal["AWS"]) not in ("", account_of(resource) or stack.account):
        return all(any(e == "Allow" and w == where for e, w in decisions) for where in ("identity", "resource"))
    return any(effect == "Allow" for effect, _ in decisions)


def deploy(cfn, name="iamnotify", **parameters):
    parameters.setdefault("NotificationEmails", "a@example.com")
    return Stack(copy.deepcopy(cfn), name, parameters)


def deploy_in(cfn, account, name, **parameters):
    """A template deployed in `account` (forwarder.yaml in a member account)."""
    return Stack(copy.deepcopy(cfn), name, parameters, account=account)
