"""A run folder over time: owning it, counting a stage's steps, finishing and freeing stages.

    folder   the layout, claiming it for a recipe, cleaning what a kill left, checkpoints
    lock     one ``trainer run`` per folder (pid, host, flock)
    steps    optimizer steps of a stage, known before any model loads
    finals   ``final/`` written whole, or taken from a checkpoint that holds every step
    memory   releasing a finished stage's trainer, engines and CUDA memory

May import ``trainer.errors``, ``trainer.launch`` and ``trainer.rollouts``.
"""
