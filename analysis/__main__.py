"""``python -m analysis`` and the ``canlearn`` command: the process entry point."""

import sys


def main(argv=None) -> int:
    """Limit BLAS threads before anything loads NumPy, then run the command line."""
    from .parallel import limit_blas_threads

    limit_blas_threads()
    from .cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
