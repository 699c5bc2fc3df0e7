#!/usr/bin/env node
// The package check of the test command (scripts/test.sh), run after the
// frontend and backend builds. Offline except for the npm registry, from
// which levitate downloads the Grafana packages it compares against.
//
//   node scripts/package-check.mjs [--dist dist] [--target min|latest] [--skip-api] [--api-only]
//
// 1. dist/ holds every file dist/plugin.json names: module.js, the logos,
//    the screenshots, the included dashboards (importable: a ${DS_...} input
//    instead of the demo's data source uid, and otherwise the same as
//    provisioning/dashboards/), and the backend executable for linux amd64
//    with its go_plugin_build_manifest; no %PLACEHOLDER% is left.
// 2. dist/README.md (the catalog page) is not the create-plugin template,
//    has absolute links only (anchors aside) and no developer jargon;
//    plugin.json's links are absolute URLs, its paths relative, its
//    description and keywords set, its version package.json's; the SVGs hold
//    no script; no backend debug file. These follow the offline analyzers of
//    Grafana's plugin validator (docs/release.md).
// 3. @grafana/levitate: src/module.ts is compatible with @grafana/data, ui
//    and runtime at the grafanaDependency minimum (--target min, the
//    default) or at their latest release (--target latest); the fields the
//    plugin reads of runtime's `config` (ignored as a whole in .levignore.js)
//    are declared by that version.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    dist: { type: 'string', default: 'dist' },
    target: { type: 'string', default: 'min' },
    'skip-api': { type: 'boolean', default: false },
    'api-only': { type: 'boolean', default: false },
  },
});
const dist = path.resolve(root, args.dist);
const failures = [];
const fail = (msg) => failures.push(msg);
const rel = (p) => path.relative(root, p);

const srcPluginJson = JSON.parse(fs.readFileSync(path.join(root, 'src/plugin.json'), 'utf8'));

// The Node the project asks for (.nvmrc, package.json engines); an older one
// still runs the checks, and npm ci only warns (EBADENGINE): say so.
const wantedNode = Number(fs.readFileSync(path.join(root, '.nvmrc'), 'utf8').trim().split('.')[0]);
if (Number(process.versions.node.split('.')[0]) < wantedNode) {
  console.log(`package check: note: Node ${process.versions.node} is older than .nvmrc's ${wantedNode}`);
}

if (!args['api-only']) {
  checkPackage();
}
if (!args['skip-api']) {
  checkApi();
}

if (failures.length > 0) {
  console.error(`package check: ${failures.length} problem(s)`);
  for (const f of failures) {
    console.error(`  - ${f}`);
  }
  process.exit(1);
}
console.log('package check: ok');

