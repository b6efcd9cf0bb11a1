# Two entry points for people: `make run` and `make test`. Both install what is
# missing (Debian packages, via scripts/install-deps.sh), configure and build.
BUILD ?= build
JOBS ?= $(shell nproc)
# Tests at twice the cores: the integration tests spend most of their time
# waiting for nodes that run simulated time, not computing (on the 2-core VM
# the suite took 116 s at -j2 and 60 s at -j4, every test passing).
TEST_JOBS ?= $(shell echo $$(( $(JOBS) * 2 )))
CONFIG ?= config/grace.yaml
TIME_SCALE ?= 360
RUN_ARGS ?=

.PHONY: deps test-deps configure build node run test clean format

deps:
	bash scripts/install-deps.sh

test-deps:
	bash scripts/install-deps.sh --with-test-peers

configure:
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	  cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo; \
	fi

node: deps configure
	cmake --build $(BUILD) --target grace-node -j$(JOBS)

build: deps configure
	cmake --build $(BUILD) -j$(JOBS)

# Starts the node in the foreground on its built-in simulator, 6 virtual hours
# per real minute (Ctrl-C stops it).
run: node
	./$(BUILD)/grace-node run --config $(CONFIG) --simulate --time-scale $(TIME_SCALE) $(RUN_ARGS)

test: test-deps configure
	cmake --build $(BUILD) -j$(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j$(TEST_JOBS)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
