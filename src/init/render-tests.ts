import path from 'node:path';
import type { HostProject } from './host-project';
import type { HostTests } from './host-tests';
import { compiledPath } from './host-tests';
import type { MappingProposal, TableFacts } from './propose-mapping';
import { checksum, importPath, toSource } from './render-file';

const MARK = 'backstage-init:';

export interface RenderTestsInput {
  project: HostProject;
  tests: HostTests & { app: string };
  proposal: MappingProposal;
  mount: string;
  cwd: string;
  /** Columns of the users table an insert must give that the console does not map (a password hash). */
  requiredColumns?: string[];
}

/** The users table's NOT NULL columns without a default that the mapping leaves out: createTestUser cannot fill them. */
export function requiredUserColumns(tables: TableFacts[], proposal: MappingProposal): string[] {
  const users = proposal.models.find((model) => model.model === 'users');
  const table = tables.find((t) => t.name === users?.table);
  if (!table || !users) return [];
  const mapped = new Set(users.fields.map((field) => field.column).filter(Boolean));
  return table.columns.filter((column) => column.required && !mapped.has(column.name)).map((column) => column.name);
}

/** The role values the test users get: an operator role, and a role the host's plain users have. */
export function testRoles(proposal: MappingProposal): { operator: string; plain: string } {
  const roles = proposal.options.roles ?? ['admin', 'superuser'];
  const superusers = proposal.options.superuserRoles ?? ['superuser'];
  const plain = (proposal.roleValues ?? []).find((value) => !roles.includes(value) && !superusers.includes(value)) ?? 'user';
  return { operator: roles.find((role) => !superusers.includes(role)) ?? roles[0], plain };
}

/** The users columns init matched (`{ name: 'full_name', createdAt: 'created_at', … }`), as the generated test expects them to stay. */
function usersColumnsAtInit(proposal: MappingProposal): Record<string, string> {
  const users = proposal.models.find((model) => model.model === 'users');
  if (!users?.table || users.reason) return {};
  return Object.fromEntries(users.fields.filter((field) => field.column).map((field) => [field.field, field.column!]));
}

function usersTable(proposal: MappingProposal): string {
  return proposal.models.find((model) => model.model === 'users')?.table ?? 'users';
}

/**
 * The test file init writes into the host: it loads the host's own app,
 * creates an admin and a plain user through the console's mapping, signs them
 * in through a hook the host can correct, and checks the console's pages, role
 * gate and CSRF protection. Its first check reports what changed in the schema
 * when the console can no longer start.
 */