function checkPackage() {
  const pluginJsonPath = path.join(dist, 'plugin.json');
  if (!fs.existsSync(pluginJsonPath)) {
    fail(`${rel(pluginJsonPath)} is missing: build first (npm run build)`);
    return;
  }
  const pluginJsonText = fs.readFileSync(pluginJsonPath, 'utf8');
  const plugin = JSON.parse(pluginJsonText);
  for (const m of pluginJsonText.matchAll(/%[A-Z_]+%/g)) {
    fail(`dist/plugin.json still holds the placeholder ${m[0]}`);
  }

  // Files plugin.json names.
  const named = [
    ['module', 'module.js'],
    ['logo small', plugin.info?.logos?.small],
    ['logo large', plugin.info?.logos?.large],
    ...(plugin.info?.screenshots ?? []).map((s) => [`screenshot "${s.name}"`, s.path]),
  ];
  for (const [what, file] of named) {
    if (!file) {
      fail(`plugin.json names no ${what}`);
    } else if (/^([a-z]+:|\.|\/)/i.test(file)) {
      fail(`plugin.json: the ${what} path must be relative to plugin.json, not start with '.' or '/': ${file}`);
    } else if (!isFile(path.join(dist, file))) {
      fail(`${what}: dist/${file} is missing`);
    }
  }
  if ((plugin.info?.screenshots ?? []).length === 0) {
    fail('plugin.json has no screenshots');
  }
  for (const s of plugin.info?.screenshots ?? []) {
    const file = path.join(dist, s.path ?? '');
    if (isFile(file) && !isImage(file)) {
      fail(`screenshot dist/${s.path} is not a PNG, JPEG, GIF or SVG image`);
    }
    // The catalog shows the documentation's screenshots (docs/img/, taken by
    // the browser test on purpose); src/img/ holds copies for the bundler.
    const docsImage = path.join(root, 'docs/img', path.basename(s.path ?? ''));
    if (isFile(file) && isFile(docsImage) && !fs.readFileSync(file).equals(fs.readFileSync(docsImage))) {
      fail(`screenshot dist/${s.path} differs from docs/img/${path.basename(s.path)}: copy it to src/img/ and rebuild`);
    }
  }

  // Included dashboards: present, importable, and the provisioned ones.
  const dashboards = (plugin.includes ?? []).filter((i) => i.type === 'dashboard');
  const provisionedDir = path.join(root, 'provisioning/dashboards');
  const provisioned = fs.readdirSync(provisionedDir).filter((f) => f.endsWith('.json'));
  const includedNames = new Set(dashboards.map((d) => path.basename(d.path ?? '')));
  for (const f of provisioned) {
    if (!includedNames.has(f)) {
      fail(`provisioning/dashboards/${f} is not in plugin.json's includes`);
    }
  }
  for (const inc of dashboards) {
    const file = path.join(dist, inc.path ?? '');
    if (!isFile(file)) {
      fail(`included dashboard "${inc.name}": dist/${inc.path} is missing`);
      continue;
    }
    checkImportableDashboard(plugin.id, file, path.join(provisionedDir, path.basename(inc.path)));
  }

  // The backend executable for linux amd64 (mage build:linux) and its manifest.
  if (plugin.backend) {
    const exe = path.join(dist, `${plugin.executable}_linux_amd64`);
    if (!isFile(exe)) {
      fail(`backend executable dist/${plugin.executable}_linux_amd64 is missing (mage build:linux)`);
    } else if ((fs.statSync(exe).mode & 0o111) === 0) {
      fail(`dist/${plugin.executable}_linux_amd64 is not executable`);
    }
    if (!isFile(path.join(dist, 'go_plugin_build_manifest'))) {
      fail('dist/go_plugin_build_manifest is missing (mage build writes it)');
    }
    for (const f of fs.readdirSync(dist)) {
      if (f.startsWith(`${plugin.executable}_`) && (fs.statSync(path.join(dist, f)).mode & 0o111) === 0) {
        fail(`dist/${f} is not executable`);
      }
      if (f === 'standalone.txt' || f === 'pid.txt') {
        fail(`dist/${f} is a backend debug file: Grafana would not start the plugin in production mode`);
      }
    }
  }

  // Catalog metadata.
  if (!plugin.info?.description?.trim()) {
    fail('plugin.json: empty description');
  }
  if ((plugin.info?.keywords ?? []).length === 0) {
    fail('plugin.json: no keywords');
  }
  const pkgVersion = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  if (plugin.info?.version !== pkgVersion) {
    fail(`dist/plugin.json version ${plugin.info?.version} differs from package.json's ${pkgVersion}`);
  }
  if (!readIfFile(path.join(dist, 'CHANGELOG.md'))?.trim()) {
    fail('dist/CHANGELOG.md is missing or empty');
  }
  for (const f of fs.readdirSync(path.join(dist, 'img'), { recursive: true })) {
    const svg = String(f).endsWith('.svg') ? fs.readFileSync(path.join(dist, 'img', String(f)), 'utf8') : '';
    if (/<script|<foreignObject|\son[a-z]+\s*=|(?:xlink:)?href\s*=\s*["'](?!#)/i.test(svg)) {
      fail(`dist/img/${f}: an SVG with a script, an event handler, foreignObject or an external reference`);
    }
  }

  for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md']) {
    if (!isFile(path.join(dist, file))) {
      fail(`dist/${file} is missing`);
    }
  }
  const license = readIfFile(path.join(dist, 'LICENSE'));
  if (license && /\{yyyy\}|\{name of copyright owner\}/.test(license)) {
    fail('dist/LICENSE still holds the template placeholders {yyyy} / {name of copyright owner}');
  }

  // Links of plugin.json.
  for (const l of plugin.info?.links ?? []) {
    if (!isAbsoluteUrl(l.url)) {
      fail(`plugin.json link "${l.name}" is not an absolute URL: ${l.url}`);
    }
  }
  if ((plugin.info?.links ?? []).length === 0) {
    fail('plugin.json has no links');
  }

  // The catalog README.
  const readme = readIfFile(path.join(dist, 'README.md'));
  if (readme) {
    if (readme.includes('<!--')) {
      fail("dist/README.md holds HTML comments (the create-plugin template's placeholders?)");
    }
    if (/^#\s+Servicestats\s*$/m.test(readme) || readme.includes('## Overview / Introduction')) {
      fail('dist/README.md is the create-plugin template');
    }
    for (const word of ['yarn', 'nodejs']) {
      if (readme.includes(word)) {
        fail(`dist/README.md holds developer jargon ("${word}"): that belongs in the repository's README`);
      }
    }
    for (const link of readmeLinks(readme)) {
      // An anchor (#section) stays on the page; anything else must be absolute.
      if (!link.startsWith('#') && !isAbsoluteUrl(link)) {
        fail(`dist/README.md has a relative link: ${link}`);
      }
    }
  }
}

