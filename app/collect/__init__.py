"""A citizen's answer, from any channel (link, kiosk, paper, API), stored exactly once."""
