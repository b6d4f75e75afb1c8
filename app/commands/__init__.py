"""Sub-commands of the ``aad`` command line, one module per topic.

Every module here is imported by :mod:`app.cli` and registers its commands on
``app.cli.cli`` with ``@cli.command()``. Adding a module adds its commands.
"""
