// pidkit.kernels._native — compiled exact solver of the BROJA program.
//
// Primal-dual interior-point method (Mehrotra predictor-corrector) on the dual
//     max c.lam   s.t.  g_k(lam) = LSE_{y in Y(k)} (lam1[x1,y] + lam2[x2,y]) <= 0   (pairs k)
// with multipliers s_k (= q(x1,x2) at the optimum) and slacks z_k = -g_k. Same algorithm,
// safeguards and certificate as the NumPy twin (pidkit/kernels/ipm.py); the Newton system
//     H dlam = r,  H = sum_k M_k^T [ s_k diag(p_k) + (s_k/z_k - s_k) p_k p_k^T ] M_k
// is solved by a Schur complement: side A (x1, or x2 when that side is much larger) is block
// diagonal (ny x ny blocks, small Cholesky each), S = H_BB - H_BA H_AA^{-1} H_AB (one lam of the
// kept side pinned per label for the gauge) is accumulated with dsyrk (row chunks of X = L_A^{-1}
// H_AB) or, for small S, with per-node outer products, and factored by a blocked Cholesky (dpotrf
// on 256-blocks + dtrsm + dsyrk; faster than one threaded dpotrf on shared cores). Large dense S are
// first built and factored in single precision (ssyrk, spotrf), the Newton systems then solved by
// PCG on the full H preconditioned with that factorization, until the conditioning (~1/mu) makes
// it fail (see kF32MinNS). The BLAS/LAPACK routines are SciPy's, handed over as PyCapsules by
// set_blas(); without them the module uses its own routines (double precision only).
// PIDKIT_NATIVE_DEBUG=1 (or 2) prints the iterations (and factorization timings).
//
// Certificate (decides termination): the dual point is polished to exact feasibility (row and
// column shifts, coordinate push, safety margin) and the primal point q = s_k p_k is rounded to
// exact feasibility (Altschuler-Weed-Rigollet, per label). gap = f(q) - c.lam bounds the error.

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nb = nanobind;

namespace {

// ------------------------------------------------------------------------------------------
// BLAS / LAPACK (Fortran convention, 32-bit ints), set by set_blas()
// ------------------------------------------------------------------------------------------
int g_debug = std::getenv("PIDKIT_NATIVE_DEBUG") ? std::atoi(std::getenv("PIDKIT_NATIVE_DEBUG")) : 0;
typedef void (*potrf_t)(char*, int*, double*, int*, int*);
typedef void (*potrs_t)(char*, int*, int*, double*, int*, double*, int*, int*);
typedef void (*syrk_t)(char*, char*, int*, int*, double*, double*, int*, double*, double*, int*);
typedef void (*trsm_t)(char*, char*, char*, char*, int*, int*, double*, double*, int*, double*, int*);
typedef void (*gemm_t)(char*, char*, int*, int*, int*, double*, double*, int*, double*, int*, double*,
                       double*, int*);

// single precision, for the mixed-precision factorization of large Schur complements (optional)
typedef void (*spotrf_t)(char*, int*, float*, int*, int*);
typedef void (*ssyrk_t)(char*, char*, int*, int*, float*, float*, int*, float*, float*, int*);
typedef void (*strsm_t)(char*, char*, char*, char*, int*, int*, float*, float*, int*, float*, int*);
spotrf_t g_spotrf = nullptr;
ssyrk_t g_ssyrk = nullptr;
strsm_t g_strsm = nullptr;

potrf_t g_potrf = nullptr;
potrs_t g_potrs = nullptr;
syrk_t g_syrk = nullptr;
trsm_t g_trsm = nullptr;
gemm_t g_gemm = nullptr;

constexpr double kTau = 0.995;       // fraction to the boundary
constexpr double kRpCap = 1.0;       // step safeguard on the constraint violation (nats)
constexpr double kRdGrowth = 10.0;   // ... and on the growth of the marginal residual
constexpr int kRdTries = 20;
constexpr int kMaxHalvings = 40;
constexpr double kProxLadder[4] = {0.0, 1e-10, 1e-8, 1e-6};
constexpr double kGoodStep = 0.1;
// Mixed precision (Schur complements of at least kF32MinNS unknowns, dense update): the early Newton
// systems are solved by PCG on the full system, preconditioned with a single-precision Schur
// factorization, to a relative residual kPcgTol. More than kPcgSwitch PCG steps (conditioning grows
// like 1/mu), a failed single-precision Cholesky, or no convergence in kPcgMaxIter steps: double
// precision from then on; below kPcgSwitchNS unknowns already after kPcgSwitchSmall steps, where a
// double-precision factorization is cheap next to the PCG steps it saves.
// Tuned on benchmarks/bench_exact.py, see docs/dev-notes.md#_nativecpp.
constexpr int kF32MinNS = 500;
// push_coordinates sums a pair's other cells exactly up to this many cells, and from a running sum
// beyond (pairs with thousands of labels)
constexpr int64_t kExactRestCells = 64;
// the label elimination runs plain loops, the pair elimination BLAS-3: it is chosen when its flop
// estimate is this many times smaller (docs/dev-notes.md#elimination-by-label-issue-16)
constexpr double kLabelFlopPenalty = 4.0;
constexpr double kPcgTol = 1e-8;
constexpr int kPcgMaxIter = 12;
constexpr int kPcgSwitch = 6;
constexpr int kPcgSwitchSmall = 2;
constexpr int kPcgSwitchNS = 5000;
// flops of a sparse Schur update from which it uses threads (bench_exact.py, docs/dev-notes.md#_nativecpp)
constexpr double kSparseParWork = 2e8;
constexpr double kSafetyTop = -1e-14;  // the polished dual keeps every computed g_k below this
constexpr double kSafetyShift = 2e-14;



// Parallel loop over [lo, hi) only when asked: no OpenMP runtime call at all otherwise (the tiny
// problems of ipm_solve_many run these loops millions of times).
template <class F>
inline void pfor(bool par, int nt, int64_t lo, int64_t hi, F&& f) {
#ifdef _OPENMP
    if (par && hi - lo > 1) {
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t i = lo; i < hi; ++i) f(i);
        return;
    }
#else
    (void)par;
    (void)nt;
#endif
    for (int64_t i = lo; i < hi; ++i) f(i);
}

