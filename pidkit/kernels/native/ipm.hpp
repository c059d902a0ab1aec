// The interior-point loop: Mehrotra predictor-corrector on the dual
//     max c.lam   s.t.  g_k(lam) = LSE_{y in Y(k)} (lam1[x1,y] + lam2[x2,y]) <= 0   (pairs k)
// with multipliers s_k (= q(x1,x2) at the optimum) and slacks z_k = -g_k: start point, steps with
// a regularization ladder and safeguards, the choice of elimination for the Newton systems
// (schur.hpp or labels.hpp, by estimated cost), and termination by the certificate (certificate.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "certificate.hpp"
#include "labels.hpp"
#include "schur.hpp"

namespace pidkit_native {

constexpr double kTau = 0.995;       // fraction to the boundary
constexpr double kRpCap = 1.0;       // step safeguard on the constraint violation (nats)
constexpr double kRdGrowth = 10.0;   // ... and on the growth of the marginal residual,
constexpr double kRdTol = 0.1;       // measured from at least kRdTol tol (from a primal feasible to
                                     // rounding, rd ~ 1e-13, every step was cut and mu stalled)
constexpr int kRdTries = 20;
constexpr int kMaxHalvings = 40;
// Trust region of a step: no lam coordinate moves by more than this (nats). The exact Newton step
// along a direction of vanishing curvature (dual coordinates of cells whose mass is orders of
// magnitude off their marginal) can be thousands of nats long, and when it lowers lam nothing else
// stops it: such excursions left coordinates that later steps could not bring back
// (docs/dev-notes.md#mass-scaled-regularization).
constexpr double kMaxMove = 20.0;
// The regularization ladder tried, in this order, while the step stays short: the exact Newton
// matrix, then H + rho D with D = diag(max(c_i, served_i)) (served = c - rd: each unknown's own mass,
// which bounds its step to about 1/rho nats along directions of vanishing curvature and hardly
// touches the stiff ones), then H + prox mean(diag H) I (robustness of the factorizations). The
// latter alone froze the small-mass coordinates near the optimum: mean(diag H) grows like 1/mu, so
// prox mean(diag H) ended up far above their curvature and the step, accepted with alpha = 1
// because it was the longest, did not move them (docs/dev-notes.md#mass-scaled-regularization).
struct Rung {
    double prox;  // multiple of mean(diag H)
    double rho;   // multiple of the unknowns' masses
};
constexpr Rung kLadder[6] = {{0.0, 0.0}, {0.0, 0.1}, {0.0, 1.0}, {1e-10, 0.0}, {1e-8, 0.0}, {1e-6, 0.0}};
constexpr double kGoodStep = 0.1;
// the label elimination runs plain loops, the pair elimination BLAS-3: it is chosen when its flop
// estimate is this many times smaller (docs/dev-notes.md#elimination-by-label)
constexpr double kLabelFlopPenalty = 4.0;

struct Solver : Cells {
    Linearization lin;
    PairElimination pairs;
    std::unique_ptr<LabelElimination> labels;  // set when the elimination is by label
    Certificate cert;
    std::vector<double> tW, trhs, tjd, tw, tdxa, tdsa, tdza, tdx, tds, tdz, trdn, tD;  // step scratch

    // elimination: 0 chooses by estimated cost (plan), 1 forces the pairs' Schur complement, 2 by label
    Solver(const Problem& p, int n_threads, bool blas, int elimination = 0)
        : Cells(p, n_threads), pairs(*this, lin, blas), cert(*this) {
        if (elimination == 2 || (elimination == 0 && plan(p).bylabel))
            labels = std::make_unique<LabelElimination>(*this, lin);
    }
    bool bylabel() const { return labels != nullptr; }

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

