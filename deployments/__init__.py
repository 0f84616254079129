"""Prefect deployments: `prefect.yaml` for work pools, `serve.py` for one machine (`desk up`)."""
