from __future__ import annotations

from tests.e2e.world import World, event_id_of


async def test_organizer_creates_a_draft_with_a_seat_map(world: World) -> None:
    await world.set_up()
    preview = await world.create_event()
    assert preview.ephemeral
    assert preview.embeds[0]["title"] == "Spring Concert"
    assert event_id_of(preview) > 0
    assert preview.attachment("seatmap.png").data.startswith(b"\x89PNG")
