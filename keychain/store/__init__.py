"""Shards on disk: the row schema (``schema``), atomic writes (``files``), version folders
and their manifests (``versions``), the resumable Parquet writer (``shards``) and the
read-only view of finished versions that publishing uses (``folder``).

May import: ``errors`` and ``digest`` only; it knows nothing of how rows are made.
"""
