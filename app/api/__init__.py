"""The JSON API v1 (contract in ../shared/DESIGN.md ⚑): routes and its OpenAPI description."""
