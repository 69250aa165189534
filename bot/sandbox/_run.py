from __future__ import annotations

import logging
import shutil

from bot.app import App
from bot.client import PicketBot
from bot.devserver import DevServer, DevServerConfig
from bot.devserver.testing import running_bot
from bot.sandbox._render import Renderer
from bot.sandbox._repl import Repl, read_stdin
from bot.sandbox._seed import build_demo, seed_data
from bot.settings import Settings


async def run_sandbox(settings: Settings) -> int:
    """Everything on 127.0.0.1; a fresh sandbox database each time, kept under DATA_DIR/sandbox."""
    home = settings.data_dir / "sandbox"
    shutil.rmtree(home, ignore_errors=True)
    files = home / "files"
    files.mkdir(parents=True)
    # The sandbox never talks to Discord itself, whatever token the settings hold.
    update = {"data_dir": home, "database_url": "", "discord_token": None, "discord_api_base": None}
    sandbox = settings.model_copy(update=update)
    # The bot's own chatter would drown the conversation; problems still show.
    logging.getLogger().setLevel(logging.WARNING)
    app = App.build(sandbox)
    await app.migrate()
    runtime = app.runtime()
    server = DevServer(DevServerConfig(host="127.0.0.1"))
    await server.start()
    try:
        demo = build_demo(server)
        event_id = await seed_data(demo, runtime)
        async with running_bot(server, lambda: PicketBot(runtime)):
            names = {m.id: name for name, m in demo.members.items()}
            print(
                f"Picket sandbox: a demo server with event #{event_id} on sale. Pictures go to {files}",
                flush=True,
            )
            await Repl(server, demo, Renderer(files, runtime.zone, names), read_stdin).loop()
    finally:
        await server.stop()
        await app.close()
    return 0
