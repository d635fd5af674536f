"""Queries and writes, one module per area (``cases``, ``tasks``, ``history``, ``definitions``, ``designs``, …).

Every function takes the ``UnitOfWork`` first and returns plain rows (``engine.persistence.rows``
or the area module's own dataclasses), never ORM objects.
"""
