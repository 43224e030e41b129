// GitHub-shaped JSON for the fake's records (REST responses and webhook payload overrides).
import { countCommits, diffFiles, mergeBase, revParse } from "./git.ts";
import { nodeId, type RepoRecord, type Store } from "./state.ts";
import type { Comment, Issue, Pull, Reaction, Review, ReviewComment, User } from "./types.ts";
import { headRefOf } from "./pull-head.ts";

export type Json = Record<string, unknown>;

const ZERO_SHA = "0000000000000000000000000000000000000000";

export function apiBase(store: Store): string {
  return `${store.baseUrl}/api/v3`;
}

export function serializeUser(store: Store, u: User): Json {
  const api = apiBase(store);
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId(u.type === "Bot" ? "Bot" : "User", u.id),
    avatar_url: `${store.baseUrl}/avatars/u/${u.id}?v=4`,
    gravatar_id: "",
    url: `${api}/users/${encodeURIComponent(u.login)}`,
    html_url: u.type === "Bot" ? `${store.baseUrl}/apps/${u.login.replace(/\[bot\]$/, "")}` : `${store.baseUrl}/${u.login}`,
    type: u.type,
    user_view_type: "public",
    site_admin: false,
  };
}

export function authorAssociation(store: Store, repo: RepoRecord | undefined, u: User): string {
  if (!repo || u.type === "Bot") return "NONE";
  if (u.login.toLowerCase() === repo.owner.toLowerCase()) return "OWNER";
  const p = store.permissionOf(repo, u.login);
  return p === "none" ? "NONE" : "COLLABORATOR";
}

export function serializeRepo(store: Store, r: RepoRecord): Json {
  const api = `${apiBase(store)}/repos/${r.fullName}`;
  const owner = store.user({ login: r.owner });
  return {
    id: r.id,
    node_id: r.nodeId,
    name: r.name,
    full_name: r.fullName,
    private: r.private,
    owner: serializeUser(store, owner),
    html_url: r.htmlUrl,
    description: null,
    fork: false,
    url: api,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    contents_url: `${api}/contents/{+path}`,
    git_url: `git://${store.baseUrl.replace(/^https?:\/\//, "")}/${r.fullName}.git`,
    ssh_url: `git@${store.baseUrl.replace(/^https?:\/\//, "").replace(/:\d+$/, "")}:${r.fullName}.git`,
    clone_url: r.cloneUrl,
    svn_url: r.htmlUrl,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    archived: false,
    disabled: false,
    open_issues_count: store.state.issues.filter((i) => i.repo === r.fullName && i.state === "open").length,
    license: null,
    allow_forking: true,
    is_template: false,
    topics: [],
    visibility: r.private ? "private" : "public",
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: r.defaultBranch,
    created_at: r.createdAt,
    updated_at: r.createdAt,
    pushed_at: r.createdAt,
  };
}

export function serializeLabel(store: Store, repo: string, name: string): Json {
  const id = store.stableId(`label:${repo.toLowerCase()}:${name}`);
  return {
    id,
    node_id: nodeId("Label", id),
    url: `${apiBase(store)}/repos/${repo}/labels/${encodeURIComponent(name)}`,
    name,
    color: "ededed",
    default: false,
    description: null,
  };
}

function reactionSummary(store: Store, url: string, subject: Reaction["subject"], commentId: number): Json {
  const rs = store.state.reactions.filter((r) => r.subject === subject && r.commentId === commentId);
  const count = (c: string): number => rs.filter((r) => r.content === c).length;
  return {
    url,
    total_count: rs.length,
    "+1": count("+1"),
    "-1": count("-1"),
    laugh: count("laugh"),
    hooray: count("hooray"),
    confused: count("confused"),
    heart: count("heart"),
    rocket: count("rocket"),
    eyes: count("eyes"),
  };
}

