# syntax=docker/dockerfile:1
# claude-sandbox-bot: one image for every role (ROLE=all, web or worker). See docs/deployment.md.
#
# The bot has no build step: Node 24 runs the TypeScript in src/ directly (type stripping), so the
# image holds src/ as it is and only the production dependencies. The `node` devDependency that
# pins Node for the npm scripts is not installed: the base image is Node 24, and the container
# starts `node src/main.ts` itself rather than `npm start`.

# ── Production dependencies ──────────────────────────────────────────────────────────────────
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no production dependency has an install script (only the dev-only `node` and
# `@anthropic-ai/claude-code` do), and none should run at build time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

# ── Runtime ──────────────────────────────────────────────────────────────────────────────────
FROM node:24-slim
# git: every provider needs it here, since the bot keeps a mirror of each repository on its own
# machine and pushes the sandbox's commits from it (the write token never enters a sandbox). The
# local provider would also run Claude Code here, which this image does not contain: it is for
# development, production uses e2b. tini: PID 1 that forwards SIGTERM to node (graceful shutdown)
# and reaps the git children.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates tini \
    && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:/app/data/bot.db \
    LOCAL_SANDBOX_ROOT=/app/data/sandboxes
# NODE_ENV=production: JSON logs, and Probot refuses to start the app registration flow.
# HOST=0.0.0.0: Probot's server listens on localhost unless told otherwise, which a container's
# published port cannot reach.

WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json app.yml ./
COPY src ./src
# The E2B template definition, so `node template/build.ts` can run from this image too.
COPY template ./template

# The code belongs to root and is read-only for the bot; only /app/data (the SQLite default and
# the local provider's directories) is writable. The `node` user (uid 1000) comes with the image.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node

EXPOSE 3000
# GET /healthz answers 200 once the store is open, the app's identity is known and the workers run.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "src/main.ts"]
