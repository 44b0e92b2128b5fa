"""``python -m finwarn`` runs the command line."""

from finwarn.cli import main

if __name__ == "__main__":
    main()
