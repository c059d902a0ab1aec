// Elimination over pairs' nodes: side A (x1, or x2 when that side is much larger) is block diagonal
// (ny x ny node blocks, a small Cholesky each); the Schur complement S = H_BB - H_BA H_AA^-1 H_AB on
// side B's kept unknowns (one lam pinned per label for the gauge) is accumulated with dsyrk (row
// chunks of X = L_A^-1 H_AB) or, for small S, with per-node outer products, and factored by a
// blocked Cholesky (dpotrf on 256-blocks + dtrsm + dsyrk). Large dense S are first built and
// factored in single precision and the Newton systems solved by PCG on the full matrix,
// preconditioned with that factorization, while it stays accurate (mixed precision).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <type_traits>
#include <vector>

#include "newton.hpp"

namespace pidkit_native {

// Mixed precision (Schur complements of at least kF32MinNS unknowns, dense update): the early Newton
// systems are solved by PCG on the full system, preconditioned with a single-precision Schur
// factorization, to a relative residual kPcgTol. More than kPcgSwitch PCG steps (conditioning grows
// like 1/mu), a failed single-precision Cholesky, or no convergence in kPcgMaxIter steps: double
// precision from then on; below kPcgSwitchNS unknowns already after kPcgSwitchSmall steps, where a
// double-precision factorization is cheap next to the PCG steps it saves.
// Tuned on benchmarks/bench_exact.py, see docs/dev-notes.md#_nativecpp.
constexpr int kF32MinNS = 500;
constexpr double kPcgTol = 1e-8;
constexpr int kPcgMaxIter = 12;
constexpr int kPcgSwitch = 6;
constexpr int kPcgSwitchSmall = 2;
constexpr int kPcgSwitchNS = 5000;
// flops of a sparse Schur update from which it uses threads (bench_exact.py, docs/dev-notes.md#_nativecpp)
constexpr double kSparseParWork = 2e8;

struct PairElimination : NewtonBase {
    bool use_blas;
    std::vector<double> LA;          // nA * ny * ny (row-major lower blocks)
    std::vector<double> wpr, wpz, wpp, wpAp;  // PCG scratch
    int pcg_last = 0;
    int n_f32 = 0;                   // Newton systems solved with the single-precision factorization
    std::vector<double> S;           // NS * NS column-major lower
    std::vector<float> S32;          // ... in single precision (then the solves are refined by PCG)
    bool f32 = false;                // the current factorization is the single-precision one
    bool f32_ok = false;             // single precision still accurate enough to try (conditioning only grows)
    std::vector<char> okv;
    std::vector<double> wDB, wdA, wdB;
    std::vector<int> wncolu;
    mutable std::vector<double> wh, wrS;
    double T_xbuild = 0;             // seconds building X (PIDKIT_NATIVE_DEBUG=2)

    PairElimination(const Cells& cells, Linearization& lin, bool blas)
        : NewtonBase(cells, lin), use_blas(blas && g_potrf && g_syrk && g_trsm), f32_ok(cells.P.NS >= kF32MinNS) {}

    // blocks H_AA[u] (or H_BB[v]) as ny x ny row-major; off-support diagonal 1
    void node_block(int side, int u, const double* s, const double* Pc, double* blk) const {
        std::fill(blk, blk + (size_t)ny * ny, 0.0);
        const auto& Pp = side == 0 ? P.Aptr : P.Bptr;
        const auto& Pl = side == 0 ? P.Alist : P.Blist;
        for (int64_t t = Pp[u]; t < Pp[u + 1]; ++t) {
            const int64_t k = Pl[t];
            const double ck = coef[k], sk = s[k];
            const int64_t b0 = P.ptr[k], b1 = P.ptr[k + 1];
            for (int64_t i = b0; i < b1; ++i) {
                const double pi = Pc[i];
                const int yi = P.cy[i];
                double* row = blk + (size_t)yi * ny;
                const double f = ck * pi;
                for (int64_t j = b0; j <= i; ++j) row[P.cy[j]] += f * Pc[j];
                row[yi] += sk * pi;
            }
        }
        const int off = side == 0 ? P.offA : P.offB;
        for (int y = 0; y < ny; ++y)
            if (!P.supp[off + (size_t)u * ny + y]) blk[(size_t)y * ny + y] = 1.0;
    }

