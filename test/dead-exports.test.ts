/**
 * Every export of src/ is used by another module (of src/, test/, bench/ or
 * scripts/), or is named by another export's signature of its own file (a
 * caller may need to name a parameter's type). An export nobody imports is
 * dead code or a module-private helper that says it is public.
 *
 * The sources are read with TypeScript's parser only (no type checking), so
 * the test takes a second: imports (static, type-only, re-exports, dynamic
 * `import()`), and for `import * as ns` the `ns.name` accesses (a namespace
 * used as a whole value counts as a use of all its exports).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './helpers/mount.js';

/** Repo-relative paths of the sources under `dir` with one of `exts` (declaration files excluded). */
function sourceFiles(dir: string, exts: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sourceFiles(p, exts));
    else if (exts.some((x) => e.name.endsWith(x)) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** What a file exports: name -> the declaration node (its name excluded from own-file uses). */
interface ExportSite {
  name: string;
  line: number;
  /** The node that declares the export (for the signature walk). */
  decl: ts.Node;
  /** The identifier that names it in the declaration (not a use). */
  nameNode: ts.Node | undefined;
}

/** All-uses marker: a module whose every export counts as used by someone. */
const ALL = '*';

/** The repo-relative .ts source a relative specifier of `from` names (scripts import the build in dist/). */
function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const p = relative(repoRoot, normalize(join(repoRoot, dirname(from), spec)));
  return p.replace(/^dist\//, '').replace(/\.js$/, '.ts');
}

const hasExport = (n: ts.Node): boolean =>
  ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

function exportsOf(sf: ts.SourceFile): ExportSite[] {
  const out: ExportSite[] = [];
  const site = (name: string, decl: ts.Node, nameNode: ts.Node | undefined): void => {
    out.push({ name, line: sf.getLineAndCharacterOfPosition(decl.getStart(sf)).line + 1, decl, nameNode });
  };
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
      if (st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) site(el.name.text, el, el.name);
      }
      continue;
    }
    if (ts.isExportAssignment(st)) {
      site('default', st, undefined);
      continue;
    }
    if (!hasExport(st)) continue;
    const isDefault = (ts.getModifiers(st as ts.HasModifiers) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) site(d.name.text, d, d.name);
    } else if (
      ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) ||
      ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st) || ts.isModuleDeclaration(st)
    ) {
      const nm = st.name && ts.isIdentifier(st.name) ? st.name : undefined;
      site(isDefault ? 'default' : nm?.text ?? 'default', st, nm);
    }
  }
  return out;
}

/** file -> names other modules use of it (ALL: every one). */
function usesOf(files: Map<string, ts.SourceFile>): Map<string, Set<string>> {
  const uses = new Map<string, Set<string>>();
  const use = (target: string | undefined, name: string): void => {
    if (target === undefined) return;
    let s = uses.get(target);
    if (!s) uses.set(target, (s = new Set()));
    s.add(name);
  };
  for (const [file, sf] of files) {
    const namespaces = new Map<string, string>();
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
        const target = resolve(file, st.moduleSpecifier.text);
        const clause = st.importClause;
        if (!clause) continue; // side effects only
        if (clause.name) use(target, 'default');
        const nb = clause.namedBindings;
        if (nb && ts.isNamespaceImport(nb)) namespaces.set(nb.name.text, target ?? '');
        else if (nb) for (const el of nb.elements) use(target, (el.propertyName ?? el.name).text);
      } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
        const target = resolve(file, st.moduleSpecifier.text);
        if (!st.exportClause || !ts.isNamedExports(st.exportClause)) use(target, ALL);
        else for (const el of st.exportClause.elements) use(target, (el.propertyName ?? el.name).text);
      }
    }
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = n.arguments[0];
        const target = arg && ts.isStringLiteral(arg) ? resolve(file, arg.text) : undefined;
        // `const { a, b } = await import('./x.js')` uses a and b; anything else, the whole module.
        let p: ts.Node = n.parent;
        if (ts.isAwaitExpression(p)) p = p.parent;
        if (ts.isVariableDeclaration(p) && ts.isObjectBindingPattern(p.name)) {
          for (const el of p.name.elements) use(target, ((el.propertyName ?? el.name) as ts.Identifier).text);
        } else {
          use(target, ALL);
        }
      } else if (ts.isIdentifier(n) && namespaces.has(n.text) && !ts.isNamespaceImport(n.parent)) {
        const target = namespaces.get(n.text);
        if (ts.isPropertyAccessExpression(n.parent) && n.parent.expression === n) use(target, n.parent.name.text);
        else if (ts.isQualifiedName(n.parent) && n.parent.left === n) use(target, n.parent.right.text);
        else use(target, ALL);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return uses;
}

