import type { Context, Probot } from "probot";
import { parseIssueComment, parseIssueEvent, parsePullRequestEvent, parseReview, parseReviewComment, type ParseResult } from "../triggers/parse-trigger.ts";
import { parseCheckRun, parseCheckSuite, parseWorkflowRun, type CiParseResult } from "../triggers/ci-trigger.ts";
import { ciIntake } from "./ci-intake.ts";
import { intake, type IntakeDeps } from "./intake.ts";

/**
 * The webhook events and actions that can start a run. Anything else (edited or deleted
 * comments, closed issues, other actions) has no handler and so starts nothing.
 */
export const ENTRY_POINTS: Array<[string, (deliveryId: string, payload: unknown) => ParseResult]> = [
  ["issue_comment.created", parseIssueComment],
  ["pull_request_review_comment.created", parseReviewComment],
  ["pull_request_review.submitted", parseReview],
  ["issues.opened", parseIssueEvent],
  ["issues.assigned", parseIssueEvent],
  ["issues.labeled", parseIssueEvent],
  ["pull_request.review_requested", parsePullRequestEvent],
  ["pull_request.labeled", parsePullRequestEvent],
];

/**
 * Check events: a pull request's head whose CI failed may start a CI follow-up
 * (intake/ci-intake.ts, decided after the 2xx). Only `completed`: anything earlier is unfinished.
 */
export const CI_ENTRY_POINTS: Array<[string, (deliveryId: string, payload: unknown) => CiParseResult]> = [
  ["check_suite.completed", parseCheckSuite],
  ["check_run.completed", parseCheckRun],
  ["workflow_run.completed", parseWorkflowRun],
];

export function registerHandlers(app: Probot, deps: IntakeDeps): void {
  for (const [event, parse] of ENTRY_POINTS) {
    app.on(event as "issue_comment.created", (context: Context) => intake(deps, context, event, parse(context.id, context.payload)));
  }
  for (const [event, parse] of CI_ENTRY_POINTS) {
    app.on(event as "check_suite.completed", (context: Context) => ciIntake(deps, context, event, parse(context.id, context.payload)));
  }
}
