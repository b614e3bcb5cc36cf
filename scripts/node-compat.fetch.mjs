// Node's own child_process tests, taken from Debian's source packages of Node (their .orig tarball carries Node's
// test/ folder unchanged). Only the package mirror and the npm registry are reachable from CI, and nothing fetched
// may be committed, so the tests live in a cache outside the repository:
//   ~/.cache/canfork/node-tests/<debian version>/test/{common,fixtures,parallel/test-child-process-*.js}
// The machine's apt configuration is never touched: a private sources list, state and cache directory are passed
// to apt-get with -o. apt-get verifies the signed index; the tarball is checked against that index's SHA-256.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MIRROR = 'http://deb.debian.org';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/**
 * The Node release lines whose tests are run. `preferred` is the version the docs' results come from; when the
 * mirror no longer serves it (mirrors drop superseded uploads), the newest version of the same line that it does
 * serve is used instead, and the report names it.
 */
export const TEST_LINES = [
  { major: 20, preferred: '20.19.2+dfsg-1+deb13u3' },
  { major: 24, preferred: '24.22.2+dfsg+~cs24.19.2-1' },
];

const SOURCES = [
  `deb-src [signed-by=${KEYRING}] ${MIRROR}/debian trixie main`,
  `deb-src [signed-by=${KEYRING}] ${MIRROR}/debian-security trixie-security main`,
  `deb-src [signed-by=${KEYRING}] ${MIRROR}/debian sid main`,
  `deb-src [signed-by=${KEYRING}] ${MIRROR}/debian forky main`,
  `deb-src [signed-by=${KEYRING}] ${MIRROR}/debian experimental main`,
];

export function cacheRoot() {
  return process.env.CANFORK_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'canfork');
}

/** Private apt configuration: nothing under /etc/apt or /var/lib/apt is read for sources or written. */
function aptOptions(aptDir) {
  const etc = join(aptDir, 'etc');
  for (const dir of [etc, join(etc, 'parts'), join(etc, 'preferences.d'), join(aptDir, 'lists', 'partial'), join(aptDir, 'cache', 'archives', 'partial')]) {
    mkdirSync(dir, { recursive: true });
  }
  writeFileSync(join(etc, 'sources.list'), `${SOURCES.join('\n')}\n`);
  writeFileSync(join(etc, 'preferences'), '');
  const set = {
    'Dir::Etc::SourceList': join(etc, 'sources.list'),
    'Dir::Etc::SourceParts': join(etc, 'parts'),
    'Dir::Etc::Preferences': join(etc, 'preferences'),
    'Dir::Etc::PreferencesParts': join(etc, 'preferences.d'),
    'Dir::State': join(aptDir, 'state'),
    'Dir::State::Lists': join(aptDir, 'lists'),
    'Dir::Cache': join(aptDir, 'cache'),
  };
  return Object.entries(set).flatMap(([key, value]) => ['-o', `${key}=${value}`]);
}

function run(command, args, what) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (result.error) throw new Error(`${what}: ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what}: ${command} exited ${result.status}\n${result.stderr.slice(-2000)}`);
  return result.stdout;
}

/** dpkg's version order, from dpkg itself (Debian's rule has too many corners to re-implement). */
function debianVersionDescending(a, b) {
  if (a === b) return 0;
  return spawnSync('dpkg', ['--compare-versions', a, 'gt', b]).status === 0 ? -1 : 1;
}

/** Versions of the `nodejs` source package of one major line in the indexes, the preferred one first. */
function candidateVersions(options, line) {
  const stanzas = run('apt-cache', [...options, 'showsrc', 'nodejs'], 'reading the source index');
  const versions = new Set();
  for (const match of stanzas.matchAll(/^Version: (\S+)$/gm)) {
    if (match[1].startsWith(`${line.major}.`)) versions.add(match[1]);
  }
  const others = [...versions].filter((version) => version !== line.preferred).sort(debianVersionDescending);
  return versions.has(line.preferred) ? [line.preferred, ...others] : others;
}

/** The .orig tarball's URI and SHA-256, from apt (which knows which archive of the list holds the version). */
function origTarball(options, version) {
  const uris = run('apt-get', [...options, 'source', '--download-only', '--print-uris', `nodejs=${version}`], `locating nodejs ${version}`);
  for (const match of uris.matchAll(/^'(\S+)' (\S+\.orig\.tar\.xz) \d+ SHA256:([0-9a-f]{64})$/gm)) {
    return { uri: match[1], name: match[2], sha256: match[3] };
  }
  throw new Error(`apt-get printed no .orig.tar.xz for nodejs ${version}`);
}

async function download(tarball, path) {
  const response = await globalThis.fetch(tarball.uri);
  if (response.status === 404) return false;
  if (!response.ok) throw new Error(`GET ${tarball.uri}: HTTP ${response.status}`);
  const hash = createHash('sha256');
  const body = Readable.fromWeb(response.body);
  body.on('data', (chunk) => hash.update(chunk));
  await pipeline(body, createWriteStream(path));
  const actual = hash.digest('hex');
  if (actual !== tarball.sha256) throw new Error(`${tarball.name}: SHA-256 ${actual}, the signed index says ${tarball.sha256}`);
  return true;
}

function extractTests(tarballPath, target) {
  const partial = `${target}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  run('tar', ['-xJf', tarballPath, '-C', partial, '--strip-components=1', '--wildcards',
    '*/test/common/*', '*/test/fixtures/*', '*/test/parallel/test-child-process-*.js'], `extracting ${tarballPath}`);
  renameSync(partial, target);
}

function cachedVersion(root, line) {
  const pointer = join(root, `line-${line.major}`);
  if (!existsSync(pointer)) return undefined;
  const version = readFileSync(pointer, 'utf8').trim();
  return existsSync(join(root, version, 'test', 'parallel')) ? version : undefined;
}

/** Returns { version, root } with root/test/parallel/test-child-process-*.js in place; fetches when not cached. */
export async function nodeTests(line, log) {
  const root = join(cacheRoot(), 'node-tests');
  const cached = cachedVersion(root, line);
  if (cached) return { version: cached, root: join(root, cached) };
  mkdirSync(root, { recursive: true });
  for (const [tool, debianPackage] of [['apt-get', 'apt'], ['dpkg', 'dpkg'], ['xz', 'xz-utils']]) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) {
      throw new Error(`fetching Node's tests needs ${tool} (Debian package ${debianPackage})`);
    }
  }
  const options = aptOptions(join(cacheRoot(), 'apt'));
  log(`fetching the source index of nodejs (${SOURCES.length} suites, private apt state under ${cacheRoot()}/apt)`);
  run('apt-get', [...options, '-qq', 'update'], 'apt-get update');
  for (const version of candidateVersions(options, line)) {
    const tarball = origTarball(options, version);
    const tarballPath = join(root, tarball.name);
    log(`downloading ${tarball.uri}`);
    if (!(await download(tarball, tarballPath))) {
      log(`  not on the mirror (404), trying the next ${line.major}.x version`);
      continue;
    }
    extractTests(tarballPath, join(root, version));
    rmSync(tarballPath);
    writeFileSync(join(root, `line-${line.major}`), `${version}\n`);
    return { version, root: join(root, version) };
  }
  throw new Error(`no nodejs ${line.major}.x source package could be downloaded from ${MIRROR}`);
}

/** The test files of one release line, sorted. */
export function childProcessTests(root) {
  return readdirSync(join(root, 'test', 'parallel')).filter((name) => /^test-child-process-.*\.js$/.test(name)).sort();
}
