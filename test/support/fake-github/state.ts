// In-memory state of the fake: repositories, users, issues/PRs, comments, tokens, request logs.
import { randomBytes } from "node:crypto";
import type {
  FakeState,
  GitDenied,
  GitRequestRecord,
  Issue,
  IssuedToken,
  Permission,
  Pull,
  RecordedRequest,
  RepoInfo,
  User,
  UserLike,
  UserType,
} from "./types.ts";

export interface RepoRecord extends RepoInfo {
  nodeId: string;
  createdAt: string;
  /** Next issue/PR number (shared sequence, like GitHub). */
  nextNumber: number;
  permissions: Map<string, Permission>;
  /** Branches with protection rules (GET …/branches/:branch answers `protected: true`). */
  protectedBranches: Set<string>;
}

export interface AppInfo {
  id: number;
  slug: string;
  name: string;
  installationId: number;
  permissions: Record<string, string>;
  botUser: User;
  createdAt: string;
}

export const DEFAULT_APP_PERMISSIONS: Record<string, string> = {
  contents: "write",
  issues: "write",
  pull_requests: "write",
  checks: "write",
  actions: "read",
  statuses: "read",
  metadata: "read",
};

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function nodeId(prefix: string, id: number): string {
  return Buffer.from(`0:${prefix}${id}`).toString("base64").replace(/=+$/, "");
}

export function newInstallationToken(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(36);
  let s = "ghs_";
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

export class Store {
  state: FakeState = {
    gitDataCommits: [],
    commitStatuses: [],
    checkAnnotations: [],
    jobLogs: [],
    checkRuns: [],
    issues: [],
    comments: [],
    deletedComments: [],
    reactions: [],
    pulls: [],
    reviews: [],
    reviewComments: [],
    labels: [],
    tokens: [],
  };
  requests: RecordedRequest[] = [];
  /** Requests matching a gate wait (recorded, unanswered) until it opens. */
  gates: Array<{ matches: (method: string, path: string) => boolean; opened: Promise<void> }> = [];
  unexpected: string[] = [];
  gitRequests: GitRequestRecord[] = [];
  gitDenied: GitDenied[] = [];
  repos = new Map<string, RepoRecord>();
  users = new Map<string, User>();
  app: AppInfo;
  baseUrl = "";
  tokenTtlMs = 60 * 60 * 1000;
  private nextId = 1_000_000;
  private nextUserId = 5_000;
  private nextRepoId = 700_000;
  private stableIds = new Map<string, number>();

  constructor(app: Omit<AppInfo, "botUser" | "createdAt">) {
    this.app = { ...app, createdAt: nowIso(), botUser: { login: `${app.slug}[bot]`, id: 0, type: "Bot" } };
    this.app.botUser = this.user({ login: `${app.slug}[bot]`, type: "Bot" });
  }

  id(): number {
    return this.nextId++;
  }

  /** The same id for the same key (label ids and such). */
  stableId(key: string): number {
    let v = this.stableIds.get(key);
    if (v === undefined) {
      v = this.id();
      this.stableIds.set(key, v);
    }
    return v;
  }

  repoId(): number {
    return this.nextRepoId++;
  }

  /** Resolves (and registers, with a stable id) a user. */
  user(u: UserLike): User {
    const login = typeof u === "string" ? u : u.login;
    const explicit: UserType | undefined = typeof u === "string" ? undefined : u.type;
    const known = this.users.get(login.toLowerCase());
    if (known) {
      if (explicit && known.type !== explicit) known.type = explicit;
      return known;
    }
    const created: User = { login, id: this.nextUserId++, type: explicit ?? (login.endsWith("[bot]") ? "Bot" : "User") };
    this.users.set(login.toLowerCase(), created);
    return created;
  }

  repo(fullName: string): RepoRecord | undefined {
    return this.repos.get(fullName.toLowerCase());
  }

  mustRepo(fullName: string): RepoRecord {
    const r = this.repo(fullName);
    if (!r) throw new Error(`fake-github: unknown repository ${fullName}`);
    return r;
  }

  repoById(id: number): RepoRecord | undefined {
    for (const r of this.repos.values()) if (r.id === id) return r;
    return undefined;
  }

  issue(repo: string, number: number): Issue | undefined {
    const key = repo.toLowerCase();
    return this.state.issues.find((i) => i.repo.toLowerCase() === key && i.number === number);
  }

  pull(repo: string, number: number): Pull | undefined {
    const key = repo.toLowerCase();
    return this.state.pulls.find((p) => p.repo.toLowerCase() === key && p.number === number);
  }

  /** Issue or PR with that number (they share a sequence). */
  issueLike(repo: string, number: number): { kind: "issue"; issue: Issue } | { kind: "pull"; pull: Pull } | undefined {
    const i = this.issue(repo, number);
    if (i) return { kind: "issue", issue: i };
    const p = this.pull(repo, number);
    if (p) return { kind: "pull", pull: p };
    return undefined;
  }

  /** Allocates an issue/PR number; honours an explicit one (bumping the sequence past it). */
  allocateNumber(repo: RepoRecord, wanted?: number): number {
    if (wanted !== undefined) {
      if (this.issueLike(repo.fullName, wanted)) throw new Error(`fake-github: #${wanted} already exists in ${repo.fullName}`);
      repo.nextNumber = Math.max(repo.nextNumber, wanted + 1);
      return wanted;
    }
    return repo.nextNumber++;
  }

  permissionOf(repo: RepoRecord, login: string): Permission {
    const p = repo.permissions.get(login.toLowerCase());
    if (p) return p;
    return login.toLowerCase() === repo.owner.toLowerCase() ? "admin" : "none";
  }

  findToken(token: string): IssuedToken | undefined {
    return this.state.tokens.find((t) => t.token === token);
  }
}
