// A fake GitHub (REST under /api/v3 + real git smart HTTP) for end-to-end tests of the Probot app.
//
//   const gh = await startFakeGitHub();
//   process.env.GHE_HOST = gh.host; process.env.GHE_PROTOCOL = "http";
//   process.env.APP_ID = String(gh.appId); process.env.PRIVATE_KEY = gh.privateKey;
//   const repo = await gh.createRepo({ owner: "octo", name: "demo", files: { "README.md": "hi" } });
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { branchExists, commitFiles, gitLog, initBare, listBranches, readBlob } from "./git.ts";
import { addReviewComment, createComment, createIssue, createPull, createReview } from "./ops.ts";
import {
  serializeComment,
  serializeInstallation,
  serializeIssue,
  serializePull,
  serializePullAsIssue,
  serializeRepo,
  serializeReview,
  serializeReviewComment,
  serializeUser,
  type Json,
} from "./serialize.ts";
import { imageHostOf, type FakeImageHost } from "./images.ts";
import { createFakeServer } from "./server.ts";
import { DEFAULT_APP_PERMISSIONS, newInstallationToken, nodeId, nowIso, Store, type RepoRecord } from "./state.ts";
import type {
  Comment,
  FakeGitHubOptions,
  FakeState,
  GitDenied,
  GitLogEntry,
  GitRequestRecord,
  Issue,
  IssuedToken,
  Permission,
  Pull,
  RecordedRequest,
  RepoInfo,
  Review,
  ReviewComment,
  User,
  UserLike,
} from "./types.ts";

export type * from "./types.ts";

export interface CreateRepoOptions {
  owner: string;
  name: string;
  defaultBranch?: string;
  /** Initial commit content (default: a README.md). */
  files?: Record<string, string>;
  /** Default true. Either way git access needs an installation token. */
  private?: boolean;
  /**
   * The installation the repository belongs to (its account must be the owner). Default: the
   * installation on the owner's account (addInstallation), else the default installation.
   */
  installationId?: number;
}

export interface FakeGitHub {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT — the value for GHE_HOST (with GHE_PROTOCOL=http). */
  host: string;
  appId: number;
  appSlug: string;
  /** PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"), like the key GitHub lets you download. */
  privateKey: string;
  privateKeyPkcs8: string;
  publicKey: string;
  /** The default installation: every repository not of an account given to addInstallation belongs to it. */
  installationId: number;
  /** `<slug>[bot]`, the author of everything created with an installation token. */
  botUser: User;

  createRepo(o: CreateRepoOptions): Promise<RepoInfo>;
  /**
   * Installs the app on another account (as GitHub does: one installation per account) and returns
   * its id. The account's repositories created after this belong to it, and its tokens reach only them.
   */
  addInstallation(o: { account: string }): number;
  /** The id of the installation a repository belongs to (what its webhooks carry). */
  installationOf(fullName: string): number;
  setPermission(fullName: string, login: string, permission: Permission): void;
  /** Gives the branch protection rules: GitHub then reports it `protected`. */
  protectBranch(fullName: string, branch: string): void;

  /** Uploaded images (images.ts): served from this host, signed in body_html, every request recorded. */
  images: FakeImageHost;
  state: FakeState;
  addIssue(fullName: string, o: { number?: number; title: string; body?: string | null; user: UserLike; labels?: string[]; assignees?: string[] }): Issue;
  addComment(fullName: string, o: { issueNumber: number; body: string; user: UserLike }): Comment;
  /** Opens a PR (the head branch must exist and be ahead of base, like on GitHub). */
  /** `fork`: the PR comes from that fork (e.g. "mallory/widgets"); the head branch must exist here first and is moved to refs/pull/N/head. */
  addPull(fullName: string, o: { title: string; head: string; base?: string; body?: string | null; user: UserLike; draft?: boolean; number?: number; fork?: string }): Promise<Pull>;
  addReviewComment(
    fullName: string,
    o: { pullNumber: number; path: string; line: number; side?: "LEFT" | "RIGHT"; body: string; user: UserLike; inReplyTo?: number },
  ): Promise<ReviewComment>;
  addReview(fullName: string, o: { pullNumber: number; body?: string; event?: "APPROVE" | "REQUEST_CHANGES" | "COMMENT"; user: UserLike }): Promise<Review>;
  /** Mints a token directly (as POST /app/installations/:id/access_tokens would), without a JWT round-trip. */
  issueToken(o?: { repositories?: string[]; permissions?: Record<string, string>; ttlMs?: number; installationId?: number }): IssuedToken;

  requests: RecordedRequest[];
  /**
   * Holds REST requests matching method + path (recorded at once, answered only after release()):
   * GitHub being slow, deterministically.
   */
  hold(method: string, path: RegExp): { release(): void };
  /** "METHOD /path (reason)" for unmatched routes, auth failures, 403s, malformed bodies and server errors. */
  unexpected: string[];
  gitRequests: GitRequestRecord[];
  gitDenied: GitDenied[];
  /** Empties requests, unexpected, gitRequests and gitDenied. */
  clearLogs(): void;

