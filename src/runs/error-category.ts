/** Why a run failed, in categories a user can act on. Each has one line on what to do. */

export const ERROR_CATEGORIES = {
  timeout: "The run hit its time limit. Split the task into smaller requests, or raise the timeout.",
  max_turns: "Claude used all its turns before finishing. Mention the bot again to continue where it stopped, or raise max turns.",
  budget: "The run reached its cost cap. Mention the bot again to continue, or raise the cap.",
  model_api: "The model API failed. This is usually temporary: mention the bot again in a few minutes.",
  auth: "The model API refused the bot's credentials. An admin must fix ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN.",
  sandbox: "The sandbox failed. Mention the bot again; if it keeps failing, an admin should check the sandbox provider (E2B status, E2B_API_KEY, E2B_TEMPLATE).",
  setup: "A setup command from .github/claude-sandbox-bot.yml failed. Fix the command (or what it needs), then mention the bot again.",
  git: "A git step failed. Check the app's access to the repository and the branch protection rules, then mention the bot again.",
  github: "A GitHub API call failed. Check the app's permissions on the repository; if GitHub is having trouble, retry later.",
  canceled: "The run was stopped before it finished.",
  internal: "Something unexpected failed inside the bot. Mention the bot again; an admin can find the details in the bot's log under this run's id.",
} as const;

export type ErrorCategory = keyof typeof ERROR_CATEGORIES;
