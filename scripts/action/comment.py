#!/usr/bin/env python3
"""Posts chronos-lint's markdown report as one pull-request comment, and keeps it up to date.

Usage: comment.py --report REPORT.md --json FINDINGS.json

REPORT.md is `chronos-lint --format markdown --fail-on never`; FINDINGS.json is the same run's
`--format json --fail-on never` output (same paths, config and --changed-since).

The comment is recognised by its first line, the hidden marker `<!-- chronos-lint -->`, so each
run edits the same comment instead of adding one:
  - findings, no earlier comment:         POST a new comment with the report;
  - findings, an earlier comment:         PATCH it with the new report;
  - clean, an earlier comment:            PATCH it to say the findings are resolved;
  - clean, no earlier comment:            post nothing;
  - the new text equals the comment's:    nothing to send.

"Clean" is read from FINDINGS.json, the linter's stable machine-readable output: both its
`diagnostics` and its `errors` (unreadable inputs) lists are empty. Anything else, including a
FINDINGS.json that is missing or does not parse, counts as findings, so a broken run is shown on
the pull request rather than hidden. Exit statuses and the markdown wording are not consulted:
the first depends on --fail-on, the second is meant for people.

Environment: GITHUB_TOKEN (needs `pull-requests: write`), GITHUB_REPOSITORY (owner/name),
GITHUB_EVENT_PATH (the event's JSON; its pull_request.number names the pull request),
GITHUB_API_URL (default https://api.github.com). Python standard library only.

A token that may not write (pull requests from forks get a read-only one) is reported as a
warning and the script exits 0; other API failures exit 1.
"""

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request

MARKER = "<!-- chronos-lint -->"
# GitHub refuses comment bodies over 65536 characters.
MAX_BODY = 65000


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class GitHub:
    def __init__(self, api_url, repo, token):
        self.api_url = api_url.rstrip("/")
        self.repo = repo
        self.token = token

    def request(self, method, url, payload=None):
        """Returns (parsed JSON body, Link header)."""
        if not url.startswith(("http://", "https://")):
            url = self.api_url + url
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", "chronos-lint-action")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                body = resp.read()
                link = resp.headers.get("Link", "")
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:500]
            raise ApiError(err.code, f"{method} {url}: HTTP {err.code} {detail}") from None
        except urllib.error.URLError as err:
            raise ApiError(None, f"{method} {url}: {err.reason}") from None
        return (json.loads(body) if body else None), link

    def comments(self, number):
        """Every comment of the issue or pull request, following the Link header's pages."""
        url = f"/repos/{self.repo}/issues/{number}/comments?per_page=100"
        while url:
            page, link = self.request("GET", url)
            yield from page
            url = next_page(link)


def next_page(link):
    for part in link.split(","):
        match = re.match(r'\s*<([^>]+)>\s*;(.*)', part)
        if match and re.search(r'rel="?next"?', match.group(2)):
            return match.group(1)
    return None


def is_clean(findings_path):
    try:
        with open(findings_path, encoding="utf-8") as f:
            findings = json.load(f)
        return not findings["diagnostics"] and not findings["errors"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"chronos-lint: cannot read {findings_path} ({err}): treating the run as having findings",
              file=sys.stderr)
        return False


def report_body(report_path):
    try:
        with open(report_path, encoding="utf-8") as f:
            report = f.read().strip()
    except OSError as err:
        report = f"### chronos-lint\n\nThe report could not be read ({err}); see the job's log."
    if len(report) > MAX_BODY:
        cut = report.rfind("\n", 0, MAX_BODY)
        report = report[: cut if cut > 0 else MAX_BODY]
        report += "\n\n*The report is too long for a comment and was cut; the job summary has all of it.*"
    return f"{MARKER}\n{report}\n"


def resolved_body(event):
    sha = ((event.get("pull_request") or {}).get("head") or {}).get("sha") or ""
    at = f" at {sha[:7]}" if sha else ""
    return (f"{MARKER}\n### chronos-lint: findings resolved\n\n"
            f"The latest run{at} found nothing to report.\n")


def warn(message):
    if os.environ.get("GITHUB_ACTIONS"):
        print(f"::warning title=chronos-lint::{message}")
    print(f"chronos-lint: {message}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", required=True, help="markdown report")
    parser.add_argument("--json", required=True, dest="findings", help="JSON report of the same run")
    args = parser.parse_args()

    event_path = os.environ.get("GITHUB_EVENT_PATH", "")
    try:
        with open(event_path, encoding="utf-8") as f:
            event = json.load(f)
    except (OSError, ValueError) as err:
        print(f"chronos-lint: cannot read the event ({event_path!r}: {err})", file=sys.stderr)
        return 1
    number = (event.get("pull_request") or {}).get("number")
    if not number:
        print("chronos-lint: not a pull request event: no comment")
        return 0
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    token = os.environ.get("GITHUB_TOKEN", "")
    if not repo or not token:
        print("chronos-lint: GITHUB_REPOSITORY and GITHUB_TOKEN are needed to comment", file=sys.stderr)
        return 1
    api = GitHub(os.environ.get("GITHUB_API_URL") or "https://api.github.com", repo, token)

    clean = is_clean(args.findings)
    try:
        earlier = next((c for c in api.comments(number)
                        if (c.get("body") or "").split("\n", 1)[0].strip() == MARKER), None)
        if earlier is None and clean:
            print(f"chronos-lint: no findings and no earlier comment on #{number}: nothing to post")
            return 0
        body = resolved_body(event) if clean else report_body(args.report)
        if earlier is None:
            made, _ = api.request("POST", f"/repos/{repo}/issues/{number}/comments", {"body": body})
            print(f"chronos-lint: commented on #{number}: {made.get('html_url', made.get('id'))}")
        elif earlier.get("body") == body:
            print(f"chronos-lint: the comment on #{number} is up to date")
        else:
            api.request("PATCH", f"/repos/{repo}/issues/comments/{earlier['id']}", {"body": body})
            what = "findings resolved" if clean else "new report"
            print(f"chronos-lint: updated the comment on #{number} ({what}): "
                  f"{earlier.get('html_url', earlier['id'])}")
    except ApiError as err:
        if err.status == 403:
            warn("the token may not comment on this pull request (it needs `pull-requests: write`;"
                 f" pull requests from forks get a read-only token): {err}")
            return 0
        print(f"chronos-lint: GitHub API: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
