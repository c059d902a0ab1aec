"""The candidates beyond the fusion networks: one modality alone, late fusion, gradient boosting."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from pidkit.exceptions import InputError, NotFittedError, ParameterError
from pidkit.fusion import BoostingFusion, LateFusion, compare, make_model
from pidkit.synthetic import suite_data

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

FAST = dict(epochs=40, patience=8, hidden=(32,), embed_dim=16)


@pytest.fixture(scope="module")
def u2_data():
    """R + U2 (no synergy), 1,600 samples: X2 carries everything, X1 only the shared part."""
    d = suite_data("mix5", n=1600, dim=6, random_state=2)
    return d.x1, d.x2, d.y


def test_one_modality_models_need_only_their_modality(u2_data):
    x1, x2, y = u2_data
    tr, te = slice(0, 1200), slice(1200, None)
    m2 = make_model("x2-only", random_state=0, **FAST).fit(None, x2[tr], y[tr])
    m1 = make_model("x1-only", random_state=0, **FAST).fit(x1[tr], None, y[tr])
    # the other modality may be given (and is ignored) or None
    assert np.array_equal(m2.predict_proba(None, x2[te]), m2.predict_proba(x1[te], x2[te]))
    assert m2.score(None, x2[te], y[te]) > m1.score(x1[te], None, y[te]) + 0.1  # X1 lacks U2
    assert m1.n_parameters_ > 0 and m1.n_features_in_ == (6, 1)
    with pytest.raises(ParameterError, match="predicts from x2; got x2=None"):
        m2.predict_proba(x1[te], None)
    with pytest.raises(ParameterError, match="reads both modalities; got x2=None"):
        make_model("early", **FAST).fit(x1[tr], None, y[tr])


def test_late_fusion_product_needs_no_pairs(u2_data):
    x1, x2, y = u2_data
    tr, te = slice(0, 1200), slice(1200, None)
    late = make_model("late", random_state=0, **FAST)
    assert isinstance(late, LateFusion) and late.combine == "product"
    late.fit(x1[tr], x2[tr], y[tr])
    proba = late.predict_proba(x1[te], x2[te])
    assert proba.shape == (400, 4) and np.allclose(proba.sum(1), 1.0)
    assert late.score(x1[te], x2[te], y[te]) >= late.model2_.score(None, x2[te], y[te]) - 0.03
    assert late.n_parameters_ == late.model1_.n_parameters_ + late.model2_.n_parameters_
    # unpaired: disjoint samples of each modality, different sizes
    un = make_model("late", random_state=0, **FAST).fit_unpaired(x1[:500], y[:500], x2[500:1200], y[500:1200])
    assert un.score(x1[te], x2[te], y[te]) > 0.45 and list(un.classes_) == [0, 1, 2, 3]
    # deterministic and clonable
    again = clone(late).fit(x1[tr], x2[tr], y[tr])
    assert np.array_equal(again.predict_proba(x1[te], x2[te]), proba)


def test_late_fusion_stacked_and_errors(u2_data):
    x1, x2, y = u2_data
    tr, te = slice(0, 1200), slice(1200, None)
    st = make_model("late-stacked", random_state=0, **FAST).fit(x1[tr], x2[tr], y[tr])
    assert st.stacker_ is not None and st.score(x1[te], x2[te], y[te]) > 0.5  # Bayes 0.58, chance 0.25
    assert st.n_parameters_ > st.model1_.n_parameters_ + st.model2_.n_parameters_
    with pytest.raises(ParameterError, match="fit_unpaired needs combine='product'"):
        st.fit_unpaired(x1, y, x2, y)
    with pytest.raises(InputError, match="same classes"):
        LateFusion(**FAST).fit_unpaired(x1[:300], y[:300], x2[:300], np.where(y[:300] == 3, 2, y[:300]))
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LateFusion().predict_proba(x1, x2)
    with pytest.raises(ParameterError, match="combine must be"):
        LateFusion(combine="sum").fit(x1, x2, y)
    with pytest.raises(ParameterError, match="got None for x1"):
        st.predict_proba(None, x2[te])


def test_gradient_boosting_baseline(u2_data):
    x1, x2, y = u2_data
    tr, te = slice(0, 1200), slice(1200, None)
    hgb = make_model("hgb", random_state=0, max_iter=50)
    assert isinstance(hgb, BoostingFusion)
    hgb.fit(x1[tr], x2[tr], y[tr])
    assert hgb.score(x1[te], x2[te], y[te]) > 0.45 and hgb.n_parameters_ > 0 and hgb.n_features_in_ == (6, 6)
    again = clone(hgb).fit(x1[tr], x2[tr], y[tr])
    assert np.array_equal(again.predict_proba(x1[te], x2[te]), hgb.predict_proba(x1[te], x2[te]))
    with pytest.raises(InputError, match="6 \\+ 6 features; got 6 \\+ 3"):
        hgb.predict_proba(x1[te], x2[te, :3])
    with pytest.raises(InputError, match="needs both modalities"):
        hgb.fit(x1, None, y)
    with pytest.raises(NotFittedError):
        BoostingFusion().predict(x1, x2)


def test_compare_accepts_every_candidate_kind(u2_data):
    x1, x2, y = u2_data
    comp = compare(["x2-only", "late", "hgb"], x1[:600], x2[:600], y[:600], cv=2, random_state=0,
                   model_params={})
    assert {r["model"] for r in comp.rows} == {"x2-only", "late", "hgb"}


def test_unfitted_models_say_so_on_predict(u2_data):
    from pidkit.fusion import FusionClassifier

    x1, x2, _ = u2_data
    for model in (FusionClassifier(), LateFusion(), BoostingFusion()):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            model.predict(x1, x2)
