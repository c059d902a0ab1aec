// pidkit.kernels._sinkhorn — fused scaling iterations of the BATCH estimator's Sinkhorn projection.
//
// Twin of pidkit.kernels._sinkhorn_torch.torch_iterate (same contract, same statuses). For every
// label y and the kernel K_y = exp(L_y + alpha_y 1^T + 1 beta_y^T) (formed by the Python side),
// iterate
//     a = r / (K b),   t = K^T a,   err = sum |t * b - c|,   b = c / t
// in ONE pass over K per iteration: each row of K is read once from memory to compute its
// scaling a_i = r_i / (K_i. b) and, while it is still in L1 cache, to accumulate a_i K_i. into
// the column sums t (thread-local accumulators, reduced after the pass). torch needs two
// matrix-vector products, i.e. two passes over K. The pass is compiled twice (baseline x86-64
// and AVX2+FMA, picked at run time). OpenMP over the Y*m rows, `threads` threads (the Python side
// passes torch.get_num_threads()); denormals are flushed (FTZ/DAZ) while the kernel runs: the
// Python side absorbs scalings before products could get near the denormal range.
//
// Also the other full passes of the projection (each replaces two to four torch passes and a
// temporary; measurements in docs/dev-notes.md#sinkhorn): `shifted` forms L + alpha 1^T + 1 beta^T
// (float64 sums) and, optionally, its exp (float32: an AVX2 polynomial exp, <= 2 ulp; float64:
// std::exp); `quad_pass` computes h = w * (K v) and t = K^T h in one pass (the backward's
// conjugate-gradient product); `row_col_sums` both sums of G in one pass; `assemble_grad`
// G - K o (x b^T + a z^T) in one pass. All split rows evenly among threads and are deterministic
// for a given thread count.
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
#include <type_traits>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#define PIDKIT_HAS_MXCSR 1
#endif
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
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

// The calling OpenMP thread's share [begin, end) of `rows` rows (all of them outside a parallel
// region); returns the thread number.
inline int thread_rows(long rows, long& begin, long& end) {
    int tid = 0, tot = 1;
#ifdef _OPENMP
    tid = omp_get_thread_num();
    tot = omp_get_num_threads();
#endif
    begin = rows * tid / tot;
    end = rows * (tid + 1) / tot;
    return tid;
}

// One fused pass over rows [begin, end) of K with v (Y, n) and coef (Y, m): s_i = K_i. v_y, then
// h_i = coef_i / s_i (Divide: the Sinkhorn row scaling a = r / (K b)) or h_i = coef_i * s_i (the
// backward's CG product), and t_y += h_i K_i. (t thread-local), while the row is in L1 cache.
#define PIDKIT_ROW_PASS_BODY                                         \
    for (long row = begin; row < end; ++row) {                       \
        const long y = row / m;                                      \
        const T* k = K + row * n;                                    \
        const T* vy = v + y * n;                                     \
        T s = 0;                                                     \
        _Pragma("omp simd reduction(+ : s)")                         \
        for (long j = 0; j < n; ++j) s += k[j] * vy[j];              \
        const T hi = Divide ? coef[row] / s : coef[row] * s;         \
        h[row] = hi;                                                 \
        T* ty = t + y * n;                                           \
        _Pragma("omp simd")                                          \
        for (long j = 0; j < n; ++j) ty[j] += k[j] * hi;             \
    }

