"""The organisation in the app: organs (行政机关), departments (科室), posts (岗位) and who holds them,
windows and their clerks, staff accounts; administered on pages and importable from CSV.

Import the submodules directly (``structure``, ``staff``, ``importing``, ``views``): this package
initialiser stays empty so that ``engine.services.accounts`` can read groups (``groups``) without
an import cycle.
"""
