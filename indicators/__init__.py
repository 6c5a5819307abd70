"""Indicators: the registry (``registry/*.yaml``, one file per indicator), their computation
from the observations mart, and the progress method of ``docs/progress-methodology.md``.

* :mod:`indicators.registry`: the YAML registry, checked on load;
* :mod:`indicators.compute`: country values and regional aggregates with their coverage;
* :mod:`indicators.progress`: the progress statuses, exactly as the methodology states;
* :mod:`indicators.methodology`: the methodology pages' text, from the registry.

May import: ``sources`` (the catalogue and code lists) and ``warehouse``. Must not import
``governance``, ``dashboards`` or ``pipelines``, nor Dagster.
"""
