#!/usr/bin/env bash
# Makes `--changed-since` work in the checkout the action runs in, shallow or not: fetches the
# base and deepens HEAD's history until HEAD and the base have a merge base, then prints the ref
# to pass to `--changed-since` on stdout. What it does is said on stderr.
#
# Usage:
#   fetch-base.sh --branch NAME   a branch of origin (the pull request's base): origin/NAME
#   fetch-base.sh REF             the action's `base-ref` input: origin/NAME, or any ref or commit;
#                                 one that is not here yet is looked up on origin as a branch,
#                                 then a tag, then (40 hex digits) a commit
#
# In a shallow clone (actions/checkout's default fetch-depth: 1) the base is fetched with depth 1,
# then `git fetch --deepen` runs with growing steps (CHRONOS_LINT_DEEPEN_STEPS, default
# "50 100 200 400 800 1600") until `git merge-base` answers, and `--unshallow` is the last resort.
# A complete clone is never made shallow.
set -euo pipefail

say() { echo "chronos-lint: $*" >&2; }
die() {
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::error title=chronos-lint::$*" >&2; fi
  echo "chronos-lint: error: $*" >&2
  exit 1
}

[ $# -ge 1 ] && [ -n "$1" ] || die "usage: fetch-base.sh --branch NAME | fetch-base.sh REF"
git rev-parse --git-dir >/dev/null 2>&1 || die "not in a git repository: --changed-since needs the repository's history"

shallow() { [ "$(git rev-parse --is-shallow-repository)" = true ]; }
resolves() { git rev-parse --verify --quiet "$1^{commit}" >/dev/null; }
# `git fetch` of the given refspecs, with --depth=1 in a shallow clone only.
fetch_first() {
  if shallow; then
    git fetch --no-tags --quiet --depth=1 origin "$@"
  else
    git fetch --no-tags --quiet origin "$@"
  fi
}

base="" spec=""
if [ "$1" = --branch ]; then
  [ -n "${2:-}" ] || die "--branch needs a branch name"
  base=origin/$2
  spec=+refs/heads/$2:refs/remotes/origin/$2
  fetch_first "$spec" || die "could not fetch the base branch '$2' from origin"
  say "fetched origin/$2"
else
  ref=$1
  if [[ $ref == origin/?* ]]; then
    base=$ref
    spec=+refs/heads/${ref#origin/}:refs/remotes/$ref
    if fetch_first "$spec" 2>/dev/null; then
      say "fetched $ref"
    elif resolves "$ref"; then
      say "could not fetch $ref from origin; using the local $ref"
      spec=""
    else
      die "base-ref '$ref': no branch '${ref#origin/}' on origin"
    fi
  elif resolves "$ref"; then
    base=$ref
  elif fetch_first "+refs/heads/$ref:refs/remotes/origin/$ref" 2>/dev/null; then
    base=origin/$ref
    spec=+refs/heads/$ref:refs/remotes/origin/$ref
    say "base-ref '$ref' is not here: fetched the branch as origin/$ref"
  elif fetch_first "+refs/tags/$ref:refs/tags/$ref" 2>/dev/null; then
    base=$ref
    spec=+refs/tags/$ref:refs/tags/$ref
    say "fetched the tag $ref"
  elif [[ $ref =~ ^[0-9a-fA-F]{40}$ ]] && fetch_first "$ref" 2>/dev/null; then
    base=$ref
    spec=$ref
    say "fetched the commit $ref"
  else
    die "base-ref '$ref' is neither here nor a branch, tag or commit of origin"
  fi
fi

merge_base() { git merge-base HEAD "$base" 2>/dev/null; }
found() {
  say "merge base of HEAD and $base: $(git rev-parse --short "$1")$2"
  echo "$base"
  exit 0
}

if mb=$(merge_base); then found "$mb" ""; fi
shallow || die "HEAD and $base have no common history, so --changed-since cannot compare them"

# Deepen what can be deepened: the base's refspec and HEAD itself (a commit GitHub serves, such
# as a pull request's merge commit; when origin does not have it, the base alone).
head=$(git rev-parse HEAD)
deepen() {
  local how=$1
  if [ -n "$spec" ]; then
    git fetch --no-tags --quiet "$how" origin "$spec" "$head" 2>/dev/null ||
      git fetch --no-tags --quiet "$how" origin "$spec"
  else
    git fetch --no-tags --quiet "$how" origin "$head"
  fi
}

say "the clone is shallow and HEAD does not reach a merge base with $base yet: deepening it"
total=0
for step in ${CHRONOS_LINT_DEEPEN_STEPS:-50 100 200 400 800 1600}; do
  deepen "--deepen=$step" || die "git fetch --deepen=$step failed"
  total=$((total + step))
  if mb=$(merge_base); then found "$mb" " (history deepened by $total commits)"; fi
  shallow || break
done
if shallow; then
  say "no merge base after deepening by $total commits: fetching the whole history (--unshallow)"
  deepen --unshallow || die "git fetch --unshallow failed"
fi
if mb=$(merge_base); then found "$mb" " (whole history fetched)"; fi
die "HEAD and $base have no common history, so --changed-since cannot compare them"
