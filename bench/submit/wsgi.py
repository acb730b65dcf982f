"""The application under test: the real app, with rate limits off (all load comes from one address)."""
from app import create_app

app = create_app({"RATELIMIT_ENABLED": False})
