# queue lab — two commands: `make lab` (learn) and `make test` (check everything).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py
# Tests and notebook builds use their own local cloud, started fresh, so they neither
# disturb a running lab nor depend on what a learner left behind.
TEST_STATE := $(CURDIR)/.lab/test
BUILD_STATE := $(CURDIR)/.lab/build
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Tests and notebooks run in parallel (pytest-xdist): each worker has local clouds of its
# own under $(TEST_STATE) (see conftest.py); a notebook's cells stay on one worker. Many
# tests wait on visibility timeouts and TTLs: on 2 cores, 5 workers (longest files first)
# ran make test in 109 s, 3 or 4 in 117-123 s, 6 in 117 s
# (python -m labsupport.bench startup --nbval --workers N).
TEST_WORKERS ?= 5
PARALLEL := -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder
# Stops every local cloud under a state folder (a run that was killed may leave some).
stop_clouds = for state in $(1) $(1)/*/; do if [ -f $$state/localcloud.json ]; then \
	LAB_STATE_DIR=$$state $(PY) -m labsupport down >/dev/null; fi; done; true

.PHONY: install browser lab test notebooks down status lint clean

# Deterministic outputs: no progress bars in tests and notebook builds (make lab keeps them).
test notebooks: export LAB_PROGRESS := 0

install: $(PY_STAMP) $(NODE_STAMP) $(KERNEL_CONFIG)

# JupyterLab refuses to run as root unless told; containers and CI often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
# Installs a Debian package without questions; a fresh container has no package lists yet.
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get
apt_install = $(APT_GET) install -y -qq $(1) >/dev/null 2>&1 || \
	{ $(APT_GET) update -qq && $(APT_GET) install -y -qq $(1) >/dev/null; }

# Debian's python3 makes no virtual environment without python3-venv (ensurepip).
$(PY_STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "queue lab needs Python 3.11 or newer, found " + sys.version.split()[0] + ": install it, or use conda (see README)")'
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing python3-venv (Debian's python3 needs it for .venv)"; \
	    $(call apt_install,python3-venv); \
	  else echo "$(PYTHON) cannot make a virtual environment: install python3-venv (apt-get install python3-venv) or use conda (see README)"; exit 1; fi; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# Every kernel of the venv loads labsupport.hints (a NameError before the Setup cells says
# to run them): IPython reads configuration files from sys.prefix/etc/ipython.
$(KERNEL_CONFIG): lab-settings/ipython_kernel_config.py | $(PY_STAMP)
	@mkdir -p $(@D)
	cp $< $@

# patches/ is applied by npm ci (postinstall: patch-package), so a new patch re-installs.
$(NODE_STAMP): package.json package-lock.json $(wildcard patches/*.patch)
	@command -v node >/dev/null || { echo "Node.js 20+ is needed for the local cloud (Azurite): install it from https://nodejs.org or use conda (see README)"; exit 1; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "Node.js 20+ is needed, found $$(node --version)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# JupyterLab for the lab: no calls home (news feed, update check, extension manager) and the
# lab's default settings (lab-settings/overrides.json: no "get Jupyter news?" pop-up).
# A learner can still change any of them in Settings. The browser test starts it the same way.
QUIET_LAB := --LabApp.news_url=None --LabApp.extension_manager=readonly \
	--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	--LabApp.app_settings_dir=$(CURDIR)/lab-settings

# A second `make lab` starts no second JupyterLab on the same notebooks (two servers
# autosaving one notebook overwrite each other's changes): it prints the open one's URL.
# JUPYTER_ARGS adds flags, e.g. make lab JUPYTER_ARGS="--port=8899 --no-browser".
JUPYTER_ARGS ?=
lab: install
	@$(PY) -m labsupport running-lab notebooks || { $(PY) -m labsupport up && \
	  $(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ALLOW_ROOT) $(QUIET_LAB) $(JUPYTER_ARGS); }

# The browser test drives Debian's Chromium (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Chromium for the browser test"; \
	    $(call apt_install,chromium); \
	  else echo "Chromium not found: the browser test will be skipped (apt-get install chromium)"; fi; }

# The Azure CLI in its own environment (.venv-az: azure-cli pins management SDKs of its
# own, and .venv stays as it is), installed from cli-requirements.txt, azure-cli and every
# package it resolved to, pinned. `eval "$(python -m labsupport env --az)"` then points it
# at the local cloud (README, "The Azure CLI"). make test installs it: the CLI tests
# (tests/cli) run there and fail, not skip, without it (LAB_REQUIRE_AZCLI=1).
AZ_VENV := .venv-az
AZ_STAMP := $(AZ_VENV)/.installed
.PHONY: cli
cli: $(AZ_STAMP)

$(AZ_STAMP): cli-requirements.txt | $(PY_STAMP)
	rm -rf $(AZ_VENV)
	$(PYTHON) -m venv $(AZ_VENV)
	$(AZ_VENV)/bin/python -m pip install --quiet -r cli-requirements.txt
	@touch $@

# A class on one machine (docs/CLASSROOM.md): JupyterHub and its idle culler in .venv (the
# `hub` extra of pyproject.toml, versions from constraints.txt), configurable-http-proxy in
# classroom/ (its own package.json: the local cloud's node_modules is never touched).
HUB_STAMP := $(VENV)/.hub-installed
PROXY_STAMP := classroom/node_modules/.installed
HUB_ARGS ?=
.PHONY: hub hub-install
hub-install: $(HUB_STAMP) $(PROXY_STAMP)

$(HUB_STAMP): pyproject.toml constraints.txt | $(PY_STAMP)
	$(PY) -m pip install --quiet -c constraints.txt $$($(PY) -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["hub"]))')
	@touch $@

$(PROXY_STAMP): classroom/package.json classroom/package-lock.json
	@command -v node >/dev/null || { echo "Node.js 20+ is needed for the hub's proxy: install it from https://nodejs.org"; exit 1; }
	cd classroom && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Starts the hub on 127.0.0.1:8800 (classroom/jupyterhub_config.py says which settings).
# Learners are Unix users: run it as root (sudo make hub) after
# `sudo .venv/bin/python -m labsupport class add-learners ana ben`.
hub: install hub-install
	@[ "$$(id -u)" = 0 ] || echo "note: not root, so the hub can start servers only for $$(id -un): run sudo make hub for a class"
	$(VENV)/bin/jupyterhub -f classroom/jupyterhub_config.py $(HUB_ARGS)

test: install browser cli hub-install
	@$(call stop_clouds,$(TEST_STATE))
	rm -rf $(TEST_STATE)
	$(VENV)/bin/ruff check .
	LAB_STATE_DIR=$(TEST_STATE) LAB_REQUIRE_AZCLI=1 $(PY) -m pytest $(PARALLEL) $(NBVAL) tests notebooks; \
	  status=$$?; $(call stop_clouds,$(TEST_STATE)); exit $$status

notebooks: install
	LAB_STATE_DIR=$(BUILD_STATE) $(PY) -m labsupport down >/dev/null
	rm -rf $(BUILD_STATE)
	LAB_STATE_DIR=$(BUILD_STATE) $(PY) tools/run_notebooks.py notebooks/[0-9]*.ipynb; \
	  status=$$?; LAB_STATE_DIR=$(BUILD_STATE) $(PY) -m labsupport down; exit $$status

down:
	$(PY) -m labsupport down

status:
	$(PY) -m labsupport status

lint: install
	$(VENV)/bin/ruff check .

clean: down
	rm -rf .lab
