// The certificate that decides termination: the dual point is polished to exact feasibility (row
// and column shifts, a coordinate push, a safety margin) and the primal point q = s_k p_k is rounded
// to exact feasibility (Altschuler-Weed-Rigollet, per label); gap = f(q) - c.lam then bounds every
// atom's error.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "cells.hpp"

namespace pidkit_native {

// push_coordinates sums a pair's other cells exactly up to this many cells, and from a running sum
// beyond (pairs with thousands of labels)
constexpr int64_t kExactRestCells = 64;
constexpr double kSafetyTop = -1e-14;  // the polished dual keeps every computed g_k below this
constexpr double kSafetyShift = 2e-14;

struct Certificate : Cells {
    std::vector<double> cg, cP, cW;  // scratch
    std::vector<double> wbound, wgm;
    mutable std::vector<double> wr, wfr, wer, wtot;

    explicit Certificate(const Cells& cells) : Cells(cells) {}

    void node_max(const std::vector<double>& g, int side1, std::vector<double>& out) const {
        // side1: true -> per x1, else per x2
        const int n = side1 ? P.n1 : P.n2;
        out.assign(n, -std::numeric_limits<double>::infinity());
        for (int64_t k = 0; k < m; ++k) {
            const int node = side1 ? P.px1[k] : P.px2[k];
            if (g[k] > out[node] || std::isnan(g[k])) out[node] = std::isnan(out[node]) ? out[node] : std::max(out[node], g[k]);
        }
        for (int i = 0; i < n; ++i)
            if (!std::isfinite(out[i])) out[i] = 0.0;
    }

