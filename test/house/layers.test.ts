// The layering of src/, stated once. Every module belongs to exactly one layer of LAYERS, and imports only from
// its own layer and the layers it lists. ARCHITECTURE.md explains the table; this file is the rule. It parses
// every import of src/ (static, dynamic, re-exports, type-only ones too), so no comment can switch it off.
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

interface Layer {
  /** Module paths under src/ without the extension; one ending in '/' is everything under that folder. */
  readonly modules: readonly string[];
  /** The layers this one may import from (values and types). A layer's own modules may always import each other. */
  readonly imports: readonly LayerName[];
  /** Layers it may take types from, and nothing else: `import type` is erased, so no code of theirs runs. */
  readonly typesFrom?: readonly LayerName[];
  /** Node's built-in modules (node:fs, node:os...). */
  readonly node?: boolean;
  /** npm packages it may import. */
  readonly packages?: readonly string[];
  /** No I/O at all: besides the imports above, no use of the globals `process`, `require`, `fetch`, `globalThis`. */
  readonly pure?: boolean;
  /** Loads files by computed paths (require(path)): the addon loader alone. */
  readonly loader?: boolean;
}

type LayerName =
  | 'errors' | 'binding' | 'validate' | 'signals' | 'calls' | 'procfs' | 'model' | 'supervise' | 'spawn'
  | 'snapshot' | 'api' | 'cli' | 'promClient';

/** Bottom to top. Data flows procfs → snapshot → model → report (api) → presenters (cli, promClient). */
const LAYERS: Readonly<Record<LayerName, Layer>> = {
  // Node-style errors (code, errno, syscall, path) and the ERR_* argument errors: every layer may throw them.
  errors: { modules: ['errors'], imports: [], node: true },
  // The one loader of the addon and its typed interface: the only module that sees the .node file.
  binding: { modules: ['binding'], imports: ['errors'], node: true, packages: ['bindings'], loader: true },
  // Argument checks shared by the public functions (pid range from the native constants).
  validate: { modules: ['validate'], imports: ['errors', 'binding'] },
  // Signal names and numbers, as Node's os.constants has them.
  signals: { modules: ['signals'], imports: ['errors'], node: true },
  // Typed system calls over the door: mmap, rlimits, waitpid.
  calls: { modules: ['mmap', 'rlimit', 'wait'], imports: ['errors', 'binding', 'validate', 'signals'], node: true },
  // Readers: /proc and /sys text in, plain objects out. Untrusted text; no decisions.
  procfs: { modules: ['procfs/'], imports: ['errors'], node: true },
  // The kernel's rules over plain numbers: pure, no I/O.
  model: { modules: ['model/', 'format'], imports: [], typesFrom: ['procfs'], pure: true },
  // Process trees and cgroups a supervised child runs in.
  supervise: { modules: ['supervise/'], imports: ['errors', 'validate', 'signals', 'calls', 'procfs'], node: true },
  // child_process's API over the native spawn; register() swaps it into node:child_process.
  spawn: {
    modules: ['spawn/', 'register', 'register-require', 'register-import'],
    imports: ['errors', 'binding', 'validate', 'signals', 'calls', 'supervise'], node: true,
  },
  // One answer's reads and decisions: the machine snapshot, each process's files, the trials, the report.
  snapshot: {
    modules: ['snapshot', 'task-trial'],
    imports: ['errors', 'binding', 'validate', 'calls', 'procfs', 'model'], node: true,
  },
  // The public API: src/index.ts and the public canFork module. Only what a user of the package calls.
  api: {
    modules: ['index', 'can-fork'],
    imports: ['errors', 'binding', 'validate', 'calls', 'model', 'supervise', 'spawn', 'snapshot'], node: true,
  },
  // Presenters. The CLI may use everything below it; nothing imports it.
  cli: {
    modules: ['cli/'],
    imports: ['errors', 'binding', 'validate', 'signals', 'calls', 'procfs', 'model', 'supervise', 'spawn', 'snapshot', 'api'],
    node: true,
  },
  promClient: { modules: ['prom-client'], imports: ['errors', 'validate', 'model', 'api'], packages: ['prom-client'] },
};

/** The module that re-exports the public API, and the public module of canFork whose every export it re-exports. */
const PUBLIC_INDEX = 'index';
const PUBLIC_CAN_FORK = 'can-fork';

const SRC = path.resolve(__dirname, '../../src');
const EXTENSIONS = ['.ts', '.mts', '.cts'];
const COMPUTED = '<computed>';

interface Import {
  readonly specifier: string;
  readonly typeOnly: boolean;
  readonly names: readonly string[];
}

interface Module {
  readonly name: string;
  readonly source: ts.SourceFile;
  readonly imports: readonly Import[];
}

function listModules(directory = SRC): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return listModules(full);
    return EXTENSIONS.some((extension) => entry.name.endsWith(extension)) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function moduleName(file: string): string {
  return path.relative(SRC, file).replace(/\.[cm]?ts$/, '').split(path.sep).join('/');
}