  git: {
    log(fullName: string, ref: string): Promise<GitLogEntry[]>;
    readFile(fullName: string, ref: string, path: string): Promise<string | null>;
    branches(fullName: string): Promise<string[]>;
    /** Commits files server-side (null deletes) onto a branch, creating it from `from` (default: the default branch). */
    commit(fullName: string, o: { branch: string; files: Record<string, string | null>; message: string; from?: string; author?: { name: string; email: string } }): Promise<string>;
  };

  /** GitHub-shaped JSON of stored objects (used by the webhook payload builders). */
  serialize: {
    user(u: UserLike): Json;
    repository(fullName: string): Json;
    /** The default installation unless an id is given. */
    installation(id?: number): Json;
    issue(fullName: string, number: number): Json;
    comment(id: number): Json;
    pull(fullName: string, number: number): Promise<Json>;
    reviewComment(id: number): Json;
    review(id: number): Json;
  };

  close(): Promise<void>;
}

/** Env for git commands that authenticates with an installation token via http.extraHeader (never prompts). */
export function gitAuthEnv(token: string): Record<string, string> {
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return {
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const appId = opts.appId ?? 424242;
  const appSlug = opts.appSlug ?? "claude-sandbox-bot";
  const store = new Store({
    id: appId,
    slug: appSlug,
    name: appSlug,
    installationId: opts.installationId ?? 31337,
    permissions: { ...(opts.appPermissions ?? DEFAULT_APP_PERMISSIONS) },
  });
  if (opts.tokenTtlMs !== undefined) store.tokenTtlMs = opts.tokenTtlMs;

  const keys = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  const publicKeyObject = createPublicKey(keys.publicKey);
  const privateKeyPkcs8 = createPrivateKey(keys.privateKey).export({ type: "pkcs8", format: "pem" }).toString();

  const ownRoot = opts.rootDir === undefined;
  const rootDir = opts.rootDir ?? (await mkdtemp(join(tmpdir(), "fake-github-")));
  await mkdir(rootDir, { recursive: true });

  const server = createFakeServer(store, publicKeyObject, rootDir);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  store.baseUrl = url;

  const repoRec = (fullName: string): RepoRecord => store.mustRepo(fullName);
  const pullRec = (fullName: string, n: number): Pull => {
    const p = store.pull(fullName, n);
    if (!p) throw new Error(`fake-github: no PR #${n} in ${fullName}`);
    return p;
  };

  const fake: FakeGitHub = {
    url,
    host,
    appId,
    appSlug,
    privateKey: keys.privateKey,
    privateKeyPkcs8,
    publicKey: keys.publicKey,
    installationId: store.app.installationId,
    botUser: store.app.botUser,

    async createRepo(o) {
      const fullName = `${o.owner}/${o.name}`;
      if (!/^[A-Za-z0-9-]+$/.test(o.owner) || !/^[A-Za-z0-9._-]+$/.test(o.name)) throw new Error(`fake-github: bad repo name ${fullName}`);
      if (store.repo(fullName)) throw new Error(`fake-github: ${fullName} already exists`);
      const defaultBranch = o.defaultBranch ?? "main";
      const bareDir = join(rootDir, o.owner, `${o.name}.git`);
      await initBare(bareDir, defaultBranch);
      await commitFiles(bareDir, { branch: defaultBranch, files: o.files ?? { "README.md": `# ${o.name}\n` }, message: "Initial commit" });
      const installation = store.installationFor(o.owner, o.installationId);
      store.user({ login: o.owner });
      const id = store.repoId();
      const rec: RepoRecord = {
        id,
        nodeId: nodeId("Repository", id),
        owner: o.owner,
        name: o.name,
        fullName,
        cloneUrl: `${url}/${fullName}.git`,
        htmlUrl: `${url}/${fullName}`,
        defaultBranch,
        bareDir,
        private: o.private ?? true,
        createdAt: nowIso(),
        nextNumber: 1,
        permissions: new Map(),
        protectedBranches: new Set(),
        installationId: installation.id,
      };
      store.repos.set(fullName.toLowerCase(), rec);
      const { nodeId: _n, createdAt: _c, nextNumber: _x, permissions: _p, protectedBranches: _b, installationId: _i, ...info } = rec;
      return info;
    },

    addInstallation(o) {
      return store.addInstallation(o.account).id;
    },
    installationOf: (fullName) => repoRec(fullName).installationId,

    protectBranch(fullName, branch) {
      repoRec(fullName).protectedBranches.add(branch);
    },
    setPermission(fullName, login, permission) {
      repoRec(fullName).permissions.set(login.toLowerCase(), permission);
    },

    state: store.state,
    images: imageHostOf(store),
    addIssue(fullName, o) {
      return createIssue(store, repoRec(fullName), o);
    },
    addComment(fullName, o) {
      const repo = repoRec(fullName);
      if (!store.issueLike(repo.fullName, o.issueNumber)) throw new Error(`fake-github: no issue/PR #${o.issueNumber} in ${fullName}`);
      return createComment(store, repo, o.issueNumber, o.body, store.user(o.user));
    },
    async addPull(fullName, o) {
      const repo = repoRec(fullName);
      try {
        return await createPull(store, repo, {
          title: o.title,
          head: o.head,
          base: o.base ?? repo.defaultBranch,
          body: o.body ?? null,
          draft: o.draft ?? false,
          user: store.user(o.user),
          ...(o.number !== undefined ? { number: o.number } : {}),
          ...(o.fork ? { fork: o.fork } : {}),
        });
      } catch (e) {
        throw new Error(`fake-github: cannot open PR ${o.head} → ${o.base ?? repo.defaultBranch}: ${JSON.stringify((e as { body?: unknown }).body ?? String(e))}`);
      }
    },
    async addReviewComment(fullName, o) {
      const repo = repoRec(fullName);
      const pull = pullRec(fullName, o.pullNumber);
      return addReviewComment(store, repo, pull, {
        path: o.path,
        line: o.line,
        side: o.side ?? "RIGHT",
        body: o.body,
        user: store.user(o.user),
        inReplyToId: o.inReplyTo,
      });
    },
    async addReview(fullName, o) {
      const repo = repoRec(fullName);
      return createReview(store, repo, pullRec(fullName, o.pullNumber), { body: o.body, event: o.event ?? "COMMENT", user: store.user(o.user) });
    },
    issueToken(o = {}) {
      const installationId = o.installationId ?? store.app.installationId;
      const repositories = o.repositories?.map((n) => repoRec(n));
      const foreign = repositories?.find((r) => r.installationId !== installationId);
      if (foreign) throw new Error(`fake-github: ${foreign.fullName} belongs to installation ${foreign.installationId}, not ${installationId}`);
      const t: IssuedToken = {
        token: newInstallationToken(),
        installationId: store.mustInstallation(installationId).id,
        repositories: repositories ? repositories.map((r) => r.fullName) : null,
        permissions: o.permissions ? { ...o.permissions } : { ...store.app.permissions },
        expiresAt: new Date(Date.now() + (o.ttlMs ?? store.tokenTtlMs)).toISOString(),
        createdAt: new Date().toISOString(),
        revoked: false,
      };
      store.state.tokens.push(t);
      return t;
    },

    requests: store.requests,
    hold(method, path) {
      let release!: () => void;
      const gate = { matches: (m: string, p: string) => m === method.toUpperCase() && path.test(p), opened: new Promise<void>((r) => (release = r)) };
      store.gates.push(gate);
      return {
        release() {
          store.gates = store.gates.filter((g) => g !== gate);
          release();
        },
      };
    },
    unexpected: store.unexpected,
    gitRequests: store.gitRequests,
    gitDenied: store.gitDenied,
    clearLogs() {
      store.requests.length = 0;
      store.unexpected.length = 0;
      store.gitRequests.length = 0;
      store.gitDenied.length = 0;
    },

    git: {
      log: (fullName, ref) => gitLog(repoRec(fullName).bareDir, ref),
      async readFile(fullName, ref, path) {
        const b = await readBlob(repoRec(fullName).bareDir, ref, path);
        return b === null ? null : b.toString("utf8");
      },
      branches: (fullName) => listBranches(repoRec(fullName).bareDir),
      async commit(fullName, o) {
        const repo = repoRec(fullName);
        const exists = await branchExists(repo.bareDir, o.branch);
        return commitFiles(repo.bareDir, {
          branch: o.branch,
          files: o.files,
          message: o.message,
          ...(o.from !== undefined ? { from: o.from } : exists ? {} : { from: `refs/heads/${repo.defaultBranch}` }),
          ...(o.author ? { author: o.author } : {}),
        });
      },
    },

    serialize: {
      user: (u) => serializeUser(store, store.user(u)),
      repository: (fullName) => serializeRepo(store, repoRec(fullName)),
      installation: (id) => serializeInstallation(store, id),
      issue(fullName, number) {
        const x = store.issueLike(fullName, number);
        if (!x) throw new Error(`fake-github: no issue/PR #${number} in ${fullName}`);
        return x.kind === "issue" ? serializeIssue(store, x.issue) : serializePullAsIssue(store, x.pull);
      },
      comment(id) {
        const c = store.state.comments.find((x) => x.id === id);
        if (!c) throw new Error(`fake-github: no comment ${id}`);
        return serializeComment(store, c);
      },
      pull: (fullName, number) => serializePull(store, pullRec(fullName, number)),
      reviewComment(id) {
        const c = store.state.reviewComments.find((x) => x.id === id);
        if (!c) throw new Error(`fake-github: no review comment ${id}`);
        return serializeReviewComment(store, c);
      },
      review(id) {
        const r = store.state.reviews.find((x) => x.id === id);
        if (!r) throw new Error(`fake-github: no review ${id}`);
        return serializeReview(store, r);
      },
    },

    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownRoot) await rm(rootDir, { recursive: true, force: true });
    },
  };
  return fake;
}
