import type { ApplicationFunction } from "probot";
import type { IntakeDeps } from "./intake/intake.ts";
import { registerHandlers } from "./intake/register.ts";

/** The Probot application function: registers handlers, nothing else. */
export function createApp(deps: IntakeDeps): ApplicationFunction {
  return (app) => registerHandlers(app, deps);
}