function stringArgument(node: ts.CallExpression): string | null {
  const [first] = node.arguments;
  return first && ts.isStringLiteralLike(first) ? first.text : null;
}

function namedBindings(clause: ts.NamedImportBindings | ts.NamedExportBindings | undefined): string[] {
  if (!clause) return ['*'];
  if (ts.isNamespaceImport(clause) || ts.isNamespaceExport(clause)) return ['*'];
  return clause.elements.map((element) => (element.propertyName ?? element.name).text);
}

/** Every import of a file: import/export-from declarations, `import x = require()`, import() and require() calls. */
function importsOf(source: ts.SourceFile): Import[] {
  const found: Import[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const elementsTypeOnly = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) && !clause.name &&
        clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((element) => element.isTypeOnly);
      const names = clause ? [...(clause.name ? ['default'] : []), ...(clause.namedBindings ? namedBindings(clause.namedBindings) : [])] : [];
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: Boolean(clause?.isTypeOnly || elementsTypeOnly), names });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const elementsTypeOnly = clause && ts.isNamedExports(clause) && clause.elements.length > 0 &&
        clause.elements.every((element) => element.isTypeOnly);
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || Boolean(elementsTypeOnly), names: namedBindings(clause) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly, names: ['*'] });
    } else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
      (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      found.push({ specifier: stringArgument(node) ?? COMPUTED, typeOnly: false, names: ['*'] });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true, names: ['*'] });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function readModules(): Map<string, Module> {
  const modules = new Map<string, Module>();
  for (const file of listModules()) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    modules.set(moduleName(file), { name: moduleName(file), source, imports: importsOf(source) });
  }
  return modules;
}

/** The src/ module a relative specifier names (its file with any extension, or its folder's index). */
function resolveModule(from: string, specifier: string, modules: Map<string, Module>): string | null {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier)).replace(/\.[cm]?[jt]s$/, '');
  if (modules.has(base)) return base;
  if (modules.has(`${base}/index`)) return `${base}/index`;
  return null;
}