    // B_k column j (cell index within the pair) value at cell l
    inline double Bkv(int64_t k, int64_t l, int64_t j) const {
        double v = coef[k] * Pc_[l] * Pc_[j];
        if (l == j) v += s_[k] * Pc_[j];
        return v;
    }

    // Assemble and factor H + delta I + D (Schur form). Returns false if a factorization fails.
    // want_f32: build and factor a dense Schur complement in single precision (solves then go through
    // solve_refined).
    bool factor(double prox, bool want_f32) {
        const double* s = s_;
        const double* Pc = Pc_;
        const int nA = P.nA, nB = P.nB, NS = P.NS;
        const size_t bs = (size_t)ny * ny;
        LA.resize((size_t)nA * bs);
        std::vector<double>& DB = wDB;
        std::vector<double>& dA = wdA;
        std::vector<double>& dB = wdB;
        DB.resize((size_t)nB * bs);
        dA.resize((size_t)nA * ny);
        dB.resize((size_t)nB * ny);
        double trA = 0, trB = 0;
        pfor(par, nt, 0, nA, [&](int64_t u_) {
            const int u = (int)u_;
            double* blk = LA.data() + (size_t)u * bs;
            node_block(0, u, s, Pc, blk);
            for (int y = 0; y < ny; ++y) dA[(size_t)u * ny + y] = blk[(size_t)y * ny + y];
        });
        pfor(par, nt, 0, nB, [&](int64_t v_) {
            const int v = (int)v_;
            double* blk = DB.data() + (size_t)v * bs;
            node_block(1, v, s, Pc, blk);
            for (int y = 0; y < ny; ++y) dB[(size_t)v * ny + y] = blk[(size_t)y * ny + y];
        });
        for (size_t i = 0; i < dA.size(); ++i) trA += dA[i];
        for (size_t i = 0; i < dB.size(); ++i)
            if (P.sidx[i] >= 0 || !P.supp[P.offB + i]) trB += dB[i];
        const int nkeep = nv - (int)P.gauge_var.size();
        mean_diag = (trA + trB) / std::max(nkeep, 1);
        const double delta = prox * mean_diag;
        delta_ = delta;
        f32 = false;
        okv.assign(nA, 1);
        pfor(par, nt, 0, nA, [&](int64_t u_) {
            const int u = (int)u_;
            double* blk = LA.data() + (size_t)u * bs;
            for (int y = 0; y < ny; ++y)
                if (P.supp[P.offA + (size_t)u * ny + y]) blk[(size_t)y * ny + y] += reg(P.offA + (size_t)u * ny + y);
            okv[u] = small_chol(ny, blk);
        });
        for (int u = 0; u < nA; ++u)
            if (!okv[u]) {
                if (g_debug) std::fprintf(stderr, "  block chol failed (node %d, prox %.0e)\n", u, prox);
                return false;
            }
        // every pair couples (dropping weak couplings was tried: it perturbs the small-curvature
        // directions and stalls the method)
        // Schur complement S = H_BB(kept) - sum_u X_u^T X_u, X_u = L_u^{-1} H_AB[u, :]
        const double tt0 = g_debug > 1 ? now_s() : 0.0;
        if (NS > 0) {
            // cost model: dense syrk vs per-node outer products
            std::vector<int>& ncolu = wncolu;
            ncolu.assign(nA, 0);
            double sparse_cost = 0;
            for (int u = 0; u < nA; ++u) {
                int cnt = 0;
                for (int64_t t = P.Aptr[u]; t < P.Aptr[u + 1]; ++t) {
                    const int64_t k = P.Alist[t];
                    for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j)
                        cnt += P.sidx[(size_t)P.pv[k] * ny + P.cy[j]] >= 0;
                }
                ncolu[u] = cnt;
                sparse_cost += 0.5 * (double)cnt * cnt * ny;
            }
            const double dense_cost = 0.5 * (double)NS * NS * nA * ny;
            const bool sp = NS < 64 || 6.0 * sparse_cost < dense_cost;
            f32 = want_f32 && !sp && use_blas && g_spotrf && g_ssyrk && g_strsm;
            // only one of S, S32 lives at a time (peak memory of the large tables)
            if (f32) {
                std::vector<double>().swap(S);
                S32.assign((size_t)NS * NS, 0.0f);
                fill_hbb(S32.data(), DB);
                schur_dense(S32.data());
            } else {
                std::vector<float>().swap(S32);
                S.assign((size_t)NS * NS, 0.0);
                fill_hbb(S.data(), DB);
                if (sp)
                    schur_sparse(ncolu, sparse_cost);
                else
                    schur_dense(S.data());
            }
            const double tt1 = g_debug > 1 ? now_s() : 0.0;
            if (interrupted()) return false;
            int info = 0;
            if (f32) {
                info = chol_blas(NS, S32.data(), NS, g_spotrf, g_strsm, g_ssyrk);
            } else if (use_blas && NS >= 64) {
                info = chol_blas(NS, S.data(), NS, g_potrf, g_trsm, g_syrk);
            } else {
                info = chol_blocked(NS, S.data(), NS, nt);
            }
            const double tt2 = g_debug > 1 ? now_s() : 0.0;
            if (g_debug > 1)
                std::fprintf(stderr, "factor NS=%d pairs=%lld %s%s schur %.4fs chol %.4fs\n", NS, (long long)m,
                             sp ? "sparse" : "dense", f32 ? " f32" : "", tt1 - tt0, tt2 - tt1);
            if (info != 0) {
                if (g_debug) std::fprintf(stderr, "  Schur chol failed (pivot %d of %d, prox %.0e)\n", info, NS, prox);
                return false;
            }
        }
        return true;
    }

