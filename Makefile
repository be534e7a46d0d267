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
DESIGNS ?= dense swpu dqstp

SIM_ARGS = --design $(DESIGN) $(if $(SEED),--seed $(SEED)) $(if $(TESTS),--tests $(TESTS)) \
           $(if $(filter 1,$(WAVES)),--waves) $(if $(RECORDS),--records $(RECORDS))

.PHONY: help setup sim test regress compare area cov lint bench clean
help:
	@echo "make sim [DESIGN=dense] [SIM=icarus|verilator] [SEED=n] [TESTS=a,b] [WAVES=1] [RECORDS=dir]"
	@echo "make compare [DESIGNS=\"dense swpu dqstp\"] [RECORDS=\"dir ...\"]"
	@echo "make test | regress [SEEDS=3] | area | cov | lint | bench | clean"

$(VENV)/.installed: requirements.txt scripts/check_system.sh
	@bash scripts/check_system.sh
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	@echo "[setup] installing Python packages from requirements.txt into $(VENV)"
	@$(VPY) -m pip install -q --upgrade pip
	@$(VPY) -m pip install -q -r requirements.txt
	@touch $@

setup: $(VENV)/.installed

sim: setup
	@for s in $(SIM); do $(VPY) scripts/sim.py $(SIM_ARGS) --sim $$s || exit 1; done

test: setup
	$(VPY) -m pytest -n 2 --dist loadgroup -q models/tests scripts/tests verif

regress: setup
	$(VPY) -m pytest -m regress -n $(JOBS) -q verif/test_regress.py --seeds $(SEEDS) \
	    --junitxml=build/regress/junit.xml

compare: setup
	$(VPY) scripts/compare.py --designs "$(DESIGNS)" $(if $(RECORDS),--records $(RECORDS))

area: setup
	$(VPY) scripts/area.py --json build/area.json

cov: setup
	$(VPY) scripts/coverage.py --seeds $(SEEDS)

lint: setup
	$(VPY) scripts/lint.py

bench: setup
	$(VPY) scripts/bench.py

clean:
	rm -rf build
