"""The local Discord-compatible server: one aiohttp process on 127.0.0.1 serving REST and the gateway."""

from __future__ import annotations

import logging
import socket
from types import TracebackType

from aiohttp import web

from ._config import DevServerConfig
from ._gateway import GatewayHub
from ._model import JSON
from ._rest import RestGuard, build_app
from ._rest_app import AppRoutes
from ._rest_interactions import InteractionRoutes
from ._rest_messages import MessageRoutes
from ._schema import load_validator
from ._users import UserActions

log = logging.getLogger(__name__)


class DevServer(UserActions):
    """Discord as far as a discord.py bot can tell: build a world, start, point the bot here, act as users.

    async with DevServer() as server:
        guild = server.add_guild("Seoul Arena", locale="ko")
        fan = server.add_member(guild, "minji", locale="ko")
        restore = point_discord_py_at(server.api_base, server.gateway_url)
        ...  # start the bot with server.token, then server.run_command(guild, fan, "book", {...})
    """

    def __init__(self, config: DevServerConfig | None = None) -> None:
        super().__init__(config)
        self.gateway = GatewayHub(self, lambda: self.gateway_url)
        self.validator = load_validator(self.config.openapi_path)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_base(self) -> str:
        """What discord.py's `Route.BASE` must be set to."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.config.host}:{self.port}/gateway/"

    async def start(self) -> None:
        guard = RestGuard(self, self.validator)
        routes = [
            AppRoutes(self, lambda: self.gateway_url).register,
            MessageRoutes(self).register,
            InteractionRoutes(self).register,
        ]
        app = build_app(guard, routes, self.gateway.handle)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.config.host, self.config.port))
        self.port = listener.getsockname()[1]
        self.base_url = f"http://{self.config.host}:{self.port}"
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, listener).start()
        log.info("local Discord-compatible server on %s", self.base_url)

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self.gateway.close_all()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()

    def _deliver(self, guild_id: int | None, payload: JSON) -> None:
        self.gateway.emit_required(guild_id, "INTERACTION_CREATE", payload)

    async def drop_gateway(self, shard_id: int = 0) -> None:
        """Cut the shard's websocket as a network fault would; discord.py should RESUME."""
        await self.gateway.drop(shard_id)

    async def wait_for_resume(self, shard_id: int = 0, *, within: float = 5.0) -> None:
        await self.gateway.wait_for_resume(shard_id, within=within)