    // S(kept) <- H_BB(kept) + delta I + D (lower triangle)
    template <class T>
    void fill_hbb(T* Sm, const std::vector<double>& DB) const {
        const int NS = P.NS;
        const size_t bs = (size_t)ny * ny;
        for (int v = 0; v < P.nB; ++v) {
            const double* blk = DB.data() + (size_t)v * bs;
            for (int y = 0; y < ny; ++y) {
                const int i = P.sidx[(size_t)v * ny + y];
                if (i < 0) continue;
                for (int y2 = 0; y2 <= y; ++y2) {
                    const int j = P.sidx[(size_t)v * ny + y2];
                    if (j < 0) continue;
                    // i >= j since sidx increases with y inside a node
                    Sm[(size_t)i + (size_t)j * NS] += (T)blk[(size_t)y * ny + y2];
                }
                Sm[(size_t)i + (size_t)i * NS] += (T)reg(P.offB + (size_t)v * ny + y);
            }
        }
    }

    // Sm -= X^T X by row chunks of X = L_A^{-1} H_AB (computed in double, stored in Sm's precision)
    template <class T>
    void schur_dense(T* Sm) {
        const int NS = P.NS, nA = P.nA;
        const size_t bs = (size_t)ny * ny;
        int C = std::max(1, 256 / std::max(ny, 1));
        C = std::min(C, nA);
        const int R = C * ny;
        std::vector<T> Xt((size_t)NS * R);
        for (int u0 = 0; u0 < nA; u0 += C) {
            if (interrupted()) return;  // factor() checks the flag before the Cholesky
            const int u1 = std::min(nA, u0 + C);
            const int rows = (u1 - u0) * ny;
            const double tx0 = g_debug > 1 ? now_s() : 0.0;
            std::fill(Xt.begin(), Xt.begin() + (size_t)NS * rows, T(0));
            pfor(par, nt, u0, u1, [&](int64_t u_) {
                const int u = (int)u_;
                T* X0 = Xt.data() + (size_t)(u - u0) * ny * NS;
                // column of cell j of pair k: L_u^{-1} B_k e_j = q_j L_u^{-1} e_{y_j} + coef_k p_j L_u^{-1} p_k
                // (B_k = diag(q_k) + coef_k p_k p_k^T), from the explicit inverse of the small factor
                std::vector<double> Liv(bs), wv(ny);
                double *Li = Liv.data(), *w = wv.data();
                small_tri_inv(ny, LA.data() + (size_t)u * bs, Li);
                for (int64_t t = P.Aptr[u]; t < P.Aptr[u + 1]; ++t) {
                    const int64_t k = P.Alist[t];
                    const int v = P.pv[k];
                    const int64_t b0 = P.ptr[k], b1 = P.ptr[k + 1];
                    const double ck = coef[k], sk = s_[k];
                    std::fill(w, w + ny, 0.0);
                    for (int64_t j = b0; j < b1; ++j) {
                        const int yj = P.cy[j];
                        const double pj = Pc_[j];
                        for (int y = yj; y < ny; ++y) w[y] += Li[(size_t)y * ny + yj] * pj;
                    }
                    for (int y = 0; y < ny; ++y) {
                        T* ry = X0 + (size_t)y * NS;
                        const double cw = ck * w[y];
                        for (int64_t j = b0; j < b1; ++j) {
                            const int i = P.sidx[(size_t)v * ny + P.cy[j]];
                            if (i < 0) continue;
                            const int yj = P.cy[j];
                            ry[i] = (T)((y >= yj ? Li[(size_t)y * ny + yj] * sk * Pc_[j] : 0.0) + cw * Pc_[j]);
                        }
                    }
                }
            });
            if (g_debug > 1) T_xbuild += now_s() - tx0;
            if constexpr (std::is_same<T, float>::value) {
                char lo = 'L', tr = 'N';
                int n = NS, kk = rows, lda = NS, ldc = NS;
                float al = -1.0f, be = 1.0f;
                g_ssyrk(&lo, &tr, &n, &kk, &al, Xt.data(), &lda, &be, Sm, &ldc);
            } else if (use_blas) {
                char lo = 'L', tr = 'N';
                int n = NS, kk = rows, lda = NS, ldc = NS;
                double al = -1.0, be = 1.0;
                g_syrk(&lo, &tr, &n, &kk, &al, Xt.data(), &lda, &be, Sm, &ldc);
            } else {
#pragma omp parallel for num_threads(nt) schedule(dynamic, 8) if (nt > 1 && NS > 256)
                for (int j = 0; j < NS; ++j) {
                    T* cj = Sm + (size_t)j * NS;
                    for (int r = 0; r < rows; ++r) {
                        const T* xr = Xt.data() + (size_t)r * NS;
                        const double f = xr[j];
                        if (f == 0.0) continue;
                        for (int i = j; i < NS; ++i) cj[i] -= f * xr[i];
                    }
                }
            }
        }
    }

