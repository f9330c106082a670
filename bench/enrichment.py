#!/usr/bin/env python3
"""What enrichment adds to an alert's time, against moto on loopback (make bench).

The release bootstrap runs under the Runtime API stub (bench/runtime_stub.py) and publishes to
moto's SNS; moto's IAM and Identity Store hold what `make demo` step 7 creates (the samples'
policies, roles and person). Each of the four enriched samples is invoked --invocations times
in a row by one process, with ENRICH=false and with ENRICH=true; the figure is the mean time
per invocation after the first (a warm execution environment: the person and the account's
alias are looked up once per environment, the rest every time), and the first invocation's
time on its own (the lookups' connections are new then).

moto answers on loopback in about a millisecond per call: AWS's IAM answers in tens of
milliseconds from Lambda, so these figures are the function's own cost plus loopback, not what
a deployed function waits for (the budget, 2 s, bounds that).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "scripts"))

import boto3  # noqa: E402
import demo  # noqa: E402
from local_servers import moto_server  # noqa: E402
from run import lambda_env  # noqa: E402
from runtime_stub import RuntimeStub  # noqa: E402

ACCOUNT = "123456789012"  # moto's default account: the stack's own


def run(binary, events, invocations, moto, topic, enrich):
    """One process, `invocations` events: (first invocation ms, mean ms of the others)."""
    stub = RuntimeStub(events, invocations)
    # The Lambda environment bench/run.py gives the function, publishing to moto instead.
    env = {**lambda_env(stub), "DRY_RUN": "false", "TOPIC_ARN": topic, "AWS_ENDPOINT_URL": moto.url,
           "ENRICH": "true" if enrich else "false", "IDENTITY_STORE_ID": demo.DEMO_STORE, "RUST_LOG": "warn"}
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        if not stub.done.wait(300):
            raise RuntimeError(f"{stub.served} of {invocations} invocations in 300 s; errors {stub.errors[:2]}")
        if stub.errors:
            raise RuntimeError(f"the function reported errors: {stub.errors[:2]}")
        first = (stub.first_response_ns - stub.first_next_ns) / 1e6
        rest = (stub.last_response_ns - stub.first_response_ns) / 1e6 / (invocations - 1)
        return first, rest
    finally:
        proc.kill()
        proc.wait(timeout=10)
        stub.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rust-bin", default=str(ROOT / "target" / "release" / "iam-notify"))
    ap.add_argument("--invocations", type=int, default=200)
    args = ap.parse_args()
    rows = []
    with moto_server(log_path=Path("/tmp/iam-notify-bench-moto.log")) as moto:
        offline = {"endpoint_url": moto.url, "region_name": "us-east-1"}
        topic = boto3.client("sns", **offline).create_topic(Name="iam-notify-bench")["TopicArn"]
        demo.meaning_fixtures(moto, lambda _msg: None)
        for name in demo.MEANING:
            event = json.loads((ROOT / "events" / name).read_text().replace(demo.SAMPLE_ACCOUNT, ACCOUNT))
            off = run(args.rust_bin, [event], args.invocations, moto, topic, enrich=False)
            on = run(args.rust_bin, [event], args.invocations, moto, topic, enrich=True)
            rows.append((name, off, on))
    print(f"\nEnrichment against moto on 127.0.0.1 ({args.invocations} invocations of each sample per process; "
          "each publishes to moto's SNS):")
    print(f"{'sample':68} {'off ms':>8} {'on ms':>8} {'added':>8} {'first, on':>10}")
    for name, off, on in rows:
        print(f"{name:68} {off[1]:8.2f} {on[1]:8.2f} {on[1] - off[1]:8.2f} {on[0]:10.1f}")
    added = sorted(on[1] - off[1] for _, off, on in rows)
    print(f"added per alert, warm: {added[0]:.2f} to {added[-1]:.2f} ms")


if __name__ == "__main__":
    start = time.monotonic()
    main()
    print(f"({time.monotonic() - start:.0f} s)")
