import { z } from "zod";

/** Only the webhook payload fields we use, validated; everything else GitHub sends is ignored. */

export const actorSchema = z.object({ login: z.string(), type: z.string(), id: z.number().optional() });

export const repositorySchema = z.object({
  id: z.number(),
  name: z.string(),
  full_name: z.string(),
  owner: z.object({ login: z.string() }),
  html_url: z.string(),
  default_branch: z.string(),
  private: z.boolean(),
});

const base = {
  action: z.string(),
  installation: z.object({ id: z.number() }),
  repository: repositorySchema,
  sender: actorSchema,
};

const pullSchema = z.object({
  number: z.number(),
  title: z.string(),
  body: z.string().nullable(),
  html_url: z.string(),
  user: actorSchema,
  comments: z.number().optional(),
});

/** An issue is a pull request's fields plus the marker GitHub sets when it is one. */
const issueSchema = pullSchema.extend({ pull_request: z.unknown().optional() });

/** A comment or a review: who wrote what. */
const authoredText = z.object({ id: z.number(), body: z.string().nullable(), user: actorSchema });

const labelSchema = z.object({ name: z.string() });

export const issueCommentPayload = z.object({
  ...base,
  issue: issueSchema,
  comment: authoredText,
});

export const reviewCommentPayload = z.object({
  ...base,
  pull_request: pullSchema,
  comment: authoredText.extend({
    path: z.string(),
    line: z.number().nullable().optional(),
    original_line: z.number().nullable().optional(),
    side: z.string().nullable().optional(),
    diff_hunk: z.string().nullable().optional(),
  }),
});

export const reviewPayload = z.object({
  ...base,
  pull_request: pullSchema,
  review: authoredText,
});

export const issuesPayload = z.object({
  ...base,
  issue: issueSchema,
  label: labelSchema.optional(),
  assignee: actorSchema.nullable().optional(),
});

export const pullRequestPayload = z.object({
  ...base,
  pull_request: pullSchema,
  label: labelSchema.optional(),
  requested_reviewer: actorSchema.optional(),
  requested_team: z.object({ slug: z.string(), name: z.string().optional() }).optional(),
});

/** The pull requests a check payload names (empty for a fork's: GitHub only lists the repository's own). */
const checkPulls = z.array(z.object({ number: z.number(), head: z.object({ ref: z.string(), sha: z.string() }) })).default([]);

const ciBase = {
  action: z.string(),
  installation: z.object({ id: z.number() }),
  repository: repositorySchema,
  sender: actorSchema,
};

const checkApp = z.object({ id: z.number(), slug: z.string().optional() }).nullable().optional();

export const checkSuitePayload = z.object({
  ...ciBase,
  check_suite: z.object({ id: z.number(), head_sha: z.string(), head_branch: z.string().nullable(), status: z.string().nullable(), conclusion: z.string().nullable(), app: checkApp, pull_requests: checkPulls }),
});

export const checkRunPayload = z.object({
  ...ciBase,
  check_run: z.object({
    id: z.number(),
    name: z.string(),
    head_sha: z.string(),
    conclusion: z.string().nullable(),
    app: checkApp,
    pull_requests: checkPulls,
    check_suite: z.object({ head_branch: z.string().nullable() }).optional(),
  }),
});

export const workflowRunPayload = z.object({
  ...ciBase,
  workflow_run: z.object({ id: z.number(), head_sha: z.string(), head_branch: z.string().nullable(), conclusion: z.string().nullable(), pull_requests: checkPulls }),
});
