"""Readers: files and frames in, canonical tables out.

``tables`` (CSV/Parquet/DataFrame reading, column mapping), ``canonical`` (the sent-mail columns),
``hubspot`` (HubSpot email exports), ``mailfiles`` (mbox, .eml, mail folders), ``events`` (contacts
and tracking events), ``dates`` (dates written as text). Readers never import the history or an
engine: ``history.load_sent`` picks a reader and hands its table to the engine.
"""
