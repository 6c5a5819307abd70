"""The working groups' quarterly workbook: template, code lists, personal-data guard.

* :mod:`sources.quarterly.codelists`: the YAML code lists (working groups, goals,
  WeProtect capabilities, NCMEC positions, statuses ...) with es/en/pt labels;
* :mod:`sources.quarterly.template`: the XLSX workbook a working group fills in;
* :mod:`sources.parsers.wg_workbook`: reads a filled workbook (whole-file checks);
* :mod:`sources.quarterly_intake`: row checks, storage with provenance, supersession;
* :mod:`sources.quarterly.personal_data`: the guard on free text;
* :mod:`sources.quarterly_reporting`: the marts (reports, reporting status, trackers).

Settings and messages (es/en/pt) live in ``rules.yaml`` beside this module. This package is
what the workbook parser needs, so it imports no parser and no ingestion; the intake and the
reporting marts (``sources.quarterly_intake``, ``sources.quarterly_reporting``) sit above
ingestion and import it.
"""
