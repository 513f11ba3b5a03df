"""The launch and the machine: processes, GPUs, packages, where the model comes from.

    distributed      the processes of one launch: main first, barriers, gathering rows
    hardware         GPUs, launcher environment, optional packages (vLLM range from TRL)
    hub              a model folder, the Hugging Face cache, or one fast Hub probe
    memory_estimate  GPU memory per device from a model's config.json

Loads no model. May import ``trainer.errors`` only.
"""
