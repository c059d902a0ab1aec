// pidkit.kernels._sinkhorn — fused scaling iterations of the BATCH estimator's Sinkhorn projection.
//
// Twin of pidkit.kernels.sinkhorn._torch_iterate (same contract, same statuses). For every label y
// and the kernel K_y = exp(L_y + alpha_y 1^T + 1 beta_y^T) (formed by the Python side), iterate
//     a = r / (K b),   t = K^T a,   err = sum |t * b - c|,   b = c / t
// in ONE pass over K per iteration: each row of K is read once from memory to compute its
// scaling a_i = r_i / (K_i. b) and, while it is still in L1 cache, to accumulate a_i K_i. into
// the column sums t (thread-local accumulators, reduced after the pass). torch needs two
// matrix-vector products, i.e. two passes over K. The pass is compiled twice (baseline x86-64
// and AVX2+FMA, picked at run time). OpenMP over the Y*m rows, `threads` threads (the Python side
// passes torch.get_num_threads()); denormals are
// flushed (FTZ/DAZ) while the kernel runs: the Python side absorbs scalings before products
// could get near the denormal range.
//
// Statuses: 0 converged (err <= tol right after a row update; b not updated), 1 absorb (a scaling
// left [e^-tau, e^tau]), 2 nonfinite (a, b restored to the last good iterate; returns its
// iteration count), 3 max_iter (stopped after a row update). Also returns the last error.

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/tuple.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#define PIDKIT_HAS_MXCSR 1
#endif

namespace nb = nanobind;