// The dashboard as shipped must declare one datasource input for the plugin,
// refer to the plugin's data source only through it, and be the provisioned
// dashboard otherwise (the build derives it: webpack.config.ts).
function checkImportableDashboard(pluginId, file, provisionedFile) {
  const name = rel(file);
  const dashboard = JSON.parse(fs.readFileSync(file, 'utf8'));
  const inputs = (dashboard.__inputs ?? []).filter((i) => i.type === 'datasource' && i.pluginId === pluginId);
  if (inputs.length !== 1) {
    fail(`${name}: expected one __inputs datasource entry for ${pluginId}, found ${inputs.length}`);
    return;
  }
  const placeholder = '${' + inputs[0].name + '}';
  let references = 0;
  const restored = structuredClone(dashboard);
  delete restored.__inputs;
  walk(restored, (obj) => {
    if (obj.type === pluginId && 'uid' in obj) {
      if (obj.uid !== placeholder) {
        fail(`${name}: a data source reference with uid "${obj.uid}" instead of ${placeholder}`);
      }
      references++;
      obj.uid = 'servicestats';
    }
  });
  if (references === 0) {
    fail(`${name}: no panel or variable refers to ${placeholder}`);
  }
  if (!isFile(provisionedFile)) {
    fail(`${name}: no provisioned counterpart ${rel(provisionedFile)}`);
    return;
  }
  const provisioned = JSON.parse(fs.readFileSync(provisionedFile, 'utf8'));
  if (!isDeepStrictEqual(restored, provisioned)) {
    fail(`${name} differs from ${rel(provisionedFile)} beyond the data source input: rebuild (npm run build)`);
  }
}

