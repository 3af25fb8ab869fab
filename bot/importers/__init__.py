"""Importers: turn saved society posts into announcements."""

from bot.importers.society_post import ImportFormatError, parse_post

__all__ = ["ImportFormatError", "parse_post"]
