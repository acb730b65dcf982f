"""The delivery outbox (issue 18): queue a message in the request's transaction; `flask outbox run`
sends it later through SMTP, an HTTP SMS gateway or Zalo ZNS, retrying with backoff."""
