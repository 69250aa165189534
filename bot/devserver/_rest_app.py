"""The bot's own user and application, the gateway address, command sync, and guild reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from ._command_rules import command_issues, single_command_issues
from ._errors import DiscordError, invalid_form, unknown
from ._http import body_of, json_object, no_content, reply, snowflake
from ._intents import application_flags
from ._model import JSON, Guild
from ._payloads import channel_payload, guild_payload, member_payload, role_payload, user_payload
from ._rest import API_PREFIX
from ._state import World

COMMAND_KEYS = (
    "type",
    "name",
    "name_localizations",
    "description",
    "description_localizations",
    "options",
    "default_member_permissions",
    "dm_permission",
    "contexts",
    "integration_types",
    "nsfw",
)


class AppRoutes:
    def __init__(self, world: World, gateway_url: Callable[[], str]) -> None:
        self.world = world
        self.gateway_url = gateway_url

    def register(self, router: web.UrlDispatcher) -> None:
        api = API_PREFIX
        router.add_get(f"{api}/users/@me", self.me)
        router.add_get(f"{api}/users/@me/guilds", self.my_guilds)
        router.add_get(f"{api}/users/{{user_id}}", self.get_user)
        router.add_get(f"{api}/oauth2/applications/@me", self.application)
        router.add_get(f"{api}/applications/@me", self.application)
        router.add_get(f"{api}/gateway", self.gateway)
        router.add_get(f"{api}/gateway/bot", self.gateway_bot)
        for scope in ("", "/guilds/{guild_id}"):
            base = f"{api}/applications/{{application_id}}{scope}/commands"
            router.add_get(base, self.list_commands)
            router.add_put(base, self.overwrite_commands)
            router.add_post(base, self.create_command)
            router.add_get(f"{base}/{{command_id}}", self.get_command)
            router.add_patch(f"{base}/{{command_id}}", self.edit_command)
            router.add_delete(f"{base}/{{command_id}}", self.delete_command)
        router.add_get(f"{api}/guilds/{{guild_id}}", self.get_guild)
        router.add_get(f"{api}/guilds/{{guild_id}}/channels", self.guild_channels)
        router.add_get(f"{api}/guilds/{{guild_id}}/roles", self.guild_roles)
        router.add_get(f"{api}/guilds/{{guild_id}}/members", self.guild_members)
        router.add_get(f"{api}/guilds/{{guild_id}}/members/{{user_id}}", self.guild_member)

    # --- the bot and its application ----------------------------------------------------------------

    async def me(self, request: web.Request) -> web.Response:
        me = user_payload(self.world.bot_user)
        return reply({**me, "verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})

    async def my_guilds(self, request: web.Request) -> web.Response:
        bot_id = self.world.bot_user.id
        guilds: list[JSON] = [
            {
                "id": str(g.id),
                "name": g.name,
                "icon": None,
                "owner": g.owner_id == bot_id,
                "features": [],
                "permissions": str(g.permissions_of(bot_id)),
            }
            for g in self.world.guilds.values()
        ]
        return reply(guilds)

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.world.users.get(snowflake(request, "user_id"))
        if user is None:
            raise unknown("User", 10013)
        return reply(user_payload(user))

    async def application(self, request: web.Request) -> web.Response:
        owner = next((u for u in self.world.users.values() if not u.bot), self.world.bot_user)
        return reply(
            {
                "id": str(self.world.application_id),
                "name": self.world.bot_user.name,
                "icon": None,
                "description": "Picket on the local Discord-compatible server",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user_payload(owner),
                "verify_key": "0" * 64,
                "flags": application_flags(self.world.config.privileged_intents),
                "team": None,
                "bot": user_payload(self.world.bot_user),
                "redirect_uris": [],
                "interactions_endpoint_url": None,
            }
        )

    async def gateway(self, request: web.Request) -> web.Response:
        return reply({"url": self.gateway_url()})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 16}
        shards = self.world.config.recommended_shards
        return reply({"url": self.gateway_url(), "shards": shards, "session_start_limit": limit})

    # --- commands -----------------------------------------------------------------------------------

    def _commands(self, request: web.Request) -> tuple[list[JSON], int | None]:
        if snowflake(request, "application_id") != self.world.application_id:
            raise unknown("Application", 10002)
        if "guild_id" not in request.match_info:
            return self.world.global_commands, None
        guild = self._guild(request)
        return self.world.guild_commands.setdefault(guild.id, []), guild.id

    def _stored(self, definition: JSON, guild_id: int | None, previous: list[JSON]) -> JSON:
        kind = definition.get("type") or 1
        same = next((c for c in previous if c["name"] == definition.get("name") and c["type"] == kind), None)
        stored: JSON = {key: definition[key] for key in COMMAND_KEYS if key in definition}
        permissions = definition.get("default_member_permissions")
        stored.update(
            id=same["id"] if same else str(self.world.ids.next()),
            application_id=str(self.world.application_id),
            version=str(self.world.ids.next()),
            type=kind,
            description=definition.get("description") or "",
            default_member_permissions=None if permissions is None else str(permissions),
        )
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        return stored

    def _synced(self) -> None:
        self.world.command_syncs += 1
        self.world.changes.notify()

    async def list_commands(self, request: web.Request) -> web.Response:
        return reply(self._commands(request)[0])

    async def overwrite_commands(self, request: web.Request) -> web.Response:
        commands, guild_id = self._commands(request)
        definitions: Any = body_of(request).json or []
        if not isinstance(definitions, list):
            raise DiscordError(400, 50109, "The request body contains invalid JSON.", violation="bad-body")
        limit = self.world.config.max_global_commands if guild_id is None else 100
        issues = command_issues(definitions, max_chat_input=limit)
        if issues:
            raise invalid_form(issues, rule="command-definition")
        commands[:] = [self._stored(d, guild_id, commands) for d in definitions]
        self._synced()
        return reply(commands)

    async def create_command(self, request: web.Request) -> web.Response:
        commands, guild_id = self._commands(request)
        definition = json_object(request)
        issues = single_command_issues(definition)
        if issues:
            raise invalid_form(issues, rule="command-definition")
        stored = self._stored(definition, guild_id, commands)
        commands[:] = [c for c in commands if c["id"] != stored["id"]] + [stored]
        self._synced()
        return reply(stored, status=201)

    def _command(self, request: web.Request) -> tuple[list[JSON], JSON]:
        commands, _ = self._commands(request)
        command_id = request.match_info["command_id"]
        for command in commands:
            if command["id"] == command_id:
                return commands, command
        raise unknown("application command", 10063)

    async def get_command(self, request: web.Request) -> web.Response:
        return reply(self._command(request)[1])

    async def edit_command(self, request: web.Request) -> web.Response:
        _, command = self._command(request)
        merged = {**command, **json_object(request)}
        issues = single_command_issues(merged)
        if issues:
            raise invalid_form(issues, rule="command-definition")
        command.update({key: merged[key] for key in COMMAND_KEYS if key in merged})
        self._synced()
        return reply(command)

    async def delete_command(self, request: web.Request) -> web.Response:
        commands, command = self._command(request)
        commands.remove(command)
        self._synced()
        return no_content()

    # --- guilds -------------------------------------------------------------------------------------

    def _guild(self, request: web.Request) -> Guild:
        guild = self.world.guilds.get(snowflake(request, "guild_id"))
        if guild is None:
            raise unknown("Guild", 10004)
        return guild

    async def get_guild(self, request: web.Request) -> web.Response:
        payload = guild_payload(self._guild(request))
        for key in ("channels", "members", "voice_states", "presences", "threads", "joined_at", "large"):
            payload.pop(key, None)
        return reply(payload)

    async def guild_channels(self, request: web.Request) -> web.Response:
        return reply([channel_payload(c) for c in self._guild(request).channels.values()])

    async def guild_roles(self, request: web.Request) -> web.Response:
        return reply([role_payload(r) for r in self._guild(request).roles.values()])

    async def guild_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        after = int(request.query.get("after", "0"))
        limit = min(int(request.query.get("limit", "1")), 1000)
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)[:limit]
        return reply([member_payload(m) for m in members])

    async def guild_member(self, request: web.Request) -> web.Response:
        member = self._guild(request).members.get(snowflake(request, "user_id"))
        if member is None:
            raise unknown("Member", 10007)
        return reply(member_payload(member))
