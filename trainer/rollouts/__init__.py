"""Sampling completions for mining, ``passrate`` and ``eval``, on any engine.

    sampling     the settings, one seed per row, generation configs that inherit nothing
    generate     the engine choice and transformers' generate
    vllm_engine  a colocated vLLM engine or a vLLM server (GPU only)
    progress     rows done and completions per second

May import ``trainer.errors`` and ``trainer.launch``.
"""
