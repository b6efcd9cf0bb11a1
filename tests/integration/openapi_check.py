"""docs/openapi.yaml as a test oracle.

* `check_response(method, path, status, body, content_type)`: the answer of
  one request must be one the spec documents: the route and status are listed,
  and a JSON body validates against the operation's schema (after $ref
  resolution and the OpenAPI 3.0 -> JSON Schema translation of `nullable`).
  Raises `OpenApiMismatch` (an AssertionError) naming route, status and the
  schema error.
* `server_routes(source_dir)`: the routes the server registers, read from the
  C++ sources in http/ (`server.Get(...)` and friends, `post_without_body`);
  a registration it cannot read raises `UnparsedRegistration`.
* `spec_routes()`: the spec's (METHOD, path) pairs; `route_key` makes both
  comparable (`{name}` and regex groups both become `{}`).

Needs python3-yaml and python3-jsonschema.
"""
import copy
import functools
import json
import os
import re

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC_PATH = os.path.normpath(os.path.join(HERE, "..", "..", "docs", "openapi.yaml"))
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# What the HTTP layer answers for a request no route takes: the router in
# http/router.cpp (404 "no such route", 405 "method not allowed"), the checks
# that run before routing (400, 401, 403, 413) and the connection layer in
# http/front_server.cpp (408, 431, 503).
ROUTER_NOT_FOUND = {"error": "no such route"}
ROUTER_STATUSES = {400, 401, 403, 404, 405, 408, 413, 414, 431, 503}


class OpenApiMismatch(AssertionError):
    pass


class UnparsedRegistration(AssertionError):
    pass


# --- the spec --------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def load_spec(path=SPEC_PATH):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def resolve(node, spec, seen=()):
    """`node` with every local $ref replaced by a copy of its target."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local $refs are supported, found {ref!r}")
            if ref in seen:
                raise ValueError(f"$ref cycle through {ref}")
            target = spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return resolve(target, spec, seen + (ref,))
        return {k: resolve(v, spec, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, spec, seen) for v in node]
    return node


# OpenAPI-only keywords without a JSON Schema meaning.
_OPENAPI_ONLY = {"nullable", "example", "examples", "xml", "externalDocs", "discriminator",
                 "readOnly", "writeOnly", "deprecated"}


def to_json_schema(schema):
    """An OpenAPI 3.0 schema object (resolved) as a draft-4 JSON Schema."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in _OPENAPI_ONLY:
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: to_json_schema(s) for name, s in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[key] = to_json_schema(value)
        else:
            out[key] = copy.deepcopy(value)
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = list(out["enum"]) + [None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def route_key(path):
    """A path template in comparable form: every parameter becomes `{}`."""
    return re.sub(r"\{[^/{}]*\}", "{}", path)


def spec_routes(spec=None):
    spec = spec or load_spec()
    return {(m.upper(), route_key(p))
            for p, item in spec["paths"].items() for m in item if m in METHODS}


def _template_regex(template):
    parts = re.split(r"(\{[^/{}]+\})", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p)
                                    for p in parts) + "$")


@functools.lru_cache(maxsize=None)
def _path_matchers():
    spec = load_spec()
    # Literal paths before templated ones, then fewer parameters first.
    paths = sorted(spec["paths"], key=lambda p: (p.count("{"), p))
    return [(p, _template_regex(p)) for p in paths]


