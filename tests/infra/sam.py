"""Offline SAM transform of template.yaml into plain CloudFormation.

    python tests/infra/sam.py template.yaml > transformed.json

The AWS::Serverless::Function's CodeUri (`.`, built by `sam build`) is replaced by an
s3://bucket/key stand-in, as `sam package` would do; nothing is uploaded and nothing leaves
the machine (the managed-policy loader answers from memory).
"""

import copy
import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from samtranslator.parser.parser import Parser  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

CODE_BUCKET = "iam-notify-artifacts"
CODE_KEY = "iam-notify/bootstrap.zip"


class NoManagedPolicies:
    """The translator asks for AWS managed policy ARNs only when a template names them by
    short name; ours names none."""

    def load(self):
        return {}


def load_template(path):
    with open(path, encoding="utf-8") as f:
        return yaml_parse(f.read())


def transformed(template):
    """The SAM template as plain CloudFormation."""
    template = copy.deepcopy(template)
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://{CODE_BUCKET}/{CODE_KEY}"
    return transform(template, {}, NoManagedPolicies())


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
    json.dump(transformed(load_template(path)), sys.stdout, indent=2, default=str)
    print()
