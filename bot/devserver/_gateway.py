"""Discord's gateway: HELLO, IDENTIFY/READY, heartbeats, RESUME, member chunks and events routed to shards.

As on Discord, privileged intents must be enabled for the application, and a session only gets what its
intents cover.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from ._errors import BotNotConnected
from ._ids import shard_of
from ._intents import GUILD_MEMBERS, GUILD_PRESENCES, application_flags, disallowed
from ._model import JSON
from ._payloads import guild_payload, member_payload, user_payload
from ._state import World

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11
CLOSE_UNKNOWN_OPCODE, CLOSE_DECODE_ERROR, CLOSE_NOT_AUTHENTICATED = 4001, 4002, 4003
CLOSE_AUTHENTICATION_FAILED, CLOSE_ALREADY_AUTHENTICATED, CLOSE_INVALID_SHARD = 4004, 4005, 4010
CLOSE_DISALLOWED_INTENTS = 4014
# Events Discord sends only to sessions that identified with the intent.
EVENT_INTENTS = {
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
}
BACKLOG = 1000


class Connection:
    """One websocket; frames leave in order through one queue so zlib-stream state stays consistent."""

    def __init__(self, socket: web.WebSocketResponse, *, zlib_stream: bool) -> None:
        self.socket = socket
        self._compressor = zlib.compressobj() if zlib_stream else None
        self._queue: asyncio.Queue[JSON | None] = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_all(), name="picket-devserver-gateway-sender")

    def send(self, frame: JSON) -> None:
        self._queue.put_nowait(frame)

    async def _send_all(self) -> None:
        while (frame := await self._queue.get()) is not None:
            text = json.dumps(frame)
            try:
                if self._compressor is None:
                    await self.socket.send_str(text)
                else:
                    data = self._compressor.compress(text.encode()) + self._compressor.flush(
                        zlib.Z_SYNC_FLUSH
                    )
                    await self.socket.send_bytes(data)
            except (ConnectionError, RuntimeError):
                return

    async def stop(self) -> None:
        self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._sender


@dataclass(eq=False)
class GatewaySession:
    id: str
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    backlog: deque[JSON] = field(default_factory=lambda: deque(maxlen=BACKLOG))
    connection: Connection | None = None
    drops: int = 0
    resumes: int = 0

    def routes(self, guild_id: int | None) -> bool:
        if guild_id is None:
            return self.shard_id == 0  # Discord sends DMs to shard 0
        return shard_of(guild_id, self.shard_count) == self.shard_id


class GatewayHub:
    def __init__(self, world: World, gateway_url: Callable[[], str]) -> None:
        self.world = world
        self._gateway_url = gateway_url
        self.sessions: dict[str, GatewaySession] = {}
        self._connections: set[Connection] = set()
        world.emit_event = self.emit

    # --- events -------------------------------------------------------------------------------------

    def emit(self, guild_id: int | None, event: str, data: JSON) -> None:
        """Send an event to the shard that owns the guild, if the bot is connected at all."""
        session = self._session_for(guild_id)
        if session is not None:
            self._dispatch(session, event, data)

    def emit_required(self, guild_id: int | None, event: str, data: JSON) -> None:
        session = self._session_for(guild_id)
        if session is None:
            raise BotNotConnected(f"no gateway session of the bot receives events for guild {guild_id}")
        self._dispatch(session, event, data)

    def _session_for(self, guild_id: int | None) -> GatewaySession | None:
        # Newest first: a bot that re-identifies replaces its older session for that shard.
        for session in reversed(self.sessions.values()):
            if session.routes(guild_id):
                return session
        return None

    def _dispatch(self, session: GatewaySession, event: str, data: JSON) -> None:
        visible = self._as_seen_by(session, event, data)
        if visible is None:
            return
        session.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": visible}
        session.backlog.append(frame)
        if session.connection is not None:
            session.connection.send(frame)

    def _as_seen_by(self, session: GatewaySession, event: str, data: JSON) -> JSON | None:
        """The event as Discord sends it to a session with these intents; None when it is not sent."""
        needed = EVENT_INTENTS.get(event, 0)
        if session.intents & needed != needed:
            return None
        if event == "GUILD_CREATE" and not session.intents & GUILD_PRESENCES:
            # Discord then lists only the bot and members in voice channels (none are, here); a bot that
            # needs the others must chunk, which takes the GUILD_MEMBERS intent.
            bot_id = str(self.world.bot_user.id)
            return {**data, "members": [m for m in data["members"] if m["user"]["id"] == bot_id]}
        return data

    # --- the websocket ------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=0)
        await socket.prepare(request)
        if request.query.get("encoding", "json") != "json":
            await socket.close(code=CLOSE_DECODE_ERROR, message=b"only json encoding is served")
            return socket
        connection = Connection(socket, zlib_stream=request.query.get("compress") == "zlib-stream")
        self._connections.add(connection)
        connection.send({"op": HELLO, "d": {"heartbeat_interval": self.world.config.heartbeat_interval_ms}})
        session: GatewaySession | None = None
        try:
            async for message in socket:
                if message.type is not WSMsgType.TEXT:
                    continue
                try:
                    frame = json.loads(message.data)
                except ValueError:
                    await socket.close(code=CLOSE_DECODE_ERROR, message=b"invalid JSON")
                    break
                session = await self._receive(connection, session, frame)
        finally:
            self._connections.discard(connection)
            await connection.stop()
            if session is not None and session.connection is connection:
                session.connection = None
                if socket.close_code == 1000:
                    # A clean close from the bot ends the session, as on Discord.
                    self.sessions.pop(session.id, None)
            self.world.changes.notify()
        return socket

    async def _receive(
        self, connection: Connection, session: GatewaySession | None, frame: JSON
    ) -> GatewaySession | None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            connection.send({"op": HEARTBEAT_ACK, "d": None})
        elif op == IDENTIFY:
            return await self._identify(connection, session, data or {})
        elif op == RESUME:
            return await self._resume(connection, data or {})
        elif op == REQUEST_MEMBERS:
            if session is None:
                await connection.socket.close(code=CLOSE_NOT_AUTHENTICATED)
            else:
                self._send_member_chunk(session, data or {})
        elif op not in (PRESENCE, VOICE_STATE):
            await connection.socket.close(code=CLOSE_UNKNOWN_OPCODE, message=f"unknown opcode {op}".encode())
        return session

    async def _identify(
        self, connection: Connection, current: GatewaySession | None, data: JSON
    ) -> GatewaySession | None:
        if current is not None:
            await connection.socket.close(code=CLOSE_ALREADY_AUTHENTICATED)
            return current
        if data.get("token") != self.world.token:
            await connection.socket.close(code=CLOSE_AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return None
        shard_id, shard_count = data.get("shard") or [0, 1]
        if not 0 <= shard_id < shard_count:
            await connection.socket.close(code=CLOSE_INVALID_SHARD, message=b"Invalid shard.")
            return None
        intents = int(data.get("intents", 0))
        refused = disallowed(intents, self.world.config.privileged_intents)
        if refused:
            self.world.record_violation(
                "disallowed-intents",
                f"IDENTIFY asked for {', '.join(refused)}, not enabled for the application in the "
                "developer portal (DevServerConfig.privileged_intents here)",
                "gateway IDENTIFY",
            )
            await connection.socket.close(code=CLOSE_DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return None
        session = GatewaySession(
            id=secrets.token_hex(16), shard_id=shard_id, shard_count=shard_count, intents=intents
        )
        for stale in [
            s for s in self.sessions.values() if (s.shard_id, s.shard_count) == (shard_id, shard_count)
        ]:
            self.sessions.pop(stale.id)
        self.sessions[session.id] = session
        session.connection = connection
        guilds = [g for g in self.world.guilds.values() if session.routes(g.id)]
        self._dispatch(session, "READY", self._ready_payload(session, [g.id for g in guilds]))
        for guild in guilds:
            self._dispatch(session, "GUILD_CREATE", guild_payload(guild))
        self.world.changes.notify()
        return session

    def _ready_payload(self, session: GatewaySession, guild_ids: list[int]) -> JSON:
        return {
            "v": 10,
            "user": {
                **user_payload(self.world.bot_user),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
            },
            "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
            "session_id": session.id,
            "resume_gateway_url": self._gateway_url(),
            "shard": [session.shard_id, session.shard_count],
            "application": {
                "id": str(self.world.application_id),
                "flags": application_flags(self.world.config.privileged_intents),
            },
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "session_type": "normal",
            "auth": {},
        }

    async def _resume(self, connection: Connection, data: JSON) -> GatewaySession | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.world.token:
            connection.send({"op": INVALID_SESSION, "d": False})
            return None
        session.connection = connection
        last_seen = int(data.get("seq") or 0)
        for frame in list(session.backlog):
            if frame["s"] > last_seen:
                connection.send(frame)
        session.resumes += 1
        self._dispatch(session, "RESUMED", {})
        self.world.changes.notify()
        return session

    def _send_member_chunk(self, session: GatewaySession, data: JSON) -> None:
        guild = self.world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        if not data.get("user_ids") and not data.get("query") and not session.intents & GUILD_MEMBERS:
            # Discord does not answer a request for the whole list without the intent: the bot would
            # wait for chunks that never come.
            self.world.record_violation(
                "members-intent-required",
                "REQUEST_GUILD_MEMBERS for the whole member list without the GUILD_MEMBERS intent",
                "gateway REQUEST_GUILD_MEMBERS",
            )
            return
        members = list(guild.members.values())
        not_found: list[str] = []
        if data.get("user_ids"):
            wanted = [int(u) for u in data["user_ids"]]
            not_found = [str(u) for u in wanted if u not in guild.members]
            members = [m for m in members if m.id in wanted]
        elif data.get("query"):
            prefix = str(data["query"]).lower()
            members = [m for m in members if m.user.name.lower().startswith(prefix)]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [member_payload(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": not_found,
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        self._dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    # --- control from tests -------------------------------------------------------------------------

    def session_of_shard(self, shard_id: int) -> GatewaySession:
        for session in reversed(self.sessions.values()):
            if session.shard_id == shard_id:
                return session
        raise BotNotConnected(f"no gateway session for shard {shard_id}")

    async def drop(self, shard_id: int = 0) -> None:
        """Close the shard's socket as a network fault would; the session stays resumable."""
        session = self.session_of_shard(shard_id)
        connection = session.connection
        if connection is None:
            return
        session.connection = None
        session.drops += 1
        await connection.socket.close(code=4000, message=b"connection dropped")

    async def wait_for_resume(self, shard_id: int = 0, *, within: float = 5.0) -> None:
        session = self.session_of_shard(shard_id)
        await self.world.changes.wait_for(
            lambda: True if session.resumes >= session.drops and session.connection is not None else None,
            within=within,
            what=f"shard {shard_id} to resume its session",
        )

    async def close_all(self) -> None:
        for connection in list(self._connections):
            await connection.socket.close(code=1001, message=b"server shutting down")