template <bool Divide, typename T>
void row_pass_generic(const T* K, const T* coef, T* h, const T* v, T* t, long m, long n, long begin, long end) {
    PIDKIT_ROW_PASS_BODY
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define PIDKIT_AVX2_DISPATCH 1
// The same pass compiled for AVX2+FMA, chosen at run time: the build targets baseline x86-64 (SSE2).
template <bool Divide, typename T>
__attribute__((target("avx2,fma"))) void row_pass_avx2(const T* K, const T* coef, T* h, const T* v, T* t, long m,
                                                         long n, long begin, long end) {
    PIDKIT_ROW_PASS_BODY
}
const bool g_has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif

template <bool Divide, typename T>
void row_pass(const T* K, const T* coef, T* h, const T* v, T* t, long m, long n, long begin, long end) {
#ifdef PIDKIT_AVX2_DISPATCH
    if (g_has_avx2) return row_pass_avx2<Divide, T>(K, coef, h, v, t, m, n, begin, end);
#endif
    row_pass_generic<Divide, T>(K, coef, h, v, t, m, n, begin, end);
}

// The pass over all rows on `nthreads` threads (rows split evenly, per-thread column accumulators in
// `acc`, reduced in thread order: deterministic for a given thread count); t (Y, n) is overwritten.
template <bool Divide, typename T>
void fused_pass(const T* K, const T* coef, T* h, const T* v, T* t, std::vector<T>& acc, int nthreads, long ny,
                long m, long n) {
    const long rows = ny * m, cols = ny * n;
    FlushDenormals ftz;
    if (nthreads == 1) {
        std::fill(t, t + cols, T(0));
        row_pass<Divide, T>(K, coef, h, v, t, m, n, 0, rows);
        return;
    }
    acc.resize(static_cast<size_t>(nthreads) * cols);
#pragma omp parallel num_threads(nthreads)
    {
        FlushDenormals ftz_thread;
        long begin, end;
        T* mine = acc.data() + static_cast<size_t>(thread_rows(rows, begin, end)) * cols;
        std::fill(mine, mine + cols, T(0));
        row_pass<Divide, T>(K, coef, h, v, mine, m, n, begin, end);
    }
    for (long idx = 0; idx < cols; ++idx) {
        T s = acc[idx];
        for (int th = 1; th < nthreads; ++th) s += acc[static_cast<size_t>(th) * cols + idx];
        t[idx] = s;
    }
}

// Entries of K per thread below which a pass runs single-threaded (see pass_threads).
// tuned on benchmarks/bench_batch.py, see docs/dev-notes.md#sinkhorn
constexpr long kPassMinPerThread = 1L << 20;

using Result = std::tuple<long, int, double>;  // iterations, status, last L1 column error

template <typename T>
Result scaling_iterations(const T* K, const T* r, const T* c, T* a, T* b, long ny, long m, long n,
                                        double tol, long max_iter, double tau, int threads) {
    const long rows = ny * m, cols = ny * n;
    // One pass is memory-bound: a second thread pays only on large passes (kPassMinPerThread).
    const long min_per_thread = kPassMinPerThread;
    const int nthreads = static_cast<int>(std::max(1L, std::min<long>(threads, rows * n / min_per_thread)));
    std::vector<T> acc;
    std::vector<T> t(cols), good_a(a, a + rows), good_b(b, b + cols);
    long good_it = 0;
    const double lo = std::exp(-tau), hi = std::exp(tau);

    auto restore = [&]() {
        std::copy(good_a.begin(), good_a.end(), a);
        std::copy(good_b.begin(), good_b.end(), b);
    };

    for (long it = 1; it <= max_iter; ++it) {
        fused_pass<true, T>(K, r, a, b, t.data(), acc, nthreads, ny, m, n);  // a = r / (K b), t = K^T a
        double err = 0.0;
        for (long idx = 0; idx < cols; ++idx)
            err += std::abs(static_cast<double>(t[idx]) * b[idx] - static_cast<double>(c[idx]));
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

// ---------------------------------------------------------------------------------------------
// Other full passes of the projection
// ---------------------------------------------------------------------------------------------

// Threads for a pass over `entries` elements: at least kPassMinPerThread entries per thread.
int pass_threads(int threads, long entries) {
    return static_cast<int>(std::max(1L, std::min<long>(threads, entries / kPassMinPerThread)));
}

// out[y,i,:] = L[y,i,:] + alpha[y,i] + beta[y,:] (summed in double), then exp when asked.
template <typename T>
void shifted_rows_generic(const T* L, const double* alpha, const double* beta, T* out, long m, long n,
                          long begin, long end, bool do_exp) {
    for (long row = begin; row < end; ++row) {
        const double ai = alpha[row];
        const double* by = beta + (row / m) * n;
        const T* l = L + row * n;
        T* o = out + row * n;
        if (do_exp) {
            for (long j = 0; j < n; ++j) o[j] = static_cast<T>(std::exp(static_cast<T>(l[j] + (ai + by[j]))));
        } else {
            _Pragma("omp simd")
            for (long j = 0; j < n; ++j) o[j] = static_cast<T>(l[j] + (ai + by[j]));
        }
    }
}

#ifdef PIDKIT_AVX2_DISPATCH
// exp of 8 floats: x = k ln2 + r with |r| <= ln2/2 (ln2 split in two parts), e^r by a degree-7
// polynomial in Horner form (truncation error < 1e-8 relative), 2^k put into the exponent bits.
// Below -87.3 (exp under the smallest normal float) the result is 0, above 88.72 +inf; inputs are
// finite (checked by the Python side).
__attribute__((target("avx2,fma"))) inline __m256 exp8(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.33654f), hi = _mm256_set1_ps(88.72283f);
    const __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ), over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
    const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    const __m256 k = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693145751953125f), xc);  // ln2 high part (exact k*hi)
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(1.4286068203094172e-06f), r);      // ln2 low part
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    // 2^k in two factors so that k = 128 (x near 88.7) does not overflow the exponent field
    const __m256i ki = _mm256_cvtps_epi32(k);
    const __m256i k1 = _mm256_srai_epi32(ki, 1), k2 = _mm256_sub_epi32(ki, k1);
    const __m256 f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, _mm256_set1_epi32(127)), 23));
    const __m256 f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, _mm256_set1_epi32(127)), 23));
    __m256 res = _mm256_mul_ps(_mm256_mul_ps(p, f1), f2);
    res = _mm256_blendv_ps(res, _mm256_setzero_ps(), under);
    return _mm256_blendv_ps(res, _mm256_set1_ps(HUGE_VALF), over);
}

