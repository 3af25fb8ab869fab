"""The post form (/post, /draft, /edit): a modal with title, body and tags, checked on submit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.markdown_parse import parse_markdown
from bot.formatting import Photo, Styles
from bot.i18n import translate
from bot.runs import clip, shift

if TYPE_CHECKING:
    from adapters.discord.interactions import InteractionRunner

TITLE_MAX = 256
# Discord's own ceiling for a text input.
BODY_MAX = 4000
TAGS_MAX = 500
MODAL_TIMEOUT = 15 * 60

# Discord's ceiling for a modal's title.
HEADING_MAX = 45


def heading(language: str, verb: str, announcement_id: int | None) -> str:
    """The modal's title in `language`: new announcement, new draft, or editing #ID."""
    if announcement_id is not None:
        text = translate(language, "Edit announcement #{id}", id=announcement_id)
    elif verb == "draft":
        text = translate(language, "New draft")
    else:
        text = translate(language, "New announcement")
    return text[:HEADING_MAX]


def problems(title: str, body: str, tags: str, language: str = "en") -> list[str]:
    """What is wrong with the submitted fields, each naming its limit; empty when fine."""
    found = []
    title_length = len(title.strip())
    if not title_length:
        found.append(
            translate(language, "The title is empty (1–{limit} characters).", limit=TITLE_MAX)
        )
    elif title_length > TITLE_MAX:
        found.append(
            translate(
                language,
                "The title is {length} characters long; at most {limit}.",
                length=title_length,
                limit=TITLE_MAX,
            )
        )
    if "\n" in title.strip():
        found.append(translate(language, "The title must be one line."))
    if not body.strip():
        found.append(
            translate(language, "The text is empty (1–{limit} characters).", limit=BODY_MAX)
        )
    elif len(body) > BODY_MAX:
        found.append(
            translate(
                language,
                "The text is {length} characters long; at most {limit}.",
                length=len(body),
                limit=BODY_MAX,
            )
        )
    if len(tags) > TAGS_MAX:
        found.append(
            translate(
                language,
                "The tags are {length} characters long; at most {limit}.",
                length=len(tags),
                limit=TAGS_MAX,
            )
        )
    return found


def post_text(verb: str, title: str, body: str, tags: str, announcement_id: int | None) -> str:
    """The core's command line: `/post Title`, the body, then a `Tags: a, b` line."""
    head = f"/{verb} {announcement_id}\n" if announcement_id is not None else f"/{verb} "
    text = f"{head}{title.strip()}\n{body.strip()}"
    tag_line = ", ".join(
        t.strip().lstrip("#") for t in tags.replace(";", ",").split(",") if t.strip()
    )
    return f"{text}\nTags: {tag_line}" if tag_line else text


def post_command(
    verb: str, title: str, body: str, tags: str, announcement_id: int | None
) -> tuple[str, Styles]:
    """The command line, its body's markdown read as style runs over that line."""
    plain, runs = parse_markdown(body.strip())
    text = post_text(verb, title, plain, tags, announcement_id)
    # post_text strips the body again; the body starts right after the title line.
    start = len(post_text(verb, title, "", "", announcement_id))
    lead = len(plain) - len(plain.lstrip())
    return text, shift(clip(runs, lead, len(plain.rstrip())), start)


class PostModal(discord.ui.Modal):
    """Title, body and tags of an announcement; submitting runs /post, /draft or /edit ID."""

    def __init__(
        self,
        runner: InteractionRunner,
        verb: str,
        announcement_id: int | None = None,
        *,
        language: str = "en",
        photo: Photo | None = None,
    ) -> None:
        super().__init__(title=heading(language, verb, announcement_id), timeout=MODAL_TIMEOUT)
        self.runner = runner
        # Read when the command ran (before the form opened), posted with the form's text.
        self.photo = photo
        self.verb = verb
        self.announcement_id = announcement_id
        # The form's language: its checks answer in the language it was shown in.
        self.language = language
        self.title_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=translate(language, "Title"),
            custom_id="title",
            max_length=TITLE_MAX,
            required=True,
        )
        self.body_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=translate(language, "Text"),
            custom_id="body",
            style=discord.TextStyle.paragraph,
            max_length=BODY_MAX,
            required=True,
        )
        self.tags_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=translate(language, "Tags (comma-separated)"),
            custom_id="tags",
            max_length=TAGS_MAX,
            required=False,
        )
        for item in (self.title_input, self.body_input, self.tags_input):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Check the fields (Discord's own checks can be bypassed), then run the command."""
        title, body = self.title_input.value or "", self.body_input.value or ""
        tags = self.tags_input.value or ""
        found = problems(title, body, tags, self.language)
        if found:
            await interaction.response.send_message("\n".join(found), ephemeral=True)
            return
        text, styles = post_command(self.verb, title, body, tags, self.announcement_id)
        await self.runner.run(interaction, text, photo=self.photo, styles=styles)