function checkApi() {
  const dep = srcPluginJson.dependencies?.grafanaDependency ?? '';
  let version;
  if (args.target === 'latest') {
    version = 'latest';
  } else if (args.target === 'min') {
    const m = dep.match(/^>=\s*(\d+\.\d+\.\d+)$/);
    if (!m) {
      fail(`cannot read a minimum version from grafanaDependency "${dep}" (expected ">=X.Y.Z")`);
      return;
    }
    version = m[1];
  } else {
    version = args.target;
  }
  const packages = ['@grafana/data', '@grafana/ui', '@grafana/runtime'];
  // The latest releases, resolved here so that the `config` check below
  // knows which version levitate unpacked.
  const versions = packages.map((p) => (version === 'latest' ? npmLatest(p) : version));
  if (versions.some((v) => !v)) {
    fail('could not resolve the latest @grafana/data, ui and runtime (npm view)');
    return;
  }
  const target = packages.map((p, i) => `${p}@${versions[i]}`).join(',');
  const levitate = path.join(root, 'node_modules/.bin/levitate');
  if (!fs.existsSync(levitate)) {
    fail('node_modules/.bin/levitate is missing: npm ci installs @grafana/levitate (devDependencies)');
    return;
  }
  // levitate unpacks the packages it compares under the temporary directory;
  // LEVITATE_CACHE keeps them there for the `config` check below.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'package-check-'));
  try {
    console.log(`levitate is-compatible --path src/module.ts --target ${target}`);
    const started = Date.now();
    const r = spawnSync(levitate, ['is-compatible', '--path', 'src/module.ts', '--target', target], {
      cwd: root,
      env: { ...process.env, TMPDIR: tmp, LEVITATE_CACHE: 'true' },
      encoding: 'utf8',
    });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    console.log(`levitate: exit ${r.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (r.status !== 0) {
      console.log(out);
      fail(`levitate: src/module.ts is not compatible with ${target}`);
    } else if (/Could not process the package/.test(out)) {
      console.log(out);
      fail('levitate could not process a package (registry unreachable?)');
    }
    checkConfigFields(path.join(tmp, `@grafana/runtime@${versions[2]}`, 'package'), versions[2]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// Each `config.<field>` read by a source file that imports `config` from
// @grafana/runtime must be declared by that version's GrafanaBootConfig.
function checkConfigFields(runtimeDir, version) {
  const decl = readIfFile(path.join(runtimeDir, 'dist/types/config.d.ts'));
  if (!decl) {
    fail(`@grafana/runtime@${version}: dist/types/config.d.ts not found where levitate unpacked it`);
    return;
  }
  const cls = decl.slice(decl.indexOf('class GrafanaBootConfig'));
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    if (!/import\s*\{[^}]*\bconfig\b[^}]*\}\s*from\s*'@grafana\/runtime'/.test(text)) {
      continue;
    }
    for (const m of text.matchAll(/\bconfig\.([A-Za-z_$][\w$]*)/g)) {
      if (!new RegExp(`^\\s*(readonly\\s+)?${m[1].replace(/\$/g, '\\$')}\\??:`, 'm').test(cls)) {
        fail(
          `${rel(file)} reads config.${m[1]}, which @grafana/runtime@${version}'s GrafanaBootConfig does not declare`
        );
      }
    }
  }
}

function npmLatest(pkg) {
  const r = spawnSync('npm', ['view', `${pkg}@latest`, 'version'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function sourceFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'test' && e.name !== '__mocks__') {
        out.push(...sourceFiles(p));
      }
    } else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) {
      out.push(p);
    }
  }
  return out;
}

// Markdown links and images, reference definitions, and HTML href/src.
function readmeLinks(md) {
  const text = md.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const links = [];
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    links.push(m[1]);
  }
  for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) {
    links.push(m[1]);
  }
  for (const m of text.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/gi)) {
    links.push(m[1]);
  }
  return links;
}

function walk(node, visit) {
  if (Array.isArray(node)) {
    node.forEach((n) => walk(n, visit));
  } else if (node !== null && typeof node === 'object') {
    visit(node);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

function isAbsoluteUrl(u) {
  return typeof u === 'string' && /^(https?:\/\/[^/\s]+|mailto:)/.test(u);
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function readIfFile(p) {
  return isFile(p) ? fs.readFileSync(p, 'utf8') : undefined;
}

function isImage(p) {
  const b = fs.readFileSync(p).subarray(0, 512);
  const png = b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const jpeg = b[0] === 0xff && b[1] === 0xd8;
  const gif = b.subarray(0, 4).toString('latin1') === 'GIF8';
  const svg = /<svg[\s>]/.test(b.toString('utf8'));
  return png || jpeg || gif || svg;
}