/** Identifiers named `name` in `sf` other than `except` (its own declaration). */
function usedInOwnFile(sf: ts.SourceFile, name: string, except: ts.Node | undefined): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && n.text === name && n !== except) {
      // `export { x }` is the export itself, not a use.
      if (!ts.isExportSpecifier(n.parent)) found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** The names the public face of `decl` mentions: types, parameters and members, not function bodies or initializers. */
function signatureNames(decl: ts.Node): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) names.add(n.text);
    if (ts.isFunctionLike(n)) {
      // parameters, type parameters and the return type; not the body
      for (const c of [...(n.typeParameters ?? []), ...n.parameters]) visit(c);
      if (n.type) visit(n.type);
      return;
    }
    if (ts.isVariableDeclaration(n)) {
      if (n.type) visit(n.type);
      const init = n.initializer;
      if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) visit(init);
      return;
    }
    if (ts.isPropertyDeclaration(n)) {
      if (n.type) visit(n.type);
      return;
    }
    if (ts.isParameter(n)) {
      if (n.type) visit(n.type);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(decl);
  return names;
}

interface Unused {
  where: string;
  name: string;
  /** Used inside its own file (drop `export`) or not at all (delete it). */
  ownFile: boolean;
}

function unusedExports(): Unused[] {
  const files = new Map<string, ts.SourceFile>();
  for (const f of [...sourceFiles('src', ['.ts']), ...sourceFiles('test', ['.ts']), ...sourceFiles('bench', ['.ts']), ...sourceFiles('scripts', ['.mjs'])]) {
    const kind = f.endsWith('.mjs') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
    files.set(f, ts.createSourceFile(f, readFileSync(join(repoRoot, f), 'utf8'), ts.ScriptTarget.Latest, true, kind));
  }
  const uses = usesOf(files);
  const out: Unused[] = [];
  for (const [file, sf] of files) {
    if (!file.startsWith('src/')) continue;
    const used = uses.get(file) ?? new Set<string>();
    if (used.has(ALL)) continue;
    const exports = exportsOf(sf);
    for (const e of exports) {
      if (used.has(e.name)) continue;
      if (exports.some((o) => o !== e && signatureNames(o.decl).has(e.name))) continue;
      out.push({ where: `${file}:${e.line}`, name: e.name, ownFile: usedInOwnFile(sf, e.name, e.nameNode) });
    }
  }
  return out;
}

test('every export of src/ is used outside its file or named by a public signature', () => {
  const unused = unusedExports();
  const list = unused.map((u) => `  ${u.where} ${u.name}: ${u.ownFile ? 'used only in its own file (drop `export`)' : 'used nowhere (delete it)'}`);
  assert.deepEqual(list, [], `exports nobody imports:\n${list.join('\n')}`);
});

test('the export reader sees exports and their uses', () => {
  const sf = ts.createSourceFile('src/a/x.ts', [
    'export function used(a: Shape): number { return helper(a); }',
    'export interface Shape { n: number }',
    'export function helper(a: Shape): number { return a.n; }',
    'export const dead = 1;',
    'export type Private = { n: number };',
  ].join('\n'), ts.ScriptTarget.Latest, true);
  assert.deepEqual(exportsOf(sf).map((e) => e.name), ['used', 'Shape', 'helper', 'dead', 'Private']);
  const user = ts.createSourceFile('src/b/y.ts', [
    "import { used } from '../a/x.js';",
    "import * as ns from '../c/z.js';",
    "const { later } = await import('../d/w.js');",
    'ns.called(); used(); later();',
  ].join('\n'), ts.ScriptTarget.Latest, true);
  const uses = usesOf(new Map([['src/b/y.ts', user]]));
  assert.deepEqual([...(uses.get('src/a/x.ts') ?? [])], ['used']);
  assert.deepEqual([...(uses.get('src/c/z.ts') ?? [])], ['called']);
  assert.deepEqual([...(uses.get('src/d/w.ts') ?? [])], ['later']);
  const [, shape, helper, dead] = exportsOf(sf);
  assert.ok(signatureNames(exportsOf(sf)[0]!.decl).has('Shape'), 'a parameter type is part of the signature');
  assert.ok(!signatureNames(exportsOf(sf)[0]!.decl).has('helper'), 'a call in the body is not');
  assert.equal(usedInOwnFile(sf, 'helper', helper!.nameNode), true);
  assert.equal(usedInOwnFile(sf, 'dead', dead!.nameNode), false);
  assert.equal(usedInOwnFile(sf, 'Shape', shape!.nameNode), true);
});
