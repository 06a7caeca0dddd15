"""End-to-end tests: the Lambda binary and the role-audit CLI against moto (see conftest.py)."""
