#!/usr/bin/env python3
"""docs/openapi.yaml stays true to the server.

* The routes registered in http/*.cpp and the spec's paths and methods are
  the same set (both ways); a registration the inventory cannot read fails.
* The spec is well formed: refs resolve, schemas compile, path parameters are
  declared, mutating operations (and GETs that create state) carry the
  bearer scheme and a 401.
* A live node answers every spec operation with something other than the
  router's "no such route", and the answer validates against the spec.

The other integration suites validate every JSON answer they receive through
grace_node.request (openapi_check.check_response).

Run by ctest as `openapi_test.py PATH/TO/grace-node SOURCE_DIR`.
"""
import json
import os
import re
import socket
import sys
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request

import jsonschema

import grace_node
import openapi_check
from grace_node import TOKEN, Node, request

AUTH = {"Authorization": f"Bearer {TOKEN}"}
MUTATING = {"post", "put", "patch", "delete"}
# GETs that create state: they need the token like mutating requests.
STATEFUL_GETS = {"/api/ml/causal-rl/recommend"}


def needs_token(path, method):
    return method in MUTATING or (method == "get" and path in STATEFUL_GETS)


def operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in openapi_check.METHODS:
                yield path, method, op


class RouteInventoryTest(unittest.TestCase):
    def test_spec_and_server_register_the_same_routes(self):
        server = openapi_check.server_routes(grace_node.SOURCE)
        spec = openapi_check.spec_routes()
        missing = sorted(set(server) - spec)
        extra = sorted(spec - set(server))
        lines = []
        for method, path in missing:
            lines.append(f"  missing from docs/openapi.yaml: {method} {path} "
                         f"(registered at {', '.join(server[(method, path)])})")
        for method, path in extra:
            lines.append(f"  in docs/openapi.yaml but not registered by the server: "
                         f"{method} {path}")
        if lines:
            self.fail("docs/openapi.yaml and http/*.cpp disagree:\n" + "\n".join(lines))
        # Not trivially equal: the inventory found the routes of every file.
        self.assertGreaterEqual(len(server), 30, sorted(server))


class InventoryParserTest(unittest.TestCase):
    """The C++ reader on small sources: the forms it reads, the ones it refuses."""

    def routes_of(self, source):
        with tempfile.TemporaryDirectory() as root:
            os.mkdir(os.path.join(root, "http"))
            with open(os.path.join(root, "http", "x_routes.cpp"), "w") as f:
                f.write(source)
            return set(openapi_check.server_routes(root))

    def test_forms_it_reads(self):
        source = r'''
          server.Get("/a", h);
          server.Post(R"(/b/([^/]+)/c)", h);  // server.Get("/commented-out", h);
          /* server.Delete("/also-commented", h); */
          post_without_body(server, R"(/d/([A-Za-z0-9_.-]+)/e)", h);
          server.Put("/f/:id", h);
          auto url = "http://x/server.Get(";
          for (const char* name : {"g1", "g2"}) {
            const std::string report_name = name;
            server.Get("/g/" + report_name, h);
          }
        '''
        self.assertEqual(self.routes_of(source),
                         {("GET", "/a"), ("POST", "/b/{}/c"), ("POST", "/d/{}/e"),
                          ("PUT", "/f/{}"), ("GET", "/g/g1"), ("GET", "/g/g2")})

    def test_forms_it_refuses(self):
        for source in ['server.Get(pattern, h);',
                       'server.Get("/a/" + std::string(name), h);',
                       'server.Get(R"(/a/\\d+)", h);',
                       'server.Get("/a" "/b", h);',
                       'srv.Get("/x", h);',
                       'post_without_body(other, "/x", h);']:
            with self.subTest(source=source):
                with self.assertRaises(openapi_check.UnparsedRegistration):
                    self.routes_of(source)


class SpecShapeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.spec = openapi_check.load_spec()

    def test_version_and_refs(self):
        self.assertEqual(self.spec["openapi"], "3.0.3")
        openapi_check.resolve(self.spec, self.spec)  # raises on a dangling or cyclic $ref

    def test_every_schema_compiles(self):
        spec = self.spec
        for path, method, op in operations(spec):
            for status, response in op["responses"].items():
                for media, body in openapi_check.resolve(response, spec).get("content",
                                                                             {}).items():
                    with self.subTest(op=f"{method.upper()} {path}", status=status, media=media):
                        jsonschema.Draft4Validator.check_schema(
                            openapi_check.to_json_schema(body.get("schema", {})))

    def test_operations(self):
        spec = self.spec
        ids = []
        for path, method, op in operations(spec):
            name = f"{method.upper()} {path}"
            ids.append(op.get("operationId"))
            params = [openapi_check.resolve(p, spec) for p in op.get("parameters", [])]
            declared = {p["name"] for p in params if p["in"] == "path"}
            self.assertEqual(declared, set(re.findall(r"\{([^}]+)\}", path)), name)
            self.assertTrue(any(s.startswith("2") for s in op["responses"]), name)
            for status, response in op["responses"].items():
                response = openapi_check.resolve(response, spec)
                self.assertIn("description", response, f"{name} {status}")
                if status[0] in "45":
                    # Errors are send_error's {"error": ...} (or a report, /api/metrics 400).
                    self.assertIn("application/json", response.get("content", {}),
                                  f"{name} {status}")
            if needs_token(path, method):
                self.assertEqual(op.get("security"), [{"bearerAuth": []}], name)
                self.assertIn("401", op["responses"], name)
            else:
                self.assertNotIn("security", op, name)
        self.assertEqual(len(ids), len(set(ids)), "operationIds must be unique")
        self.assertNotIn(None, ids)


class LiveProbeTest(unittest.TestCase):
    """Every spec operation reaches a handler of a running node."""

    @classmethod
    def setUpClass(cls):
        cls.spec = openapi_check.load_spec()
        cls.node = Node().start()
        _, catalog = request(cls.node.port, "GET", "/api/catalog")
        metric = catalog["metrics"][0]
        cls.values = {"metric_id": metric["id"], "execution_id": "openapi-probe",
                      "file": cls.first_asset(), "service": metric["service"],
                      "diagnosis": metric["id"]}

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    @classmethod
    def first_asset(cls):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{cls.node.port}/", timeout=10) as r:
                page = r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError:
            page = ""
        found = re.findall(r"/web/([A-Za-z0-9_.-]+)", page)
        return found[0] if found else "index.html"

    def concrete(self, path, op):
        params = [openapi_check.resolve(p, self.spec) for p in op.get("parameters", [])]
        value = lambda name: self.values.get(name, "openapi-probe")
        concrete = re.sub(r"\{([^}]+)\}", lambda m: value(m.group(1)), path)
        query = {p["name"]: value(p["name"]) for p in params
                 if p["in"] == "query" and p.get("required")}
        return concrete + ("?" + urllib.parse.urlencode(query) if query else "")

    def raw(self, method, path, body=None, headers=None, timeout=60):
        req = urllib.request.Request(f"http://127.0.0.1:{self.node.port}{path}", data=body,
                                     method=method, headers=headers or {})
        try:
            resp = urllib.request.urlopen(req, timeout=timeout)
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()
        with resp:
            return resp.status, resp.headers, resp.read()

    def assert_routed(self, name, status, data):
        try:
            body = json.loads(data or b"null")
        except ValueError:
            body = None
        self.assertFalse(status in (404, 405) and body in (openapi_check.ROUTER_NOT_FOUND,
                                                           {"error": "method not allowed"}),
                         f"{name}: the server has no such route ({status} {body})")

    def test_the_router_answer_is_recognised(self):
        # The marker the probes look for is what an unknown path really gets.
        self.assertEqual(request(self.node.port, "GET", "/openapi-probe/no-such-route"),
                         (404, openapi_check.ROUTER_NOT_FOUND))
        status, _, data = self.raw("POST", "/openapi-probe/no-such-route", headers=AUTH)
        self.assertEqual((status, json.loads(data)), (404, openapi_check.ROUTER_NOT_FOUND))

    def test_every_operation_is_served(self):
        for path, method, op in operations(self.spec):
            name = f"{method.upper()} {path}"
            with self.subTest(operation=name):
                target = self.concrete(path, op)
                if path == "/api/events":
                    self.probe_event_stream(target)
                    continue
                body, headers = None, {}
                if needs_token(path, method):
                    headers.update(AUTH)
                    if "requestBody" in op:
                        # A body no handler accepts: every route answers 400, nothing changes.
                        body = b'{"openapi_probe": true}'
                        headers["Content-Type"] = "application/json"
                status, resp_headers, data = self.raw(method.upper(), target, body, headers)
                self.assert_routed(name, status, data)
                content_type = resp_headers.get("Content-Type")
                parsed = None
                if openapi_check._media(content_type) == "application/json":
                    parsed = json.loads(data)
                elif data:
                    parsed = data
                openapi_check.check_response(method, target, status, parsed, content_type)
                if "requestBody" in op:
                    self.assertEqual(status, 400, f"{name}: a probe body was accepted: {data!r}")

    def test_mutating_operations_need_the_token(self):
        for path, method, op in operations(self.spec):
            if not needs_token(path, method):
                continue
            with self.subTest(operation=f"{method.upper()} {path}"):
                target = self.concrete(path, op)
                body = b"{}" if method in MUTATING else None
                status, headers, data = self.raw(method.upper(), target, body,
                                                 {"Content-Type": "application/json"})
                self.assertEqual(status, 401, data)
                self.assertEqual(headers.get("WWW-Authenticate"), "Bearer")
                openapi_check.check_response(method, target, status, json.loads(data),
                                             headers.get("Content-Type"))

    def probe_event_stream(self, target):
        req = urllib.request.Request(f"http://127.0.0.1:{self.node.port}{target}")
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.assertEqual(resp.status, 200)
            self.assertEqual(openapi_check._media(resp.headers.get("Content-Type")),
                             "text/event-stream")
            self.assertEqual(resp.headers.get("Cache-Control"), "no-cache")
            openapi_check.check_response("get", target, resp.status, None,
                                         resp.headers.get("Content-Type"))


