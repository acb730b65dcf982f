"""Stored answers as administrators handle them: exclusions, comment moderation, export and import."""
