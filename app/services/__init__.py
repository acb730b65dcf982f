"""Use cases as plain functions. They flush; the request or CLI command commits once."""
