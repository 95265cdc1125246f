"""The kernel every stage may import: the error family, the raw records and the archive.

It sits at the bottom of the import graph: it imports nothing from ``crawler``, ``transform``,
``loaders`` or ``blogport``, and all of them may import it.
"""
