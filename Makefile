# ckanext-territoire: local run and test targets.
#
# Everything is done by deploy/local/devctl.sh (read it for the details); this
# file only names the entry points. Nothing here needs Docker or a manual step:
# the first `make run` creates .venv, installs PostgreSQL/Redis if missing
# (as root), and builds a project-local PostgreSQL cluster and Redis in var/.
#
# Settings (environment or make variables):
#   PORT=5000  TERRITOIRE_PG_PORT=55432  TERRITOIRE_REDIS_PORT=56379
#   HARVEST_RUN_INTERVAL=300  ADMIN_PASSWORD=…  CKAN__X__Y=… (-> ckan.x.y)
#   ARGS='-k foo' (extra arguments for `make test` / `make bench-*`)

SHELL := /bin/bash
DEVCTL := bash deploy/local/devctl.sh
ARGS ?=

# Variables given on the command line (make run PORT=5010) reach the script
# as environment variables, like those set in the shell.

.DEFAULT_GOAL := help
.PHONY: help install run up down status test lint bench-search bench-dcat bench-harvest bench-data bench-pages bench-api i18n

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

install: ## Create .venv and install the project (editable, with test tools)
	@$(DEVCTL) install

run: ## Bootstrap and serve http://127.0.0.1:$PORT in the foreground (Ctrl-C stops all)
	@$(DEVCTL) run

up: ## Same as run, in the background; returns once the API answers
	@$(DEVCTL) up

down: ## Stop everything started by run/up/test (data stays in var/)
	@$(DEVCTL) down

status: ## Show the local processes, ports and log files
	@$(DEVCTL) status

test: ## Run pytest against the local PostgreSQL/Redis (ARGS='-k foo')
	@$(DEVCTL) test $(ARGS)

lint: ## ruff + mypy
	@$(DEVCTL) lint

bench-search: ## Search benchmark (tests/bench/bench_search.py)
	@$(DEVCTL) bench-search $(ARGS)

bench-dcat: ## DCAT export benchmark: full dump vs paged /catalog.ttl (tests/bench/bench_dcat.py)
	@$(DEVCTL) bench-dcat $(ARGS)

bench-harvest: ## Harvest benchmark: 5,000 datasets from a local Opendatasoft-format portal (tests/bench/bench_harvest.py)
	@$(DEVCTL) bench-harvest $(ARGS)

bench-data: ## DataStore benchmark: 1,000,000-row French CSV through xloader vs raw COPY, search latency (tests/bench/bench_data.py)
	@$(DEVCTL) bench-data $(ARGS)

bench-pages: ## Page benchmark: home, search, dataset, organisation in Chromium (cold/warm, weight) and server time (tests/bench/bench_pages.py)
	@$(DEVCTL) bench-pages $(ARGS)

# the portal of make up (its services and content), then three gunicorns of
# the script's own on free ports: ours, ours without rate limiting, stock CKAN
bench-api: ## API benchmark: ours vs stock CKAN plugins, rate-limit cost (tests/bench/bench_api.py)
	@$(DEVCTL) up
	@.venv/bin/python tests/bench/bench_api.py --ini var/ckan.ini $(ARGS)

I18N := ckanext-territoire/ckanext/territoire/i18n
i18n: ## Extract messages, merge them into the fr/en catalogues, compile (.mo)
	.venv/bin/pybabel extract -F config/babel.cfg --no-location --omit-header --sort-output \
		-k _ -k tk._ -o $(I18N)/ckanext-territoire.pot ckanext-territoire/ckanext/territoire
	.venv/bin/pybabel update -i $(I18N)/ckanext-territoire.pot -d $(I18N) \
		-D ckanext-territoire --no-fuzzy-matching
	.venv/bin/pybabel compile -d $(I18N) -D ckanext-territoire
