import { CSRF_FIELD, CSRF_HEADER } from '../http/csrf';
import { loadSupertest } from './supertest-peer';

/** The supertest agent methods the helpers use; the object you get back is supertest's own agent. */
export interface SupertestAgentLike {
  get(url: string): any;
  post(url: string): any;
  put(url: string): any;
  patch(url: string): any;
  delete(url: string): any;
  head(url: string): any;
}

/** A supertest agent signed in to the host app, with the console's CSRF token at hand. */
export type ConsoleAgent<Agent = SupertestAgentLike> = Agent & {
  /** Where the console is mounted, e.g. `/admin`. */
  readonly mount: string;
  /** The console's CSRF token for this agent's session (fetched once, then cached; `refresh` fetches it again). */
  csrf(options?: { refresh?: boolean }): Promise<string>;
  /**
   * POSTs a console form with its CSRF token, as a browser would, and resolves with the response:
   * `expect((await agent.submit('/users/42/ban', { reason: 'chargeback fraud' })).status).toBe(303)`.
   * The path is relative to the mount; redirects are not followed.
   */
  submit(path: string, form?: Record<string, string>): Promise<any>;
};

export interface SignedInAgentOptions<Agent = SupertestAgentLike> {
  /**
   * Signs the agent in the way your app does — post your login form, or call a
   * test-only route: `(agent) => agent.post('/login').type('form').send({ email, password }).expect(302)`.
   */
  signIn: (agent: Agent) => unknown | Promise<unknown>;
  /** Where the console is mounted. Default `/admin`. */
  mount?: string;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The token the console's layout hands to htmx on `<body hx-headers:inherited="…">`. */
function tokenFromPage(html: string): string | null {
  const attribute = /hx-headers(?::inherited)?="([^"]*)"/.exec(html);
  if (!attribute) return null;
  try {
    const headers = JSON.parse(decodeEntities(attribute[1])) as Record<string, unknown>;
    const token = headers[CSRF_HEADER];
    return typeof token === 'string' && token !== '' ? token : null;
  } catch {
    return null;
  }
}

/** What the console's error page says (its notice, and the first line of the stack superusers see). */
export function pageSays(html: string): string {
  const notice = /<div class="notice error"[^>]*>\s*<strong>([\s\S]*?)<\/strong>/.exec(html)?.[1];
  const stack = /<pre>([^\n<]*)/.exec(html)?.[1];
  const said = [notice, stack].filter((part): part is string => Boolean(part)).map((part) => decodeEntities(part.trim()));
  return said.length ? ` The console says: ${said.join(' — ')}` : '';
}

function whyNoToken(status: number, location: string | undefined, url: string, html: string): string {
  const prefix = `express-backstage/testing: could not read the console's CSRF token: GET ${url} answered ${status}`;
  if (status >= 300 && status < 400) {
    return `${prefix}, a redirect to ${location ?? '(no location)'}. The agent is not signed in: check that signIn(agent) signs a user in (its response status, its cookies).`;
  }
  if (status === 401) return `${prefix}. The agent is not signed in: check that signIn(agent) signs a user in.`;
  if (status === 403) return `${prefix}. The signed-in user has no operator role: sign in as a user whose role is one of the console's roles (options.roles).`;
  if (status === 404) return `${prefix}. Is the console mounted at ${url.replace(/\/audit.*$/, '')}? Pass { mount } to signedInAgent.`;
  return `${prefix}.${pageSays(html)}`;
}

/**
 * A supertest agent signed in to your app through your own sign-in, with the
 * console's CSRF token ready, for your app's test suite.
 *
 * @example
 * import { signedInAgent } from 'express-backstage/testing';
 *
 * const agent = await signedInAgent(app, {
 *   signIn: (agent) => agent.post('/login').type('form').send({ email: 'ops@example.com', password: 'secret' }),
 * });
 * await agent.get('/admin/users').expect(200);
 * const res = await agent.submit('/users/42/ban', { reason: 'chargeback fraud' });
 * expect(res.status).toBe(303);
 */
export async function signedInAgent<Agent = SupertestAgentLike>(app: unknown, options: SignedInAgentOptions<Agent>): Promise<ConsoleAgent<Agent>> {
  if (typeof options?.signIn !== 'function') {
    throw new TypeError('express-backstage/testing: signedInAgent(app, { signIn }) needs signIn, a function (agent) => that signs the agent in to your app');
  }
  const mount = (options.mount ?? '/admin').replace(/\/+$/, '');
  if (!mount.startsWith('/')) throw new TypeError(`express-backstage/testing: mount must be a path starting with '/', got "${options.mount}"`);
  const request = loadSupertest() as unknown as { agent(app: unknown): SupertestAgentLike };
  const agent = request.agent(app) as SupertestAgentLike & Record<string, unknown>;
  await options.signIn(agent as unknown as Agent);

  let token: string | null = null;
  async function csrf({ refresh = false }: { refresh?: boolean } = {}): Promise<string> {
    if (token && !refresh) return token;
    // The audit log is part of every console and cheap to render; its layout carries the token like every page.
    const url = `${mount}/audit?limit=1`;
    const res = await agent.get(url).redirects(0);
    const found = res.status === 200 ? tokenFromPage(String(res.text ?? '')) : null;
    if (!found) throw new Error(res.status === 200 ? `express-backstage/testing: GET ${url} answered 200 but carries no console CSRF token: is the console mounted there?` : whyNoToken(res.status, res.headers?.location, url, String(res.text ?? '')));
    token = found;
    return token;
  }

  return Object.assign(agent, {
    mount,
    csrf,
    async submit(path: string, form: Record<string, string> = {}) {
      const value = await csrf();
      return agent
        .post(`${mount}${path.startsWith('/') ? path : `/${path}`}`)
        .type('form')
        .send({ ...form, [CSRF_FIELD]: value });
    },
  }) as unknown as ConsoleAgent<Agent>;
}
