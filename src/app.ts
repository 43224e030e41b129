import type { ApplicationFunction } from "probot";
import { handleIssueComment, type HandlerDeps } from "./handlers/issue-comment.ts";

/** The Probot application function: registers handlers, nothing else. */
export function createApp(deps: HandlerDeps): ApplicationFunction {
  return (app) => {
    app.on("issue_comment.created", handleIssueComment(deps));
  };
}
