// Runs Azurite for the local cloud, and changes its accounts on request without a restart.
//
//   node azurite_entry.js <path of azurite/dist/src/azurite.js> [Azurite's options...]
//
// Azurite reads its accounts from the AZURITE_ACCOUNTS variable of its own process, in every
// service's AccountDataStore, at start and then once a minute (AccountDataStore.refresh). This
// entry point records those stores as they start and, when asked, sets the variable and
// refreshes them at once, so an account or a new key works within milliseconds and requests
// in flight are never cut off by a restart.
//
// Control channel: the daemon that started this process writes one JSON object per line on
// our stdin (a pipe only it holds): {"id": 7, "accounts": "name:key1:key2;..."} ("" means
// none: no account at all). The answer is one JSON line on the file descriptor
// named by LAB_AZURITE_REPLY_FD: {"id": 7, "ok": true, "stores": 3}, or "ok": false and an
// "error" that never repeats the keys. Keys travel only through that pipe and the process
// environment: never in argv, never in a log.
//
// End of stdin means the daemon is gone (even after kill -9): Azurite then stops as on
// SIGTERM, saving its database, instead of living on as an orphan nobody manages.
//
// Who may call: Azurite's `--oauth basic` checks a bearer token's issuer, audience and
// lifetime but not its signature, so any well-formed token would do. Here every service's
// token check first verifies the signature (HS256) with the key of the local cloud's own
// identity endpoint, read from the 0600 file LAB_TOKEN_SIGNING_KEY_FILE names: a token
// another lab signed, or a forged one, is refused (403 AuthenticationFailed, Azurite's
// answer for a token it refuses). And with no accounts ("" on the control channel) Azurite
// serves none, instead of devstoreaccount1, whose key is published.
"use strict";

const { createSecretKey } = require("crypto");
const fs = require("fs");
const path = require("path");
const readline = require("readline");

const ACCOUNTS_VARIABLE = "AZURITE_ACCOUNTS";
const script = process.argv[2];
if (!script) {
  console.error("usage: node azurite_entry.js <azurite.js> [Azurite options]");
  process.exit(2);
}
process.argv.splice(2, 1); // Azurite parses the rest of argv as its own options.

// The module Azurite's servers load (one cache entry per resolved file name).
const { default: AccountDataStore } = require(
  path.join(path.dirname(script), "common", "AccountDataStore.js"));
const stores = new Set();
// Without AZURITE_ACCOUNTS, Azurite serves devstoreaccount1 with its well-known key: anyone
// could use this lab's Azurite. Serve no account instead (refresh runs at start, on each
// account change and once a minute).
const originalRefresh = AccountDataStore.prototype.refresh;
AccountDataStore.prototype.refresh = function (...args) {
  if (process.env[ACCOUNTS_VARIABLE]) return originalRefresh.apply(this, args);
  this.accounts = {};
};
const originalInit = AccountDataStore.prototype.init;
const originalClose = AccountDataStore.prototype.close;
AccountDataStore.prototype.init = function (...args) {
  stores.add(this);
  return originalInit.apply(this, args);
};
AccountDataStore.prototype.close = function (...args) {
  stores.delete(this);
  return originalClose.apply(this, args);
};

