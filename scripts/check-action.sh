#!/usr/bin/env bash
# Tests the GitHub Action's scripts (scripts/action/) offline:
#   install     a release-shaped folder with a fake chronos-lint, served over file://: install,
#               reuse, which ref selects a release and which a source build, checksum refusals;
#   comment     comment.py against a local mock of GitHub's REST API on 127.0.0.1;
#   fetch-base  --changed-since's base in shallow and complete clones of a local repository;
#   source-key  the source build's cache key;
#   action.yml  the scripts it names exist, its run: blocks parse (with PyYAML), and its schema
#               (with check-jsonschema from .cache/integrations, when scripts/check-integrations.sh
#               has installed it).
# Prints each check; exits 1 when any fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
scripts=$repo/scripts/action

# Nothing from a surrounding GitHub job or shell may steer the scripts under test.
unset GITHUB_OUTPUT GITHUB_ACTION_PATH GITHUB_ACTIONS RUNNER_TEMP RUNNER_OS RUNNER_ARCH \
  CHRONOS_LINT_VERSION CHRONOS_LINT_INSTALL_DIR CHRONOS_LINT_RELEASE_URL CHRONOS_LINT_DEEPEN_STEPS \
  GITHUB_API_URL GITHUB_REPOSITORY GITHUB_TOKEN GITHUB_EVENT_PATH

tmp=$(mktemp -d)
mock_pid=""
cleanup() {
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
section() { printf '\n== %s\n' "$1"; }
# check DESCRIPTION COMMAND...: runs COMMAND as the assertion.
check() {
  local what=$1
  shift
  if "$@"; then
    echo "ok   - $what"
    passed=$((passed + 1))
  else
    echo "FAIL - $what"
    failed=$((failed + 1))
    if [ -f "$tmp/stdout" ]; then sed 's/^/       stdout: /' "$tmp/stdout" | tail -n 15; fi
    if [ -f "$tmp/stderr" ]; then sed 's/^/       stderr: /' "$tmp/stderr" | tail -n 15; fi
  fi
}
# run COMMAND...: runs it, keeping stdout, stderr and the exit status ($status).
status=0
run() {
  set +e
  "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  status=$?
  set -e
}
status_is() { [ "$status" -eq "$1" ]; }
stdout_has() { grep -q -- "$1" "$tmp/stdout"; }
stderr_has() { grep -qi -- "$1" "$tmp/stderr"; }
last_line_is() { [ "$(tail -n 1 "$tmp/stdout")" = "$1" ]; }
file_has() { [ -f "$1" ] && grep -qx -- "$2" "$1"; }

sha256_file() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# ---------------------------------------------------------------------------------------------
section "install.sh"

case "$(uname -s)" in
  Linux) host_os=Linux ;;
  Darwin) host_os=macOS ;;
  *) host_os=$(uname -s) ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) host_arch=X64 ;;
  aarch64 | arm64) host_arch=ARM64 ;;
  *) host_arch=$(uname -m) ;;
esac
case "$host_os/$host_arch" in
  Linux/X64) triple=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) triple=aarch64-unknown-linux-gnu ;;
  macOS/X64) triple=x86_64-apple-darwin ;;
  macOS/ARM64) triple=aarch64-apple-darwin ;;
  *) echo "no release triple for this host ($host_os/$host_arch)" >&2; exit 1 ;;
esac
echo "host: $host_os/$host_arch = $triple"

version=9.8.7
name=chronos-lint-$version-$triple
archive=$name.tar.gz

# make_release DIR [EXTRA_ENTRY]: the release layout of scripts/package.sh, with a fake binary.
make_release() {
  local dir=$1 stage
  stage=$(mktemp -d "$tmp/stage.XXXXXX")
  mkdir -p "$stage/$name" "$dir"
  cat >"$stage/$name/chronos-lint" <<EOF
#!/bin/sh
if [ "\$1" = --version ]; then echo "chronos-lint $version (fake)"; exit 0; fi
echo "fake chronos-lint: \$*"
EOF
  chmod +x "$stage/$name/chronos-lint"
  for doc in LICENSE README.md CHANGELOG.md; do echo "$doc" >"$stage/$name/$doc"; done
  if [ -n "${2:-}" ]; then
    mkdir -p "$stage/$(dirname "$2")"
    echo stray >"$stage/$2"
    tar -czf "$dir/$archive" -C "$stage" "$name" "$2"
  else
    tar -czf "$dir/$archive" -C "$stage" "$name"
  fi
  (cd "$dir" && sha256_file "$archive" >"$archive.sha256")
}

