"""The recipe: what to train, on what, in which stages. Parsed and checked once, here.

``settings`` holds the model, rollout, grpo and reward sections; ``stage`` the data,
mining and stage sections and the ``Recipe``; ``load`` reads YAML, applies ``--set``
overrides and resolves paths; ``tree`` turns nested dicts into the dataclasses with
path-named errors. May import: ``trainer.errors``, ``trainer.rewards`` (reward names),
``keychain.config`` (build settings of data entries); nothing else of ``trainer``.
"""

from .load import apply_override, dump_recipe, load_recipe, parse_recipe, recipe_to_dict
from .settings import GRPOSettings, ModelConfig, RewardConfig, RolloutConfig
from .stage import BuildSpec, DataSource, MineConfig, Recipe, StageConfig

__all__ = [
    "BuildSpec", "DataSource", "GRPOSettings", "MineConfig", "ModelConfig", "Recipe", "RewardConfig",
    "RolloutConfig", "StageConfig", "apply_override", "dump_recipe", "load_recipe", "parse_recipe", "recipe_to_dict",
]
