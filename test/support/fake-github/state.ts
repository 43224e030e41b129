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
  /** The installation the repository belongs to: only its tokens reach it. */
  installationId: number;
}

/** One installation of the app on an account; it holds that account's repositories. */
export interface InstallationRecord {
  id: number;
  /** The account's login; null for the default installation, which takes any owner (the single-installation fake). */
  account: string | null;
  createdAt: string;
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
  /** By id, the default (store.app.installationId) first. */
  installations = new Map<number, InstallationRecord>();
  baseUrl = "";
  tokenTtlMs = 60 * 60 * 1000;
  private nextId = 1_000_000;
  private nextUserId = 5_000;
  private nextRepoId = 700_000;
  private stableIds = new Map<string, number>();

  constructor(app: Omit<AppInfo, "botUser" | "createdAt">) {
    this.app = { ...app, createdAt: nowIso(), botUser: { login: `${app.slug}[bot]`, id: 0, type: "Bot" } };
    this.app.botUser = this.user({ login: `${app.slug}[bot]`, type: "Bot" });
    this.installations.set(app.installationId, { id: app.installationId, account: null, createdAt: this.app.createdAt });
  }

  /** Installs the app on another account; its repositories are then created into it. */
  addInstallation(account: string): InstallationRecord {
    const taken = [...this.installations.values()].find((i) => i.account?.toLowerCase() === account.toLowerCase());
    if (taken) throw new Error(`fake-github: the app is already installed on ${account} (installation ${taken.id})`);
    const rec: InstallationRecord = { id: this.id(), account, createdAt: nowIso() };
    this.installations.set(rec.id, rec);
    return rec;
  }

  /** Where a new repository of `owner` goes: `wanted`, else the installation on that account, else the default one. */
  installationFor(owner: string, wanted?: number): InstallationRecord {
    if (wanted !== undefined) {
      const rec = this.installations.get(wanted);
      if (!rec) throw new Error(`fake-github: no installation ${wanted}`);
      if (rec.account !== null && rec.account.toLowerCase() !== owner.toLowerCase()) {
        throw new Error(`fake-github: installation ${wanted} is on ${rec.account}; a repository of ${owner} cannot belong to it`);
      }
      return rec;
    }
    const own = [...this.installations.values()].find((i) => i.account?.toLowerCase() === owner.toLowerCase());
    return own ?? this.mustInstallation(this.app.installationId);
  }

  mustInstallation(id: number): InstallationRecord {
    const rec = this.installations.get(id);
    if (!rec) throw new Error(`fake-github: no installation ${id}`);
    return rec;
  }

  /** The account an installation is on; the default one's is its first repository's owner. */
  accountOf(installationId: number): string {
    const rec = this.mustInstallation(installationId);
    if (rec.account !== null) return rec.account;
    return this.reposOf(installationId)[0]?.owner ?? "fake-org";
  }

  reposOf(installationId: number): RepoRecord[] {
    return [...this.repos.values()].filter((r) => r.installationId === installationId);
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