__attribute__((target("avx2,fma"))) void shifted_rows_avx2(const float* L, const double* alpha, const double* beta,
                                                           float* out, long m, long n, long begin, long end,
                                                           bool do_exp) {
    for (long row = begin; row < end; ++row) {
        const __m256d ai = _mm256_set1_pd(alpha[row]);
        const double* by = beta + (row / m) * n;
        const float* l = L + row * n;
        float* o = out + row * n;
        long j = 0;
        for (; j + 8 <= n; j += 8) {
            const __m256 lv = _mm256_loadu_ps(l + j);
            const __m256d s0 = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(lv)),
                                             _mm256_add_pd(ai, _mm256_loadu_pd(by + j)));
            const __m256d s1 = _mm256_add_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(lv, 1)),
                                             _mm256_add_pd(ai, _mm256_loadu_pd(by + j + 4)));
            __m256 z = _mm256_set_m128(_mm256_cvtpd_ps(s1), _mm256_cvtpd_ps(s0));
            if (do_exp) z = exp8(z);
            _mm256_storeu_ps(o + j, z);
        }
        for (; j < n; ++j) {
            const float z = static_cast<float>(l[j] + (alpha[row] + by[j]));
            o[j] = do_exp ? std::exp(z) : z;
        }
    }
}
#endif

template <typename T>
void shifted_impl(const T* L, const double* alpha, const double* beta, T* out, long ny, long m, long n, bool do_exp,
                  int threads) {
    const long rows = ny * m;
    const int nth = pass_threads(threads, rows * n);
#pragma omp parallel num_threads(nth) if (nth > 1)
    {
        FlushDenormals ftz;
        long begin, end;
        thread_rows(rows, begin, end);
#ifdef PIDKIT_AVX2_DISPATCH
        if constexpr (std::is_same<T, float>::value) {
            if (g_has_avx2) {
                shifted_rows_avx2(L, alpha, beta, out, m, n, begin, end, do_exp);
            } else {
                shifted_rows_generic<T>(L, alpha, beta, out, m, n, begin, end, do_exp);
            }
        } else {
            shifted_rows_generic<T>(L, alpha, beta, out, m, n, begin, end, do_exp);
        }
#else
        shifted_rows_generic<T>(L, alpha, beta, out, m, n, begin, end, do_exp);
#endif
    }
}

// h[y,i] = w[y,i] * (K_i. v_y), t_y = sum_i h[y,i] K_i.  (one pass)
template <typename T>
void quad_impl(const T* K, const T* v, const T* w, T* h, T* t, long ny, long m, long n, int threads) {
    std::vector<T> acc;
    fused_pass<false, T>(K, w, h, v, t, acc, pass_threads(threads, ny * m * n), ny, m, n);
}