inline double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ------------------------------------------------------------------------------------------
// Own dense routines (column-major, lower): used for small matrices and when set_blas was not called
// ------------------------------------------------------------------------------------------

// Unblocked Cholesky of an n x n column-major lower matrix with leading dimension lda. Returns 0 or j+1.
int chol_unblocked(int n, double* A, int lda) {
    for (int j = 0; j < n; ++j) {
        double* cj = A + (size_t)j * lda;
        for (int k = 0; k < j; ++k) {
            const double* ck = A + (size_t)k * lda;
            const double ljk = ck[j];
            if (ljk == 0.0) continue;
            for (int i = j; i < n; ++i) cj[i] -= ljk * ck[i];
        }
        const double d = cj[j];
        if (!(d > 0.0) || !std::isfinite(d)) return j + 1;
        const double r = std::sqrt(d);
        cj[j] = r;
        const double inv = 1.0 / r;
        for (int i = j + 1; i < n; ++i) cj[i] *= inv;
    }
    return 0;
}

// Blocked right-looking Cholesky (own fallback for large matrices).
int chol_blocked(int n, double* A, int lda, int nt) {
    const int nbk = 96;
    if (n <= nbk) return chol_unblocked(n, A, lda);
    for (int j0 = 0; j0 < n; j0 += nbk) {
        const int jb = std::min(nbk, n - j0);
        double* D = A + j0 + (size_t)j0 * lda;
        int info = chol_unblocked(jb, D, lda);
        if (info) return j0 + info;
        const int r0 = j0 + jb;
        if (r0 >= n) break;
        // panel: A[r0:, j0:j0+jb] <- A[r0:, j0:j0+jb] L^{-T}
        for (int c = 0; c < jb; ++c) {
            double* col = A + (size_t)(j0 + c) * lda;
            for (int k = 0; k < c; ++k) {
                const double lck = D[c + (size_t)k * lda];
                const double* colk = A + (size_t)(j0 + k) * lda;
                for (int i = r0; i < n; ++i) col[i] -= lck * colk[i];
            }
            const double inv = 1.0 / D[c + (size_t)c * lda];
            for (int i = r0; i < n; ++i) col[i] *= inv;
        }
        // trailing update: A[r0:, r0:] -= P P^T (lower)
        const int nrest = n - r0;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 8) if (nt > 1 && nrest > 256)
        for (int jj = r0; jj < n; ++jj) {
            double* cj = A + (size_t)jj * lda;
            for (int k = 0; k < jb; ++k) {
                const double* pk = A + (size_t)(j0 + k) * lda;
                const double f = pk[jj];
                if (f == 0.0) continue;
                for (int i = jj; i < n; ++i) cj[i] -= f * pk[i];
            }
        }
    }
    return 0;
}

// Blocked right-looking Cholesky through BLAS-3 (dpotrf on diagonal blocks, dtrsm, dsyrk). Faster
// than a threaded dpotrf of the whole matrix when the cores are shared.
template <class T, class Potrf, class Trsm, class Syrk>
int chol_blas(int n, T* A, int lda, Potrf potrf, Trsm trsm, Syrk syrk) {
    const int nbk = 256;
    char lo = 'L', ri = 'R', tr = 'T', nn = 'N';
    T one = 1, mone = -1;
    for (int j0 = 0; j0 < n; j0 += nbk) {
        int jb = std::min(nbk, n - j0), info = 0;
        T* D = A + j0 + (size_t)j0 * lda;
        potrf(&lo, &jb, D, &lda, &info);
        if (info) return j0 + info;
        int r0 = j0 + jb, nrest = n - r0;
        if (nrest <= 0) break;
        T* Pn = A + r0 + (size_t)j0 * lda;
        trsm(&ri, &lo, &tr, &nn, &nrest, &jb, &one, D, &lda, Pn, &lda);
        syrk(&lo, &nn, &nrest, &jb, &mone, Pn, &lda, &one, A + r0 + (size_t)r0 * lda, &lda);
    }
    return 0;
}

// Solve L L^T x = b in place (column-major lower; L in double or single precision, x in double).
template <class T>
void chol_solve_own(int n, const T* L, int lda, double* x) {
    for (int j = 0; j < n; ++j) {
        const T* cj = L + (size_t)j * lda;
        const double v = x[j] / cj[j];
        x[j] = v;
        if (v != 0.0)
            for (int i = j + 1; i < n; ++i) x[i] -= v * cj[i];
    }
    for (int j = n - 1; j >= 0; --j) {
        const T* cj = L + (size_t)j * lda;
        // four partial sums: the dot product vectorizes (a single accumulator is a latency chain)
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int i = j + 1;
        for (; i + 3 < n; i += 4) {
            a0 += cj[i] * x[i];
            a1 += cj[i + 1] * x[i + 1];
            a2 += cj[i + 2] * x[i + 2];
            a3 += cj[i + 3] * x[i + 3];
        }
        for (; i < n; ++i) a0 += cj[i] * x[i];
        x[j] = (x[j] - ((a0 + a1) + (a2 + a3))) / cj[j];
    }
}

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

// ------------------------------------------------------------------------------------------
// Solver
// ------------------------------------------------------------------------------------------
struct Result {
    std::vector<double> lam, q;
    double primal = 0, dual = 0, gap = std::numeric_limits<double>::infinity(), mu = 0, viol = 0;
    int iterations = 0;
    int f32_factorizations = 0;  // Newton systems solved with a single-precision Schur complement
    bool converged = false;
    std::string status = "max_iter";
};

struct Solver {
    const Problem& P;
    int nt;
    bool use_blas;
    bool par;  // large enough for OpenMP loops
    int ny, nv;
    int64_t m, nc;

