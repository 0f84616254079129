"""The HTTP API (FastAPI): the desk's front door for integrations and the console.

Routes are thin: they name the caller from a token, call the desk's use-cases and read
models, and turn refusals into RFC 9457 problems. Nothing here talks to the database.
"""
