"""What `sam build`, `sam validate` and `sam deploy --guided` read besides the template:
samconfig.toml (nothing personal in it), lambda-src/ (the build's source, hashed by SAM's
cache: the crate and nothing else), and `sam validate --lint` itself when SAM is installed
(.venv-sam, `make sam-validate`; CI installs it)."""

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

import sam

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"


def test_the_tracked_samconfig_holds_no_addresses_and_no_parameter_values():
    text = (ROOT / "samconfig.toml").read_text()
    config = tomllib.loads(text)
    assert "@" not in text, "an e-mail address in the tracked samconfig.toml"
    for env in config.values():
        if isinstance(env, dict):
            for command in env.values():
                assert "parameter_overrides" not in command, "parameter values belong in samconfig.local.toml"
    assert config["default"]["build"]["parameters"]["beta_features"] is True, "rust-cargolambda is a beta feature"
    assert config["default"]["build"]["parameters"]["cached"] is True
    assert "samconfig.local.toml" in (ROOT / "Makefile").read_text()
    assert "/samconfig.local.toml" in (ROOT / ".gitignore").read_text().splitlines()


def test_sam_builds_the_crate_and_nothing_else():
    template = sam.load_template(ROOT / "template.yaml")
    fn = template["Resources"]["NotifyFunction"]
    assert fn["Properties"]["CodeUri"] == "lambda-src"
    assert fn["Metadata"] == {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": "iam-notify"}}
    src = ROOT / "lambda-src"
    links = {p.name: os.readlink(p) for p in src.iterdir() if p.is_symlink()}
    assert links == {"Cargo.toml": "../Cargo.toml", "Cargo.lock": "../Cargo.lock", "src": "../src",
                     "benches": "../benches"}
    assert {p.name for p in src.iterdir()} == set(links) | {".cargo", "README.md"}
    # Every path the manifest names resolves from there (cargo reads them all).
    manifest = tomllib.loads((ROOT / "Cargo.toml").read_text())
    for bench in manifest.get("bench", []):
        assert (src / "benches" / f"{bench['name']}.rs").exists(), bench
    # Cargo's output stays out of what SAM hashes (it leaves out `.aws-sam` only).
    cargo = tomllib.loads((src / ".cargo" / "config.toml").read_text())
    assert (src / cargo["build"]["target-dir"]).resolve() == ROOT / ".aws-sam" / "cargo-target"


@pytest.mark.skipif(not SAM.exists() and not os.environ.get("CI"), reason="SAM CLI not installed: make sam-validate")
def test_sam_validate_lint_passes():
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)
    out = subprocess.run([str(SAM), "validate", "--lint"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and "is a valid SAM Template" in out.stdout + out.stderr, out.stdout + out.stderr
