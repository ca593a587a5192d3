"""A class on one machine (JupyterHub): learner accounts, each learner's copy of the
notebooks, and the single-user command that stops a learner's local cloud with their server.

The hub's configuration is ``classroom/jupyterhub_config.py``; docs/CLASSROOM.md says how to
run it.
"""
