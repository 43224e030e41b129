import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { MODEL_KEY, startWorld, type World } from "./harness.ts";
import { say, stepOf, tool } from "./script-helpers.ts";

/**
 * The dashboard in a real browser (the Chromium the global setup unpacked from @sparticuz/chromium,
 * or CHROMIUM_PATH, driven by playwright-core) against the bot as
 * `npm start` runs it: sign-in, the empty list, a live run (its phase and step arriving over SSE),
 * done, failed, cancel from the button, filters and totals, escaping. Screenshots of each state go
 * to test/e2e/__screenshots__/ (git-ignored by the .gitignore written there).
 */

const CHROMIUM = inject("chromium");
const ADMIN_TOKEN = "dashboard-admin-token-0123456789abcdef";
const SHOTS = join(import.meta.dirname, "__screenshots__");

/** A gate the scripted model waits at, so a run stays live until the test lets it go on. */
function gate() {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

describe("dashboard in a browser", () => {
  let w: World;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const gates = new Map<string, ReturnType<typeof gate>>();
  const gateFor = (word: string) => gates.get(word) ?? gates.set(word, gate()).get(word)!;

  // Step 0 runs a command at once; step 1 waits at the prompt's gate ("slow" / "stoppable") first.
  const script = async (req: AgentRequest): Promise<Reply> => {
    const prompt = req.lastUserText;
    if (prompt.includes("explode")) return { error: { status: 400, type: "invalid_request_error", message: "model claude-e2e-test is not available to this key" } };
    const step = stepOf(req);
    if (step === 0) return { content: [say("On it."), tool("Bash", { command: "printf 'slow work\\n' > SLOW.md", description: "Write the file" })] };
    if (step === 1) {
      const word = ["slow", "stoppable"].find((w) => prompt.includes(w));
      if (word) await gateFor(word).promise;
      return { content: [tool("Bash", { command: "printf 'more\\n' >> SLOW.md", description: "Add more" })] };
    }
    return { content: [say("Wrote SLOW.md.")] };
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM.executablePath)) {
      throw new Error(`No Chromium at ${CHROMIUM.executablePath}: unset CHROMIUM_PATH to use the one @sparticuz/chromium unpacks, or point it at a browser.`);
    }
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(join(SHOTS, ".gitignore"), "*\n");
    w = await startWorld({ script, env: { ADMIN_TOKEN } });
    browser = await chromium.launch({
      executablePath: CHROMIUM.executablePath,
      args: [...CHROMIUM.args, "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
  }, 90_000);

  afterAll(async () => {
    for (const g of gates.values()) g.release();
    await browser?.close();
    await w?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  async function mention(title: string, text: string): Promise<{ issue: number; runId: number }> {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title, body: "From the dashboard test.", user: "alice" }, comment: { body: `${w.trigger} ${text}`, user: "alice" } });
    expect((await w.send(ev)).status).toBe(200);
    const issue = ev.payload.issue.number;
    const runId = await waitFor(`the run for issue #${issue}`, async () => {
      const res = await fetch(`${w.bot.url}/api/runs?limit=20`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const { runs } = (await res.json()) as { runs: Array<{ id: number; thread: { number: number | null } }> };
      return runs.find((r) => r.thread.number === issue)?.id;
    });
    return { issue, runId };
  }

  it("asks for the admin token, refuses a wrong one, and signs in with a strict HttpOnly cookie", async () => {
    await page.goto(`${w.bot.url}/dashboard?state=running`);
    expect(new URL(page.url()).pathname).toBe("/login");
    // The label reads as one line above its field (the label is a flex column: loose text and
    // <code> would each become a line of their own).
    const box = async (selector: string) => (await page.locator(selector).boundingBox({ timeout: 2000 }))!;
    const [text, code, input] = [await box("#login label > span"), await box("#login label code"), await box("#login label input")];
    expect(Math.abs(code.y - text.y)).toBeLessThan(4);
    expect(text.height).toBeLessThan(2 * code.height);
    expect(input.y).toBeGreaterThanOrEqual(text.y + text.height - 1);
    await page.fill("input[name=token]", "not-the-token-not-the-token");
    await page.click("button[type=submit]");
    await expect.poll(() => page.textContent("#login-problem")).toMatch(/not the admin token/);

    await page.fill("input[name=token]", ADMIN_TOKEN);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/dashboard\?state=running$/);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "csb_session", httpOnly: true, sameSite: "Strict" });
    expect(cookie!.value).not.toContain(ADMIN_TOKEN);
    // Without the cookie, the live stream is refused too.
    expect((await fetch(`${w.bot.url}/dashboard/runs/1/events`)).status).toBe(401);
  });

  it("empty: no runs yet", async () => {
    await page.goto(`${w.bot.url}/dashboard`);
    await expect.poll(() => page.textContent("#no-runs")).toMatch(/No runs yet/);
    expect(await page.textContent("h2")).toMatch(/0 runs, \$0\.00/);
    await shot("01-empty");
  });

  let slowRun = 0;
  it("running: the run page shows its phase and Claude's step live, over SSE", async () => {
    const { runId } = await mention("Slow work", "do the slow work");
    slowRun = runId;
    await page.goto(`${w.bot.url}/dashboard/runs/${runId}`);
    await expect.poll(() => page.textContent("#live-status"), { timeout: 30_000 }).toBe("live");
    // Claude ran its first command and is now waiting at the gate: the page got there by itself.
    await expect.poll(() => page.textContent("#live-phase"), { timeout: 60_000 }).toMatch(/^agent \(running Claude Code\)$/);
    await expect.poll(() => page.textContent("#live-step"), { timeout: 60_000 }).toMatch(/Running `printf 'slow work/);
    expect(await page.textContent("#live-state")).toBe("running");
    expect(await page.locator("#live-log li").count()).toBeGreaterThan(0);
    expect(await page.isVisible("#cancel")).toBe(true);
    await shot("02-running");

    await page.goto(`${w.bot.url}/dashboard`);
    expect(await page.textContent(`tr[data-run="${runId}"] .state`)).toBe("running");
    expect(await page.textContent(`tr[data-run="${runId}"]`)).toMatch(/issue_comment\s*alice/);
  });

  it("done: when the run finishes the page reloads with the outcome, the pull request and the redacted result", async () => {
    await page.goto(`${w.bot.url}/dashboard/runs/${slowRun}`);
    await expect.poll(() => page.textContent("#live-status")).toBe("live");
    gateFor("slow").release();
    await expect.poll(() => page.textContent("#run-state"), { timeout: 90_000 }).toBe("succeeded");
    expect(await page.isVisible("#live")).toBe(false);
    const pr = w.gh.state.pulls.find((p) => p.repo === w.repo.fullName)!;
    expect(await page.textContent("#run-pr")).toBe(`#${pr.number}`);
    const json = JSON.parse((await page.textContent("#result-json"))!) as Record<string, any>;
    expect(json).toMatchObject({ outcome: "done", pr: { number: pr.number }, claude: { type: "result", subtype: "success" } });
    expect(await page.content()).not.toContain(MODEL_KEY);
    // The model gateway metered the run's requests (on by default with the local provider).
    expect(await page.textContent("#run-gateway")).toMatch(/^[1-9]\d* requests \(0 upstream errors\) · tokens in \/ out \/ cache \d+ \/ \d+ \/ \d+ · \$\d/);
    await shot("03-done");
  });

  it("failed: the page names the phase and the error; markup in the request is shown as text", async () => {
    const { runId } = await mention("Broken <b>model</b>", "explode <img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>");
    await page.goto(`${w.bot.url}/dashboard/runs/${runId}`);
    await expect.poll(() => page.textContent("#run-state"), { timeout: 90_000 }).toBe("failed");
    expect(await page.textContent("#run-error")).toMatch(/not available to this key/);
    expect(await page.textContent("#prompt")).toContain(`<script>window.__xss=2</script>`);
    expect(await page.textContent("#details")).toContain("Broken <b>model</b>");
    // Neither injected handler ran (the page has no DOM types here, so the check is a string).
    expect(await page.evaluate("typeof window.__xss")).toBe("undefined");
    await shot("04-failed");
  });

  it("cancel: the button stops a live run", async () => {
    const { runId } = await mention("Stoppable", "do the stoppable work");
    await page.goto(`${w.bot.url}/dashboard/runs/${runId}`);
    await expect.poll(() => page.textContent("#live-step"), { timeout: 60_000 }).toMatch(/Running `printf/);
    await page.click("#cancel");
    await page.waitForURL(new RegExp(`/dashboard/runs/${runId}\\?notice=cancel$`));
    expect(await page.textContent("#notice")).toMatch(/Cancel requested/);
    await expect.poll(() => page.textContent("#run-state"), { timeout: 60_000 }).toBe("canceled");
    await shot("05-canceled");
    expect(w.gh.state.pulls.filter((p) => p.title === "Stoppable")).toEqual([]);
  });

  it("the list: every state, filters by state and repository, totals per repository and per day", async () => {
    await page.goto(`${w.bot.url}/dashboard`);
    const states = await page.locator("#runs tbody .state").allTextContents();
    expect(states.sort()).toEqual(["canceled", "failed", "succeeded"]);
    const perRepo = await page.locator("#totals-repo tbody tr").allTextContents();
    expect(perRepo).toEqual([expect.stringMatching(new RegExp(`^${w.repo.fullName}3\\$`))]);
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.locator("#totals-day tbody tr").allTextContents()).toEqual([expect.stringMatching(new RegExp(`^${today}3\\$`))]);
    expect(await page.locator("#gateway-repo tbody tr").allTextContents()).toEqual([expect.stringMatching(new RegExp(`^${w.repo.fullName}[1-9]\\d*\\d+`))]);
    await shot("06-list");

    await page.selectOption("select[name=state]", "failed");
    await page.click("#filters button[type=submit]");
    await page.waitForURL(/state=failed/);
    expect(await page.locator("#runs tbody .state").allTextContents()).toEqual(["failed"]);

    await page.goto(`${w.bot.url}/dashboard?repo=someone/else`);
    expect(await page.textContent("#no-runs")).toMatch(/No runs match these filters/);
    await page.goto(`${w.bot.url}/dashboard?state=<b>bogus</b>`);
    expect(await page.textContent(".problem")).toContain(`"<b>bogus</b>" is not a state`);

    // The session cookie never reached the log.
    const [cookie] = await context.cookies();
    expect(w.bot.logs.join("\n")).not.toContain(cookie!.value);
    expect(w.bot.logs.join("\n")).not.toContain(ADMIN_TOKEN);
  });
});
