"""Ingestion: from a received file to staged rows with provenance, or to quarantine.

* :mod:`sources.catalogue` and ``catalogue/*.yaml``: one file per source (publisher, licence,
  parser, sharing level); ``codelists/``: the measures and code lists;
* :mod:`sources.parsers`: one module per input format, with limits on size, time and memory;
* :mod:`sources.harmonise`: areas (aliases to ISO codes) and periods;
* :mod:`sources.validation`: whole-file checks, row rules, relations, plausibility, the
  Great Expectations suites, data-quality marts;
* :mod:`sources.ingest`: keep the file byte for byte, parse, check, stage or quarantine;
* :mod:`sources.quarterly` (the working groups' workbook), :mod:`sources.quarterly_intake`
  and :mod:`sources.quarterly_reporting` (its intake and marts);
* :mod:`sources.feedback`: ``clac validate``, one file checked without ingesting it.

May import: :mod:`warehouse` (its tables and connection). Must not import ``indicators``,
``governance``, ``dashboards`` or ``pipelines``, nor Dagster.
"""
