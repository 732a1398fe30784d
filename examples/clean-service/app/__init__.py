"""Orders service: an HTTP API plus a Redis-backed worker pool that charges orders."""
