from __future__ import annotations

from typing import Protocol

from core.runtime import Runtime


class HasRuntime(Protocol):
    runtime: Runtime


def runtime_of(bot: object) -> Runtime:
    """The composition root hangs the runtime on the bot; cogs read it here and nowhere else."""
    runtime = getattr(bot, "runtime", None)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("the bot was started without a Picket runtime")
    return runtime
