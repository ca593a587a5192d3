// Runs one Postman test script with the small part of the `pm` API the generated scripts use.
// stdin: {"code": 200, "body": "...", "script": "...", "variables": {...}}
// stdout: {"variables": {...}, "results": [[name, passed, error?], ...]}
const fs = require("fs");
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const variables = { ...input.variables };
const results = [];
const pm = {
  response: { code: input.code, json: () => JSON.parse(input.body) },
  test: (name, fn) => {
    try { fn(); results.push([name, true]); } catch (e) { results.push([name, false, String(e)]); }
  },
  expect: (actual) => ({
    to: { be: { oneOf: (list) => {
      if (!list.includes(actual)) throw new Error(`expected ${actual} to be one of ${list}`);
    } } },
  }),
  collectionVariables: { set: (key, value) => { variables[key] = String(value); } },
};
new Function("pm", input.script)(pm);
process.stdout.write(JSON.stringify({ variables, results }));
