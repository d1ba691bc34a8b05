"""The HTTP face of broker: JSON API, problem details and server-rendered pages.

``create_app`` in :mod:`broker.api.app` builds the application; uvicorn runs
it with ``factory=True``. Routes call :mod:`broker.services` only.
"""