    // ---- Newton systems: factor H + delta I + D at (s, z, P), then solve with it ----------------
    // dreg: D (nv entries) or null
    bool factor(const double* s, const double* z, const double* Pc, double prox, const double* dreg, bool want_f32) {
        lin.set(s, z, Pc, m);
        lin.dreg = dreg;
        return labels ? labels->factor(prox) : pairs.factor(prox, want_f32);
    }
    bool solve_refined(const double* rhs, double* dx) {
        if (!labels) return pairs.solve_refined(rhs, dx);
        labels->solve(rhs, dx);
        return true;
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

    bool try_step(const Rung& rung, const std::vector<double>& x, const std::vector<double>& s,
                  const std::vector<double>& z, const std::vector<double>& Pc, const std::vector<double>& rd,
                  const std::vector<double>& rp, double mu, double mu_floor, Step& out) {
        std::vector<double>& W = tW;
        std::vector<double>& rhs = trhs;
        std::vector<double>& jd = tjd;
        W.resize(nc);
        rhs.resize(nv);
        jd.resize(m);
        const bool timed = g_debug > 1;
        const double prox = rung.prox;
        const double* dreg = nullptr;
        if (rung.rho > 0) {  // D = rho max(c, served), served = c - rd (the kept unknowns only)
            tD.assign(nv, 0.0);
            for (int i = 0; i < nv; ++i)
                if (P.kept[i]) tD[i] = rung.rho * std::max(P.c[i], P.c[i] - rd[i]);
            dreg = tD.data();
        }
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
            if (pairs.f32) pcg_max = std::max(pcg_max, pairs.pcg_last);
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
            const bool want32 = attempt == 0 && pairs.f32_ok && prox == 0.0 && !dreg;
            const double tf0 = timed ? now_s() : 0.0;
            const bool fok = factor(s.data(), z.data(), Pc.data(), prox, dreg, want32);
            if (timed) T_factor += now_s() - tf0;
            if (!fok) {
                if (!pairs.f32) return false;
                pairs.f32_ok = false;
                continue;
            }
            pcg_max = 0;
            const int res = directions();
            if (res == 2) return false;
            if (res == 0) {
                pairs.n_f32 += pairs.f32;
                break;
            }
            pairs.f32_ok = false;
        }
        if (g_debug && pairs.f32) std::fprintf(stderr, "  single precision: up to %d PCG iterations\n", pcg_max);
        if (pcg_max > (P.NS < kPcgSwitchNS ? kPcgSwitchSmall : kPcgSwitch)) pairs.f32_ok = false;
        // large Schur complements: the line search does not need the factorization (a retry on the
        // regularization ladder factors again), so its cell-sized buffers never coexist with S
        if (large()) pairs.release();
        double rp_now = 0, rd_now = rd_floor;
        for (int64_t k = 0; k < m; ++k) rp_now = std::max(rp_now, std::fabs(rp[k]));
        for (int i = 0; i < nv; ++i) rd_now = std::max(rd_now, std::fabs(rd[i]));
        out.x.resize(nv);
        out.s.resize(m);
        out.z.resize(m);
        out.g.resize(m);
        out.Pc.resize(nc);
        std::vector<double>& rdn = trdn;
        rdn.resize(nv);
        double dx_max = 0;
        for (int i = 0; i < nv; ++i) dx_max = std::max(dx_max, std::fabs(dx[i]));
        for (int trial = 0; trial < kMaxHalvings; ++trial) {
            if (al * dx_max > kMaxMove) {  // trust region (kMaxMove)
                al *= 0.5;
                continue;
            }
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
                if (g_debug) std::fprintf(stderr, "  prox %.0e rho %.0e sigma %.2e mu_aff/mu %.2e al %.3e trial %d\n", prox, rung.rho, sigma, mu_aff / mu, al, trial);
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

    // returns this point's gap (best keeps the best one so far)
    double certificate(const std::vector<double>& x, const std::vector<double>& s, const std::vector<double>& Pc,
                       double mu, Result& best) {
        // large Schur complements: give the matrix back first, so that the certificate's buffers and
        // S never coexist (peak memory); the next factorization allocates it again
        if (large()) pairs.release();
        std::vector<double> xf, Q;
        const double D = cert.polish_dual(x.data(), xf, tW);
        cert.round_primal(s.data(), Pc.data(), Q);
        const double F = cert.fobj(Q);
        if (large()) {  // scratch of the polish: released before the next factorization allocates S
            std::vector<double>().swap(cert.cg);
            std::vector<double>().swap(cert.cP);
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

    double T_factor = 0, T_solve = 0, T_cert = 0, T0 = 0;  // seconds spent, for PIDKIT_NATIVE_DEBUG=2
    double rd_floor = 1e-13;  // the marginal residual's growth is measured from at least this (kRdTol)
    Result run(double tol, int max_iter) {
        T0 = g_debug > 1 ? now_s() : 0.0;
        rd_floor = std::max(1e-13, kRdTol * tol);
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
            // Ctrl-C: every iteration of a sizeable table, every 64th of a tiny one (ipm_solve_many)
            if ((nc >= 4096 || (it & 63) == 0) && interrupted()) break;
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
            for (const Rung& rung : kLadder) {
                if (nc >= 4096 && interrupted()) break;
                bool improved = false;
                if (try_step(rung, x, s, z, Pc, rd, rp, mu, mu_floor, trial)) {
                    if (!have || trial.alpha > step.alpha) {
                        improved = !have || trial.alpha > 1.01 * step.alpha;
                        std::swap(step, trial);
                        have = true;
                    }
                }
                if (have && step.alpha >= kGoodStep) break;
                if (costly && have && (rung.prox > 0 || rung.rho > 0) && !improved) break;
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
        // Ctrl-C: no final certificate, the bindings raise
        const bool stopped = t_interrupt != nullptr && t_interrupt->stop.load();
        if (!cert_now && !stopped) certificate(x, s, Pc, mu, best);
        if (g_debug > 1)
            std::fprintf(stderr, "seconds: factorizations %.3f (X build %.3f) solves %.3f certificates %.3f total %.3f\n", T_factor, pairs.T_xbuild,
                         T_solve, T_cert, now_s() - T0);
        if (best.lam.empty()) {  // no finite certificate at all
            best.lam.assign(nv, 0.0);
            best.q.assign(nc, 0.0);
        }
        best.iterations = std::min(it, max_iter);
        best.f32_factorizations = pairs.n_f32;
        best.converged = best.gap <= tol;
        best.status = stopped ? std::string("interrupted") : best.converged ? std::string("converged") : status;
        if (best.q.size() == (size_t)nc) best.viol = cert.marg_viol(best.q);
        return best;
    }
};

}  // namespace pidkit_native