function issueLikeBase(store: Store, repo: RepoRecord | undefined, repoName: string, x: Issue | Pull): Json {
  const api = `${apiBase(store)}/repos/${repoName}`;
  const comments = store.state.comments.filter((c) => c.repo === repoName && c.issueNumber === x.number).length;
  const assignees = x.assignees.map((a) => serializeUser(store, store.user(a)));
  return {
    url: `${api}/issues/${x.number}`,
    repository_url: api,
    labels_url: `${api}/issues/${x.number}/labels{/name}`,
    comments_url: `${api}/issues/${x.number}/comments`,
    events_url: `${api}/issues/${x.number}/events`,
    html_url: `${store.baseUrl}/${repoName}/${"head" in x ? "pull" : "issues"}/${x.number}`,
    id: x.id,
    node_id: nodeId("head" in x ? "PullRequest" : "Issue", x.id),
    number: x.number,
    title: x.title,
    user: serializeUser(store, x.user),
    labels: x.labels.map((l) => serializeLabel(store, repoName, l)),
    state: x.state,
    locked: false,
    assignee: assignees[0] ?? null,
    assignees,
    milestone: null,
    comments,
    created_at: x.createdAt,
    updated_at: x.updatedAt,
    closed_at: "closedAt" in x ? x.closedAt : x.state === "closed" ? x.updatedAt : null,
    author_association: authorAssociation(store, repo, x.user),
    active_lock_reason: null,
    body: x.body,
    state_reason: x.state === "closed" ? "completed" : null,
    timeline_url: `${api}/issues/${x.number}/timeline`,
    performed_via_github_app: null,
  };
}

export function serializeIssue(store: Store, issue: Issue): Json {
  return issueLikeBase(store, store.repo(issue.repo), issue.repo, issue);
}

/** A pull request as the issues API shows it (with `pull_request`). */
export function serializePullAsIssue(store: Store, pull: Pull): Json {
  const api = `${apiBase(store)}/repos/${pull.repo}`;
  return {
    ...issueLikeBase(store, store.repo(pull.repo), pull.repo, pull),
    draft: pull.draft,
    pull_request: {
      url: `${api}/pulls/${pull.number}`,
      html_url: `${store.baseUrl}/${pull.repo}/pull/${pull.number}`,
      diff_url: `${store.baseUrl}/${pull.repo}/pull/${pull.number}.diff`,
      patch_url: `${store.baseUrl}/${pull.repo}/pull/${pull.number}.patch`,
      merged_at: null,
    },
  };
}

export function serializeComment(store: Store, c: Comment): Json {
  const api = `${apiBase(store)}/repos/${c.repo}`;
  const isPull = store.pull(c.repo, c.issueNumber) !== undefined;
  const url = `${api}/issues/comments/${c.id}`;
  return {
    url,
    html_url: `${store.baseUrl}/${c.repo}/${isPull ? "pull" : "issues"}/${c.issueNumber}#issuecomment-${c.id}`,
    issue_url: `${api}/issues/${c.issueNumber}`,
    id: c.id,
    node_id: nodeId("IssueComment", c.id),
    user: serializeUser(store, c.user),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: authorAssociation(store, store.repo(c.repo), c.user),
    body: c.body,
    reactions: reactionSummary(store, `${url}/reactions`, "issue_comment", c.id),
    performed_via_github_app: c.user.id === store.app.botUser.id ? serializeApp(store) : null,
  };
}

export function serializeReaction(store: Store, r: Reaction): Json {
  return { id: r.id, node_id: nodeId("Reaction", r.id), user: serializeUser(store, r.user), content: r.content, created_at: r.createdAt };
}

async function branchRef(store: Store, repo: RepoRecord, branch: string, sha: string): Promise<Json> {
  const owner = store.user({ login: repo.owner });
  return {
    label: `${repo.owner}:${branch}`,
    ref: branch,
    sha,
    user: serializeUser(store, owner),
    repo: serializeRepo(store, repo),
  };
}