// row[y,i] = sum_j G[y,i,j], col[y,j] = sum_i G[y,i,j] (double accumulation), one pass.
template <typename T>
void row_col_impl(const T* G, T* row_out, T* col_out, long ny, long m, long n, int threads) {
    const long rows = ny * m, cols = ny * n;
    const int nth = pass_threads(threads, rows * n);
    std::vector<double> acc(static_cast<size_t>(nth) * cols, 0.0);
#pragma omp parallel num_threads(nth) if (nth > 1)
    {
        long begin, end;
        double* mine = acc.data() + static_cast<size_t>(thread_rows(rows, begin, end)) * cols;
        for (long row = begin; row < end; ++row) {
            const T* g = G + row * n;
            double* cy = mine + (row / m) * n;
            double s = 0;
#pragma omp simd reduction(+ : s)
            for (long j = 0; j < n; ++j) {
                s += g[j];
                cy[j] += g[j];
            }
            row_out[row] = static_cast<T>(s);
        }
    }
    for (long idx = 0; idx < cols; ++idx) {
        double s = acc[idx];
        for (int th = 1; th < nth; ++th) s += acc[static_cast<size_t>(th) * cols + idx];
        col_out[idx] = static_cast<T>(s);
    }
}

// out[y,i,j] = G[y,i,j] - K[y,i,j] * (x[y,i] * b[y,j] + a[y,i] * z[y,j]), one pass.
template <typename T>
void assemble_impl(const T* G, const T* K, const T* x, const T* b, const T* a, const T* z, T* out, long ny, long m,
                   long n, int threads) {
    const long rows = ny * m;
    const int nth = pass_threads(threads, rows * n);
#pragma omp parallel for num_threads(nth) if (nth > 1) schedule(static)
    for (long row = 0; row < rows; ++row) {
        const long y = row / m;
        const T xi = x[row], ai = a[row];
        const T* by = b + y * n;
        const T* zy = z + y * n;
        const T* g = G + row * n;
        const T* k = K + row * n;
        T* o = out + row * n;
#pragma omp simd
        for (long j = 0; j < n; ++j) o[j] = g[j] - k[j] * (xi * by[j] + ai * zy[j]);
    }
}

template <typename T>
using Out3 = nb::ndarray<T, nb::ndim<3>, nb::c_contig, nb::device::cpu>;
template <typename T>
using In1 = nb::ndarray<const T, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

[[noreturn]] void shape_error(const char* fn, const std::string& what) {
    throw std::invalid_argument(std::string(fn) + ": " + what);
}

std::string dims3(long a, long b, long c) {
    return "(" + std::to_string(a) + ", " + std::to_string(b) + ", " + std::to_string(c) + ")";
}

template <typename A>
bool has_shape(const A& arr, long d0, long d1) {
    return static_cast<long>(arr.shape(0)) == d0 && static_cast<long>(arr.shape(1)) == d1;
}

template <typename T>
void bind_shifted(In3<T> L, In2<double> alpha, In2<double> beta, Out3<T> out, bool do_exp, int threads) {
    const long ny = static_cast<long>(L.shape(0)), m = static_cast<long>(L.shape(1)), n = static_cast<long>(L.shape(2));
    if (!has_shape(alpha, ny, m) || !has_shape(beta, ny, n) || static_cast<long>(out.shape(0)) != ny ||
        static_cast<long>(out.shape(1)) != m || static_cast<long>(out.shape(2)) != n)
        shape_error("shifted", "expected L and out " + dims3(ny, m, n) + ", alpha (Y, m) and beta (Y, n) float64.");
    nb::gil_scoped_release release;
    shifted_impl<T>(L.data(), alpha.data(), beta.data(), out.data(), ny, m, n, do_exp, std::max(1, threads));
}

template <typename T>
void bind_quad(In3<T> K, In2<T> v, In2<T> w, Out2<T> h, Out2<T> t, int threads) {
    const long ny = static_cast<long>(K.shape(0)), m = static_cast<long>(K.shape(1)), n = static_cast<long>(K.shape(2));
    if (!has_shape(v, ny, n) || !has_shape(t, ny, n) || !has_shape(w, ny, m) || !has_shape(h, ny, m))
        shape_error("quad_pass", "expected K " + dims3(ny, m, n) + ", v and t (Y, n), w and h (Y, m).");
    nb::gil_scoped_release release;
    quad_impl<T>(K.data(), v.data(), w.data(), h.data(), t.data(), ny, m, n, std::max(1, threads));
}

