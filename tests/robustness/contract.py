"""The service's OpenAPI document, and a check that one real answer conforms to it.

The check is written against the document only (jsonschema with OpenAPI 3.1's JSON Schema
2020-12), so it holds the service to what the contract says, not to what the code happens to
do. Paths and methods the document does not list answer with its `NotFound` and
`MethodNotAllowed` responses, or `BodyTooLarge`, which every path may answer first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import jsonschema
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

import service

SPEC_PATH = Path(service.__file__).parent / "web" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete", "options", "head")
_BASE = "urn:openapi"


class Observed(Protocol):
    """One real answer, whichever client fetched it (tests.service.support.Answer is one)."""

    status: int
    headers: Mapping[str, str]
    body: Any  # parsed JSON, or None when the answer has no body


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Contract:
    document: dict[str, Any]

    @classmethod
    def load(cls, text: str | bytes | None = None) -> Contract:
        return cls(yaml.safe_load(SPEC_PATH.read_bytes() if text is None else text))

    @cached_property
    def _registry(self) -> Registry:
        return Registry().with_resource(_BASE, DRAFT202012.create_resource(self.document))

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(METHOD, path, operation) for every operation the document lists."""
        for path, item in self.document["paths"].items():
            for method in METHODS:
                if method in item:
                    yield method.upper(), path, item[method]

    def template(self, path: str) -> str:
        """The documented path `path` is an instance of (`/admin/accounts/7` →
        `/admin/accounts/{id}`; a query string is not part of it), or `path` itself when none
        is."""
        path = path.partition("?")[0]
        if path in self.document["paths"]:
            return path
        for documented in self.document["paths"]:
            parts = re.split(r"\{[^/]+\}", documented)
            pattern = "[^/]+".join(re.escape(part) for part in parts)
            if re.fullmatch(pattern, path):
                return documented
        return path

    def response_pointer(self, method: str, path: str, status: int) -> str:
        """The JSON pointer of the documented response, following a response `$ref`."""
        path = self.template(path)
        item = self.document["paths"].get(path)
        if (item is None or method.lower() not in item) and status == 413:
            pointer = "/components/responses/BodyTooLarge"  # said before anything else
        elif item is None:
            pointer = "/components/responses/NotFound"
        elif method.lower() not in item:
            pointer = "/components/responses/MethodNotAllowed"
        else:
            pointer = f"/paths/{_escape(path)}/{method.lower()}/responses/{status}"
        response = self.resolve(pointer)
        assert response is not None, f"{method} {path}: status {status} is not documented"
        if "$ref" in response:
            pointer = response["$ref"].removeprefix("#")
        return pointer

    def resolve(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer.strip("/").split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or token not in node:
                return None
            node = node[token]
        return node

    def check(self, method: str, path: str, answer: Observed) -> None:
        """Assert that `answer` is one the document allows for `method path`."""
        pointer = self.response_pointer(method, path, answer.status)
        response = self.resolve(pointer)
        where = f"{method} {path} → {answer.status} {answer.body!r}"
        self._check_headers(pointer, response.get("headers", {}), answer, where)
        content = response.get("content")
        if not content:
            assert answer.body is None, f"{where}: documented without a body"
            return
        headers = {name.lower(): value for name, value in answer.headers.items()}
        media_type = headers.get("content-type", "").split(";")[0].strip()
        assert media_type in content, f"{where}: Content-Type {media_type!r} not documented"
        schema = content[media_type].get("schema")
        if schema is not None:
            self._validate(f"{pointer}/content/{_escape(media_type)}/schema", answer.body, where)

    def _check_headers(
        self, pointer: str, documented: dict[str, Any], answer: Observed, where: str
    ) -> None:
        present = {name.lower(): value for name, value in answer.headers.items()}
        for name, header in documented.items():
            value = present.get(name.lower())
            if value is None:
                assert not header.get("required"), f"{where}: header {name} missing"
                continue
            self._validate(f"{pointer}/headers/{_escape(name)}/schema", value, where)

    def _validate(self, pointer: str, value: Any, where: str) -> None:
        validator = jsonschema.Draft202012Validator(
            {"$ref": f"{_BASE}#{pointer}"},
            registry=self._registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        errors = [error.message for error in validator.iter_errors(value)]
        assert not errors, f"{where}: {errors}"

    def documented_codes(self) -> set[tuple[str, str, int, str | None]]:
        """(METHOD, path, status, message code) for every outcome an operation documents.

        The code is None for an answer without one (a 200 of GET, a 204).
        """
        codes: set[tuple[str, str, int, str | None]] = set()
        for method, path, operation in self.operations():
            for status in operation["responses"]:
                pointer = self.response_pointer(method, path, int(status))
                for code in self.codes_at(pointer) or [None]:
                    codes.add((method, path, int(status), code))
        return codes

    def codes_at(self, pointer: str) -> list[str]:
        """The message codes a response's JSON body may carry (`const` or `enum`)."""
        message = self.resolve(f"{pointer}/content/application~1json/schema/properties/message")
        if not message:
            return []
        return [message["const"]] if "const" in message else list(message.get("enum", []))