    void schur_sparse(const std::vector<int>& ncolu, double flops) {
        const int NS = P.NS, nA = P.nA;
        const size_t bs = (size_t)ny * ny;
        // split the columns of S among threads by (triangle) work, only when the work is large: a
        // parallel region right before the threaded Cholesky slows it (docs/dev-notes.md#_nativecpp)
        const int T = (nt > 1 && NS >= 512 && flops >= kSparseParWork) ? nt : 1;
        std::vector<int> bounds(T + 1, NS);
        bounds[0] = 0;
        {
            const double tot = 0.5 * (double)NS * NS;
            double acc = 0;
            int t = 1;
            for (int j = 0; j < NS && t < T; ++j) {
                acc += NS - j;
                if (acc >= tot * t / T) bounds[t++] = j + 1;
            }
        }
        auto work = [&](int tid) {
            const int jlo = bounds[tid], jhi = bounds[tid + 1];
            std::vector<double> Xc;   // ncol x ny (each column contiguous)
            std::vector<int> cols;
            for (int u = 0; u < nA; ++u) {
                const int nco = ncolu[u];
                if (nco == 0) continue;
                Xc.assign((size_t)nco * ny, 0.0);
                cols.resize(nco);
                int a = 0;
                for (int64_t t = P.Aptr[u]; t < P.Aptr[u + 1]; ++t) {
                    const int64_t k = P.Alist[t];
                    const int v = P.pv[k];
                    const int64_t b0 = P.ptr[k], b1 = P.ptr[k + 1];
                    for (int64_t j = b0; j < b1; ++j) {
                        const int i = P.sidx[(size_t)v * ny + P.cy[j]];
                        if (i < 0) continue;
                        cols[a] = i;
                        double* xc = Xc.data() + (size_t)a * ny;
                        for (int64_t l = b0; l < b1; ++l) xc[P.cy[l]] = Bkv(k, l, j);
                        ++a;
                    }
                }
                // skip quickly if no column of this node is in range
                bool any = false;
                for (int q = 0; q < nco && !any; ++q) any = cols[q] >= jlo && cols[q] < jhi;
                if (!any) continue;
                const double* L = LA.data() + (size_t)u * bs;
                for (int q = 0; q < nco; ++q) small_fwd(ny, L, Xc.data() + (size_t)q * ny);
                for (int q2 = 0; q2 < nco; ++q2) {
                    const int j = cols[q2];
                    if (j < jlo || j >= jhi) continue;
                    const double* x2 = Xc.data() + (size_t)q2 * ny;
                    double* cj = S.data() + (size_t)j * NS;
                    for (int q1 = 0; q1 < nco; ++q1) {
                        const int i = cols[q1];
                        if (i < j) continue;
                        const double* x1 = Xc.data() + (size_t)q1 * ny;
                        double acc = 0;
                        for (int y = 0; y < ny; ++y) acc += x1[y] * x2[y];
                        cj[i] -= acc;
                    }
                }
            }
        };
        if (T > 1) {
#pragma omp parallel num_threads(T)
            {
#ifdef _OPENMP
                work(omp_get_thread_num());
#else
                work(0);
#endif
            }
        } else {
            work(0);
        }
    }

