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


CRITERION = ROOT / "target" / "criterion"


def criterion_us(*path):
    """A criterion benchmark's median, in µs (make bench runs criterion first)."""
    est = CRITERION.joinpath(*path, "new", "estimates.json")
    if not est.exists():
        raise SystemExit(f"{est} missing: run `cargo bench --bench render` first (make bench does)")
    return json.loads(est.read_text())["median"]["point_estimate"] / 1000


def rust_render_us():
    """The baseline's work and more (parse from bytes, render), per event."""
    return criterion_us("all-samples", "parse-bytes+render") / len(SAMPLES)


def whole_job_median_us():
    """The whole job per event, median over the samples (one criterion benchmark each)."""
    group = CRITERION / "whole-job"
    names = [d.name for d in group.iterdir() if d.is_dir() and d.name != "report"]
    return statistics.median(criterion_us("whole-job", n) for n in names), len(names)


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
        ("init (process start -> first /next), median", "ms", "init_ms", "lower"),
        ("first invocation done (dry-run), median", "ms", "first_ms", "lower"),
        ("parse + render per event (the baseline's work)", "µs", "render_us", "lower"),
        ("peak RSS after the invocations", "MB", "rss_mb", "lower"),
        ("invocations/s through the stub (one process)", "/s", "invoke_per_s", "higher"),
    ]
    print()
    print("| Measure | Rust | Python | Python/Rust |")
    print("|---|---|---|---|")
    for label, unit, key, better in rows:
        ratio = p[key] / r[key] if better == "lower" else r[key] / p[key]
        print(f"| {label} | {r[key]:.1f} {unit} | {p[key]:.1f} {unit} | {ratio:.1f}× |")

    # The budgets (issue 28: simple code, well within what a user can feel), from this one run.
    whole, count = whole_job_median_us()
    inline = criterion_us("largest-policies", "inline-role-policy-10240")
    managed = criterion_us("largest-policies", "managed-policy-6144")
    scale = {f: criterion_us("input-scaling", str(f)) for f in (1, 10, 100)}
    kinds = ("wildcards", "statements", "denies")
    hostile_10k, hostile_10k_kind = max((criterion_us("hostile-policies", f"{k}-10240"), k) for k in kinds)
    hostile_256k, hostile_256k_kind = max((criterion_us("hostile-policies", f"{k}-event-256k"), k) for k in kinds)
    zip_path = Path(args.zip) if args.zip else ROOT / "target" / "lambda" / "iam-notify" / "bootstrap.zip"
    # Decimal megabytes (10^6 bytes), the stricter reading of "4 MB".
    zip_bytes = zip_path.stat().st_size if zip_path.exists() else None
    zip_mb = zip_bytes / 1e6 if zip_bytes else None
    targets = [
        (f"whole job: ≤ 25 µs per event, median over {count} samples", f"{whole:.1f} µs", whole <= 25),
        ("largest inline policy (10,240 characters), the worst of three hostile kinds (wildcards with no "
         "literal start, `*` per statement, a Deny per statement): ≤ 10 ms",
         f"{hostile_10k / 1000:.2f} ms ({hostile_10k_kind})", hostile_10k <= 10_000),
        ("any event EventBridge accepts (256 KB), the same three kinds filling it: ≤ 50 ms",
         f"{hostile_256k / 1000:.1f} ms ({hostile_256k_kind})", hostile_256k <= 50_000),
        ("cost linear in input size (1×, 10×, 100×: per-byte cost within 2× of 1×)",
         f"{scale[1]:.0f} / {scale[10]:.0f} / {scale[100]:.0f} µs (×{scale[10] / scale[1]:.1f}, ×{scale[100] / scale[1]:.1f})",
         scale[100] / scale[1] <= 200),
        ("init: ≤ 3 ms median", f"{r['init_ms']:.1f} ms", r["init_ms"] <= 3),
        ("peak RSS over the invocations: ≤ 10 MB", f"{r['rss_mb']:.1f} MB", r["rss_mb"] <= 10),
        ("arm64 zip with the SDK crates (cargo lambda build --release --arm64 --output-format zip): ≤ 4 MB",
         f"{zip_mb:.2f} MB ({zip_bytes:,} bytes)" if zip_mb else "not built (make build-lambda)",
         zip_mb is not None and zip_mb <= 4),
    ]
    print()
    print("| Target | Measured | Met? |")
    print("|---|---|---|")
    for target, measured, met in targets:
        print(f"| {target} | {measured} | {'met' if met else '**missed**'} |")
    indented = criterion_us("largest-policies", "inline-role-policy-10240-indented")
    print()
    print(f"Beside the targets: the largest inline policy of ordinary statements {inline:.0f} µs, the largest "
          f"managed policy {managed:.0f} µs, the inline one indented by four spaces (21 KB of text; "
          f"IAM does not count whitespace): {indented:.0f} µs.")

if __name__ == "__main__":
    main()
