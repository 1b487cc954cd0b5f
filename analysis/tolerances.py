"""Every numeric tolerance canlearn uses, named once.

A check compares ``|a - b| <= ATOL + RTOL * |b|`` unless it says otherwise.
"""

# Hand-coded gradient vs compiled symbolic gradient (both float64, same formulas up to order).
GRAD_ATOL = 1e-12
GRAD_RTOL = 1e-9

# Central finite differences are only O(h^2) accurate: a looser test, at moderate weights only.
FD_STEP = 1e-6
FD_ATOL = 1e-7
FD_RTOL = 1e-5
FD_MAX_ABS_WEIGHT = 30.0

# Gradcheck conditioning (ill-conditioned points): a pre-activation whose float sum (in some order
# of its terms) misses the exact sum by more than PREACT_ATOL + PREACT_RTOL |a| loses digits a float
# gradient needs (sigma' changes by a relative ~|da|, and GRAD_RTOL is 1e-9), ...
PREACT_ATOL = 1e-11
PREACT_RTOL = 1e-12
# ... unless float and exact pre-activation share a sign and both exceed this: sigma' < 1e-325 there,
# below the smallest double, so every float forward pass sees the same sigma (0 or 1) and sigma' (0).
PREACT_SATURATION = 750.0

# mpmath working precision (decimal digits) for the high-precision tie-breaker.
MP_DPS = 50
# ... doubled until two precisions round to the same float, up to this many digits.
MP_MAX_DPS = 3200

# The seed's stopping rule: stop when the step length drops below this.
SEED_STEP_TOL = 1e-5

# Numeric optimum vs proved infimum.
OPT_LOSS_ATOL = 1e-6

# Timeout (seconds) for any single bounded SymPy call in proofs.
SYMPY_TIMEOUT = 20.0

# Optimise / dynamics
# A coordinate with |w_i| >= B (1 - BOUNDARY_RTOL) lies on the box boundary [-B, B].
BOUNDARY_RTOL = 1e-7
# Optimality on a box: the projected gradient clip(w - g, -B, B) - w must be this small (max-norm).
KKT_ATOL = 1e-6
# Loss gaps (best - infimum, at mpmath precision) below this are float noise: left out of trend fits.
GAP_FIT_FLOOR = 1e-12
# A numeric optimum may undercut the proved infimum by at most this much (float rounding of L).
INFIMUM_UNDERCUT_ATOL = 1e-12
# Significant digits demanded of a valley's minimiser and value (mpmath.findroot at MP_DPS).
VALLEY_DIGITS = 12
# Gradient norm at which a numeric minimiser of a valley's limit counts as stationary.
VALLEY_GTOL = 1e-9
# A coordinate of a valley's numeric minimiser beyond this magnitude is taken as diverging.
VALLEY_DIVERGE = 30.0
# Critical points: gradient root tolerance, duplicate radius, and |eigenvalue| counted as zero.
CRIT_GTOL = 1e-10
CRIT_DEDUPE = 1e-6
CRIT_EIG_ZERO = 1e-9

# Certified critical points and descent destinations (analysis/dynamics)
# Working precision (bits) of the Krawczyk test and the Hessian eigenvalue enclosures.
CRIT_ARB_PREC = 128
# Box half-widths tried by the Krawczyk test, relative to 1 + |w_i|, smallest first.
CRIT_BOX_RADII = (1e-10, 1e-8, 1e-6, 1e-4)
# Levenberg-Marquardt iterations of the vectorised critical-point search.
CRIT_LM_ITER = 200
# A descent end with max |grad L| below this is taken to a critical point and polished there.
DEST_GTOL = 1e-6
# A growing pre-activation beyond this magnitude counts as saturated (sigma within ~6e-6 of 0 or 1).
DEST_SATURATION = 12.0
# Two destinations with limiting losses this close (and the same pattern) are the same one.
DEST_LOSS_ATOL = 1e-4
# Confidence level of the basin fractions' Wilson intervals.
BASIN_CONFIDENCE = 0.95

# Figures
# Gradient-check errors are drawn as a share of the error the check allows (atol + rtol |g|);
# shares below this are drawn at this level (log axes cannot span 1e-300 readably).
FIG_ERROR_CLIP = 1e-10
# Exact-zero gradient-check errors are drawn on their own row, this far below the clip level.
FIG_ZERO_ROW = 1e-12
# Valley floors this close (relative) are equally low in the basin figure's legend.
FIG_SAME_FLOOR_RTOL = 1e-12
# Smallest font size (points) check_figure accepts.
FIG_MIN_FONT_PT = 7.0

# Proofs
# Working precision (bits) of the rigorous arb interval certificates.
PROOF_ARB_PREC = 256
# Largest SymPy expression (count_ops) a proof step will expand or cancel; bigger steps fail.
PROOF_MAX_OPS = 4000
# Half-width of the weight boxes covered by interval certificates (the proofs handle the rest).
PROOF_BOX = 40.0
# Float slack for dense-sampling evidence (float64 sigmoid and loss round-off).
PROOF_SAMPLE_ATOL = 1e-12

# Regression checks: a regenerated results.json must match the committed one this closely.
REGRESSION_RTOL = 1e-9
REGRESSION_ATOL = 1e-12

# Certify (interval branch and bound over all of R^n)
# Widening of scipy's expit in the NumPy interval arithmetic: measured error <= ~1 ulp; 8 ulps here.
CERT_SIGMA_REL_SLACK = 8 * 2.0**-52
# ... plus this absolute slack, for subnormal results (whose relative error is unbounded).
CERT_SIGMA_ABS_SLACK = 1e-310
# Default closing tolerance: 'closed' iff upper - lower <= this.
CERT_TOL = 1e-9
# Working precision (bits) of the independent mpmath.iv / arb re-checks.
CERT_CHECK_PREC = 113
# A box whose every finite side is narrower than this (relative to 1 + |centre|) is not split.
CERT_MIN_WIDTH = 1e-10
# Witness family w(t): checked in arb at t = 2^k for k = 0..CERT_FAMILY_STEPS.
CERT_FAMILY_STEPS = 6

# Atlas (analysis/atlas)
# A gradient-descent start succeeds when its final loss is within this of the certified infimum.
ATLAS_SUCCESS_GAP = 1e-3
# Default certification target width of each cell's bracket (certify's tol).
ATLAS_CERTIFY_TOL = 1e-9

# Training stops (issue 13): the seed's rule stops a run; these name the stop truthfully.
# "converged" needs a nondegenerate critical point: every |Hessian eigenvalue| at least this ...
STOP_CURVATURE_MIN = 1e-8
# ... and the Newton step H^-1 g to it at most this long.
STOP_NEWTON_RADIUS = 1e-3
# A unit whose sigma' = h (1 - h) is below this on some sample counts as saturated ("stalled").
STOP_SATURATED_SLOPE = 1e-6

# Proof kernel (issue 10): a SymPy limit is accepted only when arb enclosures at points
# 2^j (j in LIMIT_SCALES) from the limit point close in on it: within this at the last point
# (or beyond its reciprocal for an infinite limit).
LIMIT_CONFIRM_TOL = 1e-6
LIMIT_SCALES = tuple(range(2, 13))
# Optional SMT second opinion (analysis/proofs/smt.py): z3's resource limit per query. A resource
# count, not a time limit, so that the same inputs give the same verdicts under any machine load
# (the shipped queries use under 25 000).
SMT_RLIMIT = 2_000_000