    // Solve (H + delta I + D) dx = rhs with the current factorization. rhs is not modified.
    void solve(const double* rhs, double* dx) {
        const int nA = P.nA, nB = P.nB, NS = P.NS;
        const size_t bs = (size_t)ny * ny;
        std::vector<double>& h = wh;
        h.resize((size_t)nA * ny);
        pfor(par, nt, 0, nA, [&](int64_t u_) {
            const int u = (int)u_;
            double* hu = h.data() + (size_t)u * ny;
            const double* r = rhs + P.offA + (size_t)u * ny;
            for (int y = 0; y < ny; ++y) hu[y] = P.supp[P.offA + (size_t)u * ny + y] ? r[y] : 0.0;
            const double* L = LA.data() + (size_t)u * bs;
            small_fwd(ny, L, hu);
            small_bwd(ny, L, hu);
        });
        std::vector<double>& rS = wrS;
        rS.resize(NS);
        pfor(par, nt, 0, nB, [&](int64_t v_) {
            const int v = (int)v_;
            for (int y = 0; y < ny; ++y) {
                const int i = P.sidx[(size_t)v * ny + y];
                if (i >= 0) rS[i] = rhs[P.offB + (size_t)v * ny + y];
            }
            for (int64_t t = P.Bptr[v]; t < P.Bptr[v + 1]; ++t) {
                const int64_t k = P.Blist[t];
                const double* hu = h.data() + (size_t)P.pu[k] * ny;
                const int64_t b0 = P.ptr[k], b1 = P.ptr[k + 1];
                double ph = 0;
                for (int64_t j = b0; j < b1; ++j) ph += Pc_[j] * hu[P.cy[j]];
                for (int64_t j = b0; j < b1; ++j) {
                    const int i = P.sidx[(size_t)v * ny + P.cy[j]];
                    if (i < 0) continue;
                    rS[i] -= coef[k] * Pc_[j] * ph + s_[k] * Pc_[j] * hu[P.cy[j]];
                }
            }
        });
        if (NS > 0) {
            if (f32)
                chol_solve_own(NS, S32.data(), NS, rS.data());
            else
                chol_solve_own(NS, S.data(), NS, rS.data());
        }
        std::fill(dx, dx + nv, 0.0);
        for (int v = 0; v < nB; ++v)
            for (int y = 0; y < ny; ++y) {
                const int i = P.sidx[(size_t)v * ny + y];
                if (i >= 0) dx[P.offB + (size_t)v * ny + y] = rS[i];
            }
        pfor(par, nt, 0, nA, [&](int64_t u_) {
            const int u = (int)u_;
            double* t = dx + P.offA + (size_t)u * ny;
            for (int y = 0; y < ny; ++y) t[y] = P.supp[P.offA + (size_t)u * ny + y] ? rhs[P.offA + (size_t)u * ny + y] : 0.0;
            for (int64_t tt = P.Aptr[u]; tt < P.Aptr[u + 1]; ++tt) {
                const int64_t k = P.Alist[tt];
                const double* db = dx + P.offB + (size_t)P.pv[k] * ny;
                const int64_t b0 = P.ptr[k], b1 = P.ptr[k + 1];
                double pd = 0;
                for (int64_t j = b0; j < b1; ++j) pd += Pc_[j] * db[P.cy[j]];
                for (int64_t j = b0; j < b1; ++j)
                    t[P.cy[j]] -= coef[k] * Pc_[j] * pd + s_[k] * Pc_[j] * db[P.cy[j]];
            }
            const double* L = LA.data() + (size_t)u * bs;
            small_fwd(ny, L, t);
            small_bwd(ny, L, t);
            for (int y = 0; y < ny; ++y)
                if (!P.supp[P.offA + (size_t)u * ny + y]) t[y] = 0.0;
        });
    }