make_release "$tmp/release/v$version"
release_url=file://$tmp/release/v$version

# Action checkouts: _actions/<owner>/<repo>/<ref>/ with the Cargo.toml of that ref (a dependency's
# `version` after [package] must not be taken for the package's).
action_at() {
  local dir=$tmp/_actions/chronos-lint/chronos-lint/$1
  mkdir -p "$dir"
  printf '[package]\nname = "chronos-lint"\nversion = "%s"\n\n[dependencies]\nversion_check = { version = "0.9" }\n' "$2" >"$dir/Cargo.toml"
  echo "$dir"
}
at_tag=$(action_at "v$version" "$version")
at_branch=$(action_at main "$version")
at_other_tag=$(action_at v1.0.0 "$version")
at_sha=$(action_at 0123456789abcdef0123456789abcdef01234567 "$version")

install() {
  # install ACTION_PATH VERSION_INPUT INSTALL_DIR RELEASE_URL [--plan]
  run env GITHUB_ACTION_PATH="$1" CHRONOS_LINT_VERSION="$2" CHRONOS_LINT_INSTALL_DIR="$3" \
    CHRONOS_LINT_RELEASE_URL="$4" GITHUB_OUTPUT="$tmp/output" RUNNER_OS="$host_os" RUNNER_ARCH="$host_arch" \
    "$scripts/install.sh" ${5:+"$5"}
}

# (a) A release is downloaded, verified, installed and runs.
: >"$tmp/output"
install "$at_branch" "v$version" "$tmp/inst1" "$release_url"
check "version input v$version installs the release (even with the action at a branch)" status_is 0
check "the installed path is stdout's last line" last_line_is "$tmp/inst1/chronos-lint"
check "bin= and mode=release are written to GITHUB_OUTPUT" \
  eval 'file_has "$tmp/output" "bin=$tmp/inst1/chronos-lint" && file_has "$tmp/output" mode=release'
check "the checksum was verified" stderr_has "checksum verified"
check "the installed binary runs and reports $version" \
  eval '"$tmp/inst1/chronos-lint" --version | grep -q "chronos-lint $version"'
check "the archive's other files are installed beside it" test -f "$tmp/inst1/LICENSE"

install "$at_branch" "$version" "$tmp/inst1" "file://$tmp/nowhere"
check "a second install reuses the binary already there, without downloading" \
  eval 'status_is 0 && stderr_has "not downloading" && last_line_is "$tmp/inst1/chronos-lint"'

: >"$tmp/output"
run env GITHUB_ACTION_PATH="$at_tag" RUNNER_TEMP="$tmp/runner" GITHUB_OUTPUT="$tmp/output" \
  CHRONOS_LINT_RELEASE_URL="file://$tmp/release/v{version}" RUNNER_OS="$host_os" RUNNER_ARCH="$host_arch" \
  "$scripts/install.sh" --plan
check "--plan at tag v$version (its Cargo.toml's version) chooses that release" \
  eval 'status_is 0 && file_has "$tmp/output" mode=release && file_has "$tmp/output" version=$version'
check "--plan names the host triple and \$RUNNER_TEMP/chronos-lint/<version>" \
  eval 'file_has "$tmp/output" triple=$triple && file_has "$tmp/output" "dir=$tmp/runner/chronos-lint/$version"'
check "--plan downloads nothing" test ! -e "$tmp/runner/chronos-lint/$version/chronos-lint"
run env GITHUB_ACTION_PATH="$at_tag" RUNNER_TEMP="$tmp/runner" \
  CHRONOS_LINT_RELEASE_URL="file://$tmp/release/v{version}" RUNNER_OS="$host_os" RUNNER_ARCH="$host_arch" \
  "$scripts/install.sh"
check "at tag v$version it installs that release ({version} in the URL filled in)" \
  eval 'status_is 0 && last_line_is "$tmp/runner/chronos-lint/$version/chronos-lint"'
check "that binary runs" eval '"$tmp/runner/chronos-lint/$version/chronos-lint" --version >/dev/null'

