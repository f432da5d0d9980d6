"""The host side of the json-parser host-function library (src/proto/jsonparser/jsonparser.proto).

Ship it with the proto: any host serves it with `parser_library_module(JsonParser())`, next to its own host functions.
"""

from __future__ import annotations

import json

from jsonparser.jsonparser_pb2 import ParseJsonReply, ParseJsonRequest


class JsonParser:
    """Implements the generated `jsonparser.jsonparser_wasmplug.ParserLibrary` Protocol."""

    def parse_json(self, request: ParseJsonRequest) -> ParseJsonReply:
        value = json.loads(request.content)  # a JSONDecodeError reaches the plugin as an error
        if not isinstance(value, dict):
            raise ValueError(f"expected a JSON object, got {type(value).__name__}")
        reply = ParseJsonReply()
        reply.object.update(value)
        return reply
