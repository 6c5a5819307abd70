"""Further ``clac`` commands, one module per capability.

Each module imports ``app`` (and ``EXPORTS``, ``fail``) from :mod:`pipelines.commands.base`
and registers its commands with ``@app.command()``; :mod:`pipelines.cli` imports every
module of this package at the end, so adding a command is adding a module here.
"""