# (b) Checksum and archive problems are refused.
mkdir -p "$tmp/bad-sum"
cp "$tmp/release/v$version/$archive" "$tmp/bad-sum/"
echo "$(printf '0%.0s' {1..64})  $archive" >"$tmp/bad-sum/$archive.sha256"
install "" "$version" "$tmp/inst-bad-sum" "file://$tmp/bad-sum"
check "a wrong checksum fails non-zero, naming the checksum" eval '! status_is 0 && stderr_has "checksum mismatch"'
check "... and installs nothing" test ! -e "$tmp/inst-bad-sum/chronos-lint"

mkdir -p "$tmp/no-sum"
cp "$tmp/release/v$version/$archive" "$tmp/no-sum/"
install "" "$version" "$tmp/inst-no-sum" "file://$tmp/no-sum"
check "a missing checksum file fails non-zero, naming the checksum" eval '! status_is 0 && stderr_has "checksum"'
check "... and installs nothing" test ! -e "$tmp/inst-no-sum/chronos-lint"

mkdir -p "$tmp/tampered"
cp "$tmp/release/v$version/$archive" "$tmp/release/v$version/$archive.sha256" "$tmp/tampered/"
printf 'x' >>"$tmp/tampered/$archive"
install "" "$version" "$tmp/inst-tampered" "file://$tmp/tampered"
check "an archive that does not match its checksum fails" eval '! status_is 0 && stderr_has "checksum mismatch"'

echo "not a checksum" >"$tmp/no-sum/$archive.sha256"
install "" "$version" "$tmp/inst-garbled" "file://$tmp/no-sum"
check "a checksum file without a SHA-256 fails" eval '! status_is 0 && stderr_has "checksum"'

make_release "$tmp/stray" "elsewhere/file"
install "" "$version" "$tmp/inst-stray" "file://$tmp/stray"
check "an archive with files outside its folder is refused" eval '! status_is 0 && stderr_has "outside"'

# (c) Anything but the matching release tag builds from source.
for at in "$at_branch" "$at_other_tag" "$at_sha"; do
  : >"$tmp/output"
  install "$at" "" "$tmp/inst-src" "$release_url"
  check "at '$(basename "$at")' install.sh exits 3 with mode=source" \
    eval 'status_is 3 && file_has "$tmp/output" mode=source && stderr_has "from source"'
  : >"$tmp/output"
  install "$at" "" "$tmp/inst-src" "$release_url" --plan
  check "at '$(basename "$at")' --plan writes mode=source" eval 'status_is 0 && file_has "$tmp/output" mode=source'
done
check "... and downloads nothing" test ! -e "$tmp/inst-src"
run env -u GITHUB_ACTION_PATH "$scripts/install.sh"
check "without GITHUB_ACTION_PATH or a version it is a source build" status_is 3
install "$at_branch" "latest" "$tmp/inst-latest" "$release_url"
check "a version input that is not a version is refused" eval 'status_is 1 && stderr_has "not a release version"'
run env CHRONOS_LINT_VERSION="$version" RUNNER_OS=Windows RUNNER_ARCH=X64 "$scripts/install.sh"
check "a platform without releases is refused" eval 'status_is 1 && stderr_has "no chronos-lint release binary"'

# ---------------------------------------------------------------------------------------------
section "comment.py (mock GitHub API)"

cat >"$tmp/mock.py" <<'EOF'
# A small stand-in for GitHub's issue-comment endpoints, for owner/repo "o/r", pull request 7.
import json, os, re, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

TOKEN = "Bearer t0ken"
state = {"comments": [], "log": [], "next_id": 5000, "readonly": False}

