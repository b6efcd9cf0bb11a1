"""Shared helpers of the integration tests: a grace-node process with its own
config, data directory and free loopback port."""
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import openapi_check

BINARY = os.environ.get("GRACE_NODE_BINARY")
SOURCE = os.environ.get("GRACE_SOURCE_DIR")
TOKEN = "s3cret-token"
# Ports of the grace-node processes started here: their answers are checked
# against docs/openapi.yaml (other servers, such as Alertmanager, are not).
NODE_PORTS = set()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, headers=None, timeout=10):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, content_type, data = resp.status, resp.headers.get("Content-Type"), resp.read()
    except urllib.error.HTTPError as e:
        status, content_type, data = e.code, e.headers.get("Content-Type"), e.read()
    parsed = json.loads(data or b"null")
    # Every node answer must be one docs/openapi.yaml documents (route, status, schema).
    if port in NODE_PORTS:
        openapi_check.check_response(method, path, status, parsed if data else None,
                                     content_type)
    return status, parsed


def unix_ms(iso):
    """An API time ("2026-12-07T07:06:29.251Z", UTC) as unix milliseconds."""
    when = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")
    return round(when.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def wait_for(predicate, seconds=30):
    """The predicate's first truthy value within `seconds`, else None."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return None


class Node:
    """A grace-node process with its own config, data dir and port."""

    def __init__(self, extra_yaml="", catalog=None, args=(), data_dir=None):
        self.dir = tempfile.TemporaryDirectory(prefix="grace-it-")
        self.port = free_port()
        NODE_PORTS.add(self.port)
        catalog = catalog or os.path.join(SOURCE, "config", "metrics_catalog.yaml")
        self.config = os.path.join(self.dir.name, "grace.yaml")
        self.data_dir = data_dir or os.path.join(self.dir.name, "data")
        self.args = list(args)
        with open(self.config, "w") as f:
            f.write(f"node:\n  data_dir: {self.data_dir}\n"
                    f"simulator:\n  config: {os.path.join(SOURCE, 'config', 'simulator.yaml')}\n"
                    f"catalog:\n  path: {catalog}\n"
                    f"http:\n  port: {self.port}\n  token: {TOKEN}\n  max_body_bytes: 4096\n"
                    + extra_yaml)
        # Append mode: the child shares this file's offset, and output() seeks
        # to the start to read; without O_APPEND the node's next line would
        # overwrite the log from there (seen under load as a log cut short).
        self.log = open(os.path.join(self.dir.name, "node.log"), "a+")
        self.proc = None

    def start(self, wait_ready=True):
        self.proc = subprocess.Popen([BINARY, "run", "--config", self.config] + self.args,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if wait_ready:
            deadline = time.time() + 20
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError("node exited early:\n" + self.output())
                try:
                    status, _ = request(self.port, "GET", "/readyz", timeout=2)
                    if status == 200:
                        return self
                except (urllib.error.URLError, ConnectionError, socket.timeout):
                    pass
                time.sleep(0.1)
            raise AssertionError("node not ready within 20 s:\n" + self.output())
        return self

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def wait_for_log(self, text, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if text in self.output():
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.dir.cleanup()


def main():
    """Runs the calling test file:
    `<test>.py path/to/grace-node path/to/source [TestClass ...]` (all classes
    without names; CTest runs long files as several entries, side by side)."""
    global BINARY, SOURCE
    BINARY = os.path.abspath(sys.argv[1])
    SOURCE = os.path.abspath(sys.argv[2])
    unittest.main(module="__main__", argv=[sys.argv[0], "-v"] + sys.argv[3:])
