import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import local_servers  # noqa: E402

# Every boto3 client in these tests is offline: dummy credentials, a region, no metadata.
os.environ.update(local_servers.OFFLINE_ENV)
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="module")
def template():
    """template.yaml as written (SAM resources untransformed)."""
    import sam
    return sam.load_template(Path(__file__).resolve().parents[2] / "template.yaml")


@pytest.fixture(scope="module")
def cfn(template):
    """template.yaml as the SAM translator transforms it (what CloudFormation deploys)."""
    import sam
    return sam.transformed(template)


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    server = local_servers.moto_server(log_path=tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield server
    finally:
        server.stop()
