// The Newton matrix at the current interior point,
//     H + delta I + D = sum_k M_k^T [ s_k diag(p_k) + coef_k p_k p_k^T ] M_k + delta I + D,  coef_k = s_k/z_k - s_k,
// (D: an optional per-unknown diagonal, the mass-scaled regularization of ipm.hpp's ladder)
// on the kept unknowns (supported, not gauge-pinned), and its matrix-free product. The two
// eliminations (schur.hpp, labels.hpp) factor it; the solver (ipm.hpp) owns the point.
#pragma once

#include <cstdint>
#include <vector>

#include "cells.hpp"

namespace pidkit_native {

struct Linearization {
    const double* s = nullptr;   // current s (m) and cell probabilities p_k (nc)
    const double* Pc = nullptr;
    std::vector<double> coef;    // m
    double delta = 0;            // regularization of the current factorization
    const double* dreg = nullptr;  // ... and its per-unknown part D (nv entries; null: none)
    double mean_diag = 0;        // mean diagonal of H on the kept unknowns (scale of delta)

    void set(const double* s_in, const double* z_in, const double* Pc_in, int64_t m) {
        s = s_in;
        Pc = Pc_in;
        coef.resize(m);
        for (int64_t k = 0; k < m; ++k) coef[k] = s_in[k] / z_in[k] - s_in[k];
    }
};

// Base of the eliminations: the cell passes plus names for the linearization's fields
struct NewtonBase : Cells {
    const double*& s_;
    const double*& Pc_;
    std::vector<double>& coef;
    double& delta_;
    const double*& dreg_;
    double& mean_diag;
    std::vector<double> wHW;  // hmul scratch

    NewtonBase(const Cells& cells, Linearization& lin)
        : Cells(cells), s_(lin.s), Pc_(lin.Pc), coef(lin.coef), delta_(lin.delta), dreg_(lin.dreg), mean_diag(lin.mean_diag) {}

    // regularization of unknown i: delta + D_i
    double reg(size_t i) const { return dreg_ ? delta_ + dreg_[i] : delta_; }

    // out = (H + delta I + D) v on the kept unknowns, matrix-free (v is zero elsewhere, so is out)
    void hmul(const double* v, double* out) {
        const int off2 = P.n1 * ny;
        std::vector<double>& W = wHW;
        W.resize(nc);
        pfor(par, nt, 0, m, [&](int64_t k) {
            const double* v1 = v + (size_t)P.px1[k] * ny;
            const double* v2 = v + off2 + (size_t)P.px2[k] * ny;
            const int64_t b0 = P.ptr[k], b1 = P.ptr[k + 1];
            double ph = 0;
            for (int64_t j = b0; j < b1; ++j) ph += Pc_[j] * (v1[P.cy[j]] + v2[P.cy[j]]);
            for (int64_t j = b0; j < b1; ++j)
                W[j] = Pc_[j] * (s_[k] * (v1[P.cy[j]] + v2[P.cy[j]]) + coef[k] * ph);
        });
        scatter(W.data(), out);
        for (int i = 0; i < nv; ++i) out[i] = P.kept[i] ? out[i] + reg(i) * v[i] : 0.0;
    }
};

}  // namespace pidkit_native