def find_path(path):
    """The spec path template a concrete path (query stripped) falls under."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    for template, rx in _path_matchers():
        if rx.match(path):
            return template
    return None


def operation(method, path):
    """(template, operation object) for a concrete request, or (template|None, None)."""
    template = find_path(path)
    if template is None:
        return None, None
    return template, load_spec()["paths"][template].get(method.lower())


@functools.lru_cache(maxsize=None)
def _validator(template, method, status_key, media_type):
    spec = load_spec()
    op = spec["paths"][template][method]
    response = resolve(op["responses"][status_key], spec)
    schema = response["content"][media_type].get("schema", {})
    return jsonschema.Draft4Validator(to_json_schema(resolve(schema, spec)))


def _media(content_type):
    return (content_type or "").split(";", 1)[0].strip().lower()


def _error_text(error):
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    return f"at {where}: {error.message}"


def check_response(method, path, status, body, content_type="application/json"):
    """Raises OpenApiMismatch unless the spec documents this answer.

    `body` is the parsed JSON (for a JSON answer); other answers are checked
    for route, status and media type only."""
    method = method.lower()
    route = f"{method.upper()} {path.split('?', 1)[0]}"
    template, op = operation(method, path)
    media = _media(content_type)
    if op is None:
        # No route takes it: only the HTTP layer's own error answers are fine.
        if status in ROUTER_STATUSES and media == "application/json":
            try:
                jsonschema.Draft4Validator(
                    to_json_schema(load_spec()["components"]["schemas"]["Error"])).validate(body)
                return
            except jsonschema.ValidationError as e:
                raise OpenApiMismatch(f"{route} -> {status}: not in docs/openapi.yaml and the "
                                      f"body is not an error: {_error_text(e)}") from None
        raise OpenApiMismatch(f"{route} -> {status}: the spec has no operation for this request")
    responses = op.get("responses", {})
    status_key = str(status) if str(status) in responses else (
        f"{str(status)[0]}XX" if f"{str(status)[0]}XX" in responses else (
            "default" if "default" in responses else None))
    if status_key is None:
        raise OpenApiMismatch(f"{route} ({method.upper()} {template}) -> {status}: status not "
                              f"documented (documented: {', '.join(sorted(responses))}); "
                              f"body: {json.dumps(body)[:300]}")
    content = resolve(responses[status_key], load_spec()).get("content", {})
    if not content and body in (None, b"", ""):
        return  # documented without a body (304) and none came
    declared = {_media(m): m for m in content}
    if media not in declared:
        raise OpenApiMismatch(f"{route} ({method.upper()} {template}) -> {status}: answered "
                              f"{content_type!r}, the spec documents "
                              f"{', '.join(content) or 'no body'}")
    if media != "application/json":
        return
    validator = _validator(template, method, status_key, declared[media])
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        shown = "; ".join(_error_text(e) for e in errors[:5])
        raise OpenApiMismatch(f"{route} ({method.upper()} {template}) -> {status}: the body "
                              f"does not match docs/openapi.yaml: {shown}; "
                              f"body: {json.dumps(body)[:500]}")


# --- the server's routes, from the C++ sources ------------------------------

def _strip_comments(text):
    """C++ source without comments (string and raw string literals kept), and
    the spans of its string literals in the result."""
    out, spans, i, n, size = [], [], 0, len(text), 0

    def emit(piece, literal=False):
        nonlocal size
        if literal:
            spans.append((size, size + len(piece)))
        out.append(piece)
        size += len(piece)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            emit(" " + "\n" * text.count("\n", i, n if j < 0 else j))
            i = n if j < 0 else j + 2
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum()
                                                                          or text[i - 1] == "_")):
            m = re.match(r'R"([^()\\ ]{0,16})\(', text[i:])
            if not m:
                emit(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i + m.end())
            end = n if end < 0 else end + len(m.group(1)) + 2
            emit(text[i:end], literal=True)
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            emit(text[i:j + 1], literal=True)
            i = j + 1
        else:
            j = i + 1
            while j < n and text[j] not in "/R\"'":
                j += 1
            emit(text[i:j])
            i = j
    return "".join(out), spans


def _inside(spans, pos):
    return any(a < pos < b for a, b in spans)


# A registration: `server.Get(` etc., `post_without_body(server, `, or a mount
# point. Anything route-like that is not one of these is reported.
_REGISTRATION = re.compile(
    r"\bserver\s*(?:\.|->)\s*(Get|Post|Put|Delete|Patch|Options)\s*\(\s*"
    r"|\bpost_without_body\s*\(\s*server\s*,\s*"
    r"|\bserver\s*(?:\.|->)\s*(set_mount_point|set_base_dir)\s*\(\s*")
_ROUTE_LIKE = re.compile(r"(?:\.|->)\s*(Get|Post|Put|Delete|Patch|Options|set_mount_point|"
                         r"set_base_dir)\s*\(|\bpost_without_body\s*\(")
_LITERAL = re.compile(r'R"(?P<d>[^()\\ ]{0,16})\((?P<raw>.*?)\)(?P=d)"|"(?P<plain>(?:[^"\\]|\\.)*)"',
                      re.S)
# The router registers every route with cpp-httplib (and its own catch-alls);
# its calls are not routes of their own.
_ROUTER_FILES = {"router.cpp"}


def _regex_to_template(regex):
    """A cpp-httplib regex pattern with its groups as `{}`, or None when other
    regex syntax is left over."""
    out, i, depth, start = [], 0, 0, None
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            if depth == 0:
                out.append(regex[i:i + 2])
            i += 2
            continue
        if c == "[":  # a class may hold parentheses
            j = regex.find("]", i + 2)
            if depth == 0:
                return None
            i = j + 1
            continue
        if c == "(":
            depth += 1
            start = i if depth == 1 else start
        elif c == ")":
            depth -= 1
            if depth == 0:
                out.append("{}")
        elif depth == 0:
            out.append(c)
        i += 1
    text = "".join(out)
    if depth != 0 or re.search(r"[\\^$.*+?|{}\[\]()]", text.replace("{}", "")):
        return None
    return text


def _pattern_to_template(pattern):
    if re.search(r"[()\[\]\\^$*+?|]", pattern):
        return _regex_to_template(pattern)
    # cpp-httplib path parameters: /users/:id
    return re.sub(r"(?<=/):[A-Za-z_][A-Za-z0-9_]*", "{}", pattern)


def _literal_value(lit):
    return lit.group("raw") if lit.group("raw") is not None else lit.group("plain")


def _loop_values(text, pos, name, depth=0):
    """The values `name` takes at `pos`: the string literals of an enclosing
    `for (... name : {"a", "b"})`, also through `const std::string x = name;`."""
    before = text[max(0, pos - 2000):pos]
    alias = None
    for alias in re.finditer(r"(?:const\s+)?(?:std::string|auto|const\s+char\s*\*)\s*&?\s*"
                             + re.escape(name) + r"\s*(?:=\s*|\{\s*|\(\s*)(\w+)\s*[;})]", before):
        pass
    if alias and depth < 3:
        return _loop_values(text, pos - len(before) + alias.start(), alias.group(1), depth + 1)
    loop = None
    for loop in re.finditer(r"\bfor\s*\([^:;()]*\b" + re.escape(name) + r"\s*:\s*\{([^{}]*)\}\s*\)",
                            before):
        pass
    if loop is None:
        return None
    items = [i.strip() for i in loop.group(1).split(",") if i.strip()]
    values = []
    for item in items:
        lit = _LITERAL.fullmatch(item)
        if not lit:
            return None
        values.append(_literal_value(lit))
    return values


def _patterns_at(text, start, end):
    """The pattern(s) of the registration whose argument list begins at
    `end`: a string literal, or `"literal" + name` with `name` bound by a
    range-for over string literals. None when neither."""
    lit = _LITERAL.match(text, end)
    if not lit:
        return None
    rest = text[lit.end():]
    if rest.lstrip().startswith(","):
        return [_literal_value(lit)]
    concat = re.match(r"\s*\+\s*(\w+)\s*,", rest)
    if not concat:
        return None
    values = _loop_values(text, start, concat.group(1))
    if values is None:
        return None
    return [_literal_value(lit) + v for v in values]


def server_routes(source_dir):
    """{(METHOD, template)} registered in source_dir/http/*.cpp|hpp, with the
    file and line of each; raises UnparsedRegistration naming every
    registration that is not a string-literal pattern in a known form."""
    http_dir = os.path.join(source_dir, "http")
    routes, problems = {}, []
    for name in sorted(os.listdir(http_dir)):
        if not name.endswith((".cpp", ".hpp", ".h", ".cc")) or name in _ROUTER_FILES:
            continue
        with open(os.path.join(http_dir, name), encoding="utf-8") as f:
            text, literals = _strip_comments(f.read())
        seen = []  # spans of the registrations read (or reported) above
        for m in _REGISTRATION.finditer(text):
            if _inside(literals, m.start()):
                continue
            seen.append((m.start(), m.end()))
            line = text.count("\n", 0, m.start()) + 1
            where = f"http/{name}:{line}"
            snippet = text[m.start():m.end() + 60].split("\n")[0]
            patterns = _patterns_at(text, m.start(), m.end())
            if patterns is None:
                problems.append(f"{where}: the pattern is neither a string literal nor a literal "
                                f"plus a variable of a loop over literals: {snippet!r}")
                continue
            for pattern in patterns:
                if m.group(2):  # a mount point serves files under its prefix
                    template, method = pattern.rstrip("/") + "/{}", "GET"
                else:
                    template = _pattern_to_template(pattern)
                    method = (m.group(1) or "Post").upper()
                if template is None:
                    problems.append(f"{where}: cannot read the pattern {pattern!r}")
                    continue
                routes.setdefault((method, template), []).append(where)
        for m in _ROUTE_LIKE.finditer(text):
            # Every route-like call must be one of the registrations above.
            if _inside(literals, m.start()):
                continue
            if re.search(r"\bvoid\s+$", text[max(0, m.start() - 20):m.start()]):
                continue  # the definition of post_without_body
            if not any(s <= m.start() < e for s, e in seen):
                line = text.count("\n", 0, m.start()) + 1
                snippet = text[max(0, m.start() - 30):m.end() + 40].replace("\n", " ")
                problems.append(f"http/{name}:{line}: a route registration the inventory does "
                                f"not understand: {snippet!r}")
    if problems:
        raise UnparsedRegistration("\n".join(problems))
    return routes