/** A fork's head: the same repository JSON with the fork's names. */
function forkRef(store: Store, repo: RepoRecord, fork: string, branch: string, sha: string): Json {
  const [owner = "", name = ""] = fork.split("/");
  const base = serializeRepo(store, repo);
  return {
    label: `${owner}:${branch}`,
    ref: branch,
    sha,
    user: serializeUser(store, store.user({ login: owner })),
    repo: { ...base, id: (base.id as number) + 1_000_000, name, full_name: fork, fork: true, owner: serializeUser(store, store.user({ login: owner })) },
  };
}

export async function serializePull(store: Store, p: Pull): Promise<Json> {
  const repo = store.mustRepo(p.repo);
  const api = `${apiBase(store)}/repos/${p.repo}`;
  const headSha = (await revParse(repo.bareDir, headRefOf(p))) ?? ZERO_SHA;
  const baseSha = (await revParse(repo.bareDir, `refs/heads/${p.base}`)) ?? ZERO_SHA;
  let commits = 0;
  let additions = 0;
  let deletions = 0;
  let changedFiles = 0;
  if (headSha !== ZERO_SHA && baseSha !== ZERO_SHA) {
    const mb = (await mergeBase(repo.bareDir, baseSha, headSha)) ?? baseSha;
    commits = await countCommits(repo.bareDir, `${mb}..${headSha}`);
    const files = await diffFiles(repo.bareDir, baseSha, headSha);
    changedFiles = files.length;
    for (const f of files) {
      additions += f.additions;
      deletions += f.deletions;
    }
  }
  const assignees = p.assignees.map((a) => serializeUser(store, store.user(a)));
  const html = `${store.baseUrl}/${p.repo}/pull/${p.number}`;
  return {
    url: `${api}/pulls/${p.number}`,
    id: p.id,
    node_id: nodeId("PullRequest", p.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${p.number}`,
    commits_url: `${api}/pulls/${p.number}/commits`,
    review_comments_url: `${api}/pulls/${p.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${p.number}/comments`,
    statuses_url: `${api}/statuses/${headSha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: serializeUser(store, p.user),
    body: p.body,
    labels: p.labels.map((l) => serializeLabel(store, p.repo, l)),
    milestone: null,
    active_lock_reason: null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.closedAt,
    merged_at: null,
    merge_commit_sha: null,
    assignee: assignees[0] ?? null,
    assignees,
    requested_reviewers: p.requestedReviewers.map((r) => serializeUser(store, store.user(r))),
    requested_teams: [],
    head: p.headRepo ? forkRef(store, repo, p.headRepo, p.head, headSha) : await branchRef(store, repo, p.head, headSha),
    base: await branchRef(store, repo, p.base, baseSha),
    _links: {
      self: { href: `${api}/pulls/${p.number}` },
      html: { href: html },
      issue: { href: `${api}/issues/${p.number}` },
      comments: { href: `${api}/issues/${p.number}/comments` },
      review_comments: { href: `${api}/pulls/${p.number}/comments` },
      commits: { href: `${api}/pulls/${p.number}/commits` },
      statuses: { href: `${api}/statuses/${headSha}` },
    },
    author_association: authorAssociation(store, repo, p.user),
    auto_merge: null,
    draft: p.draft,
    merged: p.merged,
    mergeable: p.state === "open" ? true : null,
    rebaseable: p.state === "open" ? true : null,
    mergeable_state: p.state === "open" ? "clean" : "unknown",
    merged_by: null,
    comments: store.state.comments.filter((c) => c.repo === p.repo && c.issueNumber === p.number).length,
    review_comments: store.state.reviewComments.filter((c) => c.repo === p.repo && c.pullNumber === p.number).length,
    maintainer_can_modify: false,
    commits,
    additions,
    deletions,
    changed_files: changedFiles,
  };
}

export function serializeReviewComment(store: Store, c: ReviewComment): Json {
  const api = `${apiBase(store)}/repos/${c.repo}`;
  const url = `${api}/pulls/comments/${c.id}`;
  const html = `${store.baseUrl}/${c.repo}/pull/${c.pullNumber}#discussion_r${c.id}`;
  return {
    url,
    pull_request_review_id: c.reviewId,
    id: c.id,
    node_id: nodeId("PullRequestReviewComment", c.id),
    diff_hunk: "",
    path: c.path,
    position: c.line,
    original_position: c.line,
    commit_id: c.commitId,
    original_commit_id: c.commitId,
    user: serializeUser(store, c.user),
    body: c.body,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    html_url: html,
    pull_request_url: `${api}/pulls/${c.pullNumber}`,
    author_association: authorAssociation(store, store.repo(c.repo), c.user),
    _links: { self: { href: url }, html: { href: html }, pull_request: { href: `${api}/pulls/${c.pullNumber}` } },
    reactions: reactionSummary(store, `${url}/reactions`, "pull_request_review_comment", c.id),
    start_line: c.startLine,
    original_start_line: c.startLine,
    start_side: c.startLine === null ? null : c.side,
    line: c.line,
    original_line: c.line,
    side: c.side,
    subject_type: "line",
    ...(c.inReplyToId !== null ? { in_reply_to_id: c.inReplyToId } : {}),
    performed_via_github_app: null,
  };
}

export function serializeReview(store: Store, r: Review): Json {
  const api = `${apiBase(store)}/repos/${r.repo}`;
  const html = `${store.baseUrl}/${r.repo}/pull/${r.pullNumber}#pullrequestreview-${r.id}`;
  return {
    id: r.id,
    node_id: nodeId("PullRequestReview", r.id),
    user: serializeUser(store, r.user),
    body: r.body,
    state: r.state,
    html_url: html,
    pull_request_url: `${api}/pulls/${r.pullNumber}`,
    author_association: authorAssociation(store, store.repo(r.repo), r.user),
    _links: { html: { href: html }, pull_request: { href: `${api}/pulls/${r.pullNumber}` } },
    submitted_at: r.submittedAt,
    commit_id: r.commitId,
  };
}

export function serializeApp(store: Store): Json {
  const owner = store.user({ login: store.accountOf(store.app.installationId) });
  return {
    id: store.app.id,
    slug: store.app.slug,
    client_id: `Iv1.${store.app.id.toString(16).padStart(16, "0")}`,
    node_id: nodeId("App", store.app.id),
    owner: serializeUser(store, owner),
    name: store.app.name,
    description: "Fake GitHub App used by the e2e tests",
    external_url: `${store.baseUrl}/apps/${store.app.slug}`,
    html_url: `${store.baseUrl}/apps/${store.app.slug}`,
    created_at: store.app.createdAt,
    updated_at: store.app.createdAt,
    permissions: store.app.permissions,
    events: ["issues", "issue_comment", "pull_request", "pull_request_review", "pull_request_review_comment"],
    installations_count: store.installations.size,
  };
}

/** An installation as GET /app/installations/{id} answers it (default: the default installation). */
export function serializeInstallation(store: Store, id = store.app.installationId): Json {
  const rec = store.mustInstallation(id);
  const account = store.user({ login: store.accountOf(id) });
  return {
    id,
    account: serializeUser(store, account),
    repository_selection: "all",
    access_tokens_url: `${apiBase(store)}/app/installations/${id}/access_tokens`,
    repositories_url: `${apiBase(store)}/installation/repositories`,
    html_url: `${store.baseUrl}/settings/installations/${id}`,
    app_id: store.app.id,
    app_slug: store.app.slug,
    target_id: account.id,
    target_type: account.type === "Organization" ? "Organization" : "User",
    permissions: store.app.permissions,
    events: serializeApp(store)["events"],
    created_at: rec.createdAt,
    updated_at: rec.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}
