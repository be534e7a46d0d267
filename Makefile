# The front door. Two commands on a fresh machine: `make sim` (the dense core on both simulators)
# and `make test`. Every target creates or refreshes the venv from requirements.txt first.
PYTHON  ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
DESIGN  ?= dense
SIM     ?= icarus verilator
SEED    ?=
TESTS   ?=
WAVES   ?= 0
RECORDS ?=
SEEDS   ?= 3
JOBS    ?= auto
N       ?= 20
METHOD  ?=
STEPS   ?=
BATCH   ?=
# make regress / cov on an existing Dask cluster (tcp://host:8786); empty: a LocalCluster here.
SCHEDULER ?=
# Cores for compare, area and lint; empty means every core (the manifests verif/*/*_sim_cfg.hjson).
DESIGNS ?=
# help runs before setup: the venv's Python if there is one, else the system's (cores.py names
# needs only the standard library).
HELP_PY  = $(if $(wildcard $(VPY)),$(VPY),$(PYTHON))

# The Debian packages each target uses (scripts/check_system.sh installs the missing ones as root).
SYSTEM = @bash scripts/check_system.sh

SIM_ARGS = --design $(DESIGN) $(if $(SEED),--seed $(SEED)) $(if $(TESTS),--tests $(TESTS)) \
           $(if $(filter 1,$(WAVES)),--waves) $(if $(RECORDS),--records $(RECORDS))

.PHONY: help setup sim test regress scheduler worker compare grid area energy report cov lint bench mutate train-rtl clean
help:
	@echo "cores (from verif/*/*_sim_cfg.hjson): $$($(HELP_PY) scripts/cores.py names)"
	@echo "make sim [DESIGN=dense] [SIM=icarus|verilator] [SEED=n] [TESTS=a,b] [WAVES=1] [RECORDS=dir]"
	@echo "make compare [DESIGNS=\"a b\"] [RECORDS=\"dir ...\"]   (default: every core, each with its manifest's compare_records)"
	@echo "make grid   (the trainer's two dataflows over a weight x activation sparsity grid, against dense)"
	@echo "make report [DESIGNS=\"a b\"]   (area + compare + energy, then build/report/index.html)"
	@echo "make energy   (event energy and Accelergy action counts of the last make compare)"
	@echo "make area [DESIGNS=\"a b\"] | lint [DESIGNS=\"a b\"] | cov [SEEDS=3]   (DESIGNS default: every core)"
	@echo "make test | regress [SEEDS=3] [DESIGNS=\"a b\"] [TESTS=a,b] [SCHEDULER=tcp://host:8786] | bench | clean"
	@echo "make scheduler | worker SCHEDULER=tcp://host:8786 [JOBS=n]   (a Dask cluster for regress/cov)"
	@echo "make train-rtl [DESIGN=dense] [METHOD=name] [STEPS=3] [BATCH=4]   (training through the core, checked per step)"
	@echo "make mutate [DESIGN=dense] [N=20] [SEED=n] [TESTS=a,b]   (RTL mutants against the core's tests)"
	@echo "what each core's manifest gives compare, area and cov: $(VPY) scripts/cores.py show"

$(VENV)/.installed: requirements.txt scripts/check_system.sh
	@bash scripts/check_system.sh
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	@echo "[setup] installing Python packages from requirements.txt into $(VENV)"
	@$(VPY) -m pip install -q --upgrade pip
	@$(VPY) -m pip install -q -r requirements.txt
	@touch $@

setup: $(VENV)/.installed

sim: setup
	$(SYSTEM) $(SIM)
	@for s in $(SIM); do $(VPY) scripts/sim.py $(SIM_ARGS) --sim $$s || exit 1; done

test: setup
	$(SYSTEM) icarus verilator
	$(VPY) -m pytest -n 2 --dist loadgroup -q models/tests scripts/tests verif

regress: setup
	$(SYSTEM) verilator
	$(VPY) scripts/regress.py --seeds $(SEEDS) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) \
	    $(if $(filter-out auto,$(JOBS)),--workers $(JOBS)) $(if $(strip $(DESIGNS)),--designs "$(DESIGNS)") \
	    $(if $(TESTS),--tests $(TESTS))

# A Dask cluster for make regress/cov SCHEDULER=tcp://host:8786: `make scheduler` on one host, `make
# worker` on each host that shares this folder at the same path (tasks import verif.common.regression).
scheduler: setup
	PYTHONPATH=$(CURDIR) $(VENV)/bin/dask scheduler --port 8786

worker: setup
	$(SYSTEM) verilator
	@test -n "$(SCHEDULER)" || { echo "usage: make worker SCHEDULER=tcp://host:8786 [JOBS=n]"; exit 2; }
	PYTHONPATH=$(CURDIR) $(VENV)/bin/dask worker $(SCHEDULER) --nthreads 1 \
	    --nworkers $(if $(filter-out auto,$(JOBS)),$(JOBS),$$(nproc))

compare: setup
	$(SYSTEM) verilator
	$(VPY) scripts/compare.py $(if $(strip $(DESIGNS)),--designs "$(DESIGNS)") $(if $(RECORDS),--records $(RECORDS))

grid: setup
	$(SYSTEM) verilator
	$(VPY) scripts/grid.py

area: setup
	$(VPY) scripts/area.py $(if $(strip $(DESIGNS)),--designs "$(DESIGNS)") --json build/area.json --png build/area.png

# One page over every core: whole-core area first (compare reads it for iso-area), then compare, then the page.
report: setup
	$(SYSTEM) verilator
	$(VPY) scripts/area.py $(if $(strip $(DESIGNS)),--designs "$(DESIGNS)") --json build/area.json --png build/area.png
	$(VPY) scripts/compare.py $(if $(strip $(DESIGNS)),--designs "$(DESIGNS)") $(if $(RECORDS),--records $(RECORDS))
	$(VPY) scripts/energy.py
	$(VPY) scripts/report.py

# Event energy and Accelergy action counts of the last make compare.
energy: setup
	$(VPY) scripts/energy.py

cov: setup
	$(SYSTEM) verilator cov
	SCHEDULER=$(SCHEDULER) $(VPY) scripts/coverage.py --seeds $(SEEDS)

mutate: setup
	$(SYSTEM) verilator
	$(VPY) scripts/mutate.py --design $(DESIGN) -n $(N) $(if $(SEED),--seed $(SEED)) $(if $(TESTS),--tests $(TESTS)) \
	    --jobs $(if $(filter auto,$(JOBS)),$$(nproc),$(JOBS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

train-rtl: setup
	$(SYSTEM) verilator
	$(VPY) scripts/train_rtl.py --design $(DESIGN) $(if $(METHOD),--method $(METHOD)) $(if $(STEPS),--steps $(STEPS)) \
	    $(if $(BATCH),--batch $(BATCH)) $(if $(SEED),--seed $(SEED))

lint: setup
	$(VPY) scripts/lint.py $(if $(strip $(DESIGNS)),--designs "$(DESIGNS)")

bench: setup
	$(SYSTEM) icarus verilator
	$(VPY) scripts/bench.py

clean:
	rm -rf build
