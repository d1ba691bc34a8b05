"""Configuration, read from ``BROKER_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbedderName = Literal["minilm", "static", "tfidf"]

DEFAULT_WEIGHTS: dict[str, float] = {
    "aims": 0.30,
    "complementarity": 0.15,
    "target_groups": 0.20,
    "subjects": 0.08,
    "stages": 0.05,
    "geography": 0.12,
    "network": 0.10,
}


class Settings(BaseSettings):
    """Every setting broker reads; each maps to ``BROKER_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="BROKER_", extra="ignore")

    database_url: str = "sqlite:///broker.db"
    embedder: EmbedderName = Field(
        "minilm",
        description=(
            "minilm: the packaged all-MiniLM-L6-v2 sentence-transformer; "
            "static: a model2vec model distilled from it (much faster, weaker); "
            "tfidf: scikit-learn TF-IDF with SVD, for experiments"
        ),
    )
    cache_dir: Path = Field(
        Path.home() / ".cache" / "broker",
        description="where derived models (the static embedder) are built",
    )
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    use_learned_weights: bool = True
    geocoder: Literal["offline", "nominatim"] = "offline"
    host: str = "127.0.0.1"
    port: int = 8000
    max_request_bytes: int = 5_000_000
    blas_threads: int = Field(
        1,
        ge=1,
        description=(
            "BLAS threads per process. One is the default: on a busy 2-core "
            "machine two OpenBLAS threads made an eigendecomposition 70x "
            "slower and a 100k suggestion 1.5x slower, as they spin against "
            "each other and against the web workers"
        ),
    )
    warm_up: bool = Field(
        True,
        description=(
            "Build the index when the server starts, so the first users do "
            "not wait for the model and the vectors."
        ),
    )
    log_level: str = "INFO"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the settings of this process, read once from the environment."""
    return Settings()
