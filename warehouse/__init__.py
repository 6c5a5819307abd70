"""The warehouse: the one DuckDB file every stage reads and writes, and what is derived in it.

* :mod:`warehouse.tables`: locations (``CLAC_HOME``, the raw store, the inbox, outputs), the
  DDL of the raw, staging, marts and quality schemas, ``connect``;
* :mod:`warehouse.marts`: the observations mart and the dimension tables;
* :mod:`warehouse.revisions`: what changed between two releases of a source;
* :mod:`warehouse.reconcile`: conservation and stated totals per received file;
* :mod:`warehouse.exports`: marts as CSV or Parquet, cells neutralised against formulas.

May import: the standard library, DuckDB, pandas. Must not import any other stage
(``sources``, ``indicators``, ``governance``, ``dashboards``, ``pipelines``): the warehouse
is the store at the bottom; callers pass in what it needs from the catalogue.
"""
