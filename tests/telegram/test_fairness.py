"""One chat's flood never holds up another chat: ordering per chat, slots, 429s, the limiter."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from telegram import Chat, Message, Update

from adapters.telegram.ordering import ChatOrderedProcessor, sleep_outside_slot
from tests.telegram.world import running_world

FLOODER = 500
OTHER = 501


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, datetime.now(UTC), chat, text="/help"))


async def test_a_waiting_update_holds_no_slot() -> None:
    processor = ChatOrderedProcessor(max_running=1)
    release = asyncio.Event()
    order: list[str] = []

    async def work(name: str, *, block: bool = False) -> None:
        if block:
            await release.wait()
        order.append(name)

    # Chat 1: one update running (holding the only slot), two queued behind it.
    tasks = [
        asyncio.create_task(processor.process_update(_update(1, 1), work("1a", block=True))),
        asyncio.create_task(processor.process_update(_update(2, 1), work("1b"))),
        asyncio.create_task(processor.process_update(_update(3, 1), work("1c"))),
    ]
    await asyncio.sleep(0.05)
    release.set()
    tasks.append(asyncio.create_task(processor.process_update(_update(4, 2), work("2a"))))
    await asyncio.gather(*tasks)
    assert [name for name in order if name.startswith("1")] == ["1a", "1b", "1c"]
    # Chat 2 did not wait for chat 1's whole queue: it ran as soon as the slot was free.
    assert order.index("2a") < order.index("1c")


async def test_a_reply_sleeping_on_flood_control_gives_its_slot_away() -> None:
    processor = ChatOrderedProcessor(max_running=1)
    done: dict[str, float] = {}
    start = time.monotonic()

    async def flood_controlled() -> None:
        await sleep_outside_slot(1.0)  # what a 429 with retry_after=1 makes a reply do
        done["slow"] = time.monotonic() - start

    async def quick() -> None:
        done["quick"] = time.monotonic() - start

    slow = asyncio.create_task(processor.process_update(_update(1, 1), flood_controlled()))
    await asyncio.sleep(0.05)
    await processor.process_update(_update(2, 2), quick())
    await slow
    assert done["quick"] < 0.5 <= 1.0 <= done["slow"]


async def test_another_chat_is_answered_at_once_while_a_flooder_is_held_by_flood_control(
    tmp_path: Path,
) -> None:
    # The limiter is set wide open here: this is about ordering and slots alone.
    async with running_world(tmp_path, command_burst=10_000) as world:
        fake = world.fake
        # Every reply to the flooder is told to wait 5 s (twice, then it gives up).
        fault = fake.fail("sendMessage", "retry_after", chat_id=FLOODER, times=None, retry_after=5)
        for _ in range(300):
            fake.send_text(FLOODER, "/help")
        await asyncio.sleep(0.5)  # all 300 have reached Herald and wait for their turn
        started = time.monotonic()
        fake.send_text(OTHER, "/tags")
        answer = await fake.next_message(OTHER, within=10)
        waited = time.monotonic() - started
        assert "tag" in answer.text.lower()
        assert waited < 2.0, f"/tags waited {waited:.1f} s behind another chat's flood"
        # Lift flood control so the flooder's backlog drains before the world stops.
        fault.times = fault.hits
        await fake.wait_until(lambda: len(fake.sent_to(FLOODER)) >= 299, within=60)


async def test_the_flooder_gets_the_burst_and_one_notice_in_its_language(tmp_path: Path) -> None:
    # One token per 2 s (the default): the flood is counted as it arrives, not as its turns come
    # (its answers take seconds at 1 message per second, refilling tokens meanwhile).
    async with running_world(tmp_path, command_burst=3) as world:
        fake = world.fake
        fake.enforce_limits = True  # Telegram's 1 message per second to a private chat
        for _ in range(40):
            fake.send_text(FLOODER, "/help", language_code="ko")
        fake.send_text(OTHER, "/help")
        other = await fake.next_message(OTHER, within=5)
        assert "/subscribe" in other.text
        await fake.wait_until(lambda: len(fake.sent_to(FLOODER)) >= 4, within=20)
        await asyncio.sleep(2.5)  # nothing more comes
        sent = [message.text for message in fake.sent_to(FLOODER)]
        assert len(sent) == 4
        assert sum("/subscribe" in text for text in sent) == 3
        assert sent[-1].startswith("답할 수 있는 것보다 빠르게")
