"""Requests for the same thing at the same moment, written together: while one batch is being written,
the requests that arrive wait in the next, and each request gets its own answer from the batch's write.

A sale opening sends thousands of fans into one event's line within a second; one short transaction
per fan, one after another on the line's row, would make the last wait for all the others."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[K, T, R]):
    def __init__(self) -> None:
        self._open: dict[K, list[tuple[T, asyncio.Future[R]]]] = {}
        self._writing: dict[K, asyncio.Lock] = {}

    async def submit(self, key: K, item: T, write: Callable[[list[T]], Awaitable[list[R]]]) -> R:
        """``item``'s answer from ``write``, called with every item of the batch it joined (answers in
        the same order). The request that opens a batch writes it, after the batch before it."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        batch = self._open.get(key)
        leading = batch is None
        if batch is None:
            batch = self._open[key] = []
        batch.append((item, future))
        if leading:
            async with self._writing.setdefault(key, asyncio.Lock()):
                # Closed now: whoever comes next opens the next batch.
                if self._open.get(key) is batch:
                    del self._open[key]
                await self._write(batch, write)
        return await future

    @staticmethod
    async def _write(
        batch: list[tuple[T, asyncio.Future[R]]], write: Callable[[list[T]], Awaitable[list[R]]]
    ) -> None:
        try:
            answers = await write([item for item, _ in batch])
        except BaseException as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(answer)
