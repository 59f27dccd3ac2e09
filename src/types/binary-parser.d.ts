// binary-parser ships its typings but its package.json "exports" does not
// point at them, so NodeNext resolution cannot find them: re-export them here.
declare module 'binary-parser' {
  export { Parser } from '../../node_modules/binary-parser/dist/binary_parser.js';
}
