"""The society's website, read side: what pages, feeds and calendars may show, and web views."""