class CheckerTest(unittest.TestCase):
    """check_response itself refuses what the spec does not document."""

    def refused(self, *args):
        with self.assertRaises(openapi_check.OpenApiMismatch) as ctx:
            openapi_check.check_response(*args)
        return str(ctx.exception)

    def test_refusals(self):
        message = self.refused("GET", "/healthz", 200, {"status": "fine"})
        self.assertIn("GET /healthz", message)
        self.assertIn("200", message)
        self.assertIn("'fine' is not one of ['ok']", message)
        self.assertIn("status not documented", self.refused("GET", "/healthz", 418,
                                                             {"error": "teapot"}))
        self.assertIn("no operation", self.refused("GET", "/not-in-the-spec", 200, {}))
        self.assertIn("text/plain", self.refused("GET", "/healthz", 200, "ok", "text/plain"))
        # A missing field, an extra field, a wrong type inside an array.
        self.refused("GET", "/api/status", 200, {})
        self.refused("GET", "/api/status", 200, {"components": [], "extra": 1})
        self.refused("GET", "/api/status", 200,
                     {"components": [{"name": "x", "up": "yes", "restarts": 0}]})
        # nullable is honoured only where the spec says so.
        self.refused("GET", "/api/catalog/metrics/x", 404, {"error": None})

    def test_acceptances(self):
        openapi_check.check_response("GET", "/healthz", 200, {"status": "ok"})
        openapi_check.check_response("GET", "/api/status?x=1", 200,
                                     {"components": [{"name": "x", "up": True, "restarts": 0}]})
        openapi_check.check_response("GET", "/nowhere", 404, openapi_check.ROUTER_NOT_FOUND)
        openapi_check.check_response("POST", "/api/ml/forecaster/train", 401,
                                     {"error": "needs a token"})


if __name__ == "__main__":
    grace_node.main()
