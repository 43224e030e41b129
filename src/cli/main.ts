#!/usr/bin/env node
import { runCli } from "./run-cli.ts";

/** `claude-sandbox-bot` on the command line: see `claude-sandbox-bot --help`. */

process.exitCode = await runCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
