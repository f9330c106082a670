"""Local stand-ins on 127.0.0.1, started and stopped by PID, bounded in time.

Used by the tests and by scripts/demo.py. Every process gets dummy AWS credentials, a region
and AWS_EC2_METADATA_DISABLED=true, so nothing can reach AWS or the metadata address.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

OFFLINE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def offline_env(**extra):
    """The current environment made offline: dummy credentials, region, no metadata, no profile."""
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    env.update(OFFLINE_ENV)
    env.update({k: str(v) for k, v in extra.items()})
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout, what):
    """Waits until 127.0.0.1:port accepts connections; fails if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s")


class Server:
    """A child process in its own process group, stopped by PID (SIGTERM, then SIGKILL)."""

    def __init__(self, name, argv, port, env=None, log_path=None, ready_timeout=20, cwd=None):
        self.name, self.port = name, port
        self.log_path = Path(log_path) if log_path else None
        self._log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            argv, env=env or offline_env(), cwd=cwd or ROOT, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            wait_for_port(port, self.proc, ready_timeout, name)
        except Exception:
            self.stop()
            raise

    @property
    def pid(self):
        return self.proc.pid

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self, grace=10):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def moto_server(log_path=None):
    """moto_server on a free loopback port."""
    port = free_port()
    return Server("moto_server", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                  port, log_path=log_path)
