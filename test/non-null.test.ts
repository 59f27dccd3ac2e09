/**
 * A non-null assertion (`x!`) says "the compiler cannot see this is defined,
 * but it is". With noUncheckedIndexedAccess on, `a[i]!` is such a claim; one
 * on a value whose type cannot be null or undefined claims nothing and hides
 * the places where the claim matters. This test lists any such assertion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './helpers/mount.js';

test('no non-null assertion on a value that cannot be null or undefined', () => {
  const cfg = ts.getParsedCommandLineOfConfigFile(join(repoRoot, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  })!;
  assert.equal(cfg.options.noUncheckedIndexedAccess, true, 'tsconfig.json: noUncheckedIndexedAccess stays on');
  const program = ts.createProgram(cfg.fileNames, cfg.options);
  const checker = program.getTypeChecker();
  const nullish = ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void | ts.TypeFlags.Any | ts.TypeFlags.Unknown;
  const canBeNullish = (t: ts.Type): boolean =>
    (t.flags & nullish) !== 0 || (t.isUnion() && t.types.some(canBeNullish)) || (t.flags & ts.TypeFlags.TypeParameter) !== 0;
  const needless: string[] = [];
  let seen = 0;
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isNonNullExpression(node)) {
        seen++;
        if (!canBeNullish(checker.getTypeAtLocation(node.expression))) {
          const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
          needless.push(`${sf.fileName.slice(repoRoot.length + 1)}:${line + 1}: ${node.getText().slice(0, 80)}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  assert.ok(seen > 100, `the walk found ${seen} assertions; it should see the hundreds in src/`);
  assert.deepEqual(needless, [], 'remove these `!`: the value cannot be null or undefined there');
});
