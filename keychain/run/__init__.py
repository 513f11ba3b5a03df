"""Many rows: which items a build uses (``plan``), the row builders of each length
(``builders``), where shards are built (``executors``: local workers, Ray, job-array
slices), progress display (``progress``), version identity and manifest (``manifest``),
and ``pipeline.build``, the whole of ``keychain build``.

May import: ``config``, ``rows``, ``tasks``, ``sources``, ``store`` and the helpers.
Never ``check``, ``publish``, ``mix`` or ``cli``.
"""
