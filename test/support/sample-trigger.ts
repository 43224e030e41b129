import type { Trigger } from "../../src/triggers/types.ts";

/** A mention by alice in issue #12 of acme/widgets: the plain trigger unit tests start from. */
export function sampleTrigger(over: Partial<Trigger> = {}): Trigger {
  return {
    kind: "issue_comment",
    deliveryId: "d",
    installationId: 1,
    repo: { id: 1, owner: "acme", name: "widgets", fullName: "acme/widgets", htmlUrl: "", defaultBranch: "main", private: false },
    actor: { login: "alice", type: "User" },
    thread: { number: 12, isPullRequest: false, title: "t", body: "", htmlUrl: "", author: "alice" },
    source: { type: "issue_comment", commentId: 9 },
    text: "@bot fix it",
    mode: "code",
    ...over,
  };
}
