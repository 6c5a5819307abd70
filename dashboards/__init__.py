"""The published editions: the static site, the downloads (CSV, SDMX) and the annual report.

* :mod:`dashboards.data`: an audience's published tables (from :mod:`governance.publication`);
* :mod:`dashboards.site_build`, :mod:`dashboards.site`, :mod:`dashboards.pages`,
  :mod:`dashboards.charts`: the pages in es/en/pt, offline, with disclosure marks;
* :mod:`dashboards.downloads` and :mod:`dashboards.sdmx`: the files other tools read;
* :mod:`dashboards.report`: the annual report as HTML and PDF.

May import: ``governance``, ``indicators``, ``sources``, ``warehouse``. Must not import
``pipelines``, nor Dagster.
"""
