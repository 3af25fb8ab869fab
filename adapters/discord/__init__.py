"""Discord adapter: slash commands, embeds and the Platform port over discord.py."""
