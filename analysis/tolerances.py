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
# Confidence level of the basin fractions' Wilson intervals.
BASIN_CONFIDENCE = 0.95

# Figures
# Gradient-check errors below this are drawn at this level (log axes cannot span 1e-300 readably).
FIG_ERROR_CLIP = 1e-20
# Exact-zero gradient-check errors are drawn on their own row, this far below the clip level.
FIG_ZERO_ROW = 1e-22
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
