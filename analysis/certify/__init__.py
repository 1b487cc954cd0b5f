"""Certified answers over all real weights: interval branch and bound, witnesses, certificates.

``certify(problem)`` returns a :class:`CertifyResult` (a proven bracket on inf L, a status, and
whether the infimum is attained and the data separable); ``check_certificate(path)`` re-checks a
certificate file in a second, independent arithmetic.
"""

from .certificate import CertificateError, CheckResult, check_certificate
from .result import CertifyResult
from .run import certify

__all__ = ["CertificateError", "CertifyResult", "CheckResult", "certify", "check_certificate"]
