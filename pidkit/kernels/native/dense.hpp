// Dense linear algebra of the native solver: SciPy's BLAS/LAPACK handed over as function pointers
// (set_blas), the module's own fallback routines, small row-major blocks, and the parallel loop helper.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace pidkit_native {

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
// Interruption (Ctrl-C): the bindings give each call an Interrupt and set it on the threads that
// work for that call; the calling thread also probes Python for pending signals (probe acquires the
// GIL and runs PyErr_CheckSignals), at most every kProbeEvery seconds. Long loops call interrupted()
// between steps (per iteration, per factorization block, per table) and unwind when it says true.
// ------------------------------------------------------------------------------------------
constexpr double kProbeEvery = 0.05;

struct Interrupt {
    std::atomic<bool> stop{false};
    bool (*probe)() = nullptr;  // true when Python has an exception pending (e.g. KeyboardInterrupt)
    double last = 0;
};
inline thread_local Interrupt* t_interrupt = nullptr;
inline thread_local bool t_may_probe = false;

// Sets this thread's Interrupt for a scope (the calling thread may probe, OpenMP workers only read the flag).
struct WatchScope {
    WatchScope(Interrupt* in, bool may_probe) {
        t_interrupt = in;
        t_may_probe = may_probe;
    }
    ~WatchScope() {
        t_interrupt = nullptr;
        t_may_probe = false;
    }
};

inline bool interrupted() {
    Interrupt* in = t_interrupt;
    if (in == nullptr) return false;
    if (in->stop.load(std::memory_order_relaxed)) return true;
    if (!t_may_probe || in->probe == nullptr) return false;
    const double t = now_s();
    if (t - in->last < kProbeEvery) return false;
    in->last = t;
    if (!in->probe()) return false;
    in->stop.store(true, std::memory_order_relaxed);
    return true;
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
// than a threaded dpotrf of the whole matrix when the cores are shared. Returns 0, the failing pivot
// j+1, or -1 when interrupted() (checked before each block).
template <class T, class Potrf, class Trsm, class Syrk>
int chol_blas(int n, T* A, int lda, Potrf potrf, Trsm trsm, Syrk syrk) {
    const int nbk = 256;
    char lo = 'L', ri = 'R', tr = 'T', nn = 'N';
    T one = 1, mone = -1;
    for (int j0 = 0; j0 < n; j0 += nbk) {
        int jb = std::min(nbk, n - j0), info = 0;
        T* D = A + j0 + (size_t)j0 * lda;
        if (interrupted()) return -1;  // the caller sees a failed factorization and checks the flag
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
// Small row-major lower blocks (node blocks of the pair elimination, label blocks of the label one)
// ------------------------------------------------------------------------------------------
// small row-major lower Cholesky in place; returns false on failure
inline bool small_chol(int n, double* A) {
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
inline void small_tri_inv(int n, const double* L, double* Li) {
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
inline void small_fwd(int n, const double* L, double* x) {
    for (int i = 0; i < n; ++i) {
        double v = x[i];
        for (int k = 0; k < i; ++k) v -= L[(size_t)i * n + k] * x[k];
        x[i] = v / L[(size_t)i * n + i];
    }
}
inline void small_bwd(int n, const double* L, double* x) {  // x <- L^{-T} x
    for (int i = n - 1; i >= 0; --i) {
        double v = x[i];
        for (int k = i + 1; k < n; ++k) v -= L[(size_t)k * n + i] * x[k];
        x[i] = v / L[(size_t)i * n + i];
    }
}

}  // namespace pidkit_native