    // Newton factorization
    std::vector<double> LA;          // nA * ny * ny (row-major lower blocks)
    std::vector<double> wHW, wpr, wpz, wpp, wpAp;  // hmul / PCG scratch
    int pcg_last = 0;
    int n_f32 = 0;
    std::vector<double> S;           // NS * NS column-major lower
    std::vector<float> S32;          // ... in single precision (then the solves are refined by PCG)
    bool f32 = false;                // the current factorization is the single-precision one
    bool f32_ok = false;             // single precision still accurate enough to try (conditioning only grows)
    double delta_ = 0;               // regularization of the current factorization
    std::vector<char> okv;
    std::vector<double> coef;        // m
    // scratch (reused across iterations: the tiny tables of ipm_solve_many are allocation-bound)
    std::vector<double> wDB, wdA, wdB, wbound, wgm;
    std::vector<int> wncolu;
    mutable std::vector<double> wh, wrS, wr, wfr, wer, wtot;
    std::vector<double> tW, trhs, tjd, tw, tdxa, tdsa, tdza, tdx, tds, tdz, trdn;
    const double* s_ = nullptr;      // current s, P (for B_k)
    const double* Pc_ = nullptr;
    double mean_diag = 0;

    // Elimination by label (Woodbury): H + delta I = D + A C A^T with D block diagonal by label (one
    // block of the kept lam1[., y], lam2[., y] per y: the s_k diag(p_k) part), A the m pair columns
    // M_k^T p_k and C = diag(coef). Tables with few pairs and many labels factor the small blocks and
    // an m x m capacitance matrix instead of ny x ny node blocks and an (nB ny)^2 Schur complement.
    bool bylabel = false;
    std::vector<int64_t> lb_ptr, lb_off;  // per label: first kept unknown (ny+1); offset of its block
    std::vector<int> vloc;                // nv: index of a kept unknown inside its label's block, else -1
    std::vector<int> cl1, cl2;            // nc: block indices of a cell's lam1 / lam2 unknowns (-1: pinned)
    std::vector<double> LD;               // label blocks' Cholesky factors (row-major lower)
    std::vector<double> LU;               // m x m capacitance I + G C, LU-factored (row-major)
    std::vector<int> piv;                 // its row pivots
    std::vector<double> wu, wb, wlab;     // solve scratch

    Solver(const Problem& p, int n_threads, bool blas, int elimination = 0)
        : P(p), nt(std::max(1, n_threads)), use_blas(blas), ny(p.ny), nv(p.nv()), m(p.m), nc(p.nc) {
        par = nt > 1 && nc >= 2000000;
        if (!(g_potrf && g_syrk && g_trsm)) use_blas = false;
        const Plan pl = plan(p);
        bylabel = elimination == 2 || (elimination == 0 && pl.bylabel);
        if (bylabel) setup_bylabel();
    }

    // ---- which elimination: estimated flops and bytes of both -------------------------------
    struct Plan {
        bool bylabel = false;
        double flops_pairs = 0, flops_labels = 0, bytes_pairs = 0, bytes_labels = 0;
    };
    static Plan plan(const Problem& p) {
        Plan pl;
        const double ny = p.ny, nA = p.nA, nB = p.nB, NS = p.NS, m = (double)p.m;
        // node blocks (Cholesky and Schur update ~ NS^2 nA ny / 2 dense) and the Schur Cholesky
        pl.flops_pairs = nA * ny * ny * ny / 3.0 + 0.5 * NS * NS * nA * ny + NS * NS * NS / 3.0;
        pl.bytes_pairs = 8.0 * ((nA + nB) * ny * ny + NS * NS);
        // per label: block Cholesky, m_y triangular solves, the G update; then an m x m LU
        std::vector<double> ky(p.ny, 0.0), my(p.ny, 0.0);
        for (size_t i = 0; i < p.kept.size(); ++i) ky[i % p.ny] += p.kept[i];
        for (int64_t j = 0; j < p.nc; ++j) my[p.cy[j]] += 1.0;
        double blocks = 0, widest = 0;
        for (int y = 0; y < p.ny; ++y) {
            pl.flops_labels += ky[y] * ky[y] * ky[y] / 3.0 + ky[y] * ky[y] * my[y] + 0.5 * ky[y] * my[y] * my[y];
            blocks += ky[y] * ky[y];
            widest = std::max(widest, ky[y] * my[y]);
        }
        pl.flops_labels += 2.0 * m * m * m / 3.0;
        pl.bytes_labels = 8.0 * (blocks + widest + 2.0 * m * m);
        pl.bylabel = kLabelFlopPenalty * pl.flops_labels < pl.flops_pairs;
        return pl;
    }

