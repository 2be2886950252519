"""The Lambda API on the server's endpoint (REST-JSON under ``/2015-03-31/functions``)."""

from __future__ import annotations

from aiohttp import web

__all__ = ["add_lambda_routes"]


def add_lambda_routes(app: web.Application) -> None:
    """Register the Lambda routes on ``app`` (placeholder until the work lands)."""