function layerOf(module: string): LayerName[] {
  return (Object.keys(LAYERS) as LayerName[]).filter((name) =>
    LAYERS[name].modules.some((pattern) => (pattern.endsWith('/') ? module.startsWith(pattern) : module === pattern)));
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

/** Every break of the table, as 'from -> to' (or a sentence), in a stable order. */
function layerViolations(modules: Map<string, Module>): string[] {
  const violations = new Set<string>();
  for (const [name, layer] of Object.entries(LAYERS) as [LayerName, Layer][]) {
    for (const pattern of layer.modules) {
      const matches = [...modules.keys()].some((module) => (pattern.endsWith('/') ? module.startsWith(pattern) : module === pattern));
      if (!matches) violations.add(`${pattern.replace(/\/$/, '')}: listed in LAYERS but no such module`);
    }
    void name;
  }
  for (const module of modules.values()) {
    const layers = layerOf(module.name);
    if (layers.length !== 1) {
      violations.add(`${module.name}: ${layers.length === 0 ? 'not in any layer' : `in ${layers.join(' and ')}`}`);
      continue;
    }
    const own = layers[0] as LayerName;
    const layer = LAYERS[own];
    for (const { specifier, typeOnly } of module.imports) {
      if (specifier === COMPUTED) {
        if (!layer.loader) violations.add(`${module.name} imports a computed path`);
      } else if (specifier.startsWith('.')) {
        const target = resolveModule(module.name, specifier, modules);
        if (target === null) {
          violations.add(`${module.name} -> ${specifier}: outside src/`);
          continue;
        }
        const [targetLayer] = layerOf(target);
        if (targetLayer === undefined || targetLayer === own || layer.imports.includes(targetLayer)) continue;
        if (typeOnly && layer.typesFrom?.includes(targetLayer)) continue;
        violations.add(`${module.name} -> ${target}`);
      } else if (isBuiltin(specifier)) {
        if (!layer.node) violations.add(`${module.name} -> ${specifier}`);
      } else if (!layer.packages?.includes(packageName(specifier))) {
        violations.add(`${module.name} -> ${specifier}`);
      }
    }
  }
  return [...violations];
}

const IMPURE_GLOBALS = new Set(['process', 'require', 'fetch', 'globalThis']);

/** Uses of I/O globals in the modules of pure layers: identifiers that resolve to a global, not to a local name. */
function impureGlobals(modules: Map<string, Module>): string[] {
  const pure = [...modules.values()].filter((module) => {
    const [own] = layerOf(module.name);
    return own !== undefined && LAYERS[own].pure;
  });
  const program = ts.createProgram(pure.map((module) => module.source.fileName), { noEmit: true, noLib: true, types: [] });
  const checker = program.getTypeChecker();
  const found = new Set<string>();
  for (const module of pure) {
    const source = program.getSourceFile(module.source.fileName);
    if (!source) throw new Error(`${module.name} not in the program`);
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && IMPURE_GLOBALS.has(node.text)) {
        const symbol = ts.isShorthandPropertyAssignment(node.parent)
          ? checker.getShorthandAssignmentValueSymbol(node.parent)
          : checker.getSymbolAtLocation(node);
        const declared = symbol?.declarations?.some((declaration) => declaration.getSourceFile() === source);
        const isMember = (ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) ||
          (ts.isQualifiedName(node.parent) && node.parent.right === node);
        if (!declared && !isMember) found.add(`${module.name} uses the global ${node.text}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return [...found];
}

/** What could load native code outside src/binding.ts: require(), process.dlopen, createRequire, 'bindings', a '.node' path. */
function addonLoaders(modules: Map<string, Module>): string[] {
  const found: string[] = [];
  for (const module of modules.values()) {
    if (module.name === 'binding') continue;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
        found.push(`${module.name} calls require()`);
      } else if (ts.isIdentifier(node) && (node.text === 'dlopen' || node.text === 'createRequire')) {
        found.push(`${module.name} uses ${node.text}`);
      } else if (ts.isStringLiteralLike(node) && /\.node$/.test(node.text)) {
        found.push(`${module.name} names a .node file: ${node.text}`);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && stringArgument(node) === null) {
        found.push(`${module.name} imports a computed specifier`);
      }
      ts.forEachChild(node, visit);
    };
    visit(module.source);
    if (module.imports.some(({ specifier }) => packageName(specifier) === 'bindings')) found.push(`${module.name} imports bindings`);
  }
  return found;
}

/** Names a module exports: its exported declarations and export lists (not what it re-exports from elsewhere). */
function ownExports(source: ts.SourceFile): string[] {
  const names: string[] = [];
  for (const statement of source.statements) {
    const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
    const exported = modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
    if (exported && ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) names.push(declaration.name.getText(source));
    } else if (exported && (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement))) {
      names.push(statement.name?.text ?? 'default');
    } else if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      names.push(...statement.exportClause.elements.map((element) => element.name.text));
    } else if (ts.isExportAssignment(statement)) {
      names.push('default');
    }
  }
  return names;
}

/** The public API modules hold only the public API: index.ts re-exports, and can-fork exports only what index re-exports. */
function publicApiViolations(modules: Map<string, Module>): string[] {
  const found: string[] = [];
  const index = modules.get(PUBLIC_INDEX);
  const canFork = modules.get(PUBLIC_CAN_FORK);
  if (!index || !canFork) return [`${PUBLIC_INDEX} or ${PUBLIC_CAN_FORK} missing`];
  for (const statement of index.source.statements) {
    if (!ts.isExportDeclaration(statement) || !statement.moduleSpecifier) {
      found.push(`${PUBLIC_INDEX} holds more than re-exports: ${statement.getText(index.source).split('\n')[0]}`);
    }
  }
  const reexported = new Set(index.imports
    .filter(({ specifier }) => resolveModule(PUBLIC_INDEX, specifier, modules) === PUBLIC_CAN_FORK)
    .flatMap(({ names }) => names));
  if (!reexported.has('*')) {
    const internal = ownExports(canFork.source).filter((name) => !reexported.has(name));
    if (internal.length > 0) found.push(`${PUBLIC_CAN_FORK} exports ${internal.join(', ')}: not public API`);
  }
  // Whoever imports the public module takes only the public API from it.
  for (const module of modules.values()) {
    if (module.name === PUBLIC_INDEX) continue;
    for (const { specifier, names } of module.imports) {
      if (!specifier.startsWith('.') || resolveModule(module.name, specifier, modules) !== PUBLIC_CAN_FORK) continue;
      const internal = names.filter((name) => name !== '*' && !reexported.has(name));
      if (internal.length > 0) found.push(`${module.name} -> ${PUBLIC_CAN_FORK}: ${internal.join(', ')} are internal`);
    }
  }
  return found;
}

describe('the layers of src/ (ARCHITECTURE.md)', () => {
  const modules = readModules();

  it('reads every module and its imports', () => {
    // A guard for the guard: the parser must see the imports it judges.
    expect(modules.size).toBeGreaterThan(30);
    expect(modules.get('cli/main')?.imports.map(({ specifier }) => specifier)).toContain('./run');
  });

  it('the table itself runs one way: no layer reaches, through the layers it lists, back to itself', () => {
    const cycles: string[] = [];
    const reach = (from: LayerName, trail: LayerName[]): void => {
      const layer = LAYERS[from];
      for (const next of [...layer.imports, ...(layer.typesFrom ?? [])]) {
        if (trail.includes(next)) cycles.push([...trail, next].join(' -> '));
        else reach(next, [...trail, next]);
      }
    };
    for (const name of Object.keys(LAYERS) as LayerName[]) reach(name, [name]);
    expect(cycles).toEqual([]);
  });

  it('every module is in one layer and imports only what its layer may', () => {
    expect([...layerViolations(modules), ...publicApiViolations(modules)]).toEqual([]);
  });

  it('the model does no I/O: no process, require, fetch or globalThis', () => {
    expect(impureGlobals(modules)).toEqual([]);
  });

  it('src/binding.ts is the only module that can load the addon', () => {
    expect(addonLoaders(modules)).toEqual([]);
  });
});