template <typename T>
void bind_row_col(In3<T> G, Out2<T> row, Out2<T> col, int threads) {
    const long ny = static_cast<long>(G.shape(0)), m = static_cast<long>(G.shape(1)), n = static_cast<long>(G.shape(2));
    if (!has_shape(row, ny, m) || !has_shape(col, ny, n))
        shape_error("row_col_sums", "expected G " + dims3(ny, m, n) + ", row (Y, m), col (Y, n).");
    nb::gil_scoped_release release;
    row_col_impl<T>(G.data(), row.data(), col.data(), ny, m, n, std::max(1, threads));
}

template <typename T>
void bind_assemble(In3<T> G, In3<T> K, In2<T> x, In2<T> b, In2<T> a, In2<T> z, Out3<T> out, int threads) {
    const long ny = static_cast<long>(K.shape(0)), m = static_cast<long>(K.shape(1)), n = static_cast<long>(K.shape(2));
    auto same3 = [&](const auto& arr) {
        return static_cast<long>(arr.shape(0)) == ny && static_cast<long>(arr.shape(1)) == m &&
               static_cast<long>(arr.shape(2)) == n;
    };
    if (!same3(G) || !same3(out) || !has_shape(x, ny, m) || !has_shape(a, ny, m) || !has_shape(b, ny, n) ||
        !has_shape(z, ny, n))
        shape_error("assemble_grad", "expected G, K, out " + dims3(ny, m, n) + ", x and a (Y, m), b and z (Y, n).");
    nb::gil_scoped_release release;
    assemble_impl<T>(G.data(), K.data(), x.data(), b.data(), a.data(), z.data(), out.data(), ny, m, n,
                     std::max(1, threads));
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
    const char* sdoc = "shifted(L, alpha, beta, out, exp, threads): out = L + alpha[:, :, None] + beta[:, None, :] "
                       "(sums in float64), exponentiated when exp is True.";
    const char* qdoc = "quad_pass(K, v, w, h, t, threads): h = w * (K v), t = K^T h per label, one pass over K.";
    const char* rdoc = "row_col_sums(G, row, col, threads): row and column sums of G (Y, m, n), one pass.";
    const char* adoc = "assemble_grad(G, K, x, b, a, z, out, threads): out = G - K * (x b^T + a z^T) per label.";
    mod.def("shifted", &bind_shifted<float>, nb::arg("L").noconvert(), nb::arg("alpha").noconvert(),
            nb::arg("beta").noconvert(), nb::arg("out").noconvert(), nb::arg("exp"), nb::arg("threads"), sdoc);
    mod.def("shifted", &bind_shifted<double>, nb::arg("L").noconvert(), nb::arg("alpha").noconvert(),
            nb::arg("beta").noconvert(), nb::arg("out").noconvert(), nb::arg("exp"), nb::arg("threads"), sdoc);
    mod.def("quad_pass", &bind_quad<float>, nb::arg("K").noconvert(), nb::arg("v").noconvert(), nb::arg("w").noconvert(),
            nb::arg("h").noconvert(), nb::arg("t").noconvert(), nb::arg("threads"), qdoc);
    mod.def("quad_pass", &bind_quad<double>, nb::arg("K").noconvert(), nb::arg("v").noconvert(), nb::arg("w").noconvert(),
            nb::arg("h").noconvert(), nb::arg("t").noconvert(), nb::arg("threads"), qdoc);
    mod.def("row_col_sums", &bind_row_col<float>, nb::arg("G").noconvert(), nb::arg("row").noconvert(),
            nb::arg("col").noconvert(), nb::arg("threads"), rdoc);
    mod.def("row_col_sums", &bind_row_col<double>, nb::arg("G").noconvert(), nb::arg("row").noconvert(),
            nb::arg("col").noconvert(), nb::arg("threads"), rdoc);
    mod.def("assemble_grad", &bind_assemble<float>, nb::arg("G").noconvert(), nb::arg("K").noconvert(),
            nb::arg("x").noconvert(), nb::arg("b").noconvert(), nb::arg("a").noconvert(), nb::arg("z").noconvert(),
            nb::arg("out").noconvert(), nb::arg("threads"), adoc);
    mod.def("assemble_grad", &bind_assemble<double>, nb::arg("G").noconvert(), nb::arg("K").noconvert(),
            nb::arg("x").noconvert(), nb::arg("b").noconvert(), nb::arg("a").noconvert(), nb::arg("z").noconvert(),
            nb::arg("out").noconvert(), nb::arg("threads"), adoc);
}
