"""Checks real answers against the OpenAPI schema the API publishes."""

import functools

import jsonschema
from drf_spectacular.generators import SchemaGenerator


@functools.cache
def api_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _json_schema(node, components: dict):
    """OpenAPI 3.0 schema → JSON Schema: references resolved, `nullable` as a null type."""
    if isinstance(node, list):
        return [_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    converted = {
        key: _json_schema(value, components)
        for key, value in node.items()
        if key not in ("nullable", "readOnly", "writeOnly", "example", "examples", "format")
    }
    if "properties" in node:
        converted["properties"] = {
            name: _json_schema(value, components) for name, value in node["properties"].items()
        }
    if node.get("nullable"):
        if "enum" in converted and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def documented_statuses(path: str, method: str) -> set[int]:
    return {int(status) for status in api_schema()["paths"][path][method.lower()]["responses"]}


def assert_conforms(response, path: str, method: str) -> None:
    """The answer's status is documented for the operation, its body fits that status's schema,
    and the headers the schema states are there."""
    operation = api_schema()["paths"][path][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], (
        f"{method} {path}: {status} is not documented ({response.content[:300]!r})"
    )
    documented = operation["responses"][status]
    schema = documented["content"]["application/json"]["schema"]
    components = api_schema()["components"]["schemas"]
    body = response.json()
    jsonschema.validate(body, _json_schema(schema, components))
    for header in documented.get("headers", {}):
        if header == "Idempotent-Replayed" or response.status_code in (429, 503):
            assert header in response.headers, f"{method} {path} {status}: no {header} header"
