"""canlearn: can this network learn this data? Exact derivatives, machine-checked proofs, numbers.

The public API, for analysis scripts::

    from analysis import preset, symbolic, compiled, loss, gradient, seed_loop, train, gradcheck
"""

__version__ = "0.1.0"

# Every public name is imported on first use, so that ``import analysis`` (and ``canlearn
# --help``/``--version``) loads neither NumPy, SciPy nor SymPy: add new names here, never as an
# import at the top (tests/test_startup.py checks). The functions optimise() and
# dynamics() are not re-exported: they share their modules' names, and `import analysis.dynamics`
# must give the module. Use `from analysis.optimise import optimise` and
# `from analysis.dynamics import dynamics`.
_LAZY = {
    "certify": ("certify", "certify"),
    "check_certificate": ("certify", "check_certificate"),
    "CertifyResult": ("certify", "CertifyResult"),
    "forward": ("backprop", "forward"),
    "gradient": ("backprop", "gradient"),
    "loss": ("backprop", "loss"),
    "GradcheckResult": ("check", "GradcheckResult"),
    "ParamCheck": ("check", "ParamCheck"),
    "gradcheck": ("check", "gradcheck"),
    "sample_points": ("check", "sample_points"),
    "DynamicsReport": ("dynamics", "DynamicsReport"),
    "basin_map": ("dynamics", "basin_map"),
    "critical_points": ("dynamics", "critical_points"),
    "valleys": ("dynamics", "valleys"),
    "destinations": ("dynamics", "destinations"),
    "Destinations": ("dynamics", "Destinations"),
    "CriticalPoint": ("dynamics", "CriticalPoint"),
    "Compiled": ("exact", "Compiled"),
    "SymbolicModel": ("exact", "SymbolicModel"),
    "compiled": ("exact", "compiled"),
    "seed_gradient_exprs": ("exact", "seed_gradient_exprs"),
    "sigma": ("exact", "sigma"),
    "symbolic": ("exact", "symbolic"),
    "PRESET_NAMES": ("network", "PRESET_NAMES"),
    "Dataset": ("network", "Dataset"),
    "Layer": ("network", "Layer"),
    "Network": ("network", "Network"),
    "Problem": ("network", "Problem"),
    "chain": ("network", "chain"),
    "preset": ("network", "preset"),
    "sigmoid": ("numerics", "sigmoid"),
    "OptimiseReport": ("optimise", "OptimiseReport"),
    "seed_gradient": ("seed", "seed_gradient"),
    "seed_loop": ("seed", "seed_loop"),
    "TrainResult": ("training", "TrainResult"),
    "random_init": ("training", "random_init"),
    "train": ("training", "train"),
    "prove": ("proofs", "prove"),
    "ProofReport": ("proofs", "ProofReport"),
    "render_markdown": ("proofs", "render_markdown"),
    "render_latex": ("proofs", "render_latex"),
    "run_all": ("report", "run_all"),
    "atlas": ("atlas", "atlas"),
}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        value = getattr(import_module(f".{module}", __name__), attr)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = list(_LAZY)
