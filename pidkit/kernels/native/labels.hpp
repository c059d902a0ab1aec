// Elimination by label (Woodbury): H + delta I = D + A C A^T with D block diagonal by label (one
// block of the kept lam1[., y], lam2[., y] per y: the s_k diag(p_k) part), A the m pair columns
// M_k^T p_k and C = diag(coef). Tables with few (x1, x2) pairs and many labels factor the small
// blocks and an m x m capacitance matrix I + G C (G = A^T D^-1 A) instead of ny x ny node blocks and
// an (nB ny)^2 Schur complement (schur.hpp); two steps of iterative refinement on the matrix-free
// product restore the digits the Woodbury solve loses when C is far from I.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "newton.hpp"

namespace pidkit_native {

struct LabelElimination : NewtonBase {
    std::vector<int64_t> lb_ptr, lb_off;  // per label: first kept unknown (ny+1); offset of its block
    std::vector<int> vloc;                // nv: index of a kept unknown inside its label's block, else -1
    std::vector<int> vglob;               // kept unknowns by label block: global index (lb_ptr layout)
    std::vector<int> cl1, cl2;            // nc: block indices of a cell's lam1 / lam2 unknowns (-1: pinned)
    std::vector<double> LD;               // label blocks' Cholesky factors (row-major lower)
    std::vector<double> LU;               // m x m capacitance I + G C, LU-factored (row-major)
    std::vector<int> piv;                 // its row pivots
    std::vector<double> wu, wb, wlab;     // solve scratch

    LabelElimination(const Cells& cells, Linearization& lin) : NewtonBase(cells, lin) {
        const int off2 = P.n1 * ny;
        vloc.assign(nv, -1);
        lb_ptr.assign(ny + 1, 0);
        std::vector<int> cnt(ny, 0);
        for (int i = 0; i < nv; ++i)
            if (P.kept[i]) vloc[i] = cnt[i % ny]++;  // lam1[x1, y] and lam2[x2, y] both sit at i % ny == y
        lb_off.assign(ny + 1, 0);
        for (int y = 0; y < ny; ++y) {
            lb_ptr[y + 1] = lb_ptr[y] + cnt[y];
            lb_off[y + 1] = lb_off[y] + (int64_t)cnt[y] * cnt[y];
        }
        vglob.assign(lb_ptr[ny], -1);
        for (int i = 0; i < nv; ++i)
            if (vloc[i] >= 0) vglob[lb_ptr[i % ny] + vloc[i]] = i;
        cl1.resize(nc);
        cl2.resize(nc);
        for (int64_t k = 0; k < m; ++k)
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) {
                cl1[j] = vloc[(size_t)P.px1[k] * ny + P.cy[j]];
                cl2[j] = vloc[off2 + (size_t)P.px2[k] * ny + P.cy[j]];
            }
    }

