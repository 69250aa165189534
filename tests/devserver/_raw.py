"""A bare client of the local server for tests of its rules: plain HTTP requests and a plain websocket."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from bot.devserver import DevServer

GUILDS_AND_MESSAGES = (1 << 0) | (1 << 9)  # no privileged intent
PING_COMMAND = {"name": "ping", "description": "Check the bot answers", "type": 1}
BOOK_COMMAND = {
    "name": "book",
    "description": "Book seats",
    "options": [
        {"type": 3, "name": "event", "description": "Which event", "required": True, "autocomplete": True},
        {"type": 4, "name": "seats", "description": "How many", "min_value": 1, "max_value": 8},
    ],
}


@dataclass
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    body: Any


class RawClient:
    """Speaks to the server as a bot would, one request or frame at a time."""

    def __init__(self, server: DevServer) -> None:
        self.server = server
        self.session = aiohttp.ClientSession()
        self.socket: aiohttp.ClientWebSocketResponse | None = None
        self._inflator = zlib.decompressobj()
        self._buffer = bytearray()

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.socket is not None:
            await self.socket.close(code=1000)
        await self.session.close()

    async def request(
        self, method: str, path: str, *, json_body: Any = None, data: Any = None, authorized: bool = True
    ) -> Answer:
        headers = {"Authorization": f"Bot {self.server.token}"} if authorized else {}
        url = f"{self.server.api_base}{path}"
        async with self.session.request(method, url, json=json_body, data=data, headers=headers) as response:
            text = await response.text()
            body = json.loads(text) if response.headers.get("Content-Type") == "application/json" else text
            return Answer(response.status, response.headers, body)

    async def sync(self, *commands: dict[str, Any]) -> Answer:
        return await self.request(
            "PUT", f"/applications/{self.server.application_id}/commands", json_body=list(commands)
        )

    async def callback(self, interaction: dict[str, Any], body: dict[str, Any]) -> Answer:
        path = f"/interactions/{interaction['id']}/{interaction['token']}/callback?with_response=1"
        return await self.request("POST", path, json_body=body, authorized=False)

    # --- the gateway --------------------------------------------------------------------------------

    async def connect_only(self) -> None:
        """Open a zlib-stream socket and read HELLO."""
        url = f"{self.server.gateway_url}?v=10&encoding=json&compress=zlib-stream"
        self.socket = await self.session.ws_connect(url)
        hello = await self.receive()
        assert hello["op"] == 10

    async def connect(
        self, *, shard: tuple[int, int] = (0, 1), token: str | None = None, intents: int = GUILDS_AND_MESSAGES
    ) -> dict[str, Any]:
        """Open a zlib-stream socket and IDENTIFY; returns the READY payload."""
        await self.connect_only()
        await self.send(
            2,
            {"token": token or self.server.token, "intents": intents, "shard": list(shard), "properties": {}},
        )
        ready: dict[str, Any] = (await self.wait_for("READY"))["d"]
        return ready

    async def send(self, op: int, data: Any) -> None:
        assert self.socket is not None
        await self.socket.send_str(json.dumps({"op": op, "d": data}))

    async def receive(self) -> dict[str, Any]:
        assert self.socket is not None
        while True:
            message = await self.socket.receive(timeout=5)
            if message.type is aiohttp.WSMsgType.TEXT:
                frame: dict[str, Any] = json.loads(message.data)
                return frame
            if message.type is not aiohttp.WSMsgType.BINARY:
                raise ConnectionError(f"socket closed: {message.type} {message.data} {message.extra}")
            self._buffer.extend(message.data)
            if self._buffer[-4:] == b"\x00\x00\xff\xff":
                text = self._inflator.decompress(bytes(self._buffer))
                self._buffer.clear()
                decoded: dict[str, Any] = json.loads(text)
                return decoded

    async def wait_for(self, event: str) -> dict[str, Any]:
        while True:
            frame = await self.receive()
            if frame.get("t") == event:
                return frame
