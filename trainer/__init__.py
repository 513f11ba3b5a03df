"""trainer: LoongRL multi-stage GRPO on keychain shards, through TRL.

    cli         trainer run / check / eval / passrate
    recipe/     the recipe: settings, stages, loading with --set overrides
    rewards/    rule rewards by data_source (verl's compute_score signature too)
    launch/     processes, GPUs, packages, model source, memory estimate (nothing loads)
    rollouts/   sampling completions: transformers, colocated vLLM, a vLLM server
    run/        the run folder: lock, claim, clean, step counts, final/, releasing memory
    preflight   every check before a model loads (``trainer check``, ``trainer run``)
    data, shard_check   keychain shard sets -> one stage's dataset, checked against manifests
    grpo        the recipe -> TRL's GRPOConfig and keychain's GRPOTrainer
    hooks       the small hooks on TRL's GRPOTrainer: equal-reward groups dropped, one
                schedule across stages, optimizer state carried, best-checkpoint ties
    console     one progress display per stage, metrics.jsonl, known warnings once
    stages      the schedule: stages in order, resume, mining between stages
    mining, passrate, short, evaluate   sampling with the current model, scored
    tiny, gpu_check, errors             tiny test models, the GPU check, errors

Lower modules never import ``cli`` or ``stages``; ``recipe`` and ``rewards`` import
nothing of ``trainer`` beyond ``errors``; ``launch`` < ``rollouts`` < ``run``
(``tests/test_layout.py`` checks for cycles).
"""
