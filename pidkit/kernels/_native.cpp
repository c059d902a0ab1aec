// pidkit.kernels._native — compiled exact solver of the BROJA program (nanobind bindings).
//
// A primal-dual interior-point method on the dual of min_q I_q(X1,X2;Y) over the distributions with
// the data's pairwise marginals, the same algorithm, safeguards and certificate as the NumPy twin
// (pidkit/kernels/ipm.py). The solver is header-only under native/, one responsibility each:
//   dense.hpp        BLAS/LAPACK pointers (SciPy's, handed over by set_blas), own dense routines
//   problem.hpp      the program in pair-major form and its derived layouts; support from a dense table
//   cells.hpp        passes over the cells (log-sum-exp, scatter, gather, residual)
//   newton.hpp       the Newton matrix at the current point and its matrix-free product
//   schur.hpp        elimination over pairs' nodes (Schur complement, mixed precision)
//   labels.hpp       elimination by label (Woodbury), for few pairs and many labels
//   certificate.hpp  polished dual, rounded primal: the certified gap that decides termination
//   ipm.hpp          the interior-point loop and the choice of elimination
// This file is the only translation unit that includes them. PIDKIT_NATIVE_DEBUG=1 (or 2) prints the
// iterations (and factorization timings). Design notes and measurements: docs/dev-notes.md.

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "native/ipm.hpp"

namespace nb = nanobind;

namespace {

using namespace pidkit_native;

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

// The Interrupt's probe: with the GIL, run Python's signal handlers (Ctrl-C raises KeyboardInterrupt
// there and leaves it pending). Only the main thread receives signals, so other threads never probe.
bool python_signal_pending() {
    nb::gil_scoped_acquire gil;
    return PyErr_CheckSignals() != 0;
}

bool on_main_thread() {
    nb::object main_thread = nb::module_::import_("threading").attr("main_thread")();
    return nb::cast<unsigned long>(main_thread.attr("ident")) == PyThread_get_thread_ident();
}

// After the GIL is back: re-raise the exception the probe left pending.
void raise_if_interrupted(const Interrupt& in) {
    if (in.stop.load() && PyErr_Occurred()) throw nb::python_error();
}

}  // namespace

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
            Interrupt in;
            in.probe = python_signal_pending;
            const bool main = on_main_thread();
            {
                nb::gil_scoped_release release;
                WatchScope watch(&in, main);
                pr.finish();
                Solver sv(pr, n_threads, true, elimination);
                by_label = sv.bylabel();
                res = sv.run(tol, max_iter);
            }
            raise_if_interrupted(in);
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
            Interrupt in;
            in.probe = python_signal_pending;
            const bool main = on_main_thread();
            {
                nb::gil_scoped_release release;
                const int nt = std::max(1, n_threads);
                (void)nt;
                auto solve_one = [&](int64_t i) {
                    Problem pr;
                    double ft = 0;
                    if (build_from_table(base + (size_t)i * stride, n1, n2, ny, pr, &ft)) {
                        primal[i] = dual[i] = ft;
                        gap[i] = 0;
                        iters[i] = 0;
                        conv[i] = 1;
                        return;
                    }
                    Solver sv(pr, 1, false);
                    Result r = sv.run(tol, max_iter);
                    primal[i] = r.primal;
                    dual[i] = r.dual;
                    gap[i] = r.gap;
                    iters[i] = r.iterations;
                    conv[i] = r.converged;
                };
                // Ctrl-C: only the calling thread (OpenMP's thread 0) can see it. Once its share of the
                // tables is done it keeps watching until the others finish; after a stop every thread
                // skips its remaining tables.
                std::atomic<int64_t> done{0};
#pragma omp parallel num_threads(nt) if (nt > 1 && B > 1)
                {
#ifdef _OPENMP
                    const bool caller = omp_get_thread_num() == 0;
#else
                    const bool caller = true;
#endif
                    WatchScope watch(&in, main && caller);
#pragma omp for schedule(dynamic, 64) nowait
                    for (int64_t i = 0; i < (int64_t)B; ++i) {
                        if (!interrupted()) solve_one(i);
                        done.fetch_add(1, std::memory_order_relaxed);
                    }
                    if (main && caller)
                        while (done.load() < (int64_t)B && !interrupted())
                            std::this_thread::sleep_for(std::chrono::milliseconds(10));
                }
            }
            raise_if_interrupted(in);
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
