"""Working-group quarterly reports: template, intake, personal-data guard, reporting marts.

* :mod:`sources.quarterly.codelists`: the YAML code lists (working groups, goals,
  WeProtect capabilities, NCMEC positions, statuses ...) with es/en/pt labels;
* :mod:`sources.quarterly.template`: the XLSX workbook a working group fills in;
* :mod:`sources.parsers.wg_workbook`: reads a filled workbook (whole-file checks);
* :mod:`sources.quarterly.intake`: row checks, storage with provenance, supersession;
* :mod:`sources.quarterly.personal_data`: the guard on free text;
* :mod:`sources.quarterly.reporting`: the marts (reports, reporting status, trackers).

Settings and messages (es/en/pt) live in ``rules.yaml`` beside this module.
"""
