"""The Vietnamese comment tagger (issue 19 part 5): tokens, rules, the JSON model, and its accuracy
on a labelled test set (tests/data/comments_vi_test.csv) kept apart from the training seed set
(app/review/data/comments_vi_seed.csv). No database: the model is fitted on the seed set here."""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from app.review import comment_tags, tag_model, tag_rules, vitext

TEST_SET = Path(__file__).resolve().parent.parent / "data" / "comments_vi_test.csv"


def key(text: str) -> str:
    """A text compared without case, diacritics or punctuation."""
    folded = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join(re.findall(r"\w+", "".join(c for c in folded if unicodedata.category(c) != "Mn")))


@pytest.fixture(scope="module")
def seed():
    return comment_tags.read_examples(comment_tags.SEED)


@pytest.fixture(scope="module")
def test_set():
    return comment_tags.read_examples(TEST_SET)


@pytest.fixture(scope="module")
def fitted(seed):
    return tag_model.Fitted(json.loads(json.dumps(tag_model.fit(*seed))))  # as stored: through JSON


def test_the_sets_are_large_varied_and_apart(seed, test_set):
    for texts, labels in (seed, test_set):
        assert len(texts) >= 200
        assert sum(not vitext.has_diacritics(t) for t in texts) >= 40  # typed without diacritics
        assert sum(not ls for ls in labels) >= 15 and sum(len(ls) >= 3 for ls in labels) >= 8
        assert {label for ls in labels for label in ls} == set(tag_rules.LABELS)
        assert len({key(t) for t in texts}) == len(texts)
    assert {key(t) for t in seed[0]} & {key(t) for t in test_set[0]} == set()


def test_tokens_join_the_domain_terms():
    assert vitext.tokens("Cán bộ bộ phận một cửa hướng dẫn nhiệt tình") == [
        "cán_bộ", "bộ_phận_một_cửa", "hướng_dẫn", "nhiệt_tình"]
    assert "trả_kết_quả" in vitext.tokens("Trả kết quả đúng hẹn.")
    assert vitext.fold("Đi lại nhiều lần") == "di lai nhieu lan"
    assert "f:can_bo" in vitext.features("can bo tan tinh") and "f:can_bo" in vitext.features("Cán bộ tận tình")


@pytest.mark.parametrize(("text", "labels"), [
    ("Cán bộ hách dịch, gây phiền hà", {"civil_servants", "harassment"}),
    ("can bo hach dich, gay phien ha", {"civil_servants", "harassment"}),  # no diacritics
    ("Cán bộ không hề nhũng nhiễu, không gây phiền hà", {"civil_servants"}),  # denied: no flag
    ("khong ai doi tien ca phe", {"civil_servants"}),
    ("Phải đưa phong bì, tiền cà phê", {"civil_servants", "money"}),
    ("Trễ hẹn hai tuần", {"late", "results"}),
    ("can bo tre nhiet tinh", {"civil_servants"}),  # "tre" is trẻ (young) as much as trễ (late)
    ("Phải đi lại nhiều lần", {"repeat_visits"}),
    ("Không phải đi lại nhiều lần", set()),
    ("Bảng hướng dẫn khó đọc", {"access"}),  # a sign, not a civil servant's guidance
    ("Phía trước trụ sở", {"access"}),  # "phí" is not in "phía"
    ("Cảm ơn", set()),
])
def test_rules(text, labels):
    assert tag_rules.rule_labels(text) == labels


def test_the_json_model_gives_scikit_learns_probabilities(seed):
    """Our TF-IDF and logistic function applied to the JSON parameters equal scikit-learn's own
    TfidfVectorizer (smooth idf, sublinear tf, L2) and predict_proba on the same features."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels = seed
    docs = [list(tag_model.example_features(t)) for t in texts]
    vectoriser = TfidfVectorizer(analyzer=lambda doc: doc, sublinear_tf=True)
    matrix = vectoriser.fit_transform(docs)
    y = [("money" in ls) for ls in labels]
    reference = LogisticRegression(C=tag_model.C, class_weight="balanced", max_iter=2000).fit(matrix, y)
    ours = tag_model.Fitted(json.loads(json.dumps(tag_model.fit(texts, labels))))
    for text in ("Cán bộ đòi tiền bồi dưỡng", "thu tuc nhanh", "Phòng chờ chật"):
        expected = reference.predict_proba(vectoriser.transform([list(tag_model.example_features(text))]))[0, 1]
        assert ours.probabilities(text)["money"] == pytest.approx(expected, abs=2e-4)


BLIND_FROM = 225  # rows after this were written once the rules were frozen, and never tuned on


def test_accuracy_on_the_test_set(fitted, test_set):
    """Rules + model fitted on the seed set only. Measured 2026-12-03 (285 comments): micro-F1
    0.936, exact match 0.849 (rules alone 0.924 / 0.835). The first 225 comments were written
    before the rules, but by their author: 0.959; the last 60, written after the rules were frozen
    and never used to change them: 0.850 (rules alone 0.803), the fairer estimate for new
    phrasing. The floors below leave room; they are not targets."""
    texts, gold = test_set
    predicted = [fitted.labels(t) for t in texts]
    result = tag_model.scores(gold, predicted)
    print(json.dumps(result, indent=1))
    assert result["micro_f1"] >= 0.88
    assert result["exact"] >= 0.75
    for label, s in result["labels"].items():
        assert s["recall"] >= 0.8, label
        assert s["precision"] >= (0.7 if label in tag_rules.RED_FLAGS else 0.8), label
    # the red flags, what officials act on, are found
    assert all(result["labels"][f]["recall"] >= 0.85 for f in tag_rules.RED_FLAGS)
    blind = tag_model.scores(gold[BLIND_FROM:], predicted[BLIND_FROM:])
    assert blind["n"] == 60 and blind["micro_f1"] >= 0.78


def test_rules_and_model_combine(fitted):
    """The model adds a label at p ≥ 0.5 and drops a rule's label only when nearly sure it is wrong
    (p < 0.2: what moderators' corrections of a rule teach it); uncertainty is the distance of the
    least sure label from 0.5."""
    probabilities = fitted.probabilities("Cán bộ nhiệt tình")
    assert probabilities["civil_servants"] > 0.5 and probabilities["money"] < 0.5
    assert tag_model.combine({"late"}, {"late": 0.3}) == {"late"}
    assert tag_model.combine({"late"}, {"late": 0.1}) == set()  # vetoed after moderators' corrections
    assert tag_model.uncertainty({"a": 0.9, "b": 0.45}) == pytest.approx(0.05)


def test_bad_labels_are_refused_with_the_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,labels\nCán bộ tốt,civil_servants\nTrễ hẹn,lateness\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv line 3: unknown label lateness"):
        comment_tags.read_examples(bad)