// Bearer tokens: the signature must be this local cloud's (see the top of this file).
const SIGNING_KEY_VARIABLE = "LAB_TOKEN_SIGNING_KEY_FILE";
const signingKeyFile = process.env[SIGNING_KEY_VARIABLE];
delete process.env[SIGNING_KEY_VARIABLE];
let signingKey = "";
try {
  signingKey = fs.readFileSync(signingKeyFile || "", "utf8").trim();
} catch (error) {
  signingKey = "";
}
if (!signingKey) {
  console.error(`azurite_entry: ${SIGNING_KEY_VARIABLE} must name the file that holds the ` +
                "local cloud's token signing key; without it any well-formed token would pass");
  process.exit(2);
}
// A KeyObject made once: given the key as a string, jsonwebtoken 9 first tries to parse it
// as a public key (crypto.createPublicKey) on every call, which cost Azurite about a
// quarter of its CPU per request (measured with --cpu-prof under the throughput bench).
const signingSecret = createSecretKey(Buffer.from(signingKey, "utf8"));
const { verify } = require(require.resolve("jsonwebtoken", { paths: [path.dirname(script)] }));
// Each service's token authenticator, and how its StorageErrorFactory takes the context.
const TOKEN_AUTHENTICATORS = [
  ["blob", "BlobTokenAuthenticator", (context) => context.contextId],
  ["queue", "QueueTokenAuthenticator", (context) => context.contextID],
  ["table", "TableTokenAuthenticator", (context) => context],
];
for (const [service, name, errorContext] of TOKEN_AUTHENTICATORS) {
  const dist = path.dirname(script);
  const { default: Authenticator } = require(
    path.join(dist, service, "authentication", `${name}.js`));
  const { default: errors } = require(
    path.join(dist, service, "errors", "StorageErrorFactory.js"));
  const basic = Authenticator.prototype.authenticateBasic;
  if (typeof basic !== "function" || typeof errors.getAuthenticationFailed !== "function") {
    console.error(`azurite_entry: ${name}.authenticateBasic is not where Azurite 3.35 has it; ` +
                  "tokens cannot be verified with this Azurite version");
    process.exit(2);
  }
  Authenticator.prototype.authenticateBasic = async function (token, context) {
    try {
      // Signature and algorithm only: Azurite's own check that follows judges issuer,
      // audience and lifetime, with its own messages.
      verify(token, signingSecret, { algorithms: ["HS256"], ignoreExpiration: true,
                                  ignoreNotBefore: true });
    } catch (error) {
      throw errors.getAuthenticationFailed(errorContext(context),
        "Signature validation failed: the token was not issued by this local cloud.");
    }
    return basic.call(this, token, context);
  };
}

const replyFd = Number(process.env.LAB_AZURITE_REPLY_FD);
delete process.env.LAB_AZURITE_REPLY_FD;

function reply(answer) {
  if (!Number.isInteger(replyFd)) return;
  try {
    fs.writeSync(replyFd, JSON.stringify(answer) + "\n");
  } catch (error) {
    console.error(`azurite_entry: cannot answer the daemon (${error.code || error.message})`);
  }
}

function setAccounts(value) {
  if (typeof value !== "string") throw new Error("'accounts' must be a string");
  if (value) {
    // Azurite's refresh() silently falls back to devstoreaccount1 on a bad value; refuse
    // it here instead. Its error message would quote the keys: never pass it on.
    try {
      AccountDataStore.prototype.parserAccountsEnvironmentString(value);
    } catch (error) {
      throw new Error("the accounts value is not name:key1[:key2] entries joined by ';'");
    }
    process.env[ACCOUNTS_VARIABLE] = value;
  } else {
    delete process.env[ACCOUNTS_VARIABLE];
  }
  if (stores.size === 0) throw new Error("no Azurite service has started yet");
  for (const store of stores) store.refresh();
  return stores.size;
}

function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (error) {
    reply({ id: null, ok: false, error: "a control line is not JSON" });
    return;
  }
  try {
    reply({ id: request.id, ok: true, stores: setAccounts(request.accounts) });
  } catch (error) {
    reply({ id: request.id, ok: false, error: error.message });
  }
}

// Signals: Azurite listens for SIGTERM only once its services run, then closes them on the
// first one. Before that, SIGTERM stops the process at once (as it would without us); after
// it, later SIGTERMs (a supervisor cleaning up) must not cut the database save short.
let azuriteListening = false;
let stopping = false;
process.on("SIGTERM", () => {
  if (!azuriteListening) process.exit(143);
  stopping = true;
});
process.on("newListener", (event) => {
  if (event === "SIGTERM") azuriteListening = true;
});

function stopAzurite() {
  if (stopping) return;
  if (!azuriteListening) process.exit(1); // still starting: nothing to save yet
  process.kill(process.pid, "SIGTERM"); // Azurite's own handler closes its services
}

// The pipe must not keep Node alive once Azurite has closed its services.
if (typeof process.stdin.unref === "function") process.stdin.unref();
readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on("line", handle)
  .on("close", stopAzurite);

// Azurite loads Application Insights even with --disableTelemetry, and on load it patches
// winston and console to publish every log call on a diagnostic channel nobody reads here.
process.env.APPLICATION_INSIGHTS_NO_DIAGNOSTIC_CHANNEL = "1";
require(script);
