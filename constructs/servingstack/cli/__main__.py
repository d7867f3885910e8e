"""`python -m servingstack.cli`: the `servingstack` command."""

from servingstack.cli import main

main()
