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

# The seed's stopping rule: stop when the step length drops below this.
SEED_STEP_TOL = 1e-5

# Numeric optimum vs proved infimum.
OPT_LOSS_ATOL = 1e-6

# Timeout (seconds) for any single bounded SymPy call in proofs.
SYMPY_TIMEOUT = 20.0
