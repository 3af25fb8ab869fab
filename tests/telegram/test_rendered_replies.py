"""One Reply object handed to many chats is rendered once; any other reply is rendered anew."""

from __future__ import annotations

from adapters.telegram.render import keyboard, render_reply
from adapters.telegram.rendered import RenderedReplies
from bot.replies import Button, ReplyBuilder


def test_the_same_reply_object_reuses_its_rendering_and_others_do_not() -> None:
    rendered = RenderedReplies(size=2)
    page = ReplyBuilder().bold("#Korea").line(" — 2").buttons(Button("Next ▶", "/tag Korea 2"))
    reply = page.build()
    parts, markup = rendered.render(reply)
    assert list(parts) == render_reply(reply)
    assert markup == keyboard(reply)
    again = rendered.render(reply)
    assert again[0] is parts
    assert again[1] is markup
    # Equal text from another object (a page loaded anew) is rendered on its own.
    twin = page.build()
    assert rendered.render(twin)[0] is not parts
    assert rendered.render(twin)[0] == parts
    other = ReplyBuilder().text("a <b> & c").build()
    assert rendered.render(other) == (("a &lt;b&gt; &amp; c",), None)
    # Bounded: the oldest rendering is forgotten, and rendered again if asked.
    assert rendered.render(reply)[0] is not parts