    // Solve (H + delta I + D) dx = rhs. With a single-precision Schur complement, by conjugate gradients
    // preconditioned with that factorization (a few iterations while it is accurate); false when
    // they do not reach kPcgTol within kPcgMaxIter (the caller then factors in double precision).
    bool solve_refined(const double* rhs, double* dx) {
        if (!f32) {
            solve(rhs, dx);
            return true;
        }
        std::vector<double>&r = wpr, &zz = wpz, &p = wpp, &Ap = wpAp;
        r.resize(nv);
        zz.resize(nv);
        p.resize(nv);
        Ap.resize(nv);
        double bn = 0;
        for (int i = 0; i < nv; ++i) {
            r[i] = P.kept[i] ? rhs[i] : 0.0;
            bn += r[i] * r[i];
        }
        std::fill(dx, dx + nv, 0.0);
        if (bn == 0) return true;
        solve(r.data(), zz.data());
        p = zz;
        double rz = 0;
        for (int i = 0; i < nv; ++i) rz += r[i] * zz[i];
        for (int itc = 1; itc <= kPcgMaxIter; ++itc) {
            hmul(p.data(), Ap.data());
            double pAp = 0;
            for (int i = 0; i < nv; ++i) pAp += p[i] * Ap[i];
            if (!(pAp > 0) || !std::isfinite(rz)) break;
            const double a = rz / pAp;
            double rn = 0;
            for (int i = 0; i < nv; ++i) {
                dx[i] += a * p[i];
                r[i] -= a * Ap[i];
                rn += r[i] * r[i];
            }
            pcg_last = itc;
            if (rn <= kPcgTol * kPcgTol * bn) return true;
            solve(r.data(), zz.data());
            double rz2 = 0;
            for (int i = 0; i < nv; ++i) rz2 += r[i] * zz[i];
            const double beta = rz2 / rz;
            rz = rz2;
            for (int i = 0; i < nv; ++i) p[i] = zz[i] + beta * p[i];
        }
        if (g_debug) std::fprintf(stderr, "  single-precision PCG did not converge in %d iterations\n", kPcgMaxIter);
        return false;
    }

    // Tables whose dense Schur complement is large (>= 32 MB in double precision) keep the peak memory
    // down: S and the cell-sized scratch vectors are given back between uses (one allocation per
    // iteration, negligible next to a factorization of that size).
    bool large() const { return P.NS >= 2000; }
    void release() {
        std::vector<double>().swap(S);
        std::vector<float>().swap(S32);
        std::vector<double>().swap(wHW);
    }
};

}  // namespace pidkit_native
