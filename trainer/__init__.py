"""trainer: LoongRL multi-stage GRPO on keychain shards, through TRL."""
