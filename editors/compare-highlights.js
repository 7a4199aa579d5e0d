#!/usr/bin/env node
// Checks that the two highlighters agree: for every .byz file given (or, by
// default, every one in scenarios/, stdlib/, tests/inputs/parse/,
// tests/inputs/expect/, tests/inputs/window/, tests/inputs/allow/ and the
// editors' own tests), each capture of tree-sitter-byz/queries/highlights.scm
// must be covered by the matching TextMate scope of
// vscode/syntaxes/byz.tmLanguage.json (the table in editors/README.md).
// Punctuation is left out: the two name brackets differently on purpose.
//
//   node editors/compare-highlights.js [FILE.byz ...]
//
// Needs the tree-sitter CLI (TREE_SITTER or `tree-sitter` on PATH) and
// `npm ci` in editors/vscode. Prints each disagreement and
// `compare-highlights: N passed, M failed` (files) last.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const editors = __dirname;
const root = path.resolve(editors, '..');
const grammarDir = path.join(editors, 'tree-sitter-byz');
const vscodeDir = path.join(editors, 'vscode');
const need = (m) => require(require.resolve(m, { paths: [vscodeDir] }));
const vsctm = need('vscode-textmate');
const onig = need('vscode-oniguruma');
const ts = process.env.TREE_SITTER || 'tree-sitter';

/** tree-sitter capture → the TextMate scope (a prefix) that must cover it. */
const SCOPES = {
  comment: 'comment.',
  'keyword.import': 'keyword.control.import.byz',
  'keyword.type': 'storage.type.byz',
  keyword: 'keyword.control.byz',
  'keyword.operator': 'keyword.operator.word.byz',
  module: 'entity.name.namespace.byz',
  'type.definition': 'entity.name.type.byz',
  type: 'entity.name.type.reference.byz',
  'type.builtin': 'support.type.byz',
  constructor: 'entity.name.function.constructor.byz',
  'function.call': 'entity.name.function.byz',
  'variable.parameter': 'variable.parameter.byz',
  property: 'variable.other.property.byz',
  constant: 'constant.other.byz',
  'function.builtin': 'support.function.byz',
  'variable.builtin': 'variable.language.byz',
  variable: 'variable.other.byz',
  number: 'constant.numeric.',
  string: 'string.quoted.double.byz',
  'string.escape': 'constant.character.escape.byz',
  operator: 'keyword.operator.byz',
};

function defaultFiles() {
  const out = [];
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.byz')) out.push(p);
    }
  };
  for (const d of [
    'scenarios',
    'stdlib',
    'tests/inputs/parse',
    'tests/inputs/expect',
    'tests/inputs/window',
    'tests/inputs/allow',
  ]) {
    walk(path.join(root, d));
  }
  walk(path.join(vscodeDir, 'test'));
  walk(path.join(grammarDir, 'test', 'highlight'));
  return out.sort();
}

async function textmate() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm', { paths: [vscodeDir] }));
  await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const grammarPath = path.join(vscodeDir, 'syntaxes', 'byz.tmLanguage.json');
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new onig.OnigScanner(patterns),
      createOnigString: (s) => new onig.OnigString(s),
    }),
    loadGrammar: async (scope) =>
      scope === 'source.byz'
        ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath)
        : null,
  });
  return registry.loadGrammar('source.byz');
}

/** Per line, the TextMate tokens: [{start, end, scopes}]. */
function tokenize(grammar, text) {
  let stack = vsctm.INITIAL;
  return text.split('\n').map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({ start: t.startIndex, end: t.endIndex, scopes: t.scopes }));
  });
}

/** The captures tree-sitter's highlight query makes: [{name, row, start, end, text}]. */
function captures(file) {
  const r = spawnSync(ts, ['query', path.join(grammarDir, 'queries', 'highlights.scm'), file], {
    cwd: grammarDir,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`tree-sitter query failed on ${file}: ${r.stderr}`);
  const out = [];
  const re = /capture: (?:\d+ - )?([\w.]+), start: \((\d+), (\d+)\), end: \((\d+), (\d+)\)(?:, text: `([^`]*)`)?/g;
  for (const m of r.stdout.matchAll(re)) {
    out.push({ name: m[1], row: +m[2], start: +m[3], endRow: +m[4], end: +m[5], text: m[6] });
  }
  return out;
}

/** tree-sitter columns are bytes; TextMate's are UTF-16 code units. */
function byteToUtf16(line, byteCol) {
  return Buffer.from(line, 'utf8').subarray(0, byteCol).toString('utf8').length;
}

async function main() {
  const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => path.resolve(f)) : defaultFiles();
  const grammar = await textmate();
  let passed = 0;
  let failed = 0;
  let checked = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const tokens = tokenize(grammar, text);
    const problems = [];
    for (const c of captures(file)) {
      if (c.name.startsWith('punctuation')) continue;
      const want = SCOPES[c.name];
      if (!want) {
        problems.push(`${c.row + 1}:${c.start + 1} capture @${c.name} has no TextMate scope in the table`);
        continue;
      }
      // The first line of multi-line captures (block comments) is enough.
      const line = lines[c.row];
      const from = byteToUtf16(line, c.start);
      const to = c.endRow === c.row ? byteToUtf16(line, c.end) : line.length;
      checked++;
      for (const t of tokens[c.row]) {
        if (t.end <= from || t.start >= to) continue;
        if (!t.scopes.some((s) => s.startsWith(want))) {
          problems.push(
            `${c.row + 1}:${from + 1} \`${line.slice(from, to)}\`: tree-sitter @${c.name}, TextMate ` +
              `[${t.scopes.slice(1).join(' ') || '(none)'}] on \`${line.slice(t.start, t.end)}\`, ` +
              `expected ${want}`,
          );
          break;
        }
      }
    }
    const rel = path.relative(root, file);
    if (problems.length === 0) {
      passed++;
      console.log(`ok    ${rel}`);
    } else {
      failed++;
      console.log(`FAIL  ${rel}`);
      for (const p of problems) console.log(`        ${p}`);
    }
  }
  console.log(`(${checked} captures compared)`);
  console.log(`compare-highlights: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
