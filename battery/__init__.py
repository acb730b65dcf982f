"""`make battery`: reliability, security and load figures against gunicorn + PostgreSQL."""
