"""The Python baseline's runtime loop: what awslambdaric does, with the standard library only
(GET next, call the handler, POST the response), so it runs against the same stub."""

import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import handler  # noqa: E402  (init: imports boto3 and creates the SNS client, as a real one would)

API = os.environ["AWS_LAMBDA_RUNTIME_API"].rstrip("/")
if not API.startswith("http"):
    API = "http://" + API
BASE = f"{API}/2018-06-01/runtime/invocation"

while True:
    with urllib.request.urlopen(f"{BASE}/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    result = json.dumps(handler.lambda_handler(event, None)).encode()
    req = urllib.request.Request(f"{BASE}/{request_id}/response", data=result, method="POST")
    urllib.request.urlopen(req).read()
