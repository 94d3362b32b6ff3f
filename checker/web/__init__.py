"""The workbench (``budgetcheck serve``): a local web application for advisors."""
