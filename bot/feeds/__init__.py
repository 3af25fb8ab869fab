"""The society's website in: feed sources polled, new entries become announcements, edits follow."""
