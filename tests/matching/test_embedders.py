"""The embedders: the real MiniLM, the static model distilled from it, TF-IDF."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from broker.errors import ModelUnavailable
from broker.matching import embedders
from broker.matching.embedders import Embedder, TfidfEmbedder, load_embedder, text_hash

AIMS = [
    "Physics masterclasses that encourage girls to study physics at university",
    "Encouraging girls to study physics degrees through after-school clubs",
    "Affordable housing advice for tenants facing eviction",
    "   ",
]


def _check_vectors(embedder: Embedder) -> None:
    """Related aims are closer than unrelated ones; rows are unit or zero."""
    found = embedder.encode(AIMS)
    assert found.shape == (4, embedder.dimension)
    assert found.dtype == np.float32
    assert np.linalg.norm(found[:3], axis=1) == pytest.approx([1, 1, 1], abs=1e-5)
    assert not found[3].any()
    assert found[0] @ found[1] > found[0] @ found[2] + 0.2


def test_text_hash_is_of_the_normalised_text() -> None:
    plain = text_hash("Physics for girls")
    assert plain == text_hash("  Physics \n for\tgirls ")
    assert text_hash(unicodedata.normalize("NFD", "café")) == text_hash("café")
    assert plain != text_hash("physics for girls")
    assert len(plain) == 64 and int(plain, 16) >= 0


def test_tfidf_embedder() -> None:
    embedder = TfidfEmbedder().fit(AIMS + ["Girls in physics and engineering"])
    assert embedder.name == "tfidf/svd-256"
    assert not embedder.cacheable
    _check_vectors(embedder)


def test_tfidf_must_be_fitted_first() -> None:
    with pytest.raises(ModelUnavailable, match="not fitted: call fit"):
        TfidfEmbedder().encode(["physics"])


def test_progress_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    embedder = TfidfEmbedder(dimension=8).fit(AIMS)
    assert embedder.encode(AIMS, progress=True).shape == (4, 8)
    assert capsys.readouterr().out == ""


def test_load_embedder_logs_what_it_loaded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="broker.matching.embedders"):
        embedder = load_embedder("tfidf", tmp_path)
    assert embedder.name == "tfidf/svd-256"
    assert "embedder tfidf/svd-256 loaded from scikit-learn" in caplog.text


def test_unknown_embedder_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="set BROKER_EMBEDDER to one of"):
        load_embedder("bert", tmp_path)  # type: ignore[arg-type]


def test_a_model_that_cannot_load_is_an_error_not_a_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedders, "_minilm_path", lambda: tmp_path / "no-model")
    with pytest.raises(
        ModelUnavailable, match="cannot load the 'minilm'.*BROKER_EMBEDDER"
    ):
        load_embedder("minilm", tmp_path)


@pytest.fixture(scope="session")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """The packaged MiniLM, loaded once."""
    return load_embedder("minilm", tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def static_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder the static model is distilled into once per session."""
    return tmp_path_factory.mktemp("static-cache")


@pytest.mark.model
def test_minilm(minilm: Embedder) -> None:
    assert minilm.name == "minilm/all-MiniLM-L6-v2"
    assert minilm.dimension == 384
    assert minilm.cacheable
    _check_vectors(minilm)


@pytest.mark.model
def test_minilm_progress_bar(
    minilm: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    assert minilm.encode(AIMS[:2], progress=True).shape == (2, 384)
    assert capsys.readouterr().out == ""


@pytest.mark.model
@pytest.mark.slow
def test_static_is_distilled_once_then_loaded(
    static_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = load_embedder("static", static_cache)
    assert embedder.name == "static/all-MiniLM-L6-v2-m2v256"
    assert embedder.dimension == 256
    assert (static_cache / "static" / "all-MiniLM-L6-v2-m2v256").is_dir()
    _check_vectors(embedder)

    def refuse(source: Path, target: Path) -> None:
        msg = "distilled twice"
        raise AssertionError(msg)

    monkeypatch.setattr(embedders, "_distil", refuse)
    assert load_embedder("static", static_cache).name == embedder.name


def test_unit_rows_scales_rows_to_unit_length_and_keeps_zero_rows() -> None:
    found = embedders.unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))

    assert found.dtype == np.float32
    np.testing.assert_allclose(found, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)


def test_unit_rows_keeps_rows_that_are_unit_already_without_a_copy() -> None:
    rows = np.array([[0.6, 0.8], [0.0, 0.0], [1.0, 0.0]], dtype=np.float32)

    assert embedders.unit_rows(rows) is rows
    assert embedders.unit_rows(rows * 2) is not rows
