# Backprop Workscreenshots: deps
	BACKPROP_RECORD_SCREENSHOTS=1 $(SWIFT) test --filter ScreenshotTests

bench: build, test, run the lessons and benchmarks.
#   make build          release build of the `backprop` command
#   make lesson N=1     build, then run lesson N
#   make test           debug build (the CLI tests run .build/debug/backprop), swift test, every lesson
#   make goldens        re-record the golden files the tests compare against
#   make screenshots    re-take docs/lesson-page.png and docs/sheet.png in headless Chromium
#   make bench          build, then doctor (CPU and kernels) and the benchmarks
#   make deps           install missing system packages (each target above does this first)

SWIFT ?= swift
RELEASE_BIN := .build/release/backprop

.PHONY: build deps lesson test goldens bench screenshots

build: deps
	$(SWIFT) build -c release --product backprop

deps:
	@scripts/install-deps.sh

lesson:
	@test -n "$(N)" || { echo 'usage: make lesson N=<lesson number>   (e.g. make lesson N=1)' >&2; exit 2; }
	@$(MAKE) --no-print-directory build
	$(RELEASE_BIN) lesson $(N)

test: deps
	$(SWIFT) build
	$(SWIFT) test
	.build/debug/backprop lesson --all > /dev/null

goldens: deps
	BACKPROP_RECORD_GOLDENS=1 $(SWIFT) test

screenshots: deps
	BACKPROP_RECORD_SCREENSHOTS=1 $(SWIFT) test --filter ScreenshotTests

bench: build
	$(RELEASE_BIN) doctor
	$(RELEASE_BIN) bench engine
	$(RELEASE_BIN) bench diagrams
	$(RELEASE_BIN) bench train
	$(RELEASE_BIN) bench grade
