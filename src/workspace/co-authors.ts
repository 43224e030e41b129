import type { Actor, Trigger } from "../triggers/types.ts";

/**
 * Credit for the people a run answers: one `Co-authored-by` trailer each, with the address GitHub
 * links to the account (`<id>+<login>@users.noreply.github.com`). Pure, but for the id lookup a
 * caller passes in for actors whose id the trigger does not carry (runs stored before it did).
 */

/** GitHub logins: letters, digits and single hyphens. Anything else never goes into a commit message. */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/** The app's own account and other bots get no trailer: it credits a person. */
export function isBotActor(actor: Pick<Actor, "login" | "type">): boolean {
  return actor.type === "Bot" || /\[bot\]$/i.test(actor.login);
}

/** Who a run answers: its trigger's actor — but not for the run API, whose caller is the deployment's operator, not a GitHub account ("api"). */
export function askers(trigger: Pick<Trigger, "kind" | "actor">): Actor[] {
  return trigger.kind === "api" ? [] : [trigger.actor];
}

/** The trailer for one account; without an id, the older id-less noreply form (GitHub links it for accounts created before July 2017 only). */
export function coAuthorTrailer(login: string, id: number | null): string {
  const email = id !== null ? `${id}+${login}@users.noreply.github.com` : `${login}@users.noreply.github.com`;
  return `Co-authored-by: ${login} <${email}>`;
}

/** Looks an account's id up (GET /users/{login}); null when it cannot be had. */
export type UserIdLookup = (login: string) => Promise<number | null>;

/**
 * The trailers for these actors, in order, once per account, bots and malformed logins left out.
 * A missing id is looked up; when the lookup fails too, the id-less form is used.
 */
export async function coAuthorTrailers(actors: Actor[], lookupId: UserIdLookup): Promise<string[]> {
  const seen = new Set<string>();
  const people = actors.filter((a) => {
    const key = a.login.toLowerCase();
    if (isBotActor(a) || !LOGIN.test(a.login) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return Promise.all(
    people.map(async (a) => {
      const id = typeof a.id === "number" && Number.isSafeInteger(a.id) && a.id > 0 ? a.id : await lookupId(a.login).catch(() => null);
      return coAuthorTrailer(a.login, id);
    }),
  );
}

/** A line git would read as a trailer (`Token: value`), or a continuation of one. */
const TRAILER_LINE = /^([A-Za-z0-9-]+:\s|\s+\S)/;

/**
 * The message with these trailers at its end, the way `git interpret-trailers` places them: into
 * the last paragraph when that already is a trailer block (and not the subject), else as a new
 * paragraph. A trailer already present (case aside) is not repeated. Ends with one newline.
 */
export function withTrailers(message: string, trailers: string[]): string {
  const body = message.replace(/\s+$/, "");
  const present = new Set(body.split("\n").map((l) => l.trim().toLowerCase()));
  const missing = trailers.filter((t) => !present.has(t.toLowerCase()));
  if (missing.length === 0) return `${body}\n`;
  const paragraphs = body.split(/\n[ \t]*\n/);
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1]! : "";
  const inBlock = last !== "" && last.split("\n").every((l) => TRAILER_LINE.test(l)) && /^[A-Za-z0-9-]+:\s/.test(last);
  return `${body}${inBlock ? "\n" : body ? "\n\n" : ""}${missing.join("\n")}\n`;
}
