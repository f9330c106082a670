#!/usr/bin/env python3
"""Cold start, first invocation, memory and render cost of the Rust bootstrap and of the
Python baseline, measured the same way in the same run (make bench).

- init: from starting the process to its first request for work (GET …/invocation/next) to a
  Runtime API stub on 127.0.0.1 (bench/runtime_stub.py); median of --starts runs.
- first invocation: from starting the process to the response of its first event (dry-run).
- peak RSS: VmHWM of one process after --invocations events through the stub.
- render: per event, parse + render of every file in events/ (Rust: criterion's median of
  `all-samples/parse-bytes+render`, run by `make bench` first; Python: timeit in-process).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "scripts"))

from local_servers import offline_env  # noqa: E402
from runtime_stub import RuntimeStub  # noqa: E402

SAMPLES = [json.loads(p.read_text()) for p in sorted((ROOT / "events").glob("*.json"))]


def lambda_env(stub):
    return offline_env(
        AWS_LAMBDA_RUNTIME_API=stub.url, AWS_LAMBDA_FUNCTION_NAME="iam-notify",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        DRY_RUN="true", TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:iam-notify", RUST_LOG="info",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",  # never contacted in dry-run; loopback if it were
    )


def run_once(argv, events, limit, timeout):
    """Starts argv against a stub serving `limit` events; returns (stub, t0, peak_rss_kb, wall_s)."""
    stub = RuntimeStub(events, limit)
    t0 = time.monotonic_ns()
    proc = subprocess.Popen(argv, env=lambda_env(stub), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        finished = stub.done.wait(timeout)
        wall = (time.monotonic_ns() - t0) / 1e9
        rss = None
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    rss = int(line.split()[1])
        except OSError:
            pass
        if not finished:
            raise RuntimeError(f"{argv[0]}: {stub.served} of {limit} events in {timeout}s; errors {stub.errors[:2]}")
        if stub.errors:
            raise RuntimeError(f"{argv[0]} reported errors: {stub.errors[:2]}")
        return stub, t0, rss, wall
    finally:
        proc.kill()
        proc.wait(timeout=10)
        stub.stop()


def cold_starts(argv, starts):
    inits, firsts = [], []
    for _ in range(starts):
        stub, t0, _, _ = run_once(argv, SAMPLES[:1], 1, 60)
        inits.append((stub.first_next_ns - t0) / 1e6)
        firsts.append((stub.first_response_ns - t0) / 1e6)
    return statistics.median(inits), statistics.median(firsts)


def python_render_us():
    sys.path.insert(0, str(ROOT / "bench" / "python_baseline"))
    os.environ.update({k: v for k, v in offline_env().items() if k.startswith("AWS_")})
    import handler  # noqa: E402

    texts = [json.dumps(e) for e in SAMPLES]

    def once():
        for t in texts:
            handler.render(json.loads(t))

    runs = timeit.repeat(once, number=20, repeat=7)
    return statistics.median(runs) / 20 / len(texts) * 1e6


def rust_render_us():
    est = ROOT / "target" / "criterion" / "all-samples" / "parse-bytes+render" / "new" / "estimates.json"
    if not est.exists():
        raise SystemExit(f"{est} missing: run `cargo bench --bench render` first (make bench does)")
    return json.loads(est.read_text())["median"]["point_estimate"] / 1000 / len(SAMPLES)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rust-bin", default=str(ROOT / "target" / "release" / "iam-notify"))
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--invocations", type=int, default=10_000)
    ap.add_argument("--zip", help="a bootstrap.zip to report the size of")
    args = ap.parse_args()
    rust = [args.rust_bin]
    python = [sys.executable, str(ROOT / "bench" / "python_baseline" / "bootstrap.py")]

    print(f"{len(SAMPLES)} sample events; {args.starts} cold starts; {args.invocations} invocations", flush=True)
    results = {}
    for name, argv in (("Rust", rust), ("Python", python)):
        init, first = cold_starts(argv, args.starts)
        _, _, rss, wall = run_once(argv, SAMPLES, args.invocations, 600)
        results[name] = {"init_ms": init, "first_ms": first, "rss_mb": rss / 1024 if rss else float("nan"),
                         "invoke_per_s": args.invocations / wall}
        print(f"{name}: init {init:.1f} ms, first invocation {first:.1f} ms, peak RSS {results[name]['rss_mb']:.1f} MB "
              f"after {args.invocations} invocations ({results[name]['invoke_per_s']:.0f}/s through the stub)", flush=True)
    results["Rust"]["render_us"] = rust_render_us()
    results["Python"]["render_us"] = python_render_us()
    r, p = results["Rust"], results["Python"]
    rows = [
        ("init (process start -> first /next), median", "ms", "init_ms", "≤ 10", "lower"),
        ("first invocation done (dry-run), median", "ms", "first_ms", "", "lower"),
        ("parse + render per event (median)", "µs", "render_us", "≤ 50", "lower"),
        ("peak RSS after the invocations", "MB", "rss_mb", "≤ 20", "lower"),
        ("invocations/s through the stub (one process)", "/s", "invoke_per_s", "", "higher"),
    ]
    print()
    print("| Measure | Rust | Python | Python/Rust | Target (Rust) |")
    print("|---|---|---|---|---|")
    for label, unit, key, target, better in rows:
        ratio = p[key] / r[key] if better == "lower" else r[key] / p[key]
        print(f"| {label} | {r[key]:.1f} {unit} | {p[key]:.1f} {unit} | {ratio:.1f}× | {target} |")
    if args.zip:
        size = Path(args.zip).stat().st_size
        print(f"| zip ({args.zip}) | {size / 1024 / 1024:.2f} MB | | | ≤ 3 MB |")


if __name__ == "__main__":
    main()
