# Makefile — the front door: configures and drives CMake.
#   make         build (build/)            make test   build and run every test
#   make run     build and run the main job (foundry demo)   make asan   tests under ASan + UBSan (build-asan/)
#   make bench   build the benchmarks       make clean
#   make install [PREFIX=/usr/local] [DESTDIR=]  libfoundry.a/.so, headers, foundry.pc, CMake package, the binary
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
PREFIX ?= /usr/local

all: $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)

$(BUILD)/Makefile:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null

# The build's output goes to $(BUILD)/build.log (printed only on failure): the main job's output is the job's.
run: $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS) > $(BUILD)/build.log 2>&1 || { cat $(BUILD)/build.log; exit 1; }
	@./$(BUILD)/foundry demo

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan:
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFD_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:protect_shadow_gap=0 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp ctest --output-on-failure -j $(JOBS)

bench: all

# The library, its headers, foundry.pc and the CMake package, and the binary,
# under $(DESTDIR)$(PREFIX) (tools/check_install.sh checks the result).
install: all
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

clean:
	rm -rf $(BUILD) build-asan

.PHONY: all run test asan bench install clean
