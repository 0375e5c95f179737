# selfheal — build, test, lint, synthesize, deploy.
#
# Every target works on a fresh clone: what a target needs is pinned here and
# installed by the target itself. Go is pinned to 1.27.3 (the machine's own Go
# fetches it from the module proxy on first use).

export GOTOOLCHAIN := go1.27.3
export GOFLAGS := -buildvcs=false
# The CDK CLI and jsii: no telemetry, no notices, no version check, no
# end-of-life banner for Node 20 (see ../shared/TOOLING.md).
export CDK_DISABLE_VERSION_CHECK := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
VULNDB_VERSION      := v0.0.0-20261105234957-e22db6528018

# Each folder under functions/ is one Lambda; adding a folder adds a function.
FUNCTIONS := $(notdir $(patsubst %/,%,$(wildcard functions/*/)))
BOOTSTRAPS := $(foreach f,$(FUNCTIONS),bin/$(f)/bootstrap)

# The CDK CLI pinned in infra/package-lock.json, run from the root so it reads
# cdk.json (app, context, feature flags) and writes cdk.out/.
CDK := infra/node_modules/.bin/cdk

.PHONY: all build test e2e lint synth deploy diff demo bench clean fuzz $(BOOTSTRAPS)

all: build

## build: every functions/<name> → bin/<name>/bootstrap (linux/arm64, provided.al2023)
build: $(BOOTSTRAPS)

$(BOOTSTRAPS): bin/%/bootstrap:
	@mkdir -p $(dir $@)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -ldflags "-s -w" -o $@ ./functions/$*

## test: the README's test command — vet and race-enabled tests (CDK tests
## and the reliability suite included), then a few seconds of fuzzing of the
## event decoders and the pattern matcher (make fuzz runs longer)
CI_FUZZTIME ?= 5s
test:
	go vet ./...
	go test -race ./...
	go test ./shared/eventbridge -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(CI_FUZZTIME)
	go test ./shared/eventbridge -run '^$$' -fuzz '^FuzzMatch$$' -fuzztime $(CI_FUZZTIME)

## e2e: selfheal end to end on moto_server (which it starts on a free port of
## 127.0.0.1 and stops): cdk bootstrap + deploy with the pinned CLI, the real
## functions under the Lambda Runtime Interface Emulator, the matcher and
## state-table differentials; prints a summary. Fails when moto_server is
## missing (pip install 'moto[server]==5.2.1').
e2e: build infra/node_modules
	@command -v moto_server >/dev/null 2>&1 || { echo "e2e: moto_server not found on PATH: install it with pip install 'moto[server]==5.2.1'" >&2; exit 1; }
	go test -c -tags e2e -o bin/e2e.test ./e2e
	cd e2e && ../bin/e2e.test -test.count=1 -test.timeout=10m

## lint: gofmt, vet, staticcheck, go.mod drift, govulncheck against the pinned vulnerability database
lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	@tmp="$$(mktemp -d)"; cp go.mod go.sum "$$tmp"/; \
	  go mod tidy; \
	  if ! cmp -s go.mod "$$tmp/go.mod" || ! cmp -s go.sum "$$tmp/go.sum"; then \
	    echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit"; \
	    diff -u "$$tmp/go.mod" go.mod; cp "$$tmp/go.mod" "$$tmp/go.sum" .; rm -rf "$$tmp"; exit 1; fi; \
	  rm -rf "$$tmp"
	@vulndb="$$(go mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p')"; \
	  test -d "$$vulndb/data/osv" || { echo "vulnerability database not found"; exit 1; }; \
	  go run golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION) -db "file://$$vulndb/data/osv" ./...

## fuzz: a longer fuzzing run of the event decoders and the pattern matcher (FUZZTIME=5m)
FUZZTIME ?= 60s
fuzz:
	go test ./shared/eventbridge -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	go test ./shared/eventbridge -run '^$$' -fuzz '^FuzzMatch$$' -fuzztime $(FUZZTIME)

# npm ships Go files in aws-cdk's init templates ("%name%.template.go");
# go.mod's ignore directive keeps ./... out of infra/node_modules.
infra/node_modules: infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## synth: CloudFormation templates for every configured region into cdk.out/,
## offline and without AWS credentials (account: cdk.json context, else the
## CLI's credentials, else the placeholder 123456789012). SELFHEAL=<file>
## uses that file as the "selfheal" context instead of cdk.json's, e.g.
## make synth SELFHEAL=docs/organization-example.json (an organization's hub
## stacks, selfheal-organization with the StackSets, and the member
## templates in cdk.out/assembly-selfheal-members/)
synth: build infra/node_modules
	@rm -rf cdk.out
	$(CDK) synth --quiet $(SELFHEAL_CONTEXT)
	@ls cdk.out/*.template.json cdk.out/assembly-*/*.template.json 2>/dev/null || true

# The CDK CLI takes a context value on one line.
SELFHEAL_CONTEXT = $(if $(SELFHEAL),-c selfheal="$$(tr -d '\n' < $(SELFHEAL))")

## diff: what a deploy would change, against the account in your AWS credentials
diff: build infra/node_modules
	$(CDK) diff $(SELFHEAL_CONTEXT)

## deploy: every regional stack; asks before widening IAM or security groups
deploy: build infra/node_modules
	$(CDK) deploy --all --require-approval broadening $(SELFHEAL_CONTEXT)

## demo: the seed's game day on the simulated account
demo:
	go run ./cmd/selfheal simulate

## bench: sizes, cold starts, per-event cost and scale, printed as the
## tables of BENCHMARKS.md (commits nothing). It installs what it needs:
## the Lambda Runtime Interface Emulator (pinned, into a cache directory, by
## cmd/benchreport) and, where apt is there, Debian's python3-boto3 for the
## Python floor (skipped with a note otherwise).
bench: build
	@if ! /usr/bin/python3 -c 'import boto3' 2>/dev/null && command -v apt-get >/dev/null 2>&1; then \
	  apt-get install -y -qq python3-boto3 >/dev/null 2>&1 || echo "bench: could not install python3-boto3; the boto3 floor will be skipped"; fi
	go run ./cmd/benchreport

clean:
	rm -rf bin cdk.out