namespace {

enum Status { CONVERGED = 0, ABSORB = 1, NONFINITE = 2, MAX_ITER = 3 };

// Flush-to-zero and denormals-are-zero for the current thread while in scope.
struct FlushDenormals {
#ifdef PIDKIT_HAS_MXCSR
    unsigned int saved;
    FlushDenormals() : saved(_mm_getcsr()) { _mm_setcsr(saved | 0x8040u); }
    ~FlushDenormals() { _mm_setcsr(saved); }
#endif
};

// One fused pass over rows [begin, end) of K: a_i = r_i / (K_i. b_y), t_y += a_i K_i. (thread-local t).
#define PIDKIT_ROW_PASS_BODY                                         \
    for (long row = begin; row < end; ++row) {                       \
        const long y = row / m;                                      \
        const T* k = K + row * n;                                    \
        const T* by = b + y * n;                                     \
        T s = 0;                                                     \
        _Pragma("omp simd reduction(+ : s)")                         \
        for (long j = 0; j < n; ++j) s += k[j] * by[j];              \
        const T ai = r[row] / s;                                     \
        a[row] = ai;                                                 \
        T* ty = t + y * n;                                           \
        _Pragma("omp simd")                                          \
        for (long j = 0; j < n; ++j) ty[j] += k[j] * ai;             \
    }

template <typename T>
void row_pass_generic(const T* K, const T* r, T* a, const T* b, T* t, long m, long n, long begin, long end) {
    PIDKIT_ROW_PASS_BODY
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define PIDKIT_AVX2_DISPATCH 1
// The same pass compiled for AVX2+FMA, chosen at run time: the build targets baseline x86-64 (SSE2).
template <typename T>
__attribute__((target("avx2,fma"))) void row_pass_avx2(const T* K, const T* r, T* a, const T* b, T* t, long m,
                                                         long n, long begin, long end) {
    PIDKIT_ROW_PASS_BODY
}
const bool g_has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif

template <typename T>
void row_pass(const T* K, const T* r, T* a, const T* b, T* t, long m, long n, long begin, long end) {
#ifdef PIDKIT_AVX2_DISPATCH
    if (g_has_avx2) return row_pass_avx2<T>(K, r, a, b, t, m, n, begin, end);
#endif
    row_pass_generic<T>(K, r, a, b, t, m, n, begin, end);
}

using Result = std::tuple<long, int, double>;  // iterations, status, last L1 column error

template <typename T>
Result scaling_iterations(const T* K, const T* r, const T* c, T* a, T* b, long ny, long m, long n,
                                        double tol, long max_iter, double tau, int threads) {
    const long rows = ny * m, cols = ny * n;
    // One pass is memory-bound and takes ~5 ms per 10M float32 entries on one core of the
    // benchmark machine, where a parallel region cost 5-8 ms whenever the cores were shared
    // (benchmarks/bench_batch.py, part a). Threads only for K of >= 8M entries per thread.
    const long min_per_thread = 8L << 20;
    const int nthreads = static_cast<int>(std::max(1L, std::min<long>(threads, rows * n / min_per_thread)));
    std::vector<T> acc(static_cast<size_t>(nthreads) * cols);
    std::vector<T> t(cols), good_a(a, a + rows), good_b(b, b + cols);
    long good_it = 0;
    const double lo = std::exp(-tau), hi = std::exp(tau);
    FlushDenormals ftz;

    auto restore = [&]() {
        std::copy(good_a.begin(), good_a.end(), a);
        std::copy(good_b.begin(), good_b.end(), b);
    };

    for (long it = 1; it <= max_iter; ++it) {
        if (nthreads == 1) {
            std::fill(acc.begin(), acc.end(), T(0));
            row_pass<T>(K, r, a, b, acc.data(), m, n, 0, rows);
        } else {
#pragma omp parallel num_threads(nthreads)
            {
                FlushDenormals ftz_thread;
                int tid = 0, nth = 1;
#ifdef _OPENMP
                tid = omp_get_thread_num();
                nth = omp_get_num_threads();
#endif
                T* mine = acc.data() + static_cast<size_t>(tid) * cols;
                std::fill(mine, mine + cols, T(0));
                const long begin = rows * tid / nth, end = rows * (tid + 1) / nth;
                row_pass<T>(K, r, a, b, mine, m, n, begin, end);
            }
        }
        double err = 0.0;
        for (long idx = 0; idx < cols; ++idx) {
            T s = acc[idx];
            for (int th = 1; th < nthreads; ++th) s += acc[static_cast<size_t>(th) * cols + idx];
            t[idx] = s;
            err += std::abs(static_cast<double>(s) * b[idx] - static_cast<double>(c[idx]));
        }
        if (!std::isfinite(err)) {
            restore();
            return {good_it, NONFINITE, err};
        }
        if (err <= tol) return {it, CONVERGED, err};
        if (it == max_iter) return {it, MAX_ITER, err};
        double smallest = HUGE_VAL, largest = -HUGE_VAL;
        for (long idx = 0; idx < cols; ++idx) {
            b[idx] = c[idx] / t[idx];
            smallest = std::min(smallest, static_cast<double>(b[idx]));
            largest = std::max(largest, static_cast<double>(b[idx]));
        }
        for (long idx = 0; idx < rows; ++idx) {
            smallest = std::min(smallest, static_cast<double>(a[idx]));
            largest = std::max(largest, static_cast<double>(a[idx]));
        }
        if (!(std::isfinite(largest) && smallest > 0.0)) {  // NaN fails both tests
            restore();
            return {good_it, NONFINITE, std::nan("")};
        }
        if (smallest < lo || largest > hi) return {it, ABSORB, err};
        std::copy(a, a + rows, good_a.begin());
        std::copy(b, b + cols, good_b.begin());
        good_it = it;
    }
    return {max_iter, MAX_ITER, HUGE_VAL};  // not reached: the loop returns at it == max_iter
}

template <typename T>
using In3 = nb::ndarray<const T, nb::ndim<3>, nb::c_contig, nb::device::cpu>;
template <typename T>
using In2 = nb::ndarray<const T, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
template <typename T>
using Out2 = nb::ndarray<T, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

template <typename T>
Result bind_iterations(In3<T> K, In2<T> r, In2<T> c, Out2<T> a, Out2<T> b, double tol, long max_iter,
                                     double tau, int threads) {
    const long ny = static_cast<long>(K.shape(0)), m = static_cast<long>(K.shape(1)),
               n = static_cast<long>(K.shape(2));
    auto same = [](auto& arr, long d0, long d1) {
        return static_cast<long>(arr.shape(0)) == d0 && static_cast<long>(arr.shape(1)) == d1;
    };
    if (!same(r, ny, m) || !same(a, ny, m) || !same(c, ny, n) || !same(b, ny, n))
        throw std::invalid_argument("scaling_iterations: expected K (Y, m, n), r and a (Y, m), c and b (Y, n); got K (" +
                                    std::to_string(ny) + ", " + std::to_string(m) + ", " + std::to_string(n) +
                                    ") and mismatched vectors.");
    if (max_iter < 1) throw std::invalid_argument("scaling_iterations: max_iter must be >= 1.");
    if (threads < 1) throw std::invalid_argument("scaling_iterations: threads must be >= 1.");
    nb::gil_scoped_release release;
    return scaling_iterations<T>(K.data(), r.data(), c.data(), a.data(), b.data(), ny, m, n, tol, max_iter, tau,
                                  threads);
}

}  // namespace

NB_MODULE(_sinkhorn, mod) {
    mod.doc() = "Fused scaling iterations of pidkit's Sinkhorn projection (see pidkit/kernels/sinkhorn.py).";
    const char* doc =
        "scaling_iterations(K, r, c, a, b, tol, max_iter, tau, threads) -> (iterations, status, error)\n\n"
        "Sinkhorn scaling iterations on K (Y, m, n), updating a (Y, m) and b (Y, n) in place; float32 or float64,\n"
        "C-contiguous, all of one dtype; at most `threads` OpenMP threads. status: 0 converged, 1 absorb,\n"
        "2 nonfinite, 3 max_iter.";
    mod.def("scaling_iterations", &bind_iterations<float>, nb::arg("K").noconvert(), nb::arg("r").noconvert(),
            nb::arg("c").noconvert(), nb::arg("a").noconvert(), nb::arg("b").noconvert(), nb::arg("tol"),
            nb::arg("max_iter"), nb::arg("tau"), nb::arg("threads"), doc);
    mod.def("scaling_iterations", &bind_iterations<double>, nb::arg("K").noconvert(), nb::arg("r").noconvert(),
            nb::arg("c").noconvert(), nb::arg("a").noconvert(), nb::arg("b").noconvert(), nb::arg("tol"),
            nb::arg("max_iter"), nb::arg("tau"), nb::arg("threads"), doc);
}
