"""A minimal AWS Lambda Runtime API on 127.0.0.1, for measuring a bootstrap as Lambda runs it.

It serves `GET /2018-06-01/runtime/invocation/next` with the given events (cycling) up to a
limit, takes `POST …/response` and `…/error`, and records when the first request for work and
the first and the last response arrived (time.monotonic_ns), so a harness can time init, the
first invocation from the moment it started the process, and the invocations after it.
"""

import itertools
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RuntimeStub:
    def __init__(self, events, limit):
        self._events = itertools.cycle([json.dumps(e).encode() for e in events])
        self.limit = limit
        self.served = 0
        self.responses = 0
        self.errors = []
        self.first_next_ns = None
        self.first_response_ns = None
        self.last_response_ns = None
        self.done = threading.Event()
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                # Headers and body go out in separate writes: without this, Nagle's algorithm
                # and the client's delayed ACK add ~40 ms to every keep-alive request.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    self.send_error(404)
                    return
                with stub._lock:
                    if stub.first_next_ns is None:
                        stub.first_next_ns = time.monotonic_ns()
                    if stub.served >= stub.limit:
                        stub.done.set()
                        body = None
                    else:
                        stub.served += 1
                        body = next(stub._events)
                        request_id = f"req-{stub.served}"
                if body is None:
                    # No more work: hold the request as Lambda does between invocations.
                    time.sleep(3600)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                                 "arn:aws:lambda:us-east-1:123456789012:function:iam-notify")
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length)
                with stub._lock:
                    if self.path.endswith("/response"):
                        stub.responses += 1
                        stub.last_response_ns = time.monotonic_ns()
                        if stub.first_response_ns is None:
                            stub.first_response_ns = stub.last_response_ns
                    else:
                        stub.errors.append(payload[:500].decode(errors="replace"))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
