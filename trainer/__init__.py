"""trainer: LoongRL multi-stage GRPO on keychain shards, through TRL.

    cli         trainer run / check / eval / passrate
    recipe/     the recipe: settings, stages, loading with --set overrides
    rewards/    rule rewards by data_source (verl's compute_score signature too)
    data        keychain shard sets -> one stage's dataset
    grpo        the recipe -> TRL's GRPOConfig and keychain's GRPOTrainer
    hooks       the small hooks on TRL's GRPOTrainer: equal-reward groups dropped, one
                schedule across stages, optimizer state carried, best-checkpoint ties
    console     one progress display per stage, metrics.jsonl, known warnings once
    stages      the schedule: stages in order, resume, mining between stages
    mining, passrate, generate, evaluate   sampling with the current model
    run_folder, tiny, errors               the run folder, tiny test models, errors

Lower modules never import ``cli`` or ``stages``; ``recipe`` and ``rewards`` import
nothing of ``trainer`` beyond ``errors`` (``tests/test_layout.py`` checks for cycles).
"""
