// One BROJA program in pair-major form: the marginals c, the pairs (x1, x2) with their cells, and the
// layouts derived from them (Schur sides, gauge pins, cells by label); the solver's result.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace pidkit_native {

// ------------------------------------------------------------------------------------------
// Problem
// ------------------------------------------------------------------------------------------
struct Problem {
    int n1 = 0, n2 = 0, ny = 0;
    int64_t m = 0, nc = 0;
    std::vector<double> c;        // nv: (a, b)
    std::vector<char> supp;       // nv
    std::vector<int> px1, px2;    // m
    std::vector<int64_t> ptr;     // m+1
    std::vector<int> cy;          // nc
    std::vector<int> cpair;       // nc
    // Schur layout: side A (eliminated, the larger) and side B (kept)
    bool a_is_1 = true;
    int nA = 0, nB = 0, offA = 0, offB = 0;
    std::vector<int> pu, pv;                  // A node / B node of each pair
    std::vector<int64_t> Aptr, Alist, Bptr, Blist;
    std::vector<int> sidx;                    // nB*ny: S index or -1 (off-support or gauge pin)
    std::vector<char> kept;                   // nv: unknown of the Newton system (on the support, not pinned)
    std::vector<int> gauge_var;               // pinned variables (global index)
    int NS = 0;
    std::vector<int64_t> ycptr, ycell;        // cells grouped by label
    int nv() const { return (n1 + n2) * ny; }

    void finish() {
        const int nvv = nv();
        supp.assign(nvv, 0);
        for (int i = 0; i < nvv; ++i) supp[i] = c[i] > 0.0;
        cpair.resize(nc);
        for (int64_t k = 0; k < m; ++k)
            for (int64_t j = ptr[k]; j < ptr[k + 1]; ++j) cpair[j] = (int)k;
        // Eliminate x1 and keep x2 (the order of the NumPy twin, which pins lam2) unless the x2 side
        // is large and the x1 side smaller: then the Schur complement goes onto x1 (cost ~ size^3).
        a_is_1 = n1 >= n2 || (int64_t)n2 * ny <= 512;
        nA = a_is_1 ? n1 : n2;
        nB = a_is_1 ? n2 : n1;
        offA = a_is_1 ? 0 : n1 * ny;
        offB = a_is_1 ? n1 * ny : 0;
        pu.resize(m);
        pv.resize(m);
        for (int64_t k = 0; k < m; ++k) {
            pu[k] = a_is_1 ? px1[k] : px2[k];
            pv[k] = a_is_1 ? px2[k] : px1[k];
        }
        auto build = [&](int n, const std::vector<int>& node, std::vector<int64_t>& P, std::vector<int64_t>& L) {
            P.assign(n + 1, 0);
            for (int64_t k = 0; k < m; ++k) P[node[k] + 1]++;
            for (int i = 0; i < n; ++i) P[i + 1] += P[i];
            L.resize(m);
            std::vector<int64_t> pos(P.begin(), P.end() - 1);
            for (int64_t k = 0; k < m; ++k) L[pos[node[k]]++] = k;
        };
        build(nA, pu, Aptr, Alist);
        build(nB, pv, Bptr, Blist);
        // gauge: pin, per label, the B-side variable with the largest marginal
        sidx.assign((size_t)nB * ny, -1);
        std::vector<char> pinned((size_t)nB * ny, 0);
        gauge_var.clear();
        for (int y = 0; y < ny; ++y) {
            int best = -1;
            double bv = 0.0;
            for (int v = 0; v < nB; ++v) {
                const double cv = c[offB + v * ny + y];
                if (cv > bv) { bv = cv; best = v; }
            }
            if (best >= 0) {
                pinned[(size_t)best * ny + y] = 1;
                gauge_var.push_back(offB + best * ny + y);
            }
        }
        NS = 0;
        for (int v = 0; v < nB; ++v)
            for (int y = 0; y < ny; ++y)
                if (supp[offB + v * ny + y] && !pinned[(size_t)v * ny + y]) sidx[(size_t)v * ny + y] = NS++;
        kept.assign(supp.begin(), supp.end());
        for (int g : gauge_var) kept[g] = 0;
        // cells by label
        ycptr.assign(ny + 1, 0);
        for (int64_t j = 0; j < nc; ++j) ycptr[cy[j] + 1]++;
        for (int y = 0; y < ny; ++y) ycptr[y + 1] += ycptr[y];
        ycell.resize(nc);
        std::vector<int64_t> pos(ycptr.begin(), ycptr.end() - 1);
        for (int64_t j = 0; j < nc; ++j) ycell[pos[cy[j]]++] = j;
    }
};


struct Result {
    std::vector<double> lam, q;
    double primal = 0, dual = 0, gap = std::numeric_limits<double>::infinity(), mu = 0, viol = 0;
    int iterations = 0;
    int f32_factorizations = 0;  // Newton systems solved with a single-precision Schur complement
    bool converged = false;
    std::string status = "max_iter";
};

// ------------------------------------------------------------------------------------------
// Support from a dense table (for ipm_solve_many)
// ------------------------------------------------------------------------------------------
// returns true and f(p) in *ftriv when the feasible set is {p}
bool build_from_table(const double* p, int n1, int n2, int ny, Problem& pr, double* ftriv) {
    pr.n1 = n1;
    pr.n2 = n2;
    pr.ny = ny;
    const int nvv = (n1 + n2) * ny;
    pr.c.assign(nvv, 0.0);
    double* a = pr.c.data();
    double* b = pr.c.data() + n1 * ny;
    std::vector<double> py(ny, 0.0), p1(n1, 0.0), p2(n2, 0.0);
    for (int i = 0; i < n1; ++i)
        for (int j = 0; j < n2; ++j)
            for (int y = 0; y < ny; ++y) {
                const double v = p[((size_t)i * n2 + j) * ny + y];
                a[i * ny + y] += v;
                b[j * ny + y] += v;
                py[y] += v;
                p1[i] += v;
                p2[j] += v;
            }
    int cy_ = 0, c1 = 0, c2 = 0;
    for (double v : py) cy_ += v > 0;
    for (double v : p1) c1 += v > 0;
    for (double v : p2) c2 += v > 0;
    if (std::min(cy_, std::min(c1, c2)) <= 1) {
        long double F = 0;
        for (int i = 0; i < n1; ++i)
            for (int j = 0; j < n2; ++j) {
                double sij = 0;
                for (int y = 0; y < ny; ++y) sij += p[((size_t)i * n2 + j) * ny + y];
                if (!(sij > 0)) continue;
                const double ls = std::log(sij);
                for (int y = 0; y < ny; ++y) {
                    const double v = p[((size_t)i * n2 + j) * ny + y];
                    if (v > 0) F += (long double)v * (std::log(v) - ls);
                }
            }
        *ftriv = (double)F;
        return true;
    }
    pr.px1.clear();
    pr.px2.clear();
    pr.cy.clear();
    pr.ptr.assign(1, 0);
    for (int i = 0; i < n1; ++i)
        for (int j = 0; j < n2; ++j) {
            const size_t before = pr.cy.size();
            for (int y = 0; y < ny; ++y)
                if (a[i * ny + y] > 0 && b[j * ny + y] > 0) pr.cy.push_back(y);
            if (pr.cy.size() > before) {
                pr.px1.push_back(i);
                pr.px2.push_back(j);
                pr.ptr.push_back((int64_t)pr.cy.size());
            }
        }
    pr.m = (int64_t)pr.px1.size();
    pr.nc = (int64_t)pr.cy.size();
    pr.finish();
    return false;
}

}  // namespace pidkit_native