export function renderTestsFile(input: RenderTestsInput): string {
  const { project, tests, proposal, mount, cwd } = input;
  const ts = project.language === 'ts';
  const esm = ts || project.moduleSystem === 'esm';
  const jest = tests.runner === 'jest';
  const t = (typed: string, plain = '') => (ts ? typed : plain);
  const adminSpecifier = importPath(tests.file, project.out, project);
  const appSpecifier = importPath(tests.file, tests.app, project);
  const appShown = path.relative(cwd, tests.app).split(path.sep).join('/');
  const testShown = path.relative(cwd, tests.file).split(path.sep).join('/');
  // doctor loads JavaScript: the compiled app for TypeScript.
  const appJs = ts ? compiledPath(cwd, tests.app) : tests.app;
  const doctorApp = appJs ? path.relative(cwd, path.resolve(cwd, appJs)).split(path.sep).join('/') : null;
  const required = input.requiredColumns ?? [];
  const columnsExample = `{ ${(required.length ? required : ['password_hash']).map((column) => `${/^[A-Za-z_$][\w$]*$/.test(column) ? column : toSource(column)}: <${/pass|hash|digest/i.test(column) ? "a hash of TEST_PASSWORD in your app's own format" : 'a value your app accepts'}>`).join(', ')} }`;
  const roles = testRoles(proposal);
  const table = usersTable(proposal);
  const after = jest ? 'afterAll' : 'after';
  const timeout = jest ? ', 30_000' : '';
  const helpers = ['consoleMounted', 'consolePages', 'consoleReady', 'consoleSays', 'createTestUser', 'removeTestUsers', 'signedInAgent', 'usersColumns'];
  const usedColumns = usersColumnsAtInit(proposal);

  const imports = esm
    ? [
        ...(jest ? [] : [`import { ${after}, test } from 'node:test';`]),
        "import assert from 'node:assert/strict';",
        `import { ${helpers.join(', ')}${ts ? ', type ConsoleAgent, type TestUser' : ''} } from 'express-backstage/testing';`,
        `import { admin } from ${toSource(adminSpecifier)};`,
        '// The app under test: the module that builds your Express app (without listening).',
        `import * as appModule from ${toSource(appSpecifier)};`,
      ]
    : [
        ...(jest ? [] : [`const { ${after}, test } = require('node:test');`]),
        "const assert = require('node:assert/strict');",
        `const { ${helpers.join(', ')} } = require('express-backstage/testing');`,
        `const { admin } = require(${toSource(adminSpecifier)});`,
        '// The app under test: the module that builds your Express app (without listening).',
        `const appModule = require(${toSource(appSpecifier)});`,
      ];
  const anyModule = ts ? '(appModule as any)' : 'appModule';

  const lines = [
    '//',
    `// What it checks, at ${mount}: the console starts against this app's database (and when it cannot, the`,
    '// first test says what changed), every console page answers 200 to an admin, anonymous visitors and',
    '// signed-in users who are not admins are refused, a form sent without the CSRF token is refused, and the',
    `// users list shows a user this test created. It creates two users in "${table}" (an admin and a plain`,
    '// user) and deletes them at the end, so run it against a development or test database.',
    '//',
    `// The app it loads: ${appShown}. To test another module, change the appModule import below, or run`,
    '// `npx express-backstage init --app <file> --force` (which rewrites this file).',
    `// Run it: ${tests.run}`,
    ...imports,
    '',
    `const app = ${anyModule}.app ?? ${anyModule}.default ?? appModule;`,
    `const MOUNT = ${toSource(mount)};`,
    '',
    "// ---- Your app's side. init cannot know these, so they are guesses: correct them if the tests say so. ----",
    '',
    '/** The password the test users sign in with (signIn sends it). */',
    "const TEST_PASSWORD = 'backstage-test-password';",
    '',
    '/**',
    ' * Signs a supertest agent in as `user` ({ id, email, role, row }) the way your app does. This guess posts',
    ' * your login form. If you sign in elsewhere, or check a password hash, change it: store a hash of',
    ' * TEST_PASSWORD in userColumns below, or call a sign-in route your app only has in tests.',
    ' */',
    `async function signIn(agent${t(': any')}, user${t(': TestUser')})${t(': Promise<void>')} {`,
    "  await agent.post('/login').type('form').send({ email: user.email, password: TEST_PASSWORD });",
    '}',
    '',
    `/** Columns your users table requires that the console does not map (a password hash, a tenant id). */`,
    `function userColumns(_user${t(': { email: string; role: string }')})${t(': Record<string, unknown>')} {`,
    ...(required.length ? [`  // ${required.join(', ')} ${required.length === 1 ? 'is' : 'are'} NOT NULL in "${table}" and not mapped by the console: return ${columnsExample}.`] : []),
    '  return {};',
    '}',
    '',
    "/** Ends what would keep the test process alive: the console's connections, and your app's database handles. */",
    `async function closeApp()${t(': Promise<void>')} {`,
    '  await admin.close();',
    '  await closeExported(appModule);',
    '}',
    '',
    '// ---- The checks ----',
    '',
    'const stamp = `${Date.now()}-${process.pid}`;',
    `const created${t(': TestUser[]')} = [];`,
    ...(ts ? ['interface World {', '  operator: TestUser;', '  customer: TestUser;', '  agent: ConsoleAgent;', '}'] : []),
    `let world${t(': Promise<World> | undefined')};`,
    '',
    `async function makeUser(fields${t(': { email: string; role: string }')})${t(': Promise<TestUser>')} {`,
    ...(proposal.options.noRoleColumn
      ? [
          '  // No role column: the console lets in the emails listed in BACKSTAGE_ADMINS.',
          `  if (fields.role === ${toSource(roles.operator)}) process.env.BACKSTAGE_ADMINS = [process.env.BACKSTAGE_ADMINS, fields.email].filter(Boolean).join(',');`,
        ]
      : []),
    `  let user${t(': TestUser')};`,
    '  try {',
    '    user = await createTestUser(admin, { ...fields, columns: userColumns(fields) });',
    '  } catch (err) {',
    "    // A NOT NULL column the console does not map: SQLite, PostgreSQL and MySQL each say it their way.",
    `    if (/NOT NULL|not-null|cannot be null|doesn't have a default/i.test(String(err))) throw new Error(\`\${String(${ts ? '(err as Error)' : 'err'}.message).replace(/ If the table requires[\\s\\S]*$/, '')}\\n\${USER_COLUMNS_HINT}\`);`,
    '    throw err;',
    '  }',
    '  created.push(user);',
    '  return user;',
    '}',
    '',
    `const USER_COLUMNS_HINT = ${toSource(`Your users table requires a column the console does not map: edit userColumns() at the top of ${testShown}, return ${columnsExample}.`)};`,
    `const NOT_MOUNTED = ${toSource(`The app loaded from ${appShown} does not mount the console at ${mount}: paste the two lines into ${appShown} (app.use(admin.guard); app.use('${mount}', admin);), or run \`npx express-backstage doctor${doctorApp ? ` --app ${doctorApp}` : ''}\`.`)};`,
    '',
    '/** The users and the signed-in admin every check shares, made once; when that fails, the first check says why and the others point at it. */',
    `function setUp()${t(': Promise<World>')} {`,
    "  if (world) return world.catch(() => { throw new Error('Setting up the admin and the plain user failed: see the first failing test.'); });",
    '  world = (async () => {',
    '    await consoleReady(admin);',
    "    // Said once, by the test of its own below; the other checks only point at it.",
    `    if (!(await consoleMounted(app, admin, { mount: MOUNT }))) throw new Error(${toSource(`The console is not mounted in ${appShown}: see the test "the app mounts the console at ${mount}".`)});`,
    `    const operator = await makeUser({ email: \`backstage-admin-\${stamp}@example.test\`, role: ${toSource(roles.operator)} });`,
    `    const customer = await makeUser({ email: \`backstage-user-\${stamp}@example.test\`, role: ${toSource(roles.plain)} });`,
    '    const agent = await signedInAgent(app, { mount: MOUNT, signIn: (agent) => signIn(agent, operator) });',
    "    await agent.csrf(); // fails here, saying why, when signIn did not sign the admin in",
    '    return { operator, customer, agent };',
    '  })();',
    '  return world;',
    '}',
    '',
    "test(\"the console starts against this app's database\", async () => {",
    '  await consoleReady(admin);',
    `}${timeout});`,
    '',
    `test(${toSource(`the app mounts the console at ${mount}`)}, async () => {`,
    '  assert.ok(await consoleMounted(app, admin, { mount: MOUNT }), NOT_MOUNTED);',
    `}${timeout});`,
    '',
    '// The users columns the console found when init ran. A column that is renamed or dropped later does not',
    '// stop the console: its feature (names, dates, the ban) is switched off. This check notices.',
    `const COLUMNS_AT_INIT = ${toSource(usedColumns)};`,
    '',
    "test('the users columns the console used when init ran are still there', async () => {",
    '  const now = await usersColumns(admin);',
    '  const lost = Object.entries(COLUMNS_AT_INIT).filter(([field, column]) => now[field] !== column).map(([field, column]) => `${field} ("${column}")`);',
    `  assert.deepEqual(lost, [], \`The console no longer uses these columns of ${table.replace(/[`$\\]/g, '')} that it used when init ran: \${lost.join(', ')}. They were renamed or dropped, so their features are off in the console. Map the new names in backstage.config (models.users.columns), or run npx express-backstage init again.\`);`,
    `}${timeout});`,
    '',
    "test('an admin sees every console page', async () => {",
    '  const { agent, operator } = await setUp();',
    `  const failures${t(': string[]')} = [];`,
    '  for (const page of consolePages(admin, { userId: operator.id })) {',
    '    const res = await agent.get(`${MOUNT}${page}`);',
    '    if (res.status !== 200) failures.push(`GET ${MOUNT}${page} ${consoleSays(res)}`);',
    '  }',
    "  assert.deepEqual(failures, [], `Console pages that did not answer 200:\\n${failures.join('\\n')}`);",
    `}${timeout});`,
    '',
    "test('anonymous visitors are sent to sign in', async () => {",
    `  if (!(await consoleMounted(app, admin, { mount: MOUNT }))) throw new Error(${toSource(`The console is not mounted in ${appShown}: see the test "the app mounts the console at ${mount}".`)});`,
    '  const anonymous = await signedInAgent(app, { mount: MOUNT, signIn: () => {} });',
    '  const res = await anonymous.get(`${MOUNT}/users`).redirects(0);',
    '  assert.ok([302, 303, 401].includes(res.status), `GET ${MOUNT}/users without signing in ${consoleSays(res)} Expected a redirect to sign in (303) or 401.`);',
    `}${timeout});`,
    '',
    "test('a signed-in user who is not an admin is refused', async () => {",
    '  const { customer } = await setUp();',
    '  const agent = await signedInAgent(app, { mount: MOUNT, signIn: (agent) => signIn(agent, customer) });',
    '  const res = await agent.get(`${MOUNT}/users`).redirects(0);',
    '  assert.equal(res.status, 403, `GET ${MOUNT}/users as ${customer.email} (role ${customer.role}) ${consoleSays(res)} Expected 403; a redirect means signIn did not sign them in.`);',
    `}${timeout});`,
    '',
    "test('a form sent without the CSRF token is refused', async () => {",
    '  const { agent, customer } = await setUp();',
    "  const res = await agent.post(`${MOUNT}/users/${encodeURIComponent(customer.id)}/ban`).type('form').send({ reason: 'CSRF check' });",
    '  assert.equal(res.status, 403, `POST ${MOUNT}/users/${customer.id}/ban without a CSRF token ${consoleSays(res)} Expected 403.`);',
    `}${timeout});`,
    '',
    "test('the users list shows a user this test created', async () => {",
    '  const { agent, customer } = await setUp();',
    '  const res = await agent.get(`${MOUNT}/users?q=${encodeURIComponent(customer.email)}`);',
    '  assert.equal(res.status, 200, `GET ${MOUNT}/users?q=${customer.email} ${consoleSays(res)}`);',
    '  assert.ok(res.text.includes(customer.email), `The users list searched for ${customer.email} does not show it.`);',
    `}${timeout});`,
    '',
    `${after}(async () => {`,
    '  if (created.length > 0) await removeTestUsers(admin, created);',
    '  await closeApp();',
    '});',
    '',
    "/** Ends the database handles your app module exports under the usual names (db, knex, pool, sequelize, prisma). */",
    `async function closeExported(mod${t(': any')})${t(': Promise<void>')} {`,
    "  for (const name of ['db', 'knex', 'pool', 'sequelize', 'prisma']) {",
    '    const handle = mod?.[name];',
    '    if (!handle || handle === app) continue;',
    "    const method = ['destroy', '$disconnect', 'end', 'close'].find((m) => typeof handle[m] === 'function');",
    '    if (method) await handle[method]();',
    '  }',
    '}',
    '',
  ];
  const body = lines.join('\n');
  const header = [
    "// Checks that this app's operator console keeps working as the app changes; written by `npx express-backstage init`.",
    `// Edit it freely: init will not overwrite it once edited, unless --force. ${MARK}${checksum(body)}`,
  ];
  return `${header.join('\n')}\n${body}`;
}
