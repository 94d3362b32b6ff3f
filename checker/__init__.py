"""budgetcheck: compliance checker for German social-services budget agreements."""

__version__ = "0.1.0"
