"""Governance: who may see what, and the record of what was done.

* :mod:`governance.publication`: each audience's tables (sharing filter, approved-only for
  the public edition, disclosure control);
* :mod:`governance.disclosure`: primary and secondary suppression (settings in
  ``disclosure.yaml``);
* :mod:`governance.approvals`: a source period approved for publication, voided by a
  correction;
* :mod:`governance.releases`: every changed build kept read-only as a numbered release;
* :mod:`governance.audit` and :mod:`governance.audit_events`: the append-only, hash-chained
  audit trail and the events written to it.

May import: ``indicators``, ``sources`` (the catalogue), ``warehouse``. Must not import
``dashboards`` or ``pipelines``, nor Dagster.
"""