    void setup_bylabel() {
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
        cl1.resize(nc);
        cl2.resize(nc);
        for (int64_t k = 0; k < m; ++k)
            for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) {
                cl1[j] = vloc[(size_t)P.px1[k] * ny + P.cy[j]];
                cl2[j] = vloc[off2 + (size_t)P.px2[k] * ny + P.cy[j]];
            }
    }

    // ---- cell passes ------------------------------------------------------------------
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

    // ---- Newton matrix ------------------------------------------------------------------
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

    // small row-major lower Cholesky in place; returns false on failure
    static bool small_chol(int n, double* A) {
        for (int j = 0; j < n; ++j) {
            double d = A[(size_t)j * n + j];
            for (int k = 0; k < j; ++k) d -= A[(size_t)j * n + k] * A[(size_t)j * n + k];
            if (!(d > 0.0) || !std::isfinite(d)) return false;
            const double r = std::sqrt(d);
            A[(size_t)j * n + j] = r;
            for (int i = j + 1; i < n; ++i) {
                double v = A[(size_t)i * n + j];
                for (int k = 0; k < j; ++k) v -= A[(size_t)i * n + k] * A[(size_t)j * n + k];
                A[(size_t)i * n + j] = v / r;
            }
        }
        return true;
    }
    // Li <- L^{-1} (row-major lower)
    static void small_tri_inv(int n, const double* L, double* Li) {
        for (int c = 0; c < n; ++c) {
            for (int i = 0; i < c; ++i) Li[(size_t)i * n + c] = 0.0;
            for (int i = c; i < n; ++i) {
                double v = i == c ? 1.0 : 0.0;
                for (int k = c; k < i; ++k) v -= L[(size_t)i * n + k] * Li[(size_t)k * n + c];
                Li[(size_t)i * n + c] = v / L[(size_t)i * n + i];
            }
        }
    }
    // x <- L^{-1} x  (row-major lower), x strided by inc
    static inline void small_fwd(int n, const double* L, double* x) {
        for (int i = 0; i < n; ++i) {
            double v = x[i];
            for (int k = 0; k < i; ++k) v -= L[(size_t)i * n + k] * x[k];
            x[i] = v / L[(size_t)i * n + i];
        }
    }
    static inline void small_bwd(int n, const double* L, double* x) {  // x <- L^{-T} x
        for (int i = n - 1; i >= 0; --i) {
            double v = x[i];
            for (int k = i + 1; k < n; ++k) v -= L[(size_t)k * n + i] * x[k];
            x[i] = v / L[(size_t)i * n + i];
        }
    }

    // B_k column j (cell index within the pair) value at cell l
    inline double Bkv(int64_t k, int64_t l, int64_t j) const {
        double v = coef[k] * Pc_[l] * Pc_[j];
        if (l == j) v += s_[k] * Pc_[j];
        return v;
    }

    // Assemble and factor H + delta I (Schur form). Returns false if a factorization fails.
    // want_f32: build and factor a dense Schur complement in single precision (solves then go through
    // solve_refined).
    bool factor(const double* s, const double* z, const double* Pc, double prox, bool want_f32) {
        s_ = s;
        Pc_ = Pc;
        coef.resize(m);
        for (int64_t k = 0; k < m; ++k) coef[k] = s[k] / z[k] - s[k];
        if (bylabel) return factor_bylabel(prox);
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
            if (delta > 0)
                for (int y = 0; y < ny; ++y) blk[(size_t)y * ny + y] += delta;
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
                fill_hbb(S32.data(), DB, delta);
                schur_dense(S32.data());
            } else {
                std::vector<float>().swap(S32);
                S.assign((size_t)NS * NS, 0.0);
                fill_hbb(S.data(), DB, delta);
                if (sp)
                    schur_sparse(ncolu, sparse_cost);
                else
                    schur_dense(S.data());
            }
            const double tt1 = g_debug > 1 ? now_s() : 0.0;
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

    // S(kept) <- H_BB(kept) + delta I (lower triangle)
    template <class T>
    void fill_hbb(T* Sm, const std::vector<double>& DB, double delta) const {
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
                Sm[(size_t)i + (size_t)i * NS] += (T)delta;
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

    // ---- elimination by label ------------------------------------------------------------------
    bool factor_bylabel(double prox) {
        f32 = false;
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
            for (int i = 0; i < ky; ++i) L[(size_t)i * ky + i] += delta_;
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
    void solve_bylabel_once(const double* rhs, double* dx) {
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
    void solve_bylabel(const double* rhs, double* dx) {
        solve_bylabel_once(rhs, dx);
        std::vector<double> r(nv), Hx(nv), corr(nv);
        for (int step = 0; step < 2; ++step) {
            hmul(dx, Hx.data());
            for (int i = 0; i < nv; ++i) r[i] = P.kept[i] ? rhs[i] - Hx[i] : 0.0;
            solve_bylabel_once(r.data(), corr.data());
            for (int i = 0; i < nv; ++i) dx[i] += corr[i];
        }
    }

    // Solve (H + delta I) dx = rhs with the current factorization. rhs is not modified.
    void solve(const double* rhs, double* dx) {
        if (bylabel) {
            solve_bylabel(rhs, dx);
            return;
        }
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

    // out = (H + delta I) v on the kept unknowns, matrix-free (v is zero elsewhere, so is out)
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
        for (int i = 0; i < nv; ++i) out[i] = P.kept[i] ? out[i] + delta_ * v[i] : 0.0;
    }

    // Solve (H + delta I) dx = rhs. With a single-precision Schur complement, by conjugate gradients
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

    // ---- certificate ----------------------------------------------------------------------
    std::vector<double> cg, cP, cW;  // scratch

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

    void push_coordinates(double* x) {
        const int off2 = P.n1 * ny;
        // scratch shared with lse output (cP) and the step workspace (tW): not live here
        std::vector<double>& L = cP;
        std::vector<double>& E = tW;
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
    double polish_dual(const double* x_in, std::vector<double>& xf) {
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
        push_coordinates(xf.data());
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

    // ---- main loop -------------------------------------------------------------------------
    static double max_step(const std::vector<double>& v, const std::vector<double>& dv) {
        double a = 1.0;
        for (size_t i = 0; i < v.size(); ++i)
            if (dv[i] < 0) a = std::min(a, kTau * (-v[i] / dv[i]));
        return a;
    }

    struct Step {
        std::vector<double> x, s, z, g, Pc;
        double alpha = -1;
    };

    bool try_step(double prox, const std::vector<double>& x, const std::vector<double>& s,
                  const std::vector<double>& z, const std::vector<double>& Pc, const std::vector<double>& rd,
                  const std::vector<double>& rp, double mu, double mu_floor, Step& out) {
        std::vector<double>& W = tW;
        std::vector<double>& rhs = trhs;
        std::vector<double>& jd = tjd;
        W.resize(nc);
        rhs.resize(nv);
        jd.resize(m);
        const bool timed = g_debug > 1;
        int pcg_max = 0;  // most PCG steps of a refined solve in this step
        auto direction = [&](const std::vector<double>& w, std::vector<double>& dx, std::vector<double>& ds,
                             std::vector<double>& dz) -> bool {
            for (int64_t k = 0; k < m; ++k)
                for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) W[j] = w[k] * Pc[j];
            scatter(W.data(), rhs.data());
            for (int i = 0; i < nv; ++i) rhs[i] = P.supp[i] ? rd[i] - rhs[i] : 0.0;
            dx.resize(nv);
            const double ts0 = timed ? now_s() : 0.0;
            const bool ok = solve_refined(rhs.data(), dx.data());
            if (timed) T_solve += now_s() - ts0;
            if (!ok) return false;
            if (f32) pcg_max = std::max(pcg_max, pcg_last);
            jgather(dx.data(), Pc.data(), jd.data());
            ds.resize(m);
            dz.resize(m);
            for (int64_t k = 0; k < m; ++k) {
                ds[k] = w[k] + (s[k] / z[k]) * jd[k];
                dz[k] = rp[k] - jd[k];
            }
            return true;
        };
        std::vector<double>& w = tw;
        std::vector<double>&dxa = tdxa, &dsa = tdsa, &dza = tdza, &dx = tdx, &ds = tds, &dz = tdz;
        double al = 0, sigma = 0, mu_aff = 0;
        // predictor, then Mehrotra's corrector; 0: done, 1: a refined solve failed, 2: non-finite direction
        auto directions = [&]() -> int {
            w.resize(m);
            for (int64_t k = 0; k < m; ++k) w[k] = (-s[k] * z[k] - s[k] * rp[k]) / z[k];
            if (!direction(w, dxa, dsa, dza)) return 1;
            al = std::min(max_step(s, dsa), max_step(z, dza));
            long double acc = 0;
            for (int64_t k = 0; k < m; ++k) acc += (long double)(s[k] + al * dsa[k]) * (z[k] + al * dza[k]);
            mu_aff = (double)(acc / m);
            const double r3 = mu_aff / mu;
            sigma = std::max(r3 * r3 * r3, mu_floor / mu);
            for (int64_t k = 0; k < m; ++k)
                w[k] = (sigma * mu - s[k] * z[k] - dsa[k] * dza[k] - s[k] * rp[k]) / z[k];
            if (!direction(w, dx, ds, dz)) return 1;
            for (int i = 0; i < nv; ++i)
                if (!std::isfinite(dx[i])) return 2;
            for (int64_t k = 0; k < m; ++k)
                if (!std::isfinite(ds[k]) || !std::isfinite(dz[k])) return 2;
            al = std::min(max_step(s, ds), max_step(z, dz));
            return 0;
        };
        // single precision first while it is accurate enough; double precision otherwise, and when
        // its Cholesky or its refined solves fail
        for (int attempt = 0;; ++attempt) {
            const bool want32 = attempt == 0 && f32_ok && prox == 0.0;
            const double tf0 = timed ? now_s() : 0.0;
            const bool fok = factor(s.data(), z.data(), Pc.data(), prox, want32);
            if (timed) T_factor += now_s() - tf0;
            if (!fok) {
                if (!f32) return false;
                f32_ok = false;
                continue;
            }
            pcg_max = 0;
            const int res = directions();
            if (res == 2) return false;
            if (res == 0) {
                n_f32 += f32;
                break;
            }
            f32_ok = false;
        }
        if (g_debug && f32) std::fprintf(stderr, "  single precision: up to %d PCG iterations\n", pcg_max);
        if (pcg_max > (P.NS < kPcgSwitchNS ? kPcgSwitchSmall : kPcgSwitch)) f32_ok = false;
        // large Schur complements: the line search does not need the factorization (a retry on the
        // regularization ladder factors again), so its cell-sized buffers never coexist with S
        if (large()) release_factorization();
        double rp_now = 0, rd_now = 1e-13;
        for (int64_t k = 0; k < m; ++k) rp_now = std::max(rp_now, std::fabs(rp[k]));
        for (int i = 0; i < nv; ++i) rd_now = std::max(rd_now, std::fabs(rd[i]));
        out.x.resize(nv);
        out.s.resize(m);
        out.z.resize(m);
        out.g.resize(m);
        out.Pc.resize(nc);
        std::vector<double>& rdn = trdn;
        rdn.resize(nv);
        for (int trial = 0; trial < kMaxHalvings; ++trial) {
            for (int i = 0; i < nv; ++i) out.x[i] = x[i] + al * dx[i];
            for (int64_t k = 0; k < m; ++k) {
                out.s[k] = s[k] + al * ds[k];
                out.z[k] = z[k] + al * dz[k];
            }
            lse(out.x.data(), out.g.data(), out.Pc.data());
            bool ok = true;
            const double cap = std::max(rp_now, kRpCap);
            for (int64_t k = 0; k < m && ok; ++k) {
                if (!std::isfinite(out.g[k])) ok = false;
                else if (std::fabs(-out.g[k] - out.z[k]) > cap) ok = false;
            }
            if (ok) {
                if (g_debug) std::fprintf(stderr, "  prox %.0e sigma %.2e mu_aff/mu %.2e al %.3e trial %d\n", prox, sigma, mu_aff / mu, al, trial);
                if (trial >= kRdTries) {
                    out.alpha = al;
                    return true;
                }
                residual_d(out.s.data(), out.Pc.data(), rdn.data(), W);
                double rmax = 0;
                for (int i = 0; i < nv; ++i) rmax = std::max(rmax, std::fabs(rdn[i]));
                if (rmax <= kRdGrowth * rd_now) {
                    out.alpha = al;
                    return true;
                }
            }
            al *= 0.5;
        }
        return false;
    }

    // Tables whose dense Schur complement is large (>= 32 MB in double precision) keep the peak memory
    // down: S and the cell-sized scratch vectors are given back between uses (one allocation per
    // iteration, negligible next to a factorization of that size).
    bool large() const { return P.NS >= 2000; }
    void release_factorization() {
        std::vector<double>().swap(S);
        std::vector<float>().swap(S32);
        std::vector<double>().swap(wHW);
    }

    // returns this point's gap (best keeps the best one so far)
    double certificate(const std::vector<double>& x, const std::vector<double>& s, const std::vector<double>& Pc,
                       double mu, Result& best) {
        // large Schur complements: give the matrix back first, so that the certificate's buffers and
        // S never coexist (peak memory); the next factorization allocates it again
        if (large()) release_factorization();
        std::vector<double> xf, Q;
        const double D = polish_dual(x.data(), xf);
        round_primal(s.data(), Pc.data(), Q);
        const double F = fobj(Q);
        if (large()) {  // scratch of the polish: released before the next factorization allocates S
            std::vector<double>().swap(cg);
            std::vector<double>().swap(cP);
        }
        const double gap = F - D;
        if (!(gap >= best.gap) ) {  // also accepts the first finite value
            if (std::isfinite(gap) || !std::isfinite(best.gap)) {
                best.gap = gap;
                best.primal = F;
                best.dual = D;
                best.lam.swap(xf);
                best.q.swap(Q);
                best.mu = mu;
            }
        }
        return gap;
    }

    double T_factor = 0, T_solve = 0, T_cert = 0, T0 = 0, T_xbuild = 0;  // seconds spent, for PIDKIT_NATIVE_DEBUG=2
    Result run(double tol, int max_iter) {
        T0 = g_debug > 1 ? now_s() : 0.0;
        f32_ok = P.NS >= kF32MinNS;
        Result best;
        best.gap = std::numeric_limits<double>::infinity();
        const int n1 = P.n1, n2 = P.n2;
        const int off2 = n1 * ny;
        if (m == 0) {
            best.lam.assign(nv, 0.0);
            best.gap = 0;
            best.converged = true;
            best.status = "converged";
            return best;
        }
        // start: lam1 = log p(y|x1), lam2 = log p(y|x2) - 1 (strictly feasible). When one side has a
        // single state with mass, the feasible set is {p}: then lam on that side = 0 and the other
        // side's log p(y|x) - 1e-3 make s_k p_k = p exactly, and the first certificate closes.
        std::vector<double> x(nv, 0.0);
        int live[2] = {0, 0};
        for (int side = 0; side < 2; ++side) {
            const int n = side == 0 ? n1 : n2;
            const int off = side == 0 ? 0 : off2;
            for (int i = 0; i < n; ++i) {
                bool any = false;
                for (int y = 0; y < ny; ++y) any = any || P.c[off + (size_t)i * ny + y] > 0;
                live[side] += any;
            }
        }
        for (int side = 0; side < 2; ++side) {
            const int n = side == 0 ? n1 : n2;
            const int off = side == 0 ? 0 : off2;
            double zero_side = -1, shift = side == 1 ? 1.0 : 0.0;
            if (live[0] == 1) { zero_side = 0; shift = 1e-3; }
            else if (live[1] == 1) { zero_side = 1; shift = 1e-3; }
            const bool zero = zero_side == side;
            for (int i = 0; i < n; ++i) {
                double tot = 0;
                for (int y = 0; y < ny; ++y) tot += P.c[off + (size_t)i * ny + y];
                for (int y = 0; y < ny; ++y) {
                    const double cv = P.c[off + (size_t)i * ny + y];
                    x[off + (size_t)i * ny + y] = zero ? 0.0 : (cv > 0 ? std::log(cv / tot) : 0.0) - shift;
                }
            }
        }
        std::vector<double> g(m), Pc(nc), z(m), s(m, 0.0);
        lse(x.data(), g.data(), Pc.data());
        for (int64_t k = 0; k < m; ++k) z[k] = -g[k];
        {
            std::vector<double> py(ny, 0.0);
            for (int i = 0; i < off2; ++i) py[i % ny] += P.c[i];
            for (int64_t k = 0; k < m; ++k) {
                double acc = 0;
                for (int64_t j = P.ptr[k]; j < P.ptr[k + 1]; ++j) {
                    const int y = P.cy[j];
                    const double d = py[y] > 0 ? py[y] : 1.0;
                    acc += P.c[(size_t)P.px1[k] * ny + y] * P.c[off2 + (size_t)P.px2[k] * ny + y] / d;
                }
                s[k] = acc;
            }
        }
        const double mu_floor = 0.05 * tol / std::max<int64_t>(m, 1);
        const bool small = nc < 20000;
        std::string status = "max_iter";
        std::vector<double> rd(nv), rp(m);
        std::vector<double>& W = tW;  // shared with try_step's workspace (never live at the same time)
        W.resize(nc);
        int it = 0;
        double mu = 0;
        bool cert_now = false;
        double gap_ratio = 1.0, mum_prev = std::numeric_limits<double>::infinity();
        Step step, trial;
        for (it = 0; it <= max_iter; ++it) {
            residual_d(s.data(), Pc.data(), rd.data(), W);
            long double sz = 0;
            for (int64_t k = 0; k < m; ++k) {
                rp[k] = -g[k] - z[k];
                sz += (long double)s[k] * z[k];
            }
            mu = (double)(sz / m);
            if (!std::isfinite(mu)) {
                status = "nan";
                cert_now = false;
                break;
            }
            // Large tables certify only when the gap predicted from m mu (gap ~ ratio * m mu, ratio
            // measured at the last certificate, about 1) is within 2 tol, or when mu stalls: a
            // certificate costs about half an iteration.
            const double mum = mu * m;
            cert_now = (small && (it == 0 || mum < 1e4 * tol)) || it == max_iter ||
                       (mum < 100.0 * tol && (gap_ratio * mum < 2.0 * tol || mum > 0.5 * mum_prev));
            mum_prev = mum;
            if (g_debug || cert_now) {
                const double tc0 = g_debug > 1 ? now_s() : 0.0;
                const double gap = certificate(x, s, Pc, mu, best);
                if (mum > 0 && gap > 0 && std::isfinite(gap)) gap_ratio = gap / mum;
                if (g_debug > 1) T_cert += now_s() - tc0;
                if (g_debug) {
                    double rdm = 0, rpm = 0;
                    for (int i = 0; i < nv; ++i) rdm = std::max(rdm, std::fabs(rd[i]));
                    for (int64_t k = 0; k < m; ++k) rpm = std::max(rpm, std::fabs(rp[k]));
                    std::fprintf(stderr, "it %d mu*m %.2e rd %.2e rp %.2e bestgap %.3e\n", it, mu * m, rdm, rpm, best.gap);
                }
                if (best.gap <= tol) {
                    status = "converged";
                    break;
                }
            }
            if (it == max_iter) break;
            step.alpha = -1;
            bool have = false;
            // Large Schur complements: a factorization costs seconds, so the ladder stops as soon as a
            // regularized retry does not lengthen the step (typically the step was cut by the
            // residual-growth safeguard, which regularization does not change).
            const bool costly = P.NS >= 500;
            for (double prox : kProxLadder) {
                bool improved = false;
                if (try_step(prox, x, s, z, Pc, rd, rp, mu, mu_floor, trial)) {
                    if (!have || trial.alpha > step.alpha) {
                        improved = !have || trial.alpha > 1.01 * step.alpha;
                        std::swap(step, trial);
                        have = true;
                    }
                }
                if (have && step.alpha >= kGoodStep) break;
                if (costly && have && prox > 0 && !improved) break;
            }
            if (!have) {
                status = "no_acceptable_step";
                cert_now = false;
                break;
            }
            x.swap(step.x);
            s.swap(step.s);
            z.swap(step.z);
            g.swap(step.g);
            Pc.swap(step.Pc);
            if (large()) {  // the rejected trial and the previous point: not needed by the next factorization
                std::vector<double>().swap(step.Pc);
                std::vector<double>().swap(trial.Pc);
            }
            for (int64_t k = 0; k < m; ++k)
                if (g[k] < 0) z[k] = -g[k];
        }
        if (!cert_now) certificate(x, s, Pc, mu, best);
        if (g_debug > 1)
            std::fprintf(stderr, "seconds: factorizations %.3f (X build %.3f) solves %.3f certificates %.3f total %.3f\n", T_factor, T_xbuild,
                         T_solve, T_cert, now_s() - T0);
        if (best.lam.empty()) {  // no finite certificate at all
            best.lam.assign(nv, 0.0);
            best.q.assign(nc, 0.0);
        }
        best.iterations = std::min(it, max_iter);
        best.f32_factorizations = n_f32;
        best.converged = best.gap <= tol;
        best.status = best.converged ? std::string("converged") : status;
        if (best.q.size() == (size_t)nc) best.viol = marg_viol(best.q);
        return best;
    }
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

template <class T>
nb::ndarray<nb::numpy, T, nb::ndim<1>> to_numpy(std::vector<T>&& v) {
    auto* heap = new std::vector<T>(std::move(v));
    nb::capsule owner(heap, [](void* ptr) noexcept { delete static_cast<std::vector<T>*>(ptr); });
    return nb::ndarray<nb::numpy, T, nb::ndim<1>>(heap->data(), {heap->size()}, owner);
}

void* capsule_ptr(nb::handle cap) {
    PyObject* o = cap.ptr();
    if (!PyCapsule_CheckExact(o)) throw nb::type_error("set_blas: expected PyCapsule objects");
    const char* name = PyCapsule_GetName(o);
    void* p = PyCapsule_GetPointer(o, name);
    if (!p) {
        PyErr_Clear();
        throw nb::value_error("set_blas: empty capsule");
    }
    return p;
}

using arr_d = nb::ndarray<const double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using arr_i = nb::ndarray<const int64_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using arr_p4 = nb::ndarray<const double, nb::ndim<4>, nb::c_contig, nb::device::cpu>;

}  // namespace

Problem problem_from_arrays(int n1, int n2, int ny, arr_d a, arr_d b, arr_i pair_x1, arr_i pair_x2, arr_i cell_ptr,
                            arr_i cell_y) {
    if (n1 < 0 || n2 < 0 || ny < 0) throw nb::value_error("ipm_solve: negative dimension");
    if (a.shape(0) != (size_t)n1 * ny || b.shape(0) != (size_t)n2 * ny)
        throw nb::value_error("ipm_solve: a must have n1*ny and b n2*ny entries");
    const size_t m = pair_x1.shape(0);
    if (pair_x2.shape(0) != m || cell_ptr.shape(0) != m + 1)
        throw nb::value_error("ipm_solve: pair_x1, pair_x2 need m entries and cell_ptr m+1");
    Problem pr;
    pr.n1 = n1;
    pr.n2 = n2;
    pr.ny = ny;
    pr.m = (int64_t)m;
    pr.nc = (int64_t)cell_y.shape(0);
    pr.c.resize((size_t)(n1 + n2) * ny);
    std::memcpy(pr.c.data(), a.data(), sizeof(double) * (size_t)n1 * ny);
    std::memcpy(pr.c.data() + (size_t)n1 * ny, b.data(), sizeof(double) * (size_t)n2 * ny);
    pr.px1.resize(m);
    pr.px2.resize(m);
    pr.ptr.assign(cell_ptr.data(), cell_ptr.data() + m + 1);
    for (size_t k = 0; k < m; ++k) {
        pr.px1[k] = (int)pair_x1.data()[k];
        pr.px2[k] = (int)pair_x2.data()[k];
        if (pr.px1[k] < 0 || pr.px1[k] >= n1 || pr.px2[k] < 0 || pr.px2[k] >= n2)
            throw nb::value_error("ipm_solve: pair index out of range");
        if (pr.ptr[k + 1] < pr.ptr[k]) throw nb::value_error("ipm_solve: cell_ptr not monotone");
    }
    if (pr.ptr[0] != 0 || pr.ptr[m] != pr.nc) throw nb::value_error("ipm_solve: cell_ptr inconsistent");
    pr.cy.resize(pr.nc);
    for (int64_t j = 0; j < pr.nc; ++j) {
        pr.cy[j] = (int)cell_y.data()[j];
        if (pr.cy[j] < 0 || pr.cy[j] >= ny) throw nb::value_error("ipm_solve: label out of range");
    }
    return pr;
}

NB_MODULE(_native, mod) {
    mod.doc() = "Compiled interior-point kernel of pidkit's exact BROJA solver (see pidkit/kernels/ipm.py).";
    mod.def("version", []() { return 2; });

    mod.def(
        "set_blas",
        [](nb::handle potrf, nb::handle potrs, nb::handle syrk, nb::handle trsm, nb::handle gemm) {
            g_potrf = reinterpret_cast<potrf_t>(capsule_ptr(potrf));
            g_potrs = reinterpret_cast<potrs_t>(capsule_ptr(potrs));
            g_syrk = reinterpret_cast<syrk_t>(capsule_ptr(syrk));
            g_trsm = reinterpret_cast<trsm_t>(capsule_ptr(trsm));
            g_gemm = reinterpret_cast<gemm_t>(capsule_ptr(gemm));
            // single-precision routines from the same SciPy modules (optional: without them every
            // factorization is in double precision)
            try {
                nb::object lapack = nb::module_::import_("scipy.linalg.cython_lapack").attr("__pyx_capi__");
                nb::object blas = nb::module_::import_("scipy.linalg.cython_blas").attr("__pyx_capi__");
                g_spotrf = reinterpret_cast<spotrf_t>(capsule_ptr(lapack["spotrf"]));
                g_ssyrk = reinterpret_cast<ssyrk_t>(capsule_ptr(blas["ssyrk"]));
                g_strsm = reinterpret_cast<strsm_t>(capsule_ptr(blas["strsm"]));
            } catch (const std::exception&) {
                g_spotrf = nullptr;
                g_ssyrk = nullptr;
                g_strsm = nullptr;
            }
        },
        nb::arg("dpotrf"), nb::arg("dpotrs"), nb::arg("dsyrk"), nb::arg("dtrsm"), nb::arg("dgemm"),
        "Hand over SciPy's LAPACK/BLAS (PyCapsules of scipy.linalg.cython_lapack / cython_blas).");

    mod.def("has_blas", []() { return g_potrf != nullptr && g_potrs != nullptr && g_syrk != nullptr; });

    mod.def(
        "ipm_solve",
        [](int n1, int n2, int ny, arr_d a, arr_d b, arr_i pair_x1, arr_i pair_x2, arr_i cell_ptr, arr_i cell_y,
           double tol, int max_iter, int n_threads, int elimination) {
            const double t0 = now_s();
            if (elimination < 0 || elimination > 2) throw nb::value_error("ipm_solve: elimination must be 0, 1 or 2");
            Problem pr = problem_from_arrays(n1, n2, ny, a, b, pair_x1, pair_x2, cell_ptr, cell_y);
            Result res;
            bool by_label = false;
            {
                nb::gil_scoped_release release;
                pr.finish();
                Solver sv(pr, n_threads, true, elimination);
                by_label = sv.bylabel;
                res = sv.run(tol, max_iter);
            }
            std::vector<double> lam1(res.lam.begin(), res.lam.begin() + (size_t)n1 * ny);
            std::vector<double> lam2(res.lam.begin() + (size_t)n1 * ny, res.lam.end());
            nb::dict d;
            d["lam1"] = to_numpy(std::move(lam1));
            d["lam2"] = to_numpy(std::move(lam2));
            d["q"] = to_numpy(std::move(res.q));
            d["primal"] = res.primal;
            d["dual"] = res.dual;
            d["gap"] = res.gap;
            d["iterations"] = res.iterations;
            d["single_precision_factorizations"] = res.f32_factorizations;
            d["converged"] = res.converged;
            d["status"] = res.status;
            d["mu"] = res.mu;
            d["max_marginal_violation"] = res.viol;
            d["elimination"] = by_label ? "labels" : "pairs";
            d["seconds"] = now_s() - t0;
            return d;
        },
        nb::arg("n1"), nb::arg("n2"), nb::arg("ny"), nb::arg("a"), nb::arg("b"), nb::arg("pair_x1"),
        nb::arg("pair_x2"), nb::arg("cell_ptr"), nb::arg("cell_y"), nb::arg("tol"), nb::arg("max_iter"),
        nb::arg("n_threads") = 1, nb::arg("elimination") = 0,
        "Interior-point solve of one table in pair-major form (see pidkit.kernels.ipm). elimination: 0 chooses "
        "by estimated cost, 1 forces the Schur complement over pairs' nodes, 2 the elimination by label.");

    mod.def(
        "ipm_plan",
        [](int n1, int n2, int ny, arr_d a, arr_d b, arr_i pair_x1, arr_i pair_x2, arr_i cell_ptr, arr_i cell_y) {
            Problem pr = problem_from_arrays(n1, n2, ny, a, b, pair_x1, pair_x2, cell_ptr, cell_y);
            pr.finish();
            const Solver::Plan pl = Solver::plan(pr);
            // per-table working memory besides the factorization: a few vectors per unknown and per cell
            const double base = 8.0 * (12.0 * pr.nv() + 8.0 * (double)pr.nc + 12.0 * (double)pr.m);
            nb::dict d;
            d["elimination"] = pl.bylabel ? "labels" : "pairs";
            d["flops_pairs"] = pl.flops_pairs;
            d["flops_labels"] = pl.flops_labels;
            d["bytes_pairs"] = pl.bytes_pairs + base;
            d["bytes_labels"] = pl.bytes_labels + base;
            d["bytes"] = (pl.bylabel ? pl.bytes_labels : pl.bytes_pairs) + base;
            return d;
        },
        nb::arg("n1"), nb::arg("n2"), nb::arg("ny"), nb::arg("a"), nb::arg("b"), nb::arg("pair_x1"),
        nb::arg("pair_x2"), nb::arg("cell_ptr"), nb::arg("cell_y"),
        "Estimated flops and bytes of ipm_solve's two eliminations, and the one it would choose.");

    mod.def(
        "ipm_solve_many",
        [](arr_p4 p, double tol, int max_iter, int n_threads) {
            const size_t B = p.shape(0);
            const int n1 = (int)p.shape(1), n2 = (int)p.shape(2), ny = (int)p.shape(3);
            std::vector<double> primal(B), dual(B), gap(B);
            std::vector<int64_t> iters(B);
            std::vector<uint8_t> conv(B, 0);
            const double* base = p.data();
            const size_t stride = (size_t)n1 * n2 * ny;
            {
                nb::gil_scoped_release release;
                const int nt = std::max(1, n_threads);
                (void)nt;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 64) if (nt > 1 && B > 1)
                for (int64_t i = 0; i < (int64_t)B; ++i) {
                    Problem pr;
                    double ft = 0;
                    if (build_from_table(base + (size_t)i * stride, n1, n2, ny, pr, &ft)) {
                        primal[i] = dual[i] = ft;
                        gap[i] = 0;
                        iters[i] = 0;
                        conv[i] = 1;
                        continue;
                    }
                    Solver sv(pr, 1, false);
                    Result r = sv.run(tol, max_iter);
                    primal[i] = r.primal;
                    dual[i] = r.dual;
                    gap[i] = r.gap;
                    iters[i] = r.iterations;
                    conv[i] = r.converged;
                }
            }
            nb::dict d;
            d["primal"] = to_numpy(std::move(primal));
            d["dual"] = to_numpy(std::move(dual));
            d["gap"] = to_numpy(std::move(gap));
            d["iterations"] = to_numpy(std::move(iters));
            auto* heap = new std::vector<uint8_t>(std::move(conv));
            nb::capsule owner(heap, [](void* ptr) noexcept { delete static_cast<std::vector<uint8_t>*>(ptr); });
            d["converged"] = nb::ndarray<nb::numpy, bool, nb::ndim<1>>(reinterpret_cast<bool*>(heap->data()),
                                                                      {heap->size()}, owner);
            return d;
        },
        nb::arg("p"), nb::arg("tol"), nb::arg("max_iter"), nb::arg("n_threads") = 1,
        "Interior-point solve of a batch of small dense tables (B, n1, n2, ny).");
}
