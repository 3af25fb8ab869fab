"""The post form (/post, /draft, /edit): a modal with title, body and tags, checked on submit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from adapters.discord.interactions import InteractionRunner

TITLE_MAX = 256
# Discord's own ceiling for a text input.
BODY_MAX = 4000
TAGS_MAX = 500
MODAL_TIMEOUT = 15 * 60

HEADINGS = {"post": "New announcement", "draft": "New draft", "edit": "Edit announcement"}


def problems(title: str, body: str, tags: str) -> list[str]:
    """What is wrong with the submitted fields, each naming its limit; empty when fine."""
    found = []
    if not title.strip():
        found.append(f"The title is empty (1–{TITLE_MAX} characters).")
    elif len(title.strip()) > TITLE_MAX:
        found.append(f"The title is {len(title.strip())} characters long; at most {TITLE_MAX}.")
    if "\n" in title.strip():
        found.append("The title must be one line.")
    if not body.strip():
        found.append(f"The text is empty (1–{BODY_MAX} characters).")
    elif len(body) > BODY_MAX:
        found.append(f"The text is {len(body)} characters long; at most {BODY_MAX}.")
    if len(tags) > TAGS_MAX:
        found.append(f"The tags are {len(tags)} characters long; at most {TAGS_MAX}.")
    return found


def post_text(verb: str, title: str, body: str, tags: str, announcement_id: int | None) -> str:
    """The core's command line: `/post Title`, the body, then a `Tags: a, b` line."""
    head = f"/{verb} {announcement_id}\n" if announcement_id is not None else f"/{verb} "
    text = f"{head}{title.strip()}\n{body.strip()}"
    tag_line = ", ".join(
        t.strip().lstrip("#") for t in tags.replace(";", ",").split(",") if t.strip()
    )
    return f"{text}\nTags: {tag_line}" if tag_line else text


class PostModal(discord.ui.Modal):
    """Title, body and tags of an announcement; submitting runs /post, /draft or /edit ID."""

    def __init__(
        self, runner: InteractionRunner, verb: str, announcement_id: int | None = None
    ) -> None:
        heading = HEADINGS[verb]
        if announcement_id is not None:
            heading = f"{heading} #{announcement_id}"
        super().__init__(title=heading[:45], timeout=MODAL_TIMEOUT)
        self.runner = runner
        self.verb = verb
        self.announcement_id = announcement_id
        self.title_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Title", custom_id="title", max_length=TITLE_MAX, required=True
        )
        self.body_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Text",
            custom_id="body",
            style=discord.TextStyle.paragraph,
            max_length=BODY_MAX,
            required=True,
        )
        self.tags_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Tags (comma-separated)", custom_id="tags", max_length=TAGS_MAX, required=False
        )
        for item in (self.title_input, self.body_input, self.tags_input):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Check the fields (Discord's own checks can be bypassed), then run the command."""
        title, body = self.title_input.value or "", self.body_input.value or ""
        tags = self.tags_input.value or ""
        found = problems(title, body, tags)
        if found:
            await interaction.response.send_message("\n".join(found), ephemeral=True)
            return
        await self.runner.run(
            interaction, post_text(self.verb, title, body, tags, self.announcement_id)
        )
