"""Pydantic models shared by every step of spanfact. Nothing here talks to a model or a database.

`claims` holds what a model answers; `records` what the pipeline stores about it.
"""
