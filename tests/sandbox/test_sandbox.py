"""A person's session in the sandbox, typed into its terminal: look around, book a seat, get the ticket."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import zxingcpp
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PROMPT = re.compile(r"picket \((\w+)\)> $")


class Terminal:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.screen = ""

    async def wait_for_prompt(self, within: float = 30) -> str:
        """Everything printed since the last prompt, once the next prompt shows."""
        start = len(self.screen)
        async with asyncio.timeout(within):
            while not PROMPT.search(self.screen[start:]):
                assert self.process.stdout is not None
                chunk = await self.process.stdout.read(4096)
                if not chunk:
                    raise AssertionError(f"the sandbox exited:\n{self.screen[-3000:]}")
                self.screen += chunk.decode()
        return self.screen[start:]

    async def type(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode())
        await self.process.stdin.drain()
        return await self.wait_for_prompt()


def number_of(screen: str, label: str) -> str:
    match = re.search(r"\[(\d+)\] (?:menu «)?" + re.escape(label), screen)
    assert match, f"no control labelled {label!r} in:\n{screen}"
    return match[1]


async def test_a_fan_books_a_seat_in_the_sandbox(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "DATABASE_URL")}
    env["DATA_DIR"] = str(tmp_path)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    terminal = Terminal(process)
    try:
        welcome = await terminal.wait_for_prompt()
        event = re.search(r"event #(\d+) on sale", welcome)
        assert event, welcome

        balance = await terminal.type("/wallet balance")
        assert "₩500,000" in balance

        picker = await terminal.type(f"/book event:{event[1]} quantity:2")
        assert "Picket Live in Seoul" in picker
        seat_map = Path(re.search(r"\[file: (.+seatmap\.png)\]", picker)[1])  # type: ignore[index]
        assert Image.open(seat_map).format == "PNG"

        chosen = await terminal.type(f"choose {number_of(picker, '구역을 선택해 주세요')} 1")
        cart = await terminal.type(f"press {number_of(chosen, '좋은 좌석 자동 선택')}")
        assert "좌석이 10분간 선점됩니다" in cart
        assert "VIP A5" in cart and "VIP A6" in cart

        receipt = await terminal.type(f"press {number_of(cart, '₩198,000 결제하기')}")
        assert "예매 완료" in receipt and "₩198,000" in receipt
        assert "── new DM ──" in receipt
        qr_files = re.findall(r"\[file: (.+ticket-\d+\.png)\]", receipt)
        assert len(qr_files) == 2
        decoded = zxingcpp.read_barcodes(Image.open(qr_files[0]))
        assert decoded and decoded[0].text.startswith("PK2.")

        after = await terminal.type("/wallet balance")
        assert "₩302,000" in after
    finally:
        if process.returncode is None:
            assert process.stdin is not None
            process.stdin.write(b"quit\n")
            await process.stdin.drain()
            try:
                async with asyncio.timeout(15):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
    assert process.returncode == 0
