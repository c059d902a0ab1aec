// Passes over the cells of a problem: log-sum-exp per pair, scatter of cell values onto the
// (node, label) unknowns, gathers back to pairs, the marginal residual.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "dense.hpp"
#include "problem.hpp"

namespace pidkit_native {

struct Cells {
    const Problem& P;
    int nt;
    bool par;  // large enough for OpenMP loops
    int ny, nv;
    int64_t m, nc;

    Cells(const Problem& p, int n_threads)
        : P(p), nt(std::max(1, n_threads)), par(std::max(1, n_threads) > 1 && p.nc >= 2000000), ny(p.ny), nv(p.nv()),
          m(p.m), nc(p.nc) {}

    void lse(const double* x, double* g, double* Pc) const {
        const int off2 = P.n1 * ny;
        pfor(par, nt, 0, m, [&](int64_t k_) {
            const int64_t k = (int64_t)k_;
            const double* l1 = x + (size_t)P.px1[k] * ny;
            const double* l2 = x + off2 + (size_t)P.px2[k] * ny;
            const int64_t b0 = P.ptr[k], b1 = P.ptr[k + 1];
            double mx = -std::numeric_limits<double>::infinity();
            for (int64_t j = b0; j < b1; ++j) {
                const int y = P.cy[j];
                const double L = l1[y] + l2[y];
                Pc[j] = L;
                mx = std::max(mx, L);
            }
            double sum = 0;
            if (std::isfinite(mx)) {
                for (int64_t j = b0; j < b1; ++j) {
                    const double e = std::exp(Pc[j] - mx);
                    Pc[j] = e;
                    sum += e;
                }
                const double inv = 1.0 / sum;
                for (int64_t j = b0; j < b1; ++j) Pc[j] *= inv;
                g[k] = mx + std::log(sum);
            } else {
                g[k] = mx;  // NaN or +-inf propagates
                for (int64_t j = b0; j < b1; ++j) Pc[j] = std::numeric_limits<double>::quiet_NaN();
            }
        });
    }

    // out[var] = sum over cells of W (row sums to lam1 vars, column sums to lam2 vars)
    void scatter(const double* W, double* out) const {
        std::fill(out, out + nv, 0.0);
        if (!par) {  // one pass over the cells (the node lists only serve conflict-free threads)
            const int off2 = P.n1 * ny;
            for (int64_t k = 0; k < m; ++k) {
                double* o1 = out + (size_t)P.px1[k] * ny;
                double* o2 = out + off2 + (size_t)P.px2[k] * ny;
                for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) {
                    o1[P.cy[j]] += W[j];
                    o2[P.cy[j]] += W[j];
                }
            }
            return;
        }
        // side A and side B by node lists (no write conflicts)
        for (int side = 0; side < 2; ++side) {
            const int n = side == 0 ? P.nA : P.nB;
            const auto& Pp = side == 0 ? P.Aptr : P.Bptr;
            const auto& Pl = side == 0 ? P.Alist : P.Blist;
            const int off = side == 0 ? P.offA : P.offB;
            pfor(par, nt, 0, n, [&](int64_t u_) {
                const int u = (int)u_;
                double* o = out + off + (size_t)u * ny;
                for (int64_t t = Pp[u]; t < Pp[u + 1]; ++t) {
                    const int64_t k = Pl[t];
                    for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) o[P.cy[j]] += W[j];
                }
            });
        }
    }

    // jd_k = sum_y p_k(y) (dx1[x1,y] + dx2[x2,y])
    void jgather(const double* dx, const double* Pc, double* jd) const {
        const int off2 = P.n1 * ny;
        pfor(par, nt, 0, m, [&](int64_t k_) {
            const int64_t k = (int64_t)k_;
            const double* l1 = dx + (size_t)P.px1[k] * ny;
            const double* l2 = dx + off2 + (size_t)P.px2[k] * ny;
            double acc = 0;
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) acc += Pc[j] * (l1[P.cy[j]] + l2[P.cy[j]]);
            jd[k] = acc;
        });
    }

    void residual_d(const double* s, const double* Pc, double* rd, std::vector<double>& W) const {
        pfor(par, nt, 0, m, [&](int64_t k_) {
            const int64_t k = (int64_t)k_;
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) W[j] = s[k] * Pc[j];
        });
        scatter(W.data(), rd);
        for (int i = 0; i < nv; ++i) rd[i] = P.supp[i] ? P.c[i] - rd[i] : 0.0;
    }
};

}  // namespace pidkit_native