    bool factor(double prox) {
        // diagonal of H on the kept unknowns (for the regularization's scale, like the Schur path)
        double tr = 0;
        for (int64_t k = 0; k < m; ++k)
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) {
                const double h = s_[k] * Pc_[j] + coef[k] * Pc_[j] * Pc_[j];
                tr += h * ((cl1[j] >= 0) + (cl2[j] >= 0));
            }
        const int nkeep = (int)lb_ptr[ny];
        mean_diag = tr / std::max(nkeep, 1);
        delta_ = prox * mean_diag;
        LD.assign((size_t)lb_off[ny], 0.0);
        std::vector<char> ok(ny, 1);
        pfor(par, nt, 0, ny, [&](int64_t y_) {
            const int y = (int)y_;
            const int ky = (int)(lb_ptr[y + 1] - lb_ptr[y]);
            if (ky == 0) return;
            double* L = LD.data() + lb_off[y];
            for (int64_t t = P.ycptr[y]; t < P.ycptr[y + 1]; ++t) {
                const int64_t j = P.ycell[t];
                const double a = s_[P.cpair[j]] * Pc_[j];
                const int i1 = cl1[j], i2 = cl2[j];
                if (i1 >= 0) L[(size_t)i1 * ky + i1] += a;
                if (i2 >= 0) L[(size_t)i2 * ky + i2] += a;
                if (i1 >= 0 && i2 >= 0) L[(size_t)std::max(i1, i2) * ky + std::min(i1, i2)] += a;
            }
            for (int i = 0; i < ky; ++i) L[(size_t)i * ky + i] += reg(vglob[lb_ptr[y] + i]);
            ok[y] = small_chol(ky, L);
        });
        for (int y = 0; y < ny; ++y)
            if (!ok[y]) {
                if (g_debug) std::fprintf(stderr, "  label block chol failed (label %d, prox %.0e)\n", y, prox);
                return false;
            }
        // G = A^T D^{-1} A = sum over labels of X_y^T X_y, X_y = L_y^{-1} A_y (one column per cell)
        std::vector<double> G((size_t)m * m, 0.0), X;
        for (int y = 0; y < ny; ++y) {
            if (interrupted()) return false;
            const int ky = (int)(lb_ptr[y + 1] - lb_ptr[y]);
            const int64_t c0 = P.ycptr[y], my = P.ycptr[y + 1] - c0;
            if (ky == 0 || my == 0) continue;
            const double* L = LD.data() + lb_off[y];
            X.assign((size_t)my * ky, 0.0);
            for (int64_t t = 0; t < my; ++t) {
                const int64_t j = P.ycell[c0 + t];
                double* col = X.data() + (size_t)t * ky;
                if (cl1[j] >= 0) col[cl1[j]] += Pc_[j];
                if (cl2[j] >= 0) col[cl2[j]] += Pc_[j];
                small_fwd(ky, L, col);
            }
            for (int64_t a = 0; a < my; ++a) {
                const double* xa = X.data() + (size_t)a * ky;
                const int64_t ka = P.cpair[P.ycell[c0 + a]];
                for (int64_t b = 0; b <= a; ++b) {
                    const double* xb = X.data() + (size_t)b * ky;
                    double d = 0;
                    for (int i = 0; i < ky; ++i) d += xa[i] * xb[i];
                    const int64_t kb = P.cpair[P.ycell[c0 + b]];
                    G[(size_t)ka * m + kb] += d;
                    if (ka != kb) G[(size_t)kb * m + ka] += d;
                }
            }
        }
        // capacitance K = I + G C, LU with partial pivoting (C = diag(coef) may have entries of
        // either sign, so K is not symmetric positive definite in general)
        LU.resize((size_t)m * m);
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < m; ++j) LU[(size_t)i * m + j] = (i == j) + G[(size_t)i * m + j] * coef[j];
        piv.resize(m);
        for (int64_t c = 0; c < m; ++c) {
            if (c % 64 == 0 && interrupted()) return false;
            int64_t best = c;
            double bv = std::fabs(LU[(size_t)c * m + c]);
            for (int64_t r = c + 1; r < m; ++r)
                if (std::fabs(LU[(size_t)r * m + c]) > bv) { bv = std::fabs(LU[(size_t)r * m + c]); best = r; }
            if (!(bv > 0) || !std::isfinite(bv)) {
                if (g_debug) std::fprintf(stderr, "  capacitance LU failed (column %lld)\n", (long long)c);
                return false;
            }
            piv[c] = (int)best;
            if (best != c)
                for (int64_t j = 0; j < m; ++j) std::swap(LU[(size_t)c * m + j], LU[(size_t)best * m + j]);
            const double inv = 1.0 / LU[(size_t)c * m + c];
            for (int64_t r = c + 1; r < m; ++r) {
                const double f = LU[(size_t)r * m + c] * inv;
                LU[(size_t)r * m + c] = f;
                if (f != 0.0)
                    for (int64_t j = c + 1; j < m; ++j) LU[(size_t)r * m + j] -= f * LU[(size_t)c * m + j];
            }
        }
        return true;
    }

    // x <- D^{-1} x on the kept unknowns (x is global; other entries are set to 0)
    void label_solve(double* x) {
        std::vector<double>& loc = wlab;
        const int off2 = P.n1 * ny;
        int widest = 0;
        for (int y = 0; y < ny; ++y) widest = std::max(widest, (int)(lb_ptr[y + 1] - lb_ptr[y]));
        loc.resize(widest);
        for (int i = 0; i < nv; ++i)
            if (!P.kept[i]) x[i] = 0.0;
        // the kept unknowns of label y: lam1[x1, y] then lam2[x2, y], in vloc order
        for (int y = 0; y < ny; ++y) {
            const int ky = (int)(lb_ptr[y + 1] - lb_ptr[y]);
            if (ky == 0) continue;
            int t = 0;
            for (int v = 0; v < P.n1 + P.n2; ++v) {
                const size_t i = v < P.n1 ? (size_t)v * ny + y : off2 + (size_t)(v - P.n1) * ny + y;
                if (P.kept[i]) loc[t++] = x[i];
            }
            const double* L = LD.data() + lb_off[y];
            small_fwd(ky, L, loc.data());
            small_bwd(ky, L, loc.data());
            t = 0;
            for (int v = 0; v < P.n1 + P.n2; ++v) {
                const size_t i = v < P.n1 ? (size_t)v * ny + y : off2 + (size_t)(v - P.n1) * ny + y;
                if (P.kept[i]) x[i] = loc[t++];
            }
        }
    }

    // (D + A C A^T)^{-1} r = u - D^{-1} A C t,  u = D^{-1} r,  (I + G C) t = A^T u
    void solve_once(const double* rhs, double* dx) {
        std::vector<double>& u = wu;
        std::vector<double>& b = wb;
        u.assign(rhs, rhs + nv);
        label_solve(u.data());
        std::vector<double> t(m);
        jgather(u.data(), Pc_, t.data());
        for (int64_t c = 0; c < m; ++c) std::swap(t[c], t[piv[c]]);
        for (int64_t r = 0; r < m; ++r)
            for (int64_t j = 0; j < r; ++j) t[r] -= LU[(size_t)r * m + j] * t[j];
        for (int64_t r = m - 1; r >= 0; --r) {
            for (int64_t j = r + 1; j < m; ++j) t[r] -= LU[(size_t)r * m + j] * t[j];
            t[r] /= LU[(size_t)r * m + r];
        }
        std::vector<double>& W = wHW;
        W.resize(nc);
        for (int64_t k = 0; k < m; ++k) {
            const double ct = coef[k] * t[k];
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) W[j] = Pc_[j] * ct;
        }
        b.resize(nv);
        scatter(W.data(), b.data());
        label_solve(b.data());
        for (int i = 0; i < nv; ++i) dx[i] = P.kept[i] ? u[i] - b[i] : 0.0;
    }

    // the Woodbury solve loses digits when C is far from I; two steps of iterative refinement on
    // the matrix-free product restore them (each costs a pass over the cells)
    void solve(const double* rhs, double* dx) {
        solve_once(rhs, dx);
        std::vector<double> r(nv), Hx(nv), corr(nv);
        for (int step = 0; step < 2; ++step) {
            hmul(dx, Hx.data());
            for (int i = 0; i < nv; ++i) r[i] = P.kept[i] ? rhs[i] - Hx[i] : 0.0;
            solve_once(r.data(), corr.data());
            for (int i = 0; i < nv; ++i) dx[i] += corr[i];
        }
    }
};

}  // namespace pidkit_native
