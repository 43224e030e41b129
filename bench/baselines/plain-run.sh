#!/bin/sh
# The orchestration baseline: only the steps an issue → PR run needs, in a plain shell script.
#   shallow clone with an installation token → branch → the same Claude Code command with the
#   same scripted model → commit → push → one curl POST that opens the draft PR.
#
# Inputs (environment):
#   WORKDIR       an empty directory for this run (repo/, home/, prompt.md go here)
#   CLONE_URL     http://host/owner/repo.git        TOKEN    an installation token (contents + pull_requests: write)
#   API_URL       http://host/api/v3                REPO     owner/repo
#   BRANCH        the branch to create              BASE     the branch the PR targets
#   TITLE, BODY   the PR's title and body (plain text without double quotes or backslashes)
#   PROMPT        what Claude is asked to do
#   CLAUDE        the Claude Code executable
#   ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY  the model
set -eu

cd "$WORKDIR"
mkdir -p home/tmp repo

# The token goes to git in the environment (an http.extraHeader), never in argv or .git/config.
basic=$(printf 'x-access-token:%s' "$TOKEN" | base64 | tr -d '\n')
export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="Authorization: Basic $basic"

git clone --quiet --depth 1 --no-tags --branch "$BASE" "$CLONE_URL" repo
cd repo
git checkout --quiet -b "$BRANCH"

printf '%s\n' "$PROMPT" > "$WORKDIR/prompt.md"
# The same command and Claude environment as the bot's (src/agent/claude-args.ts), but no GitHub token.
env -i PATH="$PATH" HOME="$WORKDIR/home" IS_SANDBOX=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 CI=true \
  CLAUDE_CODE_ENABLE_TODO_TOOLS=1 CLAUDE_CODE_TMPDIR="$WORKDIR/home/tmp" \
  ANTHROPIC_BASE_URL="$ANTHROPIC_BASE_URL" ANTHROPIC_API_KEY="$ANTHROPIC_API_KEY" \
  "$CLAUDE" -p --output-format stream-json --verbose --dangerously-skip-permissions < "$WORKDIR/prompt.md" > "$WORKDIR/claude.jsonl"

git add --all
git -c user.name=plain-run -c user.email=plain-run@example.com commit --quiet --no-verify -m "$TITLE"
git push --quiet origin "HEAD:refs/heads/$BRANCH"

curl --silent --show-error --fail --output /dev/null \
  -X POST -H "Authorization: token $TOKEN" -H "Accept: application/vnd.github+json" -H "Content-Type: application/json" \
  --data "{\"title\":\"$TITLE\",\"head\":\"$BRANCH\",\"base\":\"$BASE\",\"body\":\"$BODY\",\"draft\":true}" \
  "$API_URL/repos/$REPO/pulls"