    // E: scratch of nc entries lent by the solver (its step workspace, not live here)
    void push_coordinates(double* x, std::vector<double>& E) {
        const int off2 = P.n1 * ny;
        std::vector<double>& L = cP;  // the lse output's scratch: not live here either
        L.resize(nc);
        E.resize(nc);
        for (int64_t k = 0; k < m; ++k)
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) {
                const int y = P.cy[j];
                L[j] = x[(size_t)P.px1[k] * ny + y] + x[off2 + (size_t)P.px2[k] * ny + y];
                E[j] = std::exp(L[j]);
            }
        // each pair's sum of E, kept current as E changes: a pair with many labels would otherwise
        // cost (its cells)^2 per pass (3x3x100000 tables: 10^10 terms)
        std::vector<double> sumE(m, 0.0);
        for (int64_t k = 0; k < m; ++k)
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) sumE[k] += E[j];
        std::vector<double>& bound = wbound;
        for (int pass = 0; pass < 2; ++pass) {
            const bool side1 = pass == 1;  // lam2 first, then lam1 (as the twin)
            const int n = side1 ? P.n1 : P.n2;
            const int off = side1 ? 0 : off2;
            for (int y = 0; y < ny; ++y) {
                const int64_t c0 = P.ycptr[y], c1 = P.ycptr[y + 1];
                if (c0 == c1) continue;
                bound.assign(n, std::numeric_limits<double>::infinity());
                for (int64_t t = c0; t < c1; ++t) {
                    const int64_t j = P.ycell[t];
                    const int64_t k = P.cpair[j];
                    double rest = 0;
                    if (P.ptr[k + 1] - P.ptr[k] <= kExactRestCells) {  // exact sum (bit-identical to the twin)
                        for (int64_t l = P.ptr[k]; l < P.ptr[k + 1]; ++l)
                            if (l != j) rest += E[l];
                    } else {  // the rounding is covered by the safety shift of polish_dual
                        rest = std::max(sumE[k] - E[j], 0.0);
                    }
                    const double room = rest < 1.0 ? std::log1p(-rest) - L[j] : -std::numeric_limits<double>::infinity();
                    const int node = side1 ? P.px1[k] : P.px2[k];
                    if (!(room >= bound[node])) bound[node] = std::isnan(room) ? -std::numeric_limits<double>::infinity() : room;
                }
                for (int i = 0; i < n; ++i)
                    if (std::isfinite(bound[i]) && bound[i] > 0) x[off + (size_t)i * ny + y] += bound[i];
                for (int64_t t = c0; t < c1; ++t) {
                    const int64_t j = P.ycell[t];
                    const int64_t k = P.cpair[j];
                    const int node = side1 ? P.px1[k] : P.px2[k];
                    if (std::isfinite(bound[node]) && bound[node] > 0) {
                        L[j] = x[(size_t)P.px1[k] * ny + y] + x[off2 + (size_t)P.px2[k] * ny + y];
                        const double e = std::exp(L[j]);
                        sumE[k] += e - E[j];
                        E[j] = e;
                    }
                }
            }
        }
    }

    // polished, strictly feasible dual; returns dual value
    double polish_dual(const double* x_in, std::vector<double>& xf, std::vector<double>& E) {
        xf.assign(x_in, x_in + nv);
        cg.resize(m);
        cP.resize(nc);
        std::vector<double>& gm = wgm;
        const int off2 = P.n1 * ny;
        for (int r = 0; r < 2; ++r) {
            for (int side = 0; side < 2; ++side) {
                lse(xf.data(), cg.data(), cP.data());
                node_max(cg, side == 0, gm);
                const int n = side == 0 ? P.n1 : P.n2;
                const int off = side == 0 ? 0 : off2;
                for (int i = 0; i < n; ++i)
                    for (int y = 0; y < ny; ++y) xf[off + (size_t)i * ny + y] -= gm[i];
            }
        }
        push_coordinates(xf.data(), E);
        for (int t = 0; t < 5; ++t) {
            lse(xf.data(), cg.data(), cP.data());
            double top = -1.0;
            bool nan = false;
            for (int64_t k = 0; k < m; ++k) {
                if (std::isnan(cg[k])) nan = true;
                top = std::max(top, cg[k]);
            }
            if (nan) break;
            if (top < kSafetyTop) break;
            const double sh = std::max(top, 0.0) + kSafetyShift;
            for (int i = 0; i < off2; ++i) xf[i] -= sh;
        }
        long double D = 0;
        for (int i = 0; i < nv; ++i) {
            if (!P.supp[i]) xf[i] = 0.0;
            else D += (long double)P.c[i] * xf[i];
        }
        return (double)D;
    }

    void round_primal(const double* s, const double* Pc, std::vector<double>& Q) const {
        Q.resize(nc);
        const int off2 = P.n1 * ny;
        for (int64_t k = 0; k < m; ++k)
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) {
                const double v = s[k] * Pc[j];
                Q[j] = v > 0 ? v : 0.0;  // also maps NaN to 0
            }
        std::vector<double>& r = wr;
        r.resize(nv);
        scatter(Q.data(), r.data());
        std::vector<double>& fr = wfr;
        fr.assign(nv, 1.0);
        for (int i = 0; i < off2; ++i)
            if (r[i] > P.c[i]) fr[i] = P.c[i] / r[i];
        for (int64_t k = 0; k < m; ++k)
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) Q[j] *= fr[(size_t)P.px1[k] * ny + P.cy[j]];
        scatter(Q.data(), r.data());
        for (int i = off2; i < nv; ++i) fr[i] = r[i] > P.c[i] ? P.c[i] / r[i] : 1.0;
        for (int64_t k = 0; k < m; ++k)
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) Q[j] *= fr[off2 + (size_t)P.px2[k] * ny + P.cy[j]];
        scatter(Q.data(), r.data());
        std::vector<double>& er = wer;
        std::vector<double>& tot = wtot;
        er.resize(nv);
        tot.assign(ny, 0.0);
        for (int i = 0; i < nv; ++i) er[i] = std::max(P.c[i] - r[i], 0.0);
        for (int i = 0; i < off2; ++i) tot[i % ny] += er[i];
        for (int64_t k = 0; k < m; ++k)
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) {
                const int y = P.cy[j];
                const double tt = tot[y] > 0 ? tot[y] : 1.0;
                Q[j] += er[(size_t)P.px1[k] * ny + y] * er[off2 + (size_t)P.px2[k] * ny + y] / tt;
            }
    }

    double fobj(const std::vector<double>& Q) const {
        long double F = 0;
        for (int64_t k = 0; k < m; ++k) {
            double sk = 0;
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) sk += Q[j];
            if (!(sk > 0)) continue;
            const double ls = std::log(sk);
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j)
                if (Q[j] > 0) F += (long double)Q[j] * (std::log(Q[j]) - ls);
        }
        return (double)F;
    }

    double marg_viol(const std::vector<double>& Q) const {
        std::vector<double> r(nv);
        scatter(Q.data(), r.data());
        double v = 0;
        for (int i = 0; i < nv; ++i) v = std::max(v, std::fabs(r[i] - P.c[i]));
        return v;
    }
};

}  // namespace pidkit_native
