"""Request bodies checked against Discord's official OpenAPI description (JSON Schema 2020-12)."""

from __future__ import annotations

import errno
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import referencing
import referencing.jsonschema
from jsonschema.exceptions import ValidationError

from ._errors import Issue
from ._model import JSON

DOCUMENT_URI = "urn:picket:discord-openapi"
# Bodies remembered with what their validation found.
JUDGED_KEPT = 4096
CONTENT_TYPES = {"json": "application/json", "multipart": "multipart/form-data"}


def _accept_integer_snowflakes(document: JSON) -> None:
    # The description types snowflakes as decimal strings only, but Discord accepts JSON integers for them,
    # and discord.py sends integers (attachment ids in `attachments`, `recipient_id` of a DM channel).
    schemas = document["components"]["schemas"]
    schemas["SnowflakeType"] = {"anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    request_body: JSON | None


class OpenApiValidator:
    def __init__(self, document: JSON) -> None:
        self._document = document
        resource = referencing.Resource.from_contents(
            document, default_specification=referencing.jsonschema.DRAFT202012
        )
        self._registry: referencing.Registry[Any] = referencing.Registry().with_resource(
            DOCUMENT_URI, resource
        )
        self._operations = self._collect_operations(document)
        self._validators: dict[tuple[str, str, str], jsonschema.protocols.Validator] = {}
        self._judged: dict[tuple[str, str, str, str], tuple[Issue, ...]] = {}

    @staticmethod
    def _collect_operations(document: JSON) -> list[Operation]:
        operations = []
        for template, item in document["paths"].items():
            segments = template.strip("/").split("/")
            regex = "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segments)
            literal = sum(1 for s in segments if not s.startswith("{"))
            for method, operation in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    operations.append(
                        Operation(
                            method=method.upper(),
                            template=template,
                            pattern=re.compile(f"^/{regex}/?$"),
                            literal_segments=literal,
                            request_body=operation.get("requestBody"),
                        )
                    )
        # A literal segment (`@original`, `@me`) must win over a parameter at the same place.
        operations.sort(key=lambda op: -op.literal_segments)
        return operations

    def operation_for(self, method: str, path: str) -> Operation | None:
        for operation in self._operations:
            if operation.method == method and operation.pattern.match(path):
                return operation
        return None

    def issues(self, method: str, path: str, *, kind: str, body: Any) -> list[Issue] | None:
        """Issues of `body` for the operation at `method path`; None when no operation matches."""
        operation = self.operation_for(method, path)
        if operation is None:
            return None
        if operation.request_body is None:
            return []
        content_type = CONTENT_TYPES[kind]
        if content_type not in operation.request_body["content"]:
            return [Issue((), "CONTENT_TYPE_INVALID", f"{operation.template} does not take {content_type}")]
        # A burst of fans gets the same answers: one validation serves every body exactly like it.
        seen = (operation.method, operation.template, content_type, json.dumps(body, sort_keys=True))
        known = self._judged.get(seen)
        if known is not None:
            return list(known)
        found = self._issues_of(operation, content_type, body)
        if len(self._judged) >= JUDGED_KEPT:
            self._judged.clear()
        self._judged[seen] = tuple(found)
        return found

    def _issues_of(self, operation: Operation, content_type: str, body: Any) -> list[Issue]:
        validator = self._validator(operation, content_type)
        errors = list(validator.iter_errors(body))
        if not errors:
            return []
        error = max((_deepest(e) for e in errors), key=_specificity)
        where = tuple(error.absolute_path)
        message = error.message if len(error.message) < 300 else error.message[:297] + "..."
        return [
            Issue(
                where,
                "OPENAPI_SCHEMA_MISMATCH",
                f"{message} (schema at {'/'.join(map(str, error.schema_path))})",
            )
        ]

    def _validator(self, operation: Operation, content_type: str) -> jsonschema.protocols.Validator:
        key = (operation.method, operation.template, content_type)
        if key not in self._validators:
            pointer = "/".join(
                quote(part.replace("~", "~0").replace("/", "~1"), safe="~@")
                for part in (
                    "paths",
                    operation.template,
                    operation.method.lower(),
                    "requestBody",
                    "content",
                    content_type,
                    "schema",
                )
            )
            schema = {"$ref": f"{DOCUMENT_URI}#/{pointer}"}
            self._validators[key] = jsonschema.Draft202012Validator(schema, registry=self._registry)
        return self._validators[key]


def _specificity(error: ValidationError) -> tuple[int, bool]:
    # A wrong discriminator (`type` not in a branch's enum) only says the branch did not apply.
    return len(error.absolute_path), error.validator != "enum"


def _is_discriminator(error: ValidationError, union: ValidationError) -> bool:
    return error.validator in ("enum", "const") and list(error.absolute_path) == [
        *union.absolute_path,
        "type",
    ]


def _deepest(error: ValidationError) -> ValidationError:
    """The most telling leaf of a union error: from the branches whose `type` matched, the deepest one."""
    if not error.context:
        return error
    branches: dict[object, list[ValidationError]] = {}
    for child in error.context:
        branches.setdefault(child.relative_schema_path[0], []).append(child)
    matching = [
        errors for errors in branches.values() if not any(_is_discriminator(e, error) for e in errors)
    ]
    candidates = [e for errors in (matching or list(branches.values())) for e in errors]
    return max((_deepest(e) for e in candidates), key=_specificity)


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> OpenApiValidator:
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    _accept_integer_snowflakes(document)
    return OpenApiValidator(document)


def load_validator(path: Path) -> OpenApiValidator:
    """The validator for the description at `path`, shared across servers.

    A missing file is an error: without it bodies Discord would refuse would pass unnoticed.
    """
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, "Discord's OpenAPI description is missing", str(path))
    return _load(str(path), path.stat().st_mtime)
