"""keychain: exact-length KeyChain long-context QA data (LoongRL, arXiv 2510.19363).

The packages follow the data, bottom layer first; each imports only the layers below it
(``tests/test_layout.py`` fails on any import cycle or upward import):

    errors, randomness, text, digest   small shared helpers, no keychain imports
    sources/   raw records -> normalised items and a document pool
    store/     shards on disk: schema, atomic files, versions, the Parquet writer
    rows/      one row: token counts, padding, chains, prompts, the row builder
    tasks/     rows beyond KeyChain/plain: retrieval needles, haystacks, math
    config     the build settings, parsed once
    run/       many rows: plan, builders, executors, the pipeline, the manifest
    check/     verify, show, stats, plots
    publish/   the dataset card, push to the Hub, preflight checks, licences
    mix, cli   recipes of several builds; the command line
"""

__version__ = "0.2.0"
