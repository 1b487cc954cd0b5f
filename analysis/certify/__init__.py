"""Certified answers over all real weights: interval branch and bound, witnesses, certificates.

``certify(problem)`` returns a :class:`CertifyResult` (a proven bracket on inf L, a status, and
whether the infimum is attained and the data separable); ``check_certificate(path)`` re-checks a
certificate file in a second, independent arithmetic.
"""

import sys
import types

from .certificate import CertificateError, CheckResult, check_certificate
from .result import CertifyResult
from .run import certify
from .smt import SmtDisagreementError

__all__ = [
    "CertificateError",
    "CertifyResult",
    "CheckResult",
    "SmtDisagreementError",
    "certify",
    "check_certificate",
]


class _CallableModule(types.ModuleType):
    """``analysis.certify`` names both this package and the function ``analysis.certify(...)``
    (exported lazily by ``analysis``): once the package is imported, the attribute is the
    package, so calling it must still certify."""

    def __call__(self, *args, **kwargs):
        return certify(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
