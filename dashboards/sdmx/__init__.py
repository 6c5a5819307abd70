"""SDMX 2.1 publication of an edition, written with the ``sdmx1`` package.

* :mod:`dashboards.sdmx.structure`: the structure message (agency CLAC, concept scheme,
  code lists, data structure definitions and dataflows for indicator values and for
  observations), versioned with the edition.
* :mod:`dashboards.sdmx.messages`: structure-specific SDMX-ML 2.1 data messages, their
  DSD-specific XML schemas and SDMX-CSV 2.0, from the edition's published tables.
* :mod:`dashboards.sdmx.rest`: the files laid out under SDMX REST 2.1 paths
  (``sdmx/dataflow/CLAC/all/latest`` ...) so that a static host, or ``clac serve``,
  answers ``sdmx.Client``.

Withheld values (disclosure control) are coded the same way everywhere: no ``OBS_VALUE``,
``OBS_STATUS`` ``O`` (missing value) and ``CONF_STATUS`` ``A`` (primary confidentiality
of a small count) or ``D`` (secondary confidentiality); free values ``CONF_STATUS`` ``F``.
"""
