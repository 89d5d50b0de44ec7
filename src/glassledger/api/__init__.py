"""The HTTP API: signed requests, role-based views, an event stream, an OpenAPI schema.

``glassledger serve --home H`` serves a node home (the embedded network or a networked node's
data directory); :func:`glassledger.api.app.create_app` builds the FastAPI application for
any :class:`~glassledger.api.ledger.LedgerView`. See docs/api.md.
"""