def reset(others, readonly):
    state["comments"] = [{"id": i, "body": f"unrelated comment {i}", "html_url": f"c/{i}"}
                         for i in range(1, others + 1)]
    state["log"] = []
    state["readonly"] = readonly

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, obj=None, headers=()):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def payload(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def api(self):
        url = urlsplit(self.path)
        if self.headers.get("Authorization") != TOKEN:
            self.reply(401, {"message": "Bad credentials"})
            return None
        state["log"].append([self.command, url.path])
        return url

    def do_GET(self):
        if self.path == "/_state":
            return self.reply(200, state)
        url = self.api()
        if url is None:
            return
        if url.path != "/repos/o/r/issues/7/comments":
            return self.reply(404, {"message": "Not Found"})
        query = parse_qs(url.query)
        per = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        items = state["comments"][(page - 1) * per: page * per]
        headers = []
        if page * per < len(state["comments"]):
            host = f"http://127.0.0.1:{self.server.server_address[1]}"
            headers.append(("Link", f'<{host}{url.path}?per_page={per}&page={page + 1}>; rel="next"'))
        self.reply(200, items, headers)

    def do_POST(self):
        if self.path == "/_reset":
            p = self.payload()
            reset(p.get("others", 0), p.get("readonly", False))
            return self.reply(204)
        url = self.api()
        if url is None:
            return
        if url.path != "/repos/o/r/issues/7/comments":
            return self.reply(404, {"message": "Not Found"})
        if state["readonly"]:
            return self.reply(403, {"message": "Resource not accessible by integration"})
        state["next_id"] += 1
        comment = {"id": state["next_id"], "body": self.payload()["body"],
                   "html_url": f"c/{state['next_id']}"}
        state["comments"].append(comment)
        self.reply(201, comment)

    def do_PATCH(self):
        url = self.api()
        if url is None:
            return
        match = re.fullmatch(r"/repos/o/r/issues/comments/(\d+)", url.path)
        found = [c for c in state["comments"] if match and c["id"] == int(match.group(1))]
        if not found:
            return self.reply(404, {"message": "Not Found"})
        if state["readonly"]:
            return self.reply(403, {"message": "Resource not accessible by integration"})
        found[0]["body"] = self.payload()["body"]
        self.reply(200, found[0])

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
# The port, written whole before the script looks for it.
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
EOF
python3 "$tmp/mock.py" "$tmp/port" &
mock_pid=$!
for _ in $(seq 50); do
  [ -s "$tmp/port" ] && break
  sleep 0.1
done
[ -s "$tmp/port" ] || { echo "the mock API did not start" >&2; exit 1; }
port=$(cat "$tmp/port")
api=http://127.0.0.1:$port
echo "mock API on $api"

mock_reset() { curl -s -f -X POST -H 'Content-Type: application/json' -d "$1" "$api/_reset" >/dev/null; }
# mock EXPR: a Python expression over the mock's state s; prints its value.
mock() { curl -s -f "$api/_state" | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"; }
# writes: the POST and PATCH requests so far, space-separated.
writes() { mock "' '.join(m for m, p in s['log'] if m in ('POST', 'PATCH'))"; }
# marked: the ids of the comments whose first line is the marker.
marked() { mock "' '.join(str(c['id']) for c in s['comments'] if c['body'].split(chr(10))[0] == '<!-- chronos-lint -->')"; }
# body_has TEXT: the marked comment contains TEXT.
body_has() {
  local body
  body=$(mock "''.join(c['body'] for c in s['comments'] if c['body'].startswith('<!-- chronos-lint -->'))")
  [[ $body == *"$1"* ]]
}
# is VALUE COMMAND...: COMMAND prints VALUE.
is() { [ "$("${@:2}")" = "$1" ]; }

echo '{"pull_request": {"number": 7, "head": {"sha": "abcdef0123456789"}}}' >"$tmp/event.json"
echo '{"ref": "refs/heads/main"}' >"$tmp/push.json"
printf '### chronos-lint: 1 error(s), 0 warning(s), 0 info\n\n| | Rule | Location | Finding |\n|---|---|---|---|\n| x | `first-finding` | `m.sql:1:1` | bad |\n' >"$tmp/report1.md"
printf '### chronos-lint: 1 error(s), 0 warning(s), 0 info\n\n| | Rule | Location | Finding |\n|---|---|---|---|\n| x | `second-finding` | `m.sql:2:1` | worse |\n' >"$tmp/report2.md"
printf '### chronos-lint: no findings\n\nLinted 1 file(s).\n' >"$tmp/clean.md"
echo '{"version": 1, "diagnostics": [{"rule": "x", "severity": "error"}], "errors": [], "summary": {}}' >"$tmp/findings.json"
echo '{"version": 1, "diagnostics": [], "errors": [], "summary": {}}' >"$tmp/clean.json"

comment() {
  # comment REPORT JSON [EVENT]
  run env GITHUB_API_URL="$api" GITHUB_REPOSITORY=o/r GITHUB_TOKEN=t0ken \
    GITHUB_EVENT_PATH="${3:-$tmp/event.json}" python3 "$scripts/comment.py" --report "$1" --json "$2"
}

# 120 unrelated comments: the chronos-lint one lands on the second page of 100.
mock_reset '{"others": 120}'
comment "$tmp/report1.md" "$tmp/findings.json"
check "first run with findings exits 0" status_is 0
check "... and POSTs one comment" is POST writes
first_id=$(marked)
check "... which carries the marker, once" eval '[[ $first_id =~ ^[0-9]+$ ]]'
check "... and the report" body_has first-finding

# The mock keeps every request; the checks below look at those after a mark.
log_mark() { mock "len(s['log'])"; }
writes_since() { mock "' '.join(m for m, p in s['log'][$1:] if m in ('POST', 'PATCH'))"; }

mark=$(log_mark)
comment "$tmp/report2.md" "$tmp/findings.json"
check "second run with other findings PATCHes the same comment" \
  eval 'status_is 0 && is PATCH writes_since "$mark" && [ "$(marked)" = "$first_id" ]'
check "... which now holds the new report" eval 'body_has second-finding && ! body_has first-finding'
check "... and it read both pages of comments (the Link header)" \
  eval '[ "$(mock "len([p for m, p in s[\"log\"][$mark:] if m == \"GET\"])")" = 2 ]'

mark=$(log_mark)
comment "$tmp/report2.md" "$tmp/findings.json"
check "the same report again sends nothing" eval 'status_is 0 && is "" writes_since "$mark"'

mark=$(log_mark)
comment "$tmp/clean.md" "$tmp/clean.json"
check "a clean run after findings PATCHes the comment" \
  eval 'status_is 0 && is PATCH writes_since "$mark" && [ "$(marked)" = "$first_id" ]'
check "... to say the findings are resolved" body_has "findings resolved"

mock_reset '{"others": 3}'
comment "$tmp/clean.md" "$tmp/clean.json"
check "a clean run with no earlier comment posts nothing" \
  eval 'status_is 0 && is "" writes && is "" marked'

mock_reset '{"others": 0}'
comment "$tmp/report1.md" "$tmp/missing.json"
check "an unreadable JSON report counts as findings (POST)" eval 'status_is 0 && is POST writes'

mock_reset '{"others": 0}'
comment "$tmp/report1.md" "$tmp/findings.json" "$tmp/push.json"
check "outside a pull request nothing is sent" eval 'status_is 0 && is 0 mock "len(s[\"log\"])"'

mock_reset '{"others": 0, "readonly": true}'
comment "$tmp/report1.md" "$tmp/findings.json"
check "a read-only token (fork pull request) is a warning, exit 0" \
  eval 'status_is 0 && stderr_has "pull-requests: write"'

mock_reset '{"others": 0}'
run env GITHUB_API_URL="$api" GITHUB_REPOSITORY=o/r GITHUB_TOKEN=wrong GITHUB_EVENT_PATH="$tmp/event.json" \
  python3 "$scripts/comment.py" --report "$tmp/report1.md" --json "$tmp/findings.json"
check "other API failures exit 1" eval 'status_is 1 && stderr_has "401"'

kill "$mock_pid" 2>/dev/null || true
wait "$mock_pid" 2>/dev/null || true
mock_pid=""

# ---------------------------------------------------------------------------------------------
section "fetch-base.sh"

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
g() { git -c commit.gpgsign=false -c advice.detachedHead=false "$@"; }
origin=$tmp/git/origin
mkdir -p "$origin"
g -C "$origin" init -q -b main
for i in $(seq 1 10); do g -C "$origin" commit -q --allow-empty -m "main $i"; done
fork=$(g -C "$origin" rev-parse HEAD)
g -C "$origin" checkout -q -b feature
for i in $(seq 1 5); do g -C "$origin" commit -q --allow-empty -m "feature $i"; done
g -C "$origin" checkout -q main
for i in $(seq 11 40); do g -C "$origin" commit -q --allow-empty -m "main $i"; done

clone() {
  rm -rf "$tmp/git/work"
  g clone -q "$@" --branch feature "file://$origin" "$tmp/git/work"
}
in_work() { (cd "$tmp/git/work" && "$@"); }
merge_base_is_fork() { [ "$(in_work git merge-base HEAD origin/main)" = "$fork" ]; }
is_shallow() { [ "$(in_work git rev-parse --is-shallow-repository)" = true ]; }

clone --depth 1
run in_work env CHRONOS_LINT_DEEPEN_STEPS="3 40" "$scripts/fetch-base.sh" --branch main
check "shallow clone: --branch main answers origin/main" eval 'status_is 0 && last_line_is origin/main'
check "... after deepening, and says so" eval 'merge_base_is_fork && stderr_has "deepened by 43 commits"'

clone --depth 1
run in_work env CHRONOS_LINT_DEEPEN_STEPS="1 1" "$scripts/fetch-base.sh" origin/main
check "shallow clone, steps too small: --unshallow is the last resort" \
  eval 'status_is 0 && last_line_is origin/main && merge_base_is_fork && stderr_has "unshallow" && ! is_shallow'

clone
run in_work "$scripts/fetch-base.sh" --branch main
check "complete clone: merge base found at once, and the clone stays complete" \
  eval 'status_is 0 && merge_base_is_fork && ! is_shallow && ! stderr_has deepen'

clone --depth 1
run in_work env CHRONOS_LINT_DEEPEN_STEPS="50" "$scripts/fetch-base.sh" main
check "base-ref 'main', not here yet, is fetched as origin/main" \
  eval 'status_is 0 && last_line_is origin/main && merge_base_is_fork'

run in_work "$scripts/fetch-base.sh" no-such-branch
check "an unknown base-ref fails" eval 'status_is 1 && stderr_has "no-such-branch"'

# ---------------------------------------------------------------------------------------------
section "source-key.sh"

src=$tmp/src-tree
mkdir -p "$src/src/rules"
echo '[package]' >"$src/Cargo.toml"
echo '# lock' >"$src/Cargo.lock"
echo 'fn main() {}' >"$src/src/main.rs"
echo '// rule' >"$src/src/rules/a.rs"
key() { "$scripts/source-key.sh" "$src"; }
k1=$(key)
check "the key is a SHA-256" eval '[[ $k1 =~ ^[0-9a-f]{64}$ ]]'
check "the key is stable" eval '[ "$(key)" = "$k1" ]'
echo '// edited' >>"$src/src/rules/a.rs"
k2=$(key)
check "editing a file under src/ changes it" eval '[ "$k2" != "$k1" ]'
echo 'fn main() {}' >"$src/build.rs"
check "adding build.rs changes it" eval '[ "$(key)" != "$k2" ]'
check "it hashes this repository" eval '[[ $("$scripts/source-key.sh" "$repo") =~ ^[0-9a-f]{64}$ ]]'

# ---------------------------------------------------------------------------------------------
section "action.yml"

missing=""
for script in $(grep -o 'GITHUB_ACTION_PATH/scripts/[A-Za-z0-9_./-]*' action.yml | sort -u); do
  [ -x "$repo/${script#GITHUB_ACTION_PATH/}" ] || missing+=" $script"
done
check "every script action.yml runs exists and is executable${missing:+ (missing:$missing)}" test -z "$missing"
check "SARIF goes through github/codeql-action/upload-sarif@v4" grep -q 'github/codeql-action/upload-sarif@v4' action.yml

if python3 -c 'import yaml' 2>/dev/null; then
  run python3 - "$repo/action.yml" "$tmp/runs" <<'EOF'
import os, sys, yaml
action = yaml.safe_load(open(sys.argv[1]))
os.makedirs(sys.argv[2], exist_ok=True)
inputs = set(action["inputs"])
expected = {"paths", "base-ref", "fail-on", "config", "sarif", "version", "comment"}
assert inputs == expected, f"inputs {sorted(inputs)}"
assert action["inputs"]["version"]["default"] == "" and action["inputs"]["comment"]["default"] == "false"
for i, step in enumerate(action["runs"]["steps"]):
    if "run" in step:
        assert step.get("shell") == "bash", step["name"]
        with open(os.path.join(sys.argv[2], f"{i:02d}.sh"), "w") as f:
            f.write(step["run"])
EOF
  check "action.yml parses, with the inputs paths base-ref fail-on config sarif version comment" status_is 0
  bad=""
  for f in "$tmp"/runs/*.sh; do bash -n "$f" 2>/dev/null || bad+=" $(basename "$f")"; done
  check "its run: blocks are valid bash${bad:+ (not:$bad)}" test -z "$bad"
else
  echo "skip - PyYAML is not installed: run: blocks not parsed"
fi

jsonschema=$repo/.cache/integrations/venv/bin/check-jsonschema
if [ -x "$jsonschema" ]; then
  run "$jsonschema" --builtin-schema vendor.github-actions action.yml
  check "action.yml matches GitHub's action schema" status_is 0
else
  echo "skip - no $jsonschema (scripts/check-integrations.sh installs it): schema not checked"
fi

printf '\n%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
