"""A deployment of two Picket processes, each connecting its own shards (SHARD_COUNT, SHARD_IDS) and
sharing one database: each server's members are answered by the process that owns its shard, and a
member of both servers sees one wallet."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from bot.client import PicketBot
from bot.devserver import DevServerConfig
from bot.devserver.testing import FAST_GUILD_READY, running_bot, serve
from bot.settings import Settings
from core.clock import FrozenClock
from core.payments import SandboxPayments
from core.runtime import Runtime
from core.ticket_codes import TicketCodes
from db.engine import make_engine
from db.migrate import migrate
from db.uow import SqlUnitOfWork
from tests.e2e.world import ZONE, real_now


async def test_two_processes_each_answer_their_own_shards(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'picket.db'}"
    first = make_engine(url)
    await migrate(first)
    await first.dispose()
    codes = TicketCodes.generate()
    async with AsyncExitStack() as stack, serve(DevServerConfig(recommended_shards=2)) as server:
        halls = [server.add_guild(f"Hall {n}", shard=(n, 2)) for n in range(2)]
        fans = [server.add_member(halls[0], "minji")]
        fans.append(server.add_member(halls[1], fans[0].user))

        bots: list[PicketBot] = []
        for shard in range(2):
            # Each process has its own engine (its own pool), as separate processes would.
            engine = make_engine(url)
            stack.push_async_callback(engine.dispose)
            runtime = Runtime(
                lambda engine=engine: SqlUnitOfWork(engine),
                FrozenClock(real_now()),
                ZONE,
                codes,
                payments=SandboxPayments(),
            )
            options = Settings(_env_file=None, shard_count=2, shard_ids=str(shard)).shard_options  # type: ignore[call-arg]

            def make(runtime: Runtime = runtime, options: dict[str, object] = options) -> PicketBot:
                return PicketBot(
                    runtime, run_scheduler=False, guild_ready_timeout=FAST_GUILD_READY, **options
                )

            bots.append(await stack.enter_async_context(running_bot(server, make)))

        assert [sorted(g.id for g in bot.guilds) for bot in bots] == [[halls[0].id], [halls[1].id]]
        assert [bot.shard_ids for bot in bots] == [[0], [1]]

        topped = await server.run_command(halls[0], fans[0], "wallet topup", options={"amount": 5000})
        assert "5,000" in (await topped.wait_for_message()).content
        balance = await server.run_command(halls[1], fans[1], "wallet balance")
        shown = await balance.wait_for_message()
        assert "5,000" in shown.content + str(shown.embeds), "the top-up in one server shows in the other"
