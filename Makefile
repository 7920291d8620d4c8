# Backprop Workbench: build, test, run the lessons and benchmarks.
#   make build          release build of the `backprop` command
#   make lesson N=1     build, then run lesson N
#   make test           debug build (the CLI tests run .build/debug/backprop), swift test, every lesson;
#                       the server's tests run on their own after the rest: hundreds of tests at once,
#                       many blocking the two cooperative threads on a child process, starved their
#                       clients and servers past every deadline (a 7 s test took 136 s)
#   make goldens        re-record the golden files the tests compare against
#   make screenshots    re-take docs/lesson-page.png and docs/sheet.png in headless Chromium
#   make bench          build, then doctor (CPU and kernels) and the benchmarks
#   make deps           install missing system packages (each target above does this first)
#   make fuzz           libFuzzer on every input surface, a few seconds each (FUZZ_SECONDS=N for longer)
#   make sanitize       the test suite under AddressSanitizer, then ThreadSanitizer (not part of make test)

SWIFT ?= swift
# TOMLKit bundles toml++, whose asserts abort the process on some malformed TOML (`x = [}`: an
# assert in parse_value, reached from a student's answer file, a lesson or a course file). Built
# with NDEBUG, as toml++ is meant to ship, the same input is a parse error with its line. Only C++
# is compiled with it: the workbench has no C++ of its own, so it reaches toml++ and swift-crypto's
# BoringSSL, both of which ship built with NDEBUG (their asserts are debug checks; BoringSSL's
# release builds define it too). docs/reliability.md ("TOML that aborted the parser").
SWIFT_FLAGS := -Xcxx -DNDEBUG
RELEASE_BIN := .build/release/backprop

.PHONY: build deps lesson test goldens bench screenshots fuzz sanitize

build: deps
	$(SWIFT) build $(SWIFT_FLAGS) -c release --product backprop

deps:
	@scripts/install-deps.sh

lesson:
	@test -n "$(N)" || { echo 'usage: make lesson N=<lesson number>   (e.g. make lesson N=1)' >&2; exit 2; }
	@$(MAKE) --no-print-directory build
	$(RELEASE_BIN) lesson $(N)

# ServerTests run after the rest, in three runs: the timing-bound HostileClientTests (connection limits,
# deadlines, the memory budget) on their own, and LessonLeakTests (every lesson's full page for two
# students, about a minute of CPU) on its own. Beside it, or beside the Chromium suites, the timing-bound
# tests (the memory budget's concurrent requests, idle connections closed within 5 s, an LTI answer within
# the evaluation deadline) were starved and failed.
test: deps
	$(SWIFT) build $(SWIFT_FLAGS)
	$(SWIFT) test $(SWIFT_FLAGS) --skip ServerTests
	$(SWIFT) test $(SWIFT_FLAGS) --filter ServerTests --skip LessonLeakTests --skip HostileClientTests
	$(SWIFT) test $(SWIFT_FLAGS) --filter HostileClientTests
	$(SWIFT) test $(SWIFT_FLAGS) --filter LessonLeakTests
	.build/debug/backprop lesson --all > /dev/null
	@for s in expression claim lesson answer model saved idx csv api; do \
	    .build/debug/FuzzTargets $$s Fuzz/Corpus/$$s $$(test -d Fuzz/Regressions/$$s && echo Fuzz/Regressions/$$s) || exit 1; done

goldens: deps
	BACKPROP_RECORD_GOLDENS=1 $(SWIFT) test $(SWIFT_FLAGS)

screenshots: deps
	BACKPROP_RECORD_SCREENSHOTS=1 $(SWIFT) test $(SWIFT_FLAGS) --filter ScreenshotTests

bench: build
	$(RELEASE_BIN) doctor
	$(RELEASE_BIN) bench engine
	$(RELEASE_BIN) bench diagrams
	$(RELEASE_BIN) bench train
	$(RELEASE_BIN) bench grade

# Coverage-guided fuzzing (scripts/fuzz.sh, docs/reliability.md). Not in `make test`: its
# sanitizer build takes minutes; `make test` replays the corpora and past crashes instead.
FUZZ_SECONDS ?= 5
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The test suite under AddressSanitizer and ThreadSanitizer, each in its own scratch path; the CLI
# tests run the sanitized backprop; the server tests run on their own, as in `make test`. Leak
# checking is off (caches that live until exit), and so is Swift's backtracer, which reads memory
# the sanitizers guard. BACKPROP_SANITIZED lifts the tests' `ulimit -v` (a sanitizer reserves
# terabytes of address space for its shadow memory, so the binary could not start under it).
SANITIZE_ENV = ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no BACKPROP_SANITIZED=1
sanitize: deps
	$(SWIFT) build $(SWIFT_FLAGS) --scratch-path .build-asan --sanitize=address
	$(SANITIZE_ENV) BACKPROP_BIN=$(CURDIR)/.build-asan/debug/backprop $(SWIFT) test $(SWIFT_FLAGS) --scratch-path .build-asan --sanitize=address --skip ServerTests
	$(SANITIZE_ENV) BACKPROP_BIN=$(CURDIR)/.build-asan/debug/backprop $(SWIFT) test $(SWIFT_FLAGS) --scratch-path .build-asan --sanitize=address --filter ServerTests
	$(SWIFT) build $(SWIFT_FLAGS) --scratch-path .build-tsan --sanitize=thread
	$(SANITIZE_ENV) BACKPROP_BIN=$(CURDIR)/.build-tsan/debug/backprop $(SWIFT) test $(SWIFT_FLAGS) --scratch-path .build-tsan --sanitize=thread --skip ServerTests
	$(SANITIZE_ENV) BACKPROP_BIN=$(CURDIR)/.build-tsan/debug/backprop $(SWIFT) test $(SWIFT_FLAGS) --scratch-path .build-tsan --sanitize=thread --filter ServerTests
