#!/usr/bin/env python3
"""Integration tests of the HTTP front's own rules (issue 17, items 8-11, 13):
slow and idle clients, body limits however a body is sent, Host and Origin,
media types, UTF-8, and the statuses of malformed requests.

Run by ctest as `http_front_test.py PATH/TO/grace-node SOURCE_DIR`. One node
serves every test of FrontTest; the start-up refusals run the binary briefly.
"""
import json
import os
import select
import socket
import subprocess
import sys
import time
import unittest

import grace_node
import openapi_check
from grace_node import TOKEN, Node, request

AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = dict(AUTH, **{"Content-Type": "application/json"})


def parse_response(data):
    """(status, headers with lower-case names, body bytes) of one raw answer."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return status, headers, body


def read_response(sock, timeout=10, stream=None):
    """Reads one answer (Content-Length framed) from `sock`; pass the same
    `stream` (sock.makefile("rb")) to read several answers in a row."""
    sock.settimeout(timeout)
    f = stream or sock.makefile("rb")
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = f.readline()
        if not line:
            raise ConnectionError(f"closed before an answer: {head!r}")
        head += line
    status, headers, _ = parse_response(head)
    return status, headers, f.read(int(headers.get("content-length", "0")))


def exchange(port, raw, timeout=10):
    """Sends raw request bytes on a new connection and reads the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        return read_response(s, timeout)


def checked(method, path, answer):
    """The answer, after checking it against docs/openapi.yaml."""
    status, headers, body = answer
    parsed = json.loads(body) if body else None
    openapi_check.check_response(method, path, status, parsed, headers.get("content-type"))
    return status, headers, parsed


class FrontTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node(extra_yaml="  allowed_hosts: [grace.internal]\n"
                                   "  idle_timeout: 1s\n  read_timeout: 2s\n").start()
        cls.port = cls.node.port

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def node_rss_mb(self):
        with open(f"/proc/{self.node.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0

    def head(self, method, path, host=None, extra=""):
        return (f"{method} {path} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{self.port}'}\r\n"
                + extra + "\r\n").encode()

    # --- 8: slow and idle clients ------------------------------------------

    def test_idle_and_slow_sockets_do_not_starve_the_api(self):
        idle = [socket.create_connection(("127.0.0.1", self.port)) for _ in range(300)]
        slow = []
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", self.port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(s)
        try:
            time.sleep(0.2)
            for _ in range(3):
                self.assertEqual(request(self.port, "GET", "/healthz", timeout=3),
                                 (200, {"status": "ok"}))
            # The slow heads run out of time (http.read_timeout: 2s): 408, then closed.
            status, headers, _ = read_response(slow[0], timeout=5)
            self.assertEqual(status, 408)
            self.assertEqual(headers.get("connection"), "close")
            # Idle connections are closed after http.idle_timeout (1s).
            idle[0].settimeout(5)
            self.assertEqual(idle[0].recv(1), b"")
        finally:
            for s in idle + slow:
                s.close()

    def test_listen_backlog_takes_a_burst(self):
        out = subprocess.run(["ss", "-ltnH", f"sport = :{self.port}"], capture_output=True,
                             text=True).stdout.split()
        # For a listening socket ss shows the backlog as Send-Q (third column).
        self.assertGreaterEqual(int(out[2]), 64, out)

    def test_keep_alive_serves_many_requests_and_pipelining(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            stream = s.makefile("rb")
            for _ in range(20):
                s.sendall(self.head("GET", "/healthz"))
                self.assertEqual(read_response(s, stream=stream)[0], 200)
            s.sendall(self.head("GET", "/healthz") * 3)
            for _ in range(3):
                status, _, body = read_response(s, stream=stream)
                self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))

    # --- 9: body limits, however the body is sent ---------------------------

    def send_chunked(self, path, total_bytes, headers=JSON):
        """Streams `total_bytes` of chunked body (stops when the node answers early)."""
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.sendall(self.head("POST", path, extra=extra + "Transfer-Encoding: chunked\r\n"))
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        sent = 0
        try:
            while sent < total_bytes:
                readable, _, _ = select.select([s], [], [], 0)
                if readable:
                    break
                s.sendall(chunk)
                sent += 65536
            else:
                s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        return s, sent

    def test_chunked_body_over_the_limit_is_413_with_bounded_memory(self):
        before = self.node_rss_mb()
        s, sent = self.send_chunked("/api/ml/causal-rl/reward", 64 * 1024 * 1024)
        with s:
            status, headers, body = checked("POST", "/api/ml/causal-rl/reward",
                                            read_response(s))
        self.assertEqual(status, 413, body)
        self.assertEqual(body, {"error": "request body too large (http.max_body_bytes: 4096)"})
        self.assertEqual(headers.get("connection"), "close")
        self.assertLess(sent, 32 * 1024 * 1024, "the node read far past the limit")
        self.assertLess(self.node_rss_mb() - before, 16)

    def test_declared_body_over_the_limit_is_413(self):
        status, body = request(self.port, "POST", "/api/playbooks/kill-switch",
                               body=b"{" + b" " * 5000 + b"}", headers=JSON)
        self.assertEqual((status, body),
                         (413, {"error": "request body too large (http.max_body_bytes: 4096)"}))

    def test_chunked_body_within_the_limit_is_read(self):
        body = json.dumps({"event_id": "no-such-event", "reward": 0.5}).encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            extra = "".join(f"{k}: {v}\r\n" for k, v in JSON.items())
            s.sendall(self.head("POST", "/api/ml/causal-rl/reward",
                                extra=extra + "Transfer-Encoding: chunked\r\n")
                      + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            status, _, answer = checked("POST", "/api/ml/causal-rl/reward", read_response(s))
        # The body was read and parsed: the event is unknown, not the body malformed.
        self.assertEqual(status, 404, answer)
        self.assertIn("no-such-event", answer["error"])

    def test_post_without_length_is_an_empty_body_at_once(self):
        started = time.monotonic()
        status, _, body = checked("POST", "/api/ml/causal-rl/reward", exchange(
            self.port, self.head("POST", "/api/ml/causal-rl/reward",
                                 extra="".join(f"{k}: {v}\r\n" for k, v in JSON.items())),
            timeout=5))
        self.assertEqual(status, 400, body)
        self.assertIn("body is not valid JSON", body["error"])
        self.assertLess(time.monotonic() - started, 2)

    # --- 10: Host, Origin, media types --------------------------------------

    def test_host_must_be_the_node(self):
        for host in (f"localhost:{self.port}", "127.0.0.1", f"[::1]:{self.port}",
                     f"grace.internal:{self.port}", "GRACE.internal"):
            with self.subTest(host=host):
                status, _, _ = checked("GET", "/api/catalog", exchange(
                    self.port, self.head("GET", "/api/catalog", host=host)))
                self.assertEqual(status, 200)
        for host in (f"evil.example:{self.port}", "127.0.0.1.nip.io", "localhost.evil.example"):
            with self.subTest(host=host):
                status, _, body = checked("GET", "/api/catalog", exchange(
                    self.port, self.head("GET", "/api/catalog", host=host)))
                self.assertEqual(status, 403)
                self.assertIn("http.allowed_hosts", body["error"])
        # No Host at all (HTTP/1.1 requires it).
        status, _, _ = checked("GET", "/api/catalog", exchange(
            self.port, b"GET /api/catalog HTTP/1.1\r\n\r\n"))
        self.assertEqual(status, 400)

    def test_cross_origin_requests_are_refused(self):
        body = json.dumps({"engaged": True, "reason": "from a web page"}).encode()
        for origin in ("http://evil.example", "null", f"http://localhost:{self.port}"):
            with self.subTest(origin=origin):
                status, answer = request(self.port, "POST", "/api/playbooks/kill-switch",
                                         body=body, headers=dict(JSON, Origin=origin))
                self.assertEqual(status, 403, answer)
                self.assertIn("cross-origin", answer["error"])
        status, _ = request(self.port, "GET", "/api/playbooks/executions",
                            headers={"Origin": "http://evil.example"})
        self.assertEqual(status, 403)
        # The node's own origin (the dashboard) is fine; nothing was engaged above.
        status, answer = request(self.port, "GET", "/api/playbooks",
                                 headers={"Origin": f"http://127.0.0.1:{self.port}"})
        self.assertEqual(status, 200)
        self.assertFalse(answer["governance"]["kill_switch"]["engaged"], answer["governance"])

    def test_media_types(self):
        reward = json.dumps({"event_id": "x", "reward": 0.5}).encode()
        for media in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                      "application/jsonx"):
            with self.subTest(media=media):
                status, body = request(self.port, "POST", "/api/ml/causal-rl/reward",
                                       body=reward, headers=dict(AUTH, **{"Content-Type": media}))
                self.assertEqual(status, 415, body)
                self.assertIn("application/json", body["error"])
        # No Content-Type at all.
        status, _, body = checked("POST", "/api/ml/causal-rl/reward", exchange(
            self.port, self.head("POST", "/api/ml/causal-rl/reward",
                                 extra=f"Authorization: Bearer {TOKEN}\r\n"
                                       f"Content-Length: {len(reward)}\r\n") + reward))
        self.assertEqual(status, 415, body)
        status, body = request(self.port, "POST", "/api/ml/causal-rl/reward", body=reward,
                               headers=dict(AUTH, **{"Content-Type":
                                                     "application/json; charset=utf-8"}))
        self.assertEqual(status, 404, body)  # read and parsed: no such event
        # Prometheus text is text/plain, on the push route only.
        status, body = request(self.port, "POST", "/api/metrics",
                               body=b"grace_queue_depth 3\n",
                               headers=dict(AUTH, **{"Content-Type": "text/plain"}))
        self.assertNotEqual(status, 415, body)
        status, body = request(self.port, "POST", "/api/metrics", body=b"[]",
                               headers=dict(AUTH, **{"Content-Type": "application/xml"}))
        self.assertEqual(status, 415, body)

    # --- 11: UTF-8 ----------------------------------------------------------

    def test_invalid_utf8_is_400_and_escaped_in_the_log(self):
        for path in ("/api/catalog/metrics/%FF%FE", "/api/playbooks/executions?state=%C3%28",
                     "/api/nothing/%80"):
            with self.subTest(path=path):
                status, _, body = checked("GET", path, exchange(self.port,
                                                                self.head("GET", path)))
                self.assertEqual(status, 400, body)
                self.assertIn("UTF-8", body["error"])
        bad_body = b'{"event_id": "\xff\xfe", "reward": 0.5}'
        status, _, body = checked("POST", "/api/ml/causal-rl/reward", exchange(
            self.port, self.head("POST", "/api/ml/causal-rl/reward",
                                 extra="".join(f"{k}: {v}\r\n" for k, v in JSON.items())
                                 + f"Content-Length: {len(bad_body)}\r\n") + bad_body))
        self.assertEqual(status, 400, body)
        self.assertIn("UTF-8", body["error"])
        self.node.log.flush()
        with open(self.node.log.name, "rb") as f:
            log = f.read()
        log.decode("utf-8")  # raises on a raw invalid byte
        self.assertNotIn(b"\xff", log)
        # The refusal is logged, with the bytes escaped.
        self.assertIn(b"refused GET /api/catalog/metrics/\\xff\\xfe from 127.0.0.1: 400", log)

    # --- 13: statuses -------------------------------------------------------

    def test_known_path_with_another_method_is_405(self):
        for method, path, allow in (("DELETE", "/healthz", "GET, HEAD"),
                                    ("POST", "/api/catalog", "GET, HEAD"),
                                    ("GET", "/api/metrics", "POST"),
                                    ("PUT", "/api/catalog/metrics/api.latency_p95", "GET, HEAD"),
                                    ("GET", "/api/playbooks/executions/ex-1/approve", "POST")):
            with self.subTest(method=method, path=path):
                status, headers, body = checked(method, path, exchange(
                    self.port, self.head(method, path, extra=f"Authorization: Bearer {TOKEN}\r\n"
                                         "Content-Length: 0\r\n")))
                self.assertEqual((status, body), (405, {"error": "method not allowed"}))
                self.assertEqual(headers.get("allow"), allow)
        self.assertEqual(request(self.port, "GET", "/api/no-such-thing")[0], 404)

    def test_number_out_of_range_is_400(self):
        status, body = request(self.port, "POST", "/api/ml/causal-rl/reward",
                               body=b'{"event_id": "x", "reward": 1e400}', headers=JSON)
        self.assertEqual(status, 400, body)
        self.assertIn("out of range", body["error"])

    def test_malformed_content_length_is_400(self):
        for value in ("-1", "+5", "1e3", "0x10", "5, 5"):
            with self.subTest(value=value):
                status, _, body = checked("POST", "/api/playbooks/kill-switch", exchange(
                    self.port, self.head("POST", "/api/playbooks/kill-switch",
                                         extra=f"Authorization: Bearer {TOKEN}\r\n"
                                               f"Content-Type: application/json\r\n"
                                               f"Content-Length: {value}\r\n")))
                self.assertEqual(status, 400, body)
                self.assertIn("Content-Length", body["error"])


class StartupTest(unittest.TestCase):
    def refused(self, token_yaml, bind):
        node = Node()
        try:
            with open(node.config) as f:
                config = f.read()
            with open(node.config, "w") as f:
                f.write(config.replace(f"  token: {TOKEN}\n", token_yaml))
            proc = subprocess.run([grace_node.BINARY, "run", "--config", node.config,
                                   "--http-bind", bind], capture_output=True, text=True,
                                  timeout=20)
            return proc.returncode, proc.stdout + proc.stderr
        finally:
            node.stop()

    def test_non_loopback_bind_needs_a_token(self):
        for token_yaml in ("", "  token: \"\"\n", "  token: \"  \\t \"\n"):
            with self.subTest(token=token_yaml):
                code, out = self.refused(token_yaml, "0.0.0.0")
                self.assertNotEqual(code, 0, out)
                self.assertIn("http.token", out)
                self.assertNotIn("Listening", out)


if __name__ == "__main__":
    grace_node.main()
