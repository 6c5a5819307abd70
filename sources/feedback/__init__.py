"""Submitter feedback: one file checked as ingestion would check it, nothing written.

* :mod:`sources.feedback.report`: ``clac validate`` (HTML, CSV or text, in es/en/pt).

Sits above ingestion, validation and the quarterly intake, which it runs; nothing in
``sources`` imports it.
"""
