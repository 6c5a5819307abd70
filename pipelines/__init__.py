"""The thin Dagster layer and the ``clac`` command above every stage.

* :mod:`pipelines.definitions` and ``defs/``: assets, checks, sensors and schedules by
  domain (``load_from_defs_folder``), resources per environment in ``defs/resources.py``;
* :mod:`pipelines.cli` and ``commands/``: the ``clac`` command, one module per capability;
* :mod:`pipelines.runner`: one build at a time, and the last good outputs kept on failure.

May import every stage (``dashboards``, ``governance``, ``indicators``, ``sources``,
``warehouse``); no stage imports it.
"""
